import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ProfileBuilder, decodePprof, encodePprof, encodeCollapsed, totalOf, type Profile } from '@cinder/core';
import { testdataDir as testdata } from '../testdata.js';
import { errorCode } from '../errorCode.js';


interface Leaf {
  name: string;
  self: number;
}
interface ExpectedPprof {
  format: string;
  sample_types: { type: string; unit: string; sum: number | string }[];
  period_type: { type: string; unit: string } | null;
  period: number;
  time_nanos: number | string;
  duration_nanos: number | string;
  num_samples: number;
  num_samples_with_labels: number;
  top5_leaf_functions_by_self_first_sample_type: Leaf[];
  anomaly_all_function_ids_zero?: boolean;
  top5_leaf_functions_after_dotnet_function_id_fix?: Leaf[];
}

const expected: Record<string, ExpectedPprof> = JSON.parse(readFileSync(path.join(testdata, 'expected.json'), 'utf8'));
const pprofFiles = Object.keys(expected).filter((file) => !file.startsWith('_') && expected[file]!.format === 'pprof');

/** Fixture bytes as the server hands them to core: gunzipped when they start with 1f 8b. */
function read(file: string): Uint8Array {
  const bytes = readFileSync(path.join(testdata, file));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** expected.json's rule: leaf frame of each sample, summed by name, value desc then name asc. */
function topLeaves(profile: Profile, count: number): Leaf[] {
  const sums = new Map<string, number>();
  profile.stacks.forEach((stack, s) => {
    if (stack.length === 0) return;
    const name = profile.names[stack[stack.length - 1]!]!;
    sums.set(name, (sums.get(name) ?? 0) + profile.values[0]![s]!);
  });
  return [...sums.entries()]
    .map(([name, self]) => ({ name, self }))
    .sort((a, b) => b.self - a.self || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, count);
}

describe('pprof fixtures', () => {
  const decodable = pprofFiles.filter((file) => file !== 'broken/invalid_utf8.pb.gz');

  it('finds the fixtures', () => {
    expect(decodable.length).toBeGreaterThan(40);
  });

  it.each(decodable)('%s: sample types, totals, counts, times and top leaves equal expected.json', (file) => {
    const entry = expected[file]!;
    const dotnetFix = entry.sample_types.some((st) => st.type.includes('-')) || entry.anomaly_all_function_ids_zero === true;
    // go/big/distributors.pb.gz has 88,814 samples, over the default limit of 16,000.
    const profile = decodePprof(read(file), { dotnetFix, limits: { maxSamples: 200_000 } });
    expect(profile.sampleTypes).toEqual(entry.sample_types.map((st) => ({ type: dotnetFix ? st.type.replace(/-/g, '_') : st.type, unit: st.unit })));
    entry.sample_types.forEach((st, t) => expect(totalOf(profile, t), `${st.type} sum`).toBe(Number(st.sum)));
    expect(profile.stacks).toHaveLength(entry.num_samples);
    expect(profile.sampleLabels.filter((labels) => labels !== null).length).toBeLessThanOrEqual(entry.num_samples_with_labels);
    expect(profile.periodType).toEqual(entry.period_type);
    expect(profile.period).toBe(entry.period);
    // expected.json holds time_nanos as a JSON number (beyond 2^53), so allow its rounding.
    expect(Math.abs(profile.timeMs - Number(entry.time_nanos) / 1e6)).toBeLessThanOrEqual(1);
    expect(profile.durationNs).toBe(Number(entry.duration_nanos));
    const top = entry.top5_leaf_functions_after_dotnet_function_id_fix ?? entry.top5_leaf_functions_by_self_first_sample_type;
    expect(topLeaves(profile, 5)).toEqual(top);
  });

  it('keeps an empty period type (""/milliseconds) and tells it apart from a missing one', () => {
    expect(decodePprof(read('python/profile_python')).periodType).toEqual({ type: '', unit: 'milliseconds' });
    const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
    builder.addSample(['a', 'b'], [1]);
    expect(decodePprof(encodePprof(builder.build())).periodType).toBeNull();
  });

  it('rejects invalid UTF-8 in the string table', () => {
    expect(errorCode(() => decodePprof(read('broken/invalid_utf8.pb.gz')))).toBe(ErrorCodes.INGEST_INVALID_UTF8);
  });

  it('rejects "-" in sample types unless the .NET fix is on, which also repairs all-zero function ids', () => {
    const bytes = read('broken/dotnet-pprof-73.pb.gz');
    expect(errorCode(() => decodePprof(bytes))).toBe(ErrorCodes.INGEST_MALFORMED_PPROF);
    const fixed = decodePprof(bytes, { dotnetFix: true });
    expect(fixed.sampleTypes.map((st) => st.type)).toEqual(['cpu', 'exception', 'alloc_samples', 'alloc_size', 'lock_count', 'lock_time']);
    expect(topLeaves(fixed, 1)[0]).toEqual({ name: 'WebApplication1.Controllers!CpuController.fib', self: 4_140_000_000 });
  });

  it('rewrites function names to "<file> <function>" for scripting spies only', () => {
    const bytes = read('python/pyspy-1.pb.gz');
    expect(topLeaves(decodePprof(bytes), 1)[0]).toEqual({ name: 'work', self: 775 });
    for (const spyName of ['scripting', 'pyspy', 'rbspy']) {
      expect(topLeaves(decodePprof(bytes, { spyName }), 1)[0]).toEqual({ name: 'main.py work', self: 775 });
    }
    expect(topLeaves(decodePprof(bytes, { spyName: 'gospy' }), 1)[0]!.name).toBe('work');
    // pyroscope-rs names that already start with the file are not prefixed twice.
    const python = read('python/profile_python');
    expect(decodePprof(python, { spyName: 'pyspy' }).names).toEqual(decodePprof(python).names);
  });

  it('orders frames root first, inlined lines included', () => {
    const profile = decodePprof(read('go/cpu.pb.gz'));
    const folded = encodeCollapsed(profile, 1);
    expect(folded.split('\n').every((line) => line.startsWith('runtime.') || line.startsWith('main.'))).toBe(true);
    expect(folded).toContain('runtime.kevent');
    // A heap profile's stacks start at the goroutine entry, never at the allocator.
    const heap = decodePprof(read('go/heap.pb.gz'));
    expect(heap.stacks.some((stack) => heap.names[stack[0]!] === 'runtime.malg')).toBe(false);
  });

  it('keeps string sample labels and ignores numeric ones', () => {
    const profile = decodePprof(read('go/single_group_with_optional_span_id.pb.gz'));
    const keys = new Set(profile.sampleLabels.flatMap((labels) => (labels ?? []).map(([key]) => key)));
    expect([...keys].sort()).toEqual(['asdasd', 'function', 'qwe', 'span_id']);
    const heap = decodePprof(read('go/heap.pb.gz')); // only numeric "bytes" labels
    expect(heap.sampleLabels.every((labels) => labels === null)).toBe(true);
  });

  it('names frames without symbols by address', () => {
    for (const file of ['broken/no_addr_no_line.pb.gz', 'ebpf/cpu-unknown.pb.gz']) {
      const profile = decodePprof(read(file));
      expect(profile.names.some((name) => /^0x[0-9a-f]+$/.test(name)), file).toBe(true);
    }
  });

  it('encode → decode keeps sample types, period, stacks, values and labels', () => {
    for (const file of ['go/cpu.pb.gz', 'go/heap.pb.gz', 'nodejs/nodejs-wall.pb.gz', 'python/pyspy-1.pb.gz', 'go/single_group_with_optional_span_id.pb.gz']) {
      const original = decodePprof(read(file));
      const again = decodePprof(encodePprof(original));
      expect(again.sampleTypes).toEqual(original.sampleTypes);
      expect(again.periodType).toEqual(original.periodType);
      expect(again.period).toBe(original.period);
      expect(again.timeMs).toBe(original.timeMs);
      expect(again.durationNs).toBe(original.durationNs);
      expect(again.sampleLabels).toEqual(original.sampleLabels);
      original.sampleTypes.forEach((_, t) => expect(encodeCollapsed(again, t)).toBe(encodeCollapsed(original, t)));
    }
  });

  it('truncated real files fail with MALFORMED_PPROF (or decode, when the cut falls between fields)', () => {
    for (const file of ['go/heap.pb.gz', 'go/cpu.pb.gz', 'dotnet/dotnet.labels.pprof']) {
      const bytes = read(file);
      const codes = new Map<string, number>();
      for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) {
        const code = errorCode(() => decodePprof(bytes.subarray(0, cut)));
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      expect([...codes.keys()].filter((code) => code !== ErrorCodes.INGEST_MALFORMED_PPROF && code !== 'no error'), file).toEqual([]);
      expect(codes.get(ErrorCodes.INGEST_MALFORMED_PPROF) ?? 0, file).toBeGreaterThan(0);
    }
  });
});

describe('pprof decoding of garbage', () => {
  it('rejects text and gzip bytes with MALFORMED_PPROF', () => {
    for (const text of ['this is not a pprof profile', '{"json": true}']) {
      expect(errorCode(() => decodePprof(new TextEncoder().encode(text))), text).toBe(ErrorCodes.INGEST_MALFORMED_PPROF);
    }
    expect(errorCode(() => decodePprof(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])))).toBe(ErrorCodes.INGEST_MALFORMED_PPROF);
  });

  it('random bytes give a CinderError (malformed or invalid UTF-8) or a profile, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const code = errorCode(() => decodePprof(bytes));
        return code === 'no error' || code === ErrorCodes.INGEST_MALFORMED_PPROF || code === ErrorCodes.INGEST_INVALID_UTF8;
      }),
      { numRuns: 1000 },
    );
  });

  it('random mutations of a real profile never escape as other exceptions', () => {
    const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }, 10_000_000);
    builder.addSample(['main', 'work', 'leaf'], [3, 30_000_000], [['span_id', '42']]);
    builder.addSample(['main', 'idle'], [1, 10_000_000]);
    const valid = encodePprof(builder.build());
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = valid.slice();
        mutated[at] = byte;
        const code = errorCode(() => decodePprof(mutated));
        return code === 'no error' || code === ErrorCodes.INGEST_MALFORMED_PPROF || code === ErrorCodes.INGEST_INVALID_UTF8;
      }),
      { numRuns: 1000 },
    );
  });
});
