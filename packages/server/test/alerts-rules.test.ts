/**
 * The rule model without a server: validation (defaults, shorthands, refusals naming the field),
 * the watched value of a tree (recursion counted once for `total`), and the rules file.
 */
import { describe, expect, it } from 'vitest';
import { callTreeFromProfile, decodeCollapsed, validateRuleSpec, watchMatcher, watchedValue, withMatcher, type WatchSpec } from '@cinder/core';
import { parseRulesFile } from '../src/alerts/rulesFile.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const tree = (text: string) => callTreeFromProfile(decodeCollapsed(text), 0);

describe('validateRuleSpec', () => {
  it('fills defaults and reads shorthands', () => {
    const spec = validateRuleSpec({ name: ' r ', query: `${CPU}{service_name="api"}` });
    expect(spec).toEqual({
      name: 'r',
      kind: 'alert',
      query: `${CPU}{service_name="api"}`,
      watch: { target: 'total' },
      baseline: { kind: 'offset', offsetMs: 86_400_000 },
      windowMs: 600_000,
      intervalMs: 60_000,
      forMs: 0,
      thresholds: { warnRatio: 1.2, alertRatio: 1.5, minValuePerSecond: 0, minProfiles: 1 },
      notify: [],
      labels: {},
      enabled: true,
    });
    const full = validateRuleSpec({
      name: 'x',
      query: CPU,
      watch: { regex: 'encoding/json\\..*', value: 'self' },
      baseline: { offset: '2h' },
      window: '5m',
      interval: '30s',
      for: '2m',
      notify: ['https://hooks.example.com/a', { url: 'http://127.0.0.1:9093/api/v2/alerts', format: 'alertmanager' }],
    });
    expect(full.watch).toEqual({ target: 'function', match: 'regex', pattern: 'encoding/json\\..*', value: 'self' });
    expect(full.baseline).toEqual({ kind: 'offset', offsetMs: 7_200_000 });
    expect([full.windowMs, full.intervalMs, full.forMs]).toEqual([300_000, 30_000, 120_000]);
    expect(full.notify.map((t) => t.format)).toEqual(['cinder', 'alertmanager']);
    expect(validateRuleSpec({ name: 'v', query: CPU, baseline: { kind: 'previous_version', label: 'service_version' } }).baseline).toEqual({ kind: 'previous_version', label: 'service_version' });
    expect(validateRuleSpec({ name: 'p', query: CPU, watch: { package: 'net/http.' } }).watch).toEqual({ target: 'function', match: 'prefix', pattern: 'net/http.', value: 'total' });
  });

  it('refuses bad rules with CINDER_RULE_INVALID, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /rule body/],
      [{ query: CPU }, /rule name/],
      [{ name: 'a', query: `${CPU}{service_name=~"("}` }, /rule query/],
      [{ name: 'a', query: CPU, kind: 'page' }, /rule kind/],
      [{ name: 'a', query: CPU, watch: { function: 'f', value: 'both' } }, /watch\.value/],
      [{ name: 'a', query: CPU, watch: { regex: 'a'.repeat(2000) } }, /watch\.pattern/],
      [{ name: 'a', query: CPU, window: '0s' }, /window/],
      [{ name: 'a', query: CPU, for: '8d' }, /for/],
      [{ name: 'a', query: CPU, thresholds: { minProfiles: 1.5 } }, /minProfiles/],
      [{ name: 'a', query: CPU, thresholds: { warnRatio: 0.5 } }, /warnRatio/],
      [{ name: 'a', query: CPU, baseline: { label: 'bad label' } }, /baseline\.label/],
      [{ name: 'a', query: CPU, notify: [{ url: 'http://x', format: 'slack' }] }, /notify\[0\]\.format/],
      [{ name: 'a', query: CPU, labels: { 'bad-name': 'x' } }, /labels\.bad-name/],
      [{ name: 'a', query: CPU, enabled: 'yes' }, /enabled/],
    ];
    for (const [input, message] of bad) {
      let caught: unknown;
      try {
        validateRuleSpec(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(input)?.slice(0, 80)).toMatchObject({ code: 'CINDER_RULE_INVALID' });
      expect((caught as Error).message).toMatch(message);
    }
  });
});

describe('watchedValue', () => {
  const t = tree('main;a;b;a;c 3\nmain;a 2\nmain;b 5\nmain;ab 1');
  const value = (watch: WatchSpec) => watchedValue(t, watch, watchMatcher(watch));
  it('total of the tree, self and total of a function (recursion once), a package prefix and a regex', () => {
    expect(value({ target: 'total' })).toBe(11);
    expect(value({ target: 'function', match: 'exact', pattern: 'a', value: 'total' })).toBe(5);
    expect(value({ target: 'function', match: 'exact', pattern: 'a', value: 'self' })).toBe(2);
    expect(value({ target: 'function', match: 'exact', pattern: 'b', value: 'total' })).toBe(8);
    expect(value({ target: 'function', match: 'prefix', pattern: 'a', value: 'total' })).toBe(6);
    expect(value({ target: 'function', match: 'regex', pattern: 'a|c', value: 'self' })).toBe(5);
    expect(value({ target: 'function', match: 'regex', pattern: 'a', value: 'total' })).toBe(5);
  });
  it('withMatcher adds one quoted equality matcher', () => {
    expect(withMatcher('{}', 'version', 'v"1')).toBe('{version="v\\"1"}');
    expect(withMatcher('{service_name="a"}', 'version', 'v2')).toBe('{service_name="a", version="v2"}');
  });
});

describe('rules file', () => {
  it('reads a list or {rules}, with tenants, and refuses duplicates and bad entries with their position', () => {
    const rules = parseRulesFile(`rules:\n  - name: a\n    query: ${CPU}\n  - name: a\n    tenant: t2\n    query: ${CPU}\n    baseline: week\n`, 'r.yaml');
    expect(rules.map((r) => [r.tenant, r.spec.name, r.spec.baseline])).toEqual([
      ['anonymous', 'a', { kind: 'offset', offsetMs: 86_400_000 }],
      ['t2', 'a', { kind: 'offset', offsetMs: 604_800_000 }],
    ]);
    expect(parseRulesFile('', 'r.yaml')).toEqual([]);
    expect(() => parseRulesFile(`- name: a\n  query: ${CPU}\n- name: a\n  query: ${CPU}\n`, 'r.yaml')).toThrow(/rule #2: rule name: "a" appears twice/);
    expect(() => parseRulesFile(`- name: a\n  query: nope\n`, 'r.yaml')).toThrow(/r\.yaml, rule #1: rule query/);
    expect(() => parseRulesFile(`- 3\n`, 'r.yaml')).toThrow(/rule #1: rule body/);
    expect(() => parseRulesFile(`rules: [a\n`, 'r.yaml')).toThrow(/not valid YAML/);
    expect(() => parseRulesFile(`- name: a\n  tenant: "a|b"\n  query: ${CPU}\n`, 'r.yaml')).toThrow(/rule #1/);
  });
});

describe('start-up with bad rule files', () => {
  it('a bad --rules-file or a newer rules.json stops the start with a clear error, leaving the data folder usable', async () => {
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { defaultConfig } = await import('../src/config.js');
    const { startCinder } = await import('../src/main.js');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-rules-start-'));
    try {
      const config = { ...defaultConfig(), host: '127.0.0.1', port: 0, dataDir, selfProfiling: false, logLevel: 'silent' as const };
      const rulesFile = path.join(dataDir, 'rules.yaml');
      writeFileSync(rulesFile, `- name: a\n  query: ${CPU}\n  window: forever\n`);
      await expect(startCinder({ ...config, rulesFile })).rejects.toThrow(/rules\.yaml, rule #1: rule window/);
      mkdirSync(path.join(dataDir, 'alerts'), { recursive: true });
      writeFileSync(path.join(dataDir, 'alerts', 'rules.json'), JSON.stringify({ version: 2, tenants: {} }));
      await expect(startCinder(config)).rejects.toMatchObject({ code: 'CINDER_STORE_NEWER_SCHEMA' });
      rmSync(path.join(dataDir, 'alerts'), { recursive: true });
      const server = await startCinder(config);
      expect((await fetch(`${server.address}/api/v1/rules`)).status).toBe(200);
      await server.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
