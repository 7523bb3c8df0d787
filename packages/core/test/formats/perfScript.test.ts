import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, decodePerfScript, profileTypeId, totalOf, type Profile } from '@cinder/core';
import { testdataDir } from '../testdata.js';
import { errorCode } from '../errorCode.js';

function collapsedMap(profile: Profile): Map<string, number> {
  const sums = new Map<string, number>();
  profile.stacks.forEach((stack, s) => {
    const key = Array.from(stack, (i) => profile.names[i]!).join(';');
    sums.set(key, (sums.get(key) ?? 0) + profile.values[0]![s]!);
  });
  return sums;
}

const typeOf = (entry: { metricName: string; profile: Profile }): string => profileTypeId(entry.metricName, entry.profile.sampleTypes[0]!, entry.profile.periodType);

describe('perf script', () => {
  it('perf-java-stacks-02.txt gives the stacks FlameGraph\'s stackcollapse-perf.pl gives (its --all annotations aside)', () => {
    const entries = decodePerfScript(readFileSync(path.join(testdataDir, 'perf-script/perf-java-stacks-02.txt'), 'utf8'));
    expect(entries.map((e) => [e.event, typeOf(e)])).toEqual([['cycles', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds']]);
    const folded = readFileSync(path.join(testdataDir, 'collapsed/perf-java-stacks-02-collapsed-all.txt'), 'utf8');
    const expected = new Map<string, number>();
    for (const line of folded.split('\n').filter((l) => l.trim() !== '')) {
      const space = line.lastIndexOf(' ');
      // --all marks kernel frames _[k] and JIT frames _[j]; the plain reading has no marks.
      const stack = line.slice(0, space).replace(/_\[[kjiw]\]/g, '');
      // No period in these headers: each sample is worth 1e9/100 ns at the default rate.
      expected.set(stack, (expected.get(stack) ?? 0) + Number(line.slice(space + 1)) * 10_000_000);
    }
    expect(collapsedMap(entries[0]!.profile)).toEqual(expected);
  });

  it('weighs samples by their period: clock events in ns, other events in counts, one profile per event', () => {
    const text = [
      '# ========',
      '# captured on: test',
      'app 101/102 [000] 100.000001:     250000 cpu-clock:ppp: ',
      '\t    55d0c1a2b3c4 compute+0x1c (/usr/bin/app)',
      '\t    55d0c1a2b000 main+0x10 (/usr/bin/app)',
      '\t    7f0000000000 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '',
      'app 101/102 [000] 100.004001:     250000 cpu-clock:ppp: ',
      '\t    55d0c1a2b3c4 compute+0x20 (/usr/bin/app)',
      '\t    55d0c1a2b000 main+0x10 (/usr/bin/app)',
      '\t    7f0000000000 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '',
      'V8 WorkerThread 101/103 [001] 100.004002:     125000 cpu-clock: ',
      '\t    55d0c1a2c000 std::vector<int>::push_back(int const&) (/usr/bin/app)',
      '\t    55d0c1a2d000 net/http.(*Client).Do (/usr/bin/app)',
      '',
      'app 101/102 [000] 100.005:    3000000 cycles:u: ',
      '\t    55d0c1a2b3c4 compute (/usr/bin/app)',
      '',
    ].join('\r\n');
    const entries = decodePerfScript(text);
    expect(entries.map((e) => [e.event, typeOf(e)])).toEqual([
      ['cpu-clock', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
      ['cycles', 'process_cpu:cycles:count:cycles:count'],
    ]);
    expect(collapsedMap(entries[0]!.profile)).toEqual(
      new Map([
        ['app;[libc.so.6];main;compute', 500_000],
        ['V8_WorkerThread;net/http.(*Client).Do;std::vector<int>::push_back', 125_000],
      ]),
    );
    expect(collapsedMap(entries[1]!.profile)).toEqual(new Map([['app;compute', 3_000_000]]));
    // Independently: the clock periods in the text add up to the cpu-clock total.
    const periods = [...text.matchAll(/(\d+) cpu-clock/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(totalOf(entries[0]!.profile, 0)).toBe(periods);
  });

  it('without periods each sample is worth 1e9 / sampleRate ns', () => {
    const text = 'prog 7 cycles:\n\tffff a (m)\n\nprog 7 cycles:\n\tffff a (m)\n';
    expect(totalOf(decodePerfScript(text)[0]!.profile, 0)).toBe(2 * 10_000_000);
    expect(totalOf(decodePerfScript(text, { sampleRate: 99 })[0]!.profile, 0)).toBe(2 * Math.floor(1e9 / 99));
  });

  it('keeps the root-most frames of over-deep stacks', () => {
    const frames = Array.from({ length: 50 }, (_, i) => `\t${(i + 1).toString(16)} f${i} (m)`).join('\n');
    const entries = decodePerfScript(`p 1 cpu-clock:\n${frames}\n`, { limits: { maxStackDepth: 5 } });
    const [stack] = [...collapsedMap(entries[0]!.profile).keys()];
    expect(stack).toBe('p;f49;f48;f47;f46');
  });

  it('long hostile lines cost linear time (no backtracking regex over a whole line)', () => {
    const started = Date.now();
    const lines = [
      `p 1 [000] 1.0: ${': '.repeat(200_000)}cpu-clock:`,
      `\t1 ${'.('.repeat(300_000)} (m)`,
      `x${' '.repeat(300_000)}y`,
      `${'a '.repeat(200_000)}1 cycles:`,
    ];
    const entries = decodePerfScript(lines.join('\n'));
    expect(entries.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses text with no sample header, accepts an empty body', () => {
    expect(errorCode(() => decodePerfScript('hello\nworld\n'))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    expect(decodePerfScript('')).toEqual([]);
    expect(errorCode(() => decodePerfScript(`p 1 [000] 1.0: ${'9'.repeat(30)} cpu-clock:\n\t1 f (m)\n`))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
  });
});
