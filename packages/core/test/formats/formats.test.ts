import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testdataDir as testdata } from '../testdata.js';
import {
  CinderError,
  ErrorCodes,
  callTreeFromProfile,
  collapsedFromTree,
  decodeCollapsed,
  decodeLines,
  decodePprof,
  decodeSpeedscope,
  decodeTreeFormat,
  decodeTrieFormat,
  encodeCollapsed,
  encodePprof,
  totalOf,
  treeBytes,
  topTable,
} from '@cinder/core';
import { errorCode } from '../errorCode.js';


interface ExpectedEntry {
  format: string;
  role?: string;
  sample_types?: { type: string; unit: string; sum: number | string }[];
  num_samples?: number;
  top5_leaf_functions_by_self?: unknown;
  total_value?: number;
  num_valid_lines?: number;
  num_distinct_stacks?: number;
}

const expected = (JSON.parse(readFileSync(path.join(testdata, 'expected.json'), 'utf8')) as Record<string, ExpectedEntry>);
const read = (file: string): Buffer => {
  const bytes = readFileSync(path.join(testdata, file));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
};

describe('pprof decoding of every real fixture', () => {
  const pprofFiles = Object.entries(expected)
    .filter(([file, entry]) => !file.startsWith('_') && entry.format === 'pprof' && !file.startsWith('java-jfr/') && !file.endsWith('.fixed'))
    .map(([file]) => file);

  it('finds the fixtures', () => {
    expect(pprofFiles.length).toBeGreaterThan(20);
  });

  it.each(pprofFiles)('%s: per-sample-type totals equal expected.json', (file) => {
    const entry = expected[file]!;
    if (file === 'broken/invalid_utf8.pb.gz') {
      expect(errorCode(() => decodePprof(read(file)))).toBe(ErrorCodes.INGEST_INVALID_UTF8);
      return;
    }
    const dotnetFix = file.includes('dotnet');
    // go/big/distributors.pb.gz has 88,814 samples, over the default limit of 16,000.
    const profile = decodePprof(read(file), { dotnetFix, limits: { maxSamples: 200_000 } });
    expect(profile.stacks).toHaveLength(entry.num_samples!);
    entry.sample_types!.forEach((st, t) => {
      expect(profile.sampleTypes[t]!.type).toBe(dotnetFix ? st.type.replace(/-/g, '_') : st.type);
      expect(totalOf(profile, t)).toBe(Number(st.sum));
    });
  });

  it('rejects "-" in sample types unless the .NET fix is on', () => {
    expect(errorCode(() => decodePprof(read('broken/dotnet-pprof-73.pb.gz')))).toBe(ErrorCodes.INGEST_MALFORMED_PPROF);
    const fixed = decodePprof(read('broken/dotnet-pprof-73.pb.gz'), { dotnetFix: true });
    expect(fixed.sampleTypes.map((st) => st.type)).toContain('alloc_samples');
    // Function ids were all 0; after the repair frames have real names.
    expect(fixed.names.filter((name) => name.startsWith('0x')).length).toBeLessThan(fixed.names.length / 2);
  });

  it('keeps string sample labels (pprof.Do labels, span ids)', () => {
    const profile = decodePprof(read('go/single_group_with_optional_span_id.pb.gz'));
    const keys = new Set(profile.sampleLabels.flatMap((labels) => (labels ?? []).map(([key]) => key)));
    expect([...keys].sort()).toEqual(expect.arrayContaining(['function', 'span_id']));
  });

  it('names unsymbolized frames by address instead of failing', () => {
    const profile = decodePprof(read('broken/no_addr_no_line.pb.gz'));
    expect(profile.names.some((name) => /^0x[0-9a-f]+$/.test(name))).toBe(true);
  });

  it('agrees with expected.json on the top leaf functions of go/heap.pb.gz', () => {
    const profile = decodePprof(read('go/heap.pb.gz'));
    const top = topTable(callTreeFromProfile(profile, 1), 5);
    expect(top[0]!.self).toBeGreaterThan(0);
    expect(JSON.stringify(expected['go/heap.pb.gz'])).toContain(top[0]!.name);
  });

  it('encode → decode keeps stacks and totals', () => {
    for (const file of ['go/cpu.pb.gz', 'go/heap.pb.gz', 'nodejs/nodejs-wall.pb.gz', 'python/profile_python']) {
      const original = decodePprof(read(file));
      const again = decodePprof(encodePprof(original));
      original.sampleTypes.forEach((_, t) => {
        expect(collapsedFromTree(callTreeFromProfile(again, t))).toBe(collapsedFromTree(callTreeFromProfile(original, t)));
      });
      expect(again.periodType).toEqual(original.periodType);
    }
  });

  it('truncated real files fail with MALFORMED_PPROF, never another exception', () => {
    const bytes = read('go/heap.pb.gz');
    for (const cut of [1, 7, 100, 1000, bytes.length - 3]) {
      const code = errorCode(() => decodePprof(bytes.subarray(0, cut)));
      expect([ErrorCodes.INGEST_MALFORMED_PPROF, 'no error']).toContain(code);
    }
  });
});

describe('pprof decoding of garbage', () => {
  it('random bytes give a CinderError or a (possibly empty) profile, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodePprof(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CinderError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('collapsed, speedscope, tree and trie', () => {
  const collapsedFiles = Object.entries(expected)
    .filter(([file, entry]) => entry.format === 'collapsed' && !file.startsWith('broken/'))
    .map(([file]) => file);

  it.each(collapsedFiles)('%s: total and distinct stacks equal expected.json', (file) => {
    const profile = decodeCollapsed(readFileSync(path.join(testdata, file), 'utf8'));
    expect(totalOf(profile, 0)).toBe(expected[file]!.total_value);
    expect(new Set(encodeCollapsed(profile, 0).split('\n')).size).toBe(expected[file]!.num_distinct_stacks);
  });

  it('skips comment and invalid lines', () => {
    const profile = decodeCollapsed(readFileSync(path.join(testdata, 'broken/simple-with-invalids.txt'), 'utf8'));
    expect(totalOf(profile, 0)).toBeGreaterThan(0);
    expect(errorCode(() => decodeCollapsed('just some words\nand more'))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
  });

  it('lines format counts one per line', () => {
    expect(encodeCollapsed(decodeLines('a;b\na;b\r\na;c\n'), 0)).toBe('a;b 2\na;c 1');
  });

  it('speedscope evented and sampled profiles give the upstream trees', () => {
    const simple = decodeSpeedscope(readFileSync(path.join(testdata, 'speedscope/simple.speedscope.json'), 'utf8'));
    expect(simple).toHaveLength(1);
    expect(simple[0]!.profileName).toBe('simple.txt');
    expect(encodeCollapsed(simple[0]!.profile, 0)).toBe('a;b 5\na;b;c 5\na;b;d 4');
    const two = decodeSpeedscope(readFileSync(path.join(testdata, 'speedscope/two-sampled.speedscope.json'), 'utf8'));
    expect(two.map((entry) => [entry.profileName, entry.unit])).toEqual([
      ['one', 'seconds'],
      ['two', 'seconds'],
    ]);
    // seconds → samples of 10 ms (100 Hz): upstream's "a;b 500 / a;b;c 500 / a;b;d 400".
    expect(encodeCollapsed(two[0]!.profile, 0)).toBe('a;b 500\na;b;c 500\na;b;d 400');
    const incomplete = decodeSpeedscope(readFileSync(path.join(testdata, 'broken/incomplete-trace.speedscope.json'), 'utf8'));
    expect(encodeCollapsed(incomplete[0]!.profile, 0)).toBe('A 100');
    expect(errorCode(() => decodeSpeedscope('{"profiles": []}'))).toBe(ErrorCodes.INGEST_MALFORMED_SPEEDSCOPE);
    expect(errorCode(() => decodeSpeedscope('{nope'))).toBe(ErrorCodes.INGEST_MALFORMED_JSON);
  });

  it('tree bytes written by the query layer decode back to the same stacks', () => {
    const profile = decodePprof(read('go/cpu.pb.gz'));
    const tree = callTreeFromProfile(profile, 1);
    const decoded = decodeTreeFormat(treeBytes(tree, 0));
    expect(collapsedFromTree(callTreeFromProfile(decoded, 0))).toBe(collapsedFromTree(tree));
    expect(errorCode(() => decodeTreeFormat(Uint8Array.from([0, 0, 5])))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
  });

  it('trie keys are concatenated chunks of the stack string', () => {
    const enc = new TextEncoder();
    const node = (chunk: string, value: number, children: number): number[] => [chunk.length, ...enc.encode(chunk), value, children];
    // root → "a;b" (2) → {";c" (3), ";d" (1)}
    const bytes = Uint8Array.from([...node('', 0, 1), ...node('a;b', 2, 2), ...node(';c', 3, 0), ...node(';d', 1, 0)]);
    expect(encodeCollapsed(decodeTrieFormat(bytes), 0)).toBe('a;b 2\na;b;c 3\na;b;d 1');
  });
});

describe('export → re-import round trips', () => {
  it('pprof, folded and flamebearer JSON give back identical stacks and totals', async () => {
    const { decodeFlamebearer, flameGraphFromTree } = await import('@cinder/core');
    for (const file of ['go/cpu.pb.gz', 'go/heap.pb.gz', 'java/profile_java']) {
      const profile = decodePprof(read(file));
      const t = profile.sampleTypes.length - 1;
      const tree = callTreeFromProfile(profile, t);
      const expectedStacks = collapsedFromTree(tree);
      // pprof
      expect(collapsedFromTree(callTreeFromProfile(decodePprof(encodePprof(profile)), t))).toBe(expectedStacks);
      // folded
      const folded = decodeCollapsed(encodeCollapsed(profile, t));
      expect(collapsedFromTree(callTreeFromProfile(folded, 0))).toBe(expectedStacks);
      expect(totalOf(folded, 0)).toBe(totalOf(profile, t));
      // flamebearer JSON, as /pyroscope/render and the UI export write it
      const { flamegraph } = flameGraphFromTree(tree, 0);
      const json = JSON.stringify({ version: 1, flamebearer: { names: flamegraph.names, levels: flamegraph.levels, numTicks: flamegraph.total, maxSelf: flamegraph.maxSelf }, metadata: { format: 'single', units: 'bytes', name: 'x' } });
      const back = decodeFlamebearer(json);
      expect(collapsedFromTree(callTreeFromProfile(back, 0))).toBe(expectedStacks);
      expect(totalOf(back, 0)).toBe(totalOf(profile, t));
    }
    expect(() => decodeFlamebearer('{"flamebearer": {}}')).toThrow(CinderError);
  });
});
