/**
 * Prometheus label selectors: `{service_name="api", env=~"prod.*", region!="eu", host!~"a|b"}`.
 * Names may be quoted (`{"service.name"="x"}`) for UTF-8 label names. Regexes are fully anchored.
 */
import { CinderError, ErrorCodes } from './errors.js';
import type { LabelPairs } from './model.js';
import { compileUserRegex, type UserRegex } from './regex.js';
import type { Matcher, MatchOp, Selector } from './selector.js';

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '`': '`' };

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_.]/;

function fail(text: string, position: number, expected: string): never {
  throw new CinderError(
    ErrorCodes.QUERY_INVALID_SELECTOR,
    `invalid label selector ${JSON.stringify(text)} at character ${position + 1}: expected ${expected}, e.g. {service_name="api", env=~"prod.*"}`,
  );
}

export function parseSelector(text: string): Selector {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const quoted = (): string => {
    const quote = text[i]!;
    i++;
    let value = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\' && quote !== '`') {
        const next = text[i + 1];
        if (next === undefined) fail(text, i, 'a character after "\\"');
        const simple = SIMPLE_ESCAPES[next];
        if (simple !== undefined) {
          value += simple;
          i += 2;
          continue;
        }
        const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
        if (hex > 0) {
          const digits = text.slice(i + 2, i + 2 + hex);
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) fail(text, i, `${hex} hex digits after "\\${next}"`);
          const code = Number.parseInt(digits, 16);
          if (code > 0x10ffff) fail(text, i, 'a Unicode code point');
          value += String.fromCodePoint(code);
          i += 2 + hex;
          continue;
        }
        // Prometheus rejects unknown escapes; keeping them verbatim preserves what a regex like
        // "a\.b" written with one backslash obviously meant.
        value += `\\${next}`;
        i += 2;
        continue;
      }
      value += text[i];
      i++;
    }
    if (i >= text.length) fail(text, i, `a closing ${quote}`);
    i++;
    return value;
  };
  skipSpace();
  if (i === text.length) return [];
  if (text[i] !== '{') fail(text, i, '"{"');
  i++;
  const matchers: Matcher[] = [];
  skipSpace();
  while (text[i] !== '}') {
    if (i >= text.length) fail(text, i, '"}"');
    let name: string;
    if (text[i] === '"' || text[i] === "'" || text[i] === '`') {
      name = quoted();
    } else {
      if (!NAME_START.test(text[i] ?? '')) fail(text, i, 'a label name');
      const start = i;
      while (i < text.length && NAME_PART.test(text[i]!)) i++;
      name = text.slice(start, i);
    }
    skipSpace();
    let op: MatchOp;
    if (text.startsWith('=~', i)) op = '=~';
    else if (text.startsWith('!~', i)) op = '!~';
    else if (text.startsWith('!=', i)) op = '!=';
    else if (text[i] === '=') op = '=';
    else fail(text, i, 'one of =, !=, =~, !~');
    i += op.length;
    skipSpace();
    if (text[i] !== '"' && text[i] !== "'" && text[i] !== '`') fail(text, i, 'a quoted value');
    const value = quoted();
    const matcher: Matcher = { name, op, value };
    if (op === '=~' || op === '!~') compileMatcher(matcher);
    matchers.push(matcher);
    skipSpace();
    if (text[i] === ',') {
      i++;
      skipSpace();
      continue;
    }
    if (text[i] !== '}') fail(text, i, '"," or "}"');
  }
  i++;
  skipSpace();
  if (i !== text.length) fail(text, i, 'the end of the selector');
  return matchers;
}

const compiled = new Map<string, UserRegex>();

/** A predicate for one matcher; a missing label is the empty string (Prometheus semantics). */
export function compileMatcher(matcher: Matcher): (value: string) => boolean {
  switch (matcher.op) {
    case '=':
      return (value) => value === matcher.value;
    case '!=':
      return (value) => value !== matcher.value;
    default: {
      let regex = compiled.get(matcher.value);
      if (!regex) {
        try {
          regex = compileUserRegex(matcher.value);
        } catch (error) {
          const shown = matcher.value.length > 200 ? `${JSON.stringify(matcher.value.slice(0, 200))}…` : JSON.stringify(matcher.value);
          throw new CinderError(ErrorCodes.QUERY_INVALID_SELECTOR, `invalid regular expression ${shown} for label "${matcher.name}": ${(error as Error).message}`);
        }
        if (compiled.size > 1000) compiled.clear();
        compiled.set(matcher.value, regex);
      }
      const re = regex;
      return matcher.op === '=~' ? (value) => re.matchesWhole(value) : (value) => !re.matchesWhole(value);
    }
  }
}

export function matchesLabels(selector: Selector, labels: ReadonlyMap<string, string> | LabelPairs): boolean {
  if (selector.length === 0) return true;
  const get = labels instanceof Map ? (name: string) => labels.get(name) : (name: string) => (labels as LabelPairs).find(([n]) => n === name)?.[1];
  for (const matcher of selector) {
    if (!compileMatcher(matcher)(get(matcher.name) ?? '')) return false;
  }
  return true;
}

export function formatSelector(selector: Selector): string {
  const name = (n: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : JSON.stringify(n));
  return `{${selector.map((m) => `${name(m.name)}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}
