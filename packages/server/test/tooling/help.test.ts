/**
 * `cinder serve --help` says what the code does: every documented default is the default, every
 * flag the parser accepts is documented (as a flag or its CINDER_* env var), and each value flag
 * works from its env var too, as the help's first line promises.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, serveOptions, serveUsage } from '../../src/config.js';

interface HelpEntry {
  flag: string;
  /** `<n>`, `<dur>`…; null for a switch. */
  argument: string | null;
  /** The text after the flag, continuation lines joined. */
  description: string;
}

/** Option lines start with two spaces and `--`; deeper-indented lines continue the one above. */
function parseHelp(text: string): HelpEntry[] {
  const entries: HelpEntry[] = [];
  for (const line of text.split('\n')) {
    const option = /^ {2}(--[a-z0-9-]+)(?: (<[^>]+>))?\s+(.*)$/.exec(line);
    if (option) {
      entries.push({ flag: option[1]!.slice(2), argument: option[2] ?? null, description: option[3]!.trim() });
    } else if (/^ {4,}\S/.test(line) && entries.length > 0) {
      entries[entries.length - 1]!.description += ` ${line.trim()}`;
    }
  }
  return entries;
}

const entries = parseHelp(serveUsage);
const baseline = { ...loadConfig([], {}), help: false };

/**
 * Defaults that are a description, not a value one could pass ("(default: none; …)"), and the
 * config each stands for. A new descriptive default must be added here, or the last test fails.
 */
const describedDefaults: Record<string, (config: ReturnType<typeof defaultConfig>) => void> = {
  'grafana-url': (config) => expect(config.grafanaUrl).toBe(''),
  'public-url': (config) => expect(config.publicUrl).toBe(''),
  'frame-ancestors': (config) => expect(config.frameAncestors).toEqual([]),
  store: (config) => expect(config.store).toBe(''),
};

describe('cinder serve --help', () => {
  it('documents a reasonable number of options (the parser found the option lines)', () => {
    expect(entries.length).toBeGreaterThanOrEqual(20);
    expect(entries.map((e) => e.flag)).toContain('grafana-url');
  });

  it('loadConfig with no flags and no env is defaultConfig()', () => {
    expect(loadConfig([], {})).toEqual({ ...defaultConfig(), help: false });
  });

  for (const entry of entries) {
    const value = /\(default ([^\s:)][^\s)]*)\)/.exec(entry.description)?.[1];
    if (value === undefined || entry.argument === null) continue;
    it(`--${entry.flag}: the documented default "${value}" is the default, as a flag and as an env var`, () => {
      expect({ ...loadConfig([`--${entry.flag}`, value], {}), help: false }).toEqual(baseline);
      const envName = `CINDER_${entry.flag.toUpperCase().replace(/-/g, '_')}`;
      expect({ ...loadConfig([], { [envName]: value }), help: false }).toEqual(baseline);
    });
  }

  /** A value of each documented argument kind that is not the default. */
  const otherValue: Record<string, (documentedDefault: string | undefined) => string> = {
    '<addr>': () => '127.0.0.1',
    '<path>': () => '/tmp/cinder-help-test',
    '<dur>': (d) => (d === '2d' ? '3d' : '2d'),
    '<size>': (d) => (d === '3MiB' ? '5MiB' : '3MiB'),
    '<n>': (d) => String(Number(d ?? '7') + 1),
    '<url>': () => 'https://example.com/x',
    '<store-url>': () => 'clickhouse://cinder:secret@127.0.0.1:8123/profiles',
    '<t>': () => 'a-token',
    '<list>': () => 'https://a.example.com',
    '<level>': () => 'debug',
    '<format>': () => 'pretty',
    '<host:port>': () => '127.0.0.1:4317',
  };
  for (const entry of entries.filter((e) => e.argument !== null)) {
    it(`--${entry.flag} ${entry.argument}: a non-default value changes the config (the flag is not ignored)`, () => {
      const makeValue = otherValue[entry.argument!];
      expect(makeValue, `no sample value for ${entry.argument}: add one to otherValue`).toBeDefined();
      const documentedDefault = /\(default ([^\s:)][^\s)]*)\)/.exec(entry.description)?.[1];
      expect({ ...loadConfig([`--${entry.flag}`, makeValue!(documentedDefault)], {}), help: false }).not.toEqual(baseline);
    });
  }

  it('each described default ("default: …") matches the config', () => {
    const described = entries.filter((e) => /\(default: /.test(e.description));
    expect(described.map((e) => e.flag).sort()).toEqual(Object.keys(describedDefaults).sort());
    for (const entry of described) describedDefaults[entry.flag]!(defaultConfig());
  });

  it('--grafana-url: empty by default, which the Profiling page treats as "no Grafana" (its button disabled)', () => {
    const grafana = entries.find((e) => e.flag === 'grafana-url')!;
    expect(grafana.description).toMatch(/default: none/);
    expect(grafana.description).not.toMatch(/default \/grafana/);
    expect(defaultConfig().grafanaUrl).toBe('');
    expect(loadConfig(['--grafana-url', 'https://grafana.example.com'], {}).grafanaUrl).toBe('https://grafana.example.com');
  });

  it('every switch changes the config it claims to', () => {
    expect(loadConfig(['--no-self-profiling'], {}).selfProfiling).toBe(false);
    expect(defaultConfig().selfProfiling).toBe(true);
    expect(loadConfig(['--multitenancy'], {}).multitenancy).toBe(true);
    expect(defaultConfig().multitenancy).toBe(false);
    const switches = entries.filter((e) => e.argument === null).map((e) => e.flag);
    expect(switches.sort()).toEqual(['multitenancy', 'no-self-profiling']);
  });

  it('every flag the parser accepts is documented, and every documented flag is accepted', () => {
    const documented = new Set(entries.map((e) => e.flag));
    for (const flag of Object.keys(serveOptions)) {
      if (flag === 'help') continue;
      const envName = `CINDER_${flag.toUpperCase().replace(/-/g, '_')}`;
      expect(documented.has(flag) || serveUsage.includes(envName), `--${flag} (or ${envName}) is not in the help`).toBe(true);
    }
    for (const flag of documented) expect(Object.keys(serveOptions), `--${flag} is documented but not accepted`).toContain(flag);
  });

  it('documented choices are the accepted ones', () => {
    for (const level of ['silent', 'error', 'warn', 'info', 'debug']) expect(loadConfig(['--log-level', level], {}).logLevel).toBe(level);
    for (const format of ['auto', 'json', 'pretty']) expect(loadConfig(['--log-format', format], {}).logFormat).toBe(format);
    expect(() => loadConfig(['--log-format', 'text'], {})).toThrow(/auto, json or pretty/);
    expect(serveUsage).toMatch(/--log-level <level>\s+silent\|error\|warn\|info\|debug/);
    expect(serveUsage).toMatch(/--log-format <format>\s+auto\|json\|pretty/);
  });
});
