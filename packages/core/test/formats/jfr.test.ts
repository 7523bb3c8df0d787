import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CinderError, ErrorCodes, decodeJfr, decodeJfrLabels, decodePprof, mergeGeneratedJvmName, profileTypeId, totalOf, type Profile } from '@cinder/core';
import { testdataDir } from '../testdata.js';
import { JfrBuilder, PROFILER_CLASSES, smallRecording } from './jfrWriter.js';
import { errorCode } from '../errorCode.js';

const jfrDir = path.join(testdataDir, 'java-jfr');
const gunzipped = (bytes: Uint8Array): Uint8Array => (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
const read = (file: string): Uint8Array => gunzipped(readFileSync(path.join(jfrDir, file)));

/** stack (root first, `;`-joined) → summed value of one sample type, zero values left out. */
function collapsedMap(profile: Profile, sampleType: number, keep: (s: number) => boolean = () => true): Map<string, number> {
  const sums = new Map<string, number>();
  profile.stacks.forEach((stack, s) => {
    const value = profile.values[sampleType]![s]!;
    if (value === 0 || !keep(s)) return;
    const key = Array.from(stack, (i) => profile.names[i]!).join(';');
    sums.set(key, (sums.get(key) ?? 0) + value);
  });
  return sums;
}

// Gold-file names: <jfr>.<profile type id with ':' → '_'>.<xxhash64 of the query labels>.pb.gz;
// testdata/README.md lists the hashes (no selector, or thread_name="pool-2-thread-N").
const NO_SELECTOR = '17241709254077376921';
const THREAD_OF_HASH: Record<string, string> = {
  '2539015855607244867': 'pool-2-thread-1',
  '6511396920643364271': 'pool-2-thread-2',
  '5571933481434853072': 'pool-2-thread-3',
  '10784330302778997279': 'pool-2-thread-4',
  '16370823494798218517': 'pool-2-thread-5',
  '14685508092873724845': 'pool-2-thread-6',
  '15666661103234080825': 'pool-2-thread-7',
  '302387572117411911': 'pool-2-thread-8',
};
const LABELS_OF: Record<string, string> = { 'dump2.jfr.gz': 'dump2.labels.pb.gz' };

const goldFiles = readdirSync(path.join(jfrDir, 'expected')).map((file) => {
  const match = /^(.+\.jfr\.gz)\.([A-Za-z0-9_]+)\.(\d+)\.pb\.gz$/.exec(file);
  if (!match) throw new Error(`unexpected gold file name ${file}`);
  return { file, jfr: match[1]!, typeKey: match[2]!, hash: match[3]! };
});

const decodedCache = new Map<string, ReturnType<typeof decodeJfr>>();
function decodeFixture(jfr: string): ReturnType<typeof decodeJfr> {
  let decoded = decodedCache.get(jfr);
  if (!decoded) {
    const labels = LABELS_OF[jfr] ? read(LABELS_OF[jfr]!) : null;
    decoded = decodeJfr(read(jfr), { labels });
    decodedCache.set(jfr, decoded);
  }
  return decoded;
}

describe('JFR fixtures against upstream gold outputs', () => {
  it('has gold files for every JFR fixture that upstream tests', () => {
    expect(new Set(goldFiles.map((g) => g.jfr))).toEqual(
      new Set(['cortex-dev-01__kafka-0__cpu__0.jfr.gz', 'cortex-dev-01__kafka-0__cpu_lock0_alloc0__0.jfr.gz', 'cortex-dev-01__kafka-0__cpu_lock_alloc__0.jfr.gz', 'dump2.jfr.gz']),
    );
    expect(goldFiles).toHaveLength(34);
  });

  for (const gold of goldFiles) {
    const thread = gold.hash === NO_SELECTOR ? null : THREAD_OF_HASH[gold.hash];
    it(`${gold.jfr} ${gold.typeKey}${thread ? ` {thread_name="${thread}"}` : ''}: same stacks and values`, () => {
      expect(thread, `unknown label-set hash ${gold.hash}`).not.toBeUndefined();
      const expected = decodePprof(gunzipSync(readFileSync(path.join(jfrDir, 'expected', gold.file))), { limits: { maxSamples: 1e6 } });
      const want = collapsedMap(expected, 0);
      const matches: Map<string, number>[] = [];
      for (const { metricName, profile } of decodeFixture(gold.jfr).profiles) {
        profile.sampleTypes.forEach((sampleType, t) => {
          if (profileTypeId(metricName, sampleType, profile.periodType).replace(/:/g, '_') !== gold.typeKey) return;
          const onThread = (s: number): boolean => thread === null || !!profile.sampleLabels[s]?.some(([k, v]) => k === 'thread_name' && v === thread);
          matches.push(collapsedMap(profile, t, onThread));
        });
      }
      expect(matches).toHaveLength(1);
      expect(matches[0]!.size).toBe(want.size);
      expect(new Map([...matches[0]!].sort())).toEqual(new Map([...want].sort()));
    });
  }

  it('derives exactly the profile types upstream stored for each recording, and its event setting', () => {
    for (const jfr of new Set(goldFiles.map((g) => g.jfr))) {
      const decoded = decodeFixture(jfr);
      const ids = decoded.profiles.flatMap(({ metricName, profile }) => profile.sampleTypes.map((st) => profileTypeId(metricName, st, profile.periodType).replace(/:/g, '_')));
      expect(new Set(ids), jfr).toEqual(new Set(goldFiles.filter((g) => g.jfr === jfr).map((g) => g.typeKey)));
      expect(ids.length, jfr).toBe(new Set(ids).size);
      expect(decoded.jfrEvent, jfr).toBe(jfr === 'dump2.jfr.gz' ? 'wall' : 'cpu');
    }
  });

  it('dump2 without its labels part: same totals, no context labels', () => {
    const withLabels = decodeFixture('dump2.jfr.gz');
    const without = decodeJfr(read('dump2.jfr.gz'));
    expect(without.profiles.map((p) => totalOf(p.profile, 0))).toEqual(withLabels.profiles.map((p) => totalOf(p.profile, 0)));
    const keys = (decoded: ReturnType<typeof decodeJfr>): Set<string> => new Set(decoded.profiles.flatMap((p) => p.profile.sampleLabels.flatMap((l) => (l ?? []).map(([k]) => k))));
    expect(keys(without)).toEqual(new Set());
    expect(keys(withLabels)).toEqual(new Set(['profile_id', 'thread_name']));
    for (const labels of withLabels.profiles[0]!.profile.sampleLabels) {
      for (const [k, v] of labels ?? []) if (k === 'profile_id') expect(v).toMatch(/^[0-9a-f]+$/);
    }
  });

  it('the labels snapshot decodes to contexts and strings', () => {
    const snapshot = decodeJfrLabels(read('dump2.labels.pb.gz'));
    expect(snapshot.contexts.size).toBeGreaterThan(0);
    const names = new Set([...snapshot.contexts.values()].flat().map(([k]) => snapshot.strings.get(k)));
    // pyroscope-java puts the span id of traced work into the context as profile_id.
    expect(names).toEqual(new Set(['thread_name', 'profile_id']));
  });

  it('heavy.jfr (JDK Flight Recorder, not async-profiler): CPU from jdk.ExecutionSample and allocation samples', () => {
    const decoded = decodeJfr(read('heavy.jfr'));
    expect(decoded.jfrEvent).toBe('');
    const ids = decoded.profiles.flatMap(({ metricName, profile }) => profile.sampleTypes.map((st) => profileTypeId(metricName, st, profile.periodType)));
    expect(ids).toEqual(['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'memory:alloc_sample_objects:count:space:bytes', 'memory:alloc_sample_bytes:bytes:space:bytes']);
    const cpu = decoded.profiles[0]!.profile;
    expect(totalOf(cpu, 0) % 10_000_000).toBe(0);
    expect(cpu.names).toContain('java/util/Random.next');
    for (const stack of cpu.stacks) expect(cpu.names[stack[0]!]).not.toBe('');
  });

  it('sampleRate sets the value of a CPU sample (1e9 / rate ns)', () => {
    const at100 = decodeJfr(read('cortex-dev-01__kafka-0__cpu__0.jfr.gz'));
    const at50 = decodeJfr(read('cortex-dev-01__kafka-0__cpu__0.jfr.gz'), { sampleRate: 50 });
    const atZero = decodeJfr(read('cortex-dev-01__kafka-0__cpu__0.jfr.gz'), { sampleRate: 0 });
    expect(totalOf(at100.profiles[0]!.profile, 0)).toBe(4_780_000_000);
    expect(totalOf(at50.profiles[0]!.profile, 0)).toBe(2 * 4_780_000_000);
    expect(totalOf(atZero.profiles[0]!.profile, 0)).toBe(4_780_000_000);
  });
});

describe('hand-made recordings', () => {
  it('decodes stacks root first, skips sleeping threads for CPU, and keeps monitor durations', () => {
    const decoded = decodeJfr(smallRecording());
    expect(decoded.jfrEvent).toBe('cpu');
    const byId = new Map(decoded.profiles.flatMap(({ metricName, profile }) => profile.sampleTypes.map((st, t) => [profileTypeId(metricName, st, profile.periodType), collapsedMap(profile, t)] as const)));
    expect([...byId.keys()]).toEqual(['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'mutex:contentions:count:mutex:count', 'mutex:delay:nanoseconds:mutex:count']);
    expect(byId.get('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toEqual(
      new Map([
        ['Main.main;Work.run', 30_000_000],
        ['Main.main;Work.run;Work.spin', 10_000_000],
      ]),
    );
    expect(byId.get('mutex:delay:nanoseconds:mutex:count')).toEqual(new Map([['Main.main;Work.run;Work.spin', 500]]));
  });

  it('reads every chunk of a multi-chunk file (constant-pool keys are per chunk)', () => {
    const one = smallRecording();
    const two = Uint8Array.from([...one, ...one]);
    const single = decodeJfr(one).profiles[0]!.profile;
    const double = decodeJfr(two).profiles[0]!.profile;
    expect(totalOf(double, 0)).toBe(2 * totalOf(single, 0));
    expect(collapsedMap(double, 0)).toEqual(new Map([...collapsedMap(single, 0)].map(([k, v]) => [k, 2 * v])));
  });

  it('async-profiler wall-clock samples (× samples) and native mallocs', () => {
    const b = new JfrBuilder([
      ...PROFILER_CLASSES,
      {
        name: 'profiler.WallClockSample',
        fields: [
          { name: 'startTime', type: 'long' },
          { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: true },
          { name: 'samples', type: 'int' },
        ],
      },
      {
        name: 'profiler.Malloc',
        fields: [
          { name: 'startTime', type: 'long' },
          { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: true },
          { name: 'size', type: 'long' },
        ],
      },
    ]);
    b.pool('jdk.types.Symbol', [
      [1, { string: 'Main' }],
      [2, { string: 'main' }],
    ]);
    b.pool('java.lang.Class', [[10, { name: 1 }]]);
    b.pool('jdk.types.Method', [[20, { type: 10, name: 2 }]]);
    b.pool('jdk.types.StackTrace', [[100, { truncated: false, frames: [{ method: 20, lineNumber: 1 }] }]]);
    b.event('profiler.WallClockSample', { startTime: 1, stackTrace: 100, samples: 3 });
    b.event('profiler.Malloc', { startTime: 2, stackTrace: 100, size: 4096 });
    b.event('profiler.Malloc', { startTime: 3, stackTrace: 100, size: 100 });
    const decoded = decodeJfr(b.build(), { sampleRate: 1000 });
    const ids = decoded.profiles.flatMap(({ metricName, profile }) => profile.sampleTypes.map((st, t) => [profileTypeId(metricName, st, profile.periodType), totalOf(profile, t)]));
    expect(ids).toEqual([
      ['wall:wall:nanoseconds:wall:nanoseconds', 3 * 1_000_000],
      ['memory:malloc_objects:count::', 2],
      ['memory:malloc_bytes:bytes::', 4196],
    ]);
  });

  it('merges JVM-generated names as upstream does', () => {
    expect(mergeGeneratedJvmName('App$$Lambda$12/0x0000000800c03000')).toBe('App$$Lambda_');
    expect(mergeGeneratedJvmName('Fib$$Lambda.0x00007ffa600c4da0')).toBe('Fib$$Lambda_');
    expect(mergeGeneratedJvmName('jdk/internal/reflect/GeneratedMethodAccessor31')).toBe('jdk/internal/reflect/GeneratedMethodAccessor_');
    expect(mergeGeneratedJvmName('java/lang/Thread')).toBe('java/lang/Thread');
    const decoded = decodeJfr(smallRecording({ deepFrames: 2 }));
    expect([...collapsedMap(decoded.profiles[0]!.profile, 0).keys()]).toContain('Main.main;Work.run;Work.spin;App$$Lambda_.run;App$$Lambda_.run');
  });

  it('keeps the root-most frames of stacks deeper than maxStackDepth', () => {
    const decoded = decodeJfr(smallRecording({ deepFrames: 50 }), { limits: { maxStackDepth: 4 } });
    const stacks = [...collapsedMap(decoded.profiles[0]!.profile, 0).keys()];
    expect(stacks).toContain('Main.main;Work.run;Work.spin;App$$Lambda_.run');
    for (const stack of stacks) expect(stack.split(';').length).toBeLessThanOrEqual(4);
  });

  it('refuses more distinct samples than maxSamples', () => {
    expect(errorCode(() => decodeJfr(smallRecording(), { limits: { maxSamples: 1 } }))).toBe(ErrorCodes.INGEST_TOO_MANY_SAMPLES);
  });

  it('refuses a class that contains itself inline (a cycle that reads no bytes)', () => {
    const b = new JfrBuilder([
      ...PROFILER_CLASSES,
      { name: 'Loop', fields: [{ name: 'self', type: 'Loop' }] },
      { name: 'jdk.ThreadPark', fields: [{ name: 'loop', type: 'Loop' }] },
    ]);
    b.rawEvent([b.idOf('jdk.ThreadPark')]);
    expect(errorCode(() => decodeJfr(b.build()))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
  });

  it('refuses values that take no bytes but describe unbounded work (a huge array of empty structs)', () => {
    const b = new JfrBuilder([
      ...PROFILER_CLASSES,
      { name: 'Empty', fields: [] },
      { name: 'jdk.ThreadPark', fields: [{ name: 'many', type: 'Empty', array: true }] },
    ]);
    // Array length 2^40, written as a varint; each element is zero bytes long.
    b.rawEvent([b.idOf('jdk.ThreadPark'), 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    const started = Date.now();
    expect(errorCode(() => decodeJfr(b.build()))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses empty classes nested two-wide 28 deep (2^28 visits for one byte): the work budget stops it', () => {
    const levels = Array.from({ length: 28 }, (_, i) => ({
      name: `Fan${i + 1}`,
      fields: [
        { name: 'a', type: `Fan${i}` },
        { name: 'b', type: `Fan${i}` },
      ],
    }));
    const b = new JfrBuilder([...PROFILER_CLASSES, { name: 'Fan0', fields: [] }, ...levels, { name: 'jdk.ThreadPark', fields: [{ name: 'fan', type: 'Fan28' }] }]);
    b.rawEvent([b.idOf('jdk.ThreadPark')]);
    const started = Date.now();
    expect(errorCode(() => decodeJfr(b.build()))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses an event whose size does not cover its own header, and a pool of an undefined class', () => {
    const good = smallRecording();
    // The first event starts right after the 68-byte header; size 0 would never advance.
    const zeroSize = Uint8Array.from(good);
    zeroSize.set([0x80, 0x80, 0x80, 0x00], 68);
    expect(errorCode(() => decodeJfr(zeroSize))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    const b = new JfrBuilder(PROFILER_CLASSES);
    b.rawEvent([1, 0, 0, 0, 1, 1, 99, 1, 1, 0]); // a constant pool of class 99, which does not exist
    expect(errorCode(() => decodeJfr(b.build()))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
  });
});

describe('malformed input is refused with CINDER_INGEST_MALFORMED_JFR, never a crash or a hang', () => {
  const fixture = read('cortex-dev-01__kafka-0__cpu__0.jfr.gz');

  it('garbage, empty, a corrupted magic byte (upstream TestCorruptedJFR422), another version', () => {
    expect(errorCode(() => decodeJfr(new TextEncoder().encode('this is not a recording at all, just some text')))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    expect(errorCode(() => decodeJfr(new Uint8Array(0)))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    const corrupt = Uint8Array.from(fixture);
    corrupt[0] = 0;
    expect(errorCode(() => decodeJfr(corrupt))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    const version1 = Uint8Array.from(fixture);
    version1[5] = 1;
    expect(errorCode(() => decodeJfr(version1))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
  });

  it('every truncation (with and without the chunk size patched to match) fails cleanly', () => {
    for (let cut = 0; cut < fixture.length; cut += 997) {
      const truncated = fixture.subarray(0, cut);
      expect(errorCode(() => decodeJfr(truncated)), `cut at ${cut}`).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
      if (cut < 68) continue;
      // Claim the truncated length as the chunk size, so the reader walks into the cut.
      const patched = Uint8Array.from(truncated);
      new DataView(patched.buffer).setBigInt64(8, BigInt(cut));
      const code = errorCode(() => decodeJfr(patched));
      expect(code === ErrorCodes.INGEST_MALFORMED_JFR || code === 'no error', `patched cut at ${cut}: ${code}`).toBe(true);
    }
  });

  it('10,000 seeded byte mutations either decode or are refused with a CinderError, each fast', { timeout: 120_000 }, () => {
    let seed = 12345;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const small = smallRecording();
    let refused = 0;
    let slowestMs = 0;
    for (let round = 0; round < 10_000; round++) {
      const base = round % 50 === 0 ? fixture : small;
      const mutated = Uint8Array.from(base);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const started = performance.now();
      try {
        decodeJfr(mutated);
      } catch (error) {
        if (!(error instanceof CinderError)) throw new Error(`round ${round}: ${String(error)}`);
        refused++;
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }
    expect(refused).toBeGreaterThan(100);
    expect(slowestMs).toBeLessThan(2_000);
  });

  it('a malformed labels part is refused too', () => {
    expect(errorCode(() => decodeJfr(smallRecording(), { labels: Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f]) }))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
    expect(errorCode(() => decodeJfrLabels(Uint8Array.from([0x0b])))).toBe(ErrorCodes.INGEST_MALFORMED_JFR);
  });
});
