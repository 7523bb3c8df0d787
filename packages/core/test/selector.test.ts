import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CinderError, ErrorCodes, compileMatcher, formatSelector, matchesLabels, parseSelector, type Selector } from '@cinder/core';

function errorOf(fn: () => unknown): CinderError | string {
  try {
    fn();
  } catch (error) {
    return error instanceof CinderError ? error : `not a CinderError: ${String(error)}`;
  }
  return 'no error';
}

describe('parseSelector', () => {
  it.each([
    ['', []],
    ['{}', []],
    ['  { }  ', []],
    ['{a="x"}', [{ name: 'a', op: '=', value: 'x' }]],
    ['{a!="x", b=~"y.*", c!~"z|w"}', [
      { name: 'a', op: '!=', value: 'x' },
      { name: 'b', op: '=~', value: 'y.*' },
      { name: 'c', op: '!~', value: 'z|w' },
    ]],
    ['{ a = "x" , }', [{ name: 'a', op: '=', value: 'x' }]],
    ['{service.name="x"}', [{ name: 'service.name', op: '=', value: 'x' }]],
    ['{"service.name"="x"}', [{ name: 'service.name', op: '=', value: 'x' }]],
    ['{"k8s.pod/name"="x"}', [{ name: 'k8s.pod/name', op: '=', value: 'x' }]],
    ['{_a1="x"}', [{ name: '_a1', op: '=', value: 'x' }]],
    ["{a='x'}", [{ name: 'a', op: '=', value: 'x' }]],
    ['{a=`x\\d+`}', [{ name: 'a', op: '=', value: 'x\\d+' }]],
    ['{a="q\\"uote \\\\ back\\nnew"}', [{ name: 'a', op: '=', value: 'q"uote \\ back\nnew' }]],
    ['{a="\\u00e9\\x41"}', [{ name: 'a', op: '=', value: 'éA' }]],
    ['{a=~"a\\.b"}', [{ name: 'a', op: '=~', value: 'a\\.b' }]],
    ['{a="日本"}', [{ name: 'a', op: '=', value: '日本' }]],
  ] as [string, Selector][])('%s', (text, selector) => {
    expect(parseSelector(text)).toEqual(selector);
  });

  it.each([
    ['{a=}', 4, 'a quoted value'],
    ['{a"x"}', 3, 'one of =, !=, =~, !~'],
    ['a="x"', 1, '"{"'],
    ['{1abc="x"}', 2, 'a label name'],
    ['{a="x"', 7, '"," or "}"'],
    ['{a="x', 6, 'a closing "'],
    ['{a="x"} extra', 9, 'the end of the selector'],
    ['{a~="x"}', 3, 'one of =, !=, =~, !~'],
    ['{a="x" b="y"}', 8, '"," or "}"'],
    ['{a="\\u12"}', 5, '4 hex digits'],
    ['{', 2, '"}"'],
  ])('%s is rejected at character %d, expecting %s', (text, position, expected) => {
    const error = errorOf(() => parseSelector(text));
    expect(error).toBeInstanceOf(CinderError);
    const { code, message } = error as CinderError;
    expect(code).toBe(ErrorCodes.QUERY_INVALID_SELECTOR);
    expect(message).toContain(`at character ${position}:`);
    expect(message).toContain(`expected ${expected}`);
  });

  it('rejects an invalid regular expression with the same code', () => {
    const error = errorOf(() => parseSelector('{a=~"("}'));
    expect((error as CinderError).code).toBe(ErrorCodes.QUERY_INVALID_SELECTOR);
    expect((error as CinderError).message).toMatch(/regular expression "\(" for label "a"/);
  });
});

describe('matchesLabels (Prometheus semantics)', () => {
  const map = new Map([
    ['service_name', 'checkout'],
    ['region', 'eu-west-1'],
    ['service.version', '1.2'],
  ]);
  const pairs = [...map.entries()];
  it.each([
    ['{}', true],
    ['{service_name="checkout"}', true],
    ['{service_name="cart"}', false],
    ['{service_name!="cart"}', true],
    ['{region=~"eu-.*"}', true],
    ['{region=~"eu"}', false], // fully anchored
    ['{region=~"west"}', false],
    ['{region=~".*west.*"}', true],
    ['{region=~"eu-west-1|us-east-1"}', true],
    ['{region!~"us-.*", service_name="checkout"}', true],
    ['{region!~"eu-.*"}', false],
    ['{missing=""}', true], // a missing label is the empty string
    ['{missing!=""}', false],
    ['{missing=~".*"}', true],
    ['{missing=~".+"}', false],
    ['{missing!~"x"}', true],
    ['{"service.version"="1.2"}', true],
    ['{service_name="checkout", region="us"}', false],
  ])('%s → %s', (text, matches) => {
    const selector = parseSelector(text);
    expect(matchesLabels(selector, map)).toBe(matches);
    expect(matchesLabels(selector, pairs)).toBe(matches);
  });

  it('regexes match across newlines (RE2 (?s) as Prometheus) and alternation stays anchored', () => {
    expect(compileMatcher({ name: 'a', op: '=~', value: 'x.*y' })('x\ny')).toBe(true);
    expect(compileMatcher({ name: 'a', op: '=~', value: 'a|b' })('ab')).toBe(false);
    expect(compileMatcher({ name: 'a', op: '!~', value: 'a|b' })('ab')).toBe(true);
    expect(compileMatcher({ name: 'a', op: '=', value: 'x' })('x')).toBe(true);
    expect(compileMatcher({ name: 'a', op: '!=', value: 'x' })('x')).toBe(false);
    expect(() => compileMatcher({ name: 'a', op: '=~', value: '[' })).toThrow(CinderError);
  });
});

describe('formatSelector', () => {
  it('writes a selector that parses back to itself', () => {
    expect(formatSelector([])).toBe('{}');
    expect(formatSelector(parseSelector('{a="x", "b.c"=~"y|z"}'))).toBe('{a="x", "b.c"=~"y|z"}');
  });

  it('round-trips any names and values (property)', () => {
    const name = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), fc.string({ minLength: 1, maxLength: 8 }));
    const matcher = fc.record({ name, op: fc.constantFrom('=' as const, '!=' as const), value: fc.string({ maxLength: 12 }) });
    fc.assert(
      fc.property(fc.array(matcher, { maxLength: 4 }), (selector) => {
        expect(parseSelector(formatSelector(selector))).toEqual(selector);
      }),
      { numRuns: 300 },
    );
  });
});

describe('regex matchers run on RE2 semantics', () => {
  const matches = (pattern: string, value: string): boolean => compileMatcher({ name: 'l', op: '=~', value: pattern })(value);

  it('answers catastrophic-backtracking patterns on long values (linear-time engine)', () => {
    const long = 'a'.repeat(20_000);
    expect(matches('(.*.*)*x', long)).toBe(false);
    expect(matches('(a|aa)*b', long)).toBe(false);
    expect(matches('(a+)+$', long)).toBe(true);
    expect(matches('(x+x+)+y', 'x'.repeat(5_000))).toBe(false);
  });

  it('is fully anchored, and `.` matches a newline as in Prometheus', () => {
    expect(matches('prod.*', 'production')).toBe(true);
    expect(matches('prod', 'production')).toBe(false);
    expect(matches('prod', 'xprod')).toBe(false);
    expect(matches('a.b', 'a\nb')).toBe(true);
    expect(matches('a|b', 'b')).toBe(true);
  });

  it('refuses what RE2 does not have, and over-long patterns, as invalid selectors', () => {
    for (const pattern of ['(?=x)', '(a)\\1', '(?<!a)b', 'a{1001}', 'x'.repeat(1025)]) {
      let thrown: unknown;
      try {
        parseSelector(`{l=~${JSON.stringify(pattern)}}`);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, pattern.slice(0, 20)).toBeInstanceOf(CinderError);
      expect((thrown as CinderError).code).toBe(ErrorCodes.QUERY_INVALID_SELECTOR);
    }
  });
});
