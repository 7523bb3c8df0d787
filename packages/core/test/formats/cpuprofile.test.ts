import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, decodeCpuprofile, encodeCollapsed, totalOf } from '@cinder/core';
import { testdataDir } from '../testdata.js';
import { errorCode } from '../errorCode.js';

const node = (id: number, functionName: string, children: number[] = [], url = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, scriptId: '0', url, lineNumber, columnNumber: 0 },
  hitCount: 0,
  children,
});

describe('.cpuprofile', () => {
  it('example.cpuprofile (legacy head/timestamps shape, Node 10): each sample lasts until the next', () => {
    const text = readFileSync(path.join(testdataDir, 'chrome-cpuprofile/example.cpuprofile'), 'utf8');
    const profile = decodeCpuprofile(text);
    expect(profile.sampleTypes).toEqual([{ type: 'wall', unit: 'nanoseconds' }]);
    expect(profile.periodType).toEqual({ type: 'wall', unit: 'nanoseconds' });
    expect(encodeCollapsed(profile, 0)).toBe('(anonymous) 11575000\n(anonymous);a;b;d 16788000\n(anonymous);a;c;d 17557000');
    // Independently: the sampled span is the last timestamp minus the first (µs → ns).
    const raw = JSON.parse(text) as { timestamps: number[] };
    expect(totalOf(profile, 0)).toBe((raw.timestamps.at(-1)! - raw.timestamps[0]!) * 1000);
  });

  it('current shape: weights from timeDeltas, the last sample until endTime, "(root)" left out, url:function:line names', () => {
    const profile = decodeCpuprofile(
      JSON.stringify({
        nodes: [node(1, '(root)', [2, 5]), node(2, 'main', [3], 'file:///app/main.js', 0), node(3, 'fib', [4], 'file:///app/main.js', 11), node(4, '', []), node(5, '(idle)')],
        startTime: 1_000,
        endTime: 1_100,
        samples: [3, 3, 4, 5, 3],
        timeDeltas: [10, 20, 5, 15, 30],
      }),
    );
    // Times: 1010, 1030, 1035, 1050, 1080, end 1100 → durations 20, 5, 15, 30, 20 µs.
    expect(encodeCollapsed(profile, 0)).toBe(
      ['(idle) 30000', 'file:///app/main.js:main:1;file:///app/main.js:fib:12 45000', 'file:///app/main.js:main:1;file:///app/main.js:fib:12;(anonymous) 15000'].join('\n'),
    );
    expect(totalOf(profile, 0)).toBe((1_100 - 1_010) * 1000);
  });

  it('out-of-order timestamps never count twice', () => {
    const profile = decodeCpuprofile(
      JSON.stringify({ nodes: [node(1, '(root)', [2, 3]), node(2, 'a'), node(3, 'b')], startTime: 0, endTime: 40, samples: [2, 3, 2, 3], timeDeltas: [10, 20, -15, 20] }),
    );
    // Times 10, 30, 15, 35 → starts 10, 30, 30, 35, end 40: a 20 + 5, b 0 + 5, the 30 µs span in all.
    expect(totalOf(profile, 0)).toBe(30_000);
    expect(encodeCollapsed(profile, 0)).toBe('a 25000\nb 5000');
  });

  it('a real `node --cpu-prof` capture: total = the sampled span computed from its timeDeltas', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cinder-cpuprof-'));
    try {
      const script = path.join(dir, 'work.js');
      writeFileSync(script, 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nlet x = 0; const end = Date.now() + 150; while (Date.now() < end) x += fib(18);\nconsole.log(x > 0);\n');
      const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, script], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(0);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
      const text = readFileSync(path.join(dir, file), 'utf8');
      const raw = JSON.parse(text) as { startTime: number; endTime: number; timeDeltas: number[]; samples: number[] };
      const profile = decodeCpuprofile(text);
      let at = raw.startTime;
      let latest = -Infinity;
      let first = NaN;
      for (const delta of raw.timeDeltas) {
        at += delta;
        latest = Math.max(latest, at);
        if (Number.isNaN(first)) first = latest;
      }
      expect(totalOf(profile, 0)).toBe(Math.round((Math.max(latest, raw.endTime) - first) * 1000));
      expect(profile.names.some((name) => name.endsWith(':fib:1'))).toBe(true);
      expect(profile.names).not.toContain('(root)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a .cpuprofile with a code', () => {
    expect(errorCode(() => decodeCpuprofile('{not json'))).toBe(ErrorCodes.INGEST_MALFORMED_JSON);
    expect(errorCode(() => decodeCpuprofile('[]'))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    expect(errorCode(() => decodeCpuprofile('{"samples": []}'))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    const base = { nodes: [node(1, '(root)', [2]), node(2, 'a')], startTime: 0, endTime: 10, samples: [2], timeDeltas: [1] };
    expect(errorCode(() => decodeCpuprofile(JSON.stringify({ ...base, samples: [9] })))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    expect(errorCode(() => decodeCpuprofile(JSON.stringify({ ...base, timeDeltas: [] })))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    expect(errorCode(() => decodeCpuprofile(JSON.stringify({ ...base, timeDeltas: ['x'] })))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    expect(errorCode(() => decodeCpuprofile(JSON.stringify({ ...base, startTime: 1e300 })))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    // A parent cycle (2 → 3 → 2) unreachable from the root.
    const cycle = { ...base, nodes: [node(1, '(root)'), node(2, 'a', [3]), node(3, 'b', [2])], samples: [2] };
    expect(errorCode(() => decodeCpuprofile(JSON.stringify(cycle)))).toBe(ErrorCodes.INGEST_MALFORMED_CPUPROFILE);
    expect(errorCode(() => decodeCpuprofile(JSON.stringify({ ...base, nodes: [node(1, '(root)', [2]), node(2, 'a'), node(2, 'b')] })))).toBe(
      ErrorCodes.INGEST_MALFORMED_CPUPROFILE,
    );
  });

  it('a 100,000-deep chain decodes in linear time, keeping the root-most maxStackDepth frames', () => {
    const depth = 100_000;
    const nodes = Array.from({ length: depth }, (_, i) => node(i + 1, `f${i}`, i + 1 < depth ? [i + 2] : []));
    const started = Date.now();
    const profile = decodeCpuprofile(JSON.stringify({ nodes, startTime: 0, endTime: 2, samples: [depth, depth - 1], timeDeltas: [0, 1] }), { maxStackDepth: 1000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(profile.stacks.map((s) => s.length)).toEqual([1000, 1000]);
    expect(profile.names[profile.stacks[0]![0]!]).toBe('f0');
  });
});
