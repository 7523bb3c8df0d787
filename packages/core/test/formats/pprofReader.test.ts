/**
 * The ingest reader (decodePprof → pprofReader.ts) against the decoder it replaced (pprof-format
 * plus our checks, kept verbatim in pprofReference.ts): on every real file in testdata/ and on
 * seeded mutations of them, both give the same profile or the same rejection code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CinderError, ErrorCodes, ProfileBuilder, decodePprof, encodePprof, type DecodePprofOptions, type Profile } from '@cinder/core';
import { testdataDir } from '../testdata.js';
import { decodePprofReference } from './pprofReference.js';

/** Every file that holds a pprof profile (or that a client could send as one by mistake). */
const PPROF_DIRS = ['go', 'nodejs', 'nodejs-sdk', 'dotnet', 'python', 'ruby', 'rust', 'java', 'ebpf', 'broken', 'java-jfr/expected'];
const NOT_PPROF = /\.(json|md|txt)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(testdataDir, dir)).flatMap((name) => {
    const relative = `${dir}/${name}`;
    if (statSync(path.join(testdataDir, relative)).isDirectory()) return dir === 'java-jfr' ? [] : filesUnder(relative);
    return NOT_PPROF.test(name) ? [] : [relative];
  });
}
const pprofFiles = PPROF_DIRS.flatMap(filesUnder);
/** Other binary captures (JFR, OTLP, …): not pprof, so both decoders must refuse them alike. */
const otherFiles = ['java-jfr', 'otlp', 'chrome-cpuprofile'].flatMap(filesUnder).filter((file) => !file.includes('/expected/'));

function read(file: string): Uint8Array {
  const bytes = readFileSync(path.join(testdataDir, file));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : new Uint8Array(bytes);
}

/**
 * A decode's outcome as comparable text: the rejection (code and message: the message says where,
 * so two different faults with one code still differ), or every field of the profile.
 */
function outcome(decode: () => Profile): string {
  let profile: Profile;
  try {
    profile = decode();
  } catch (error) {
    if (error instanceof CinderError) return `rejected ${error.code}: ${error.message}`;
    return `threw ${String(error)}`;
  }
  return JSON.stringify({
    sampleTypes: profile.sampleTypes,
    periodType: profile.periodType,
    period: profile.period,
    timeMs: profile.timeMs,
    durationNs: profile.durationNs,
    names: profile.names,
    stacks: profile.stacks.map((stack) => Array.from(stack)),
    values: profile.values.map((column) => Array.from(column)),
    sampleLabels: profile.sampleLabels,
  });
}

function both(bytes: Uint8Array, options: DecodePprofOptions): { reader: string; reference: string } {
  return { reader: outcome(() => decodePprof(bytes, options)), reference: outcome(() => decodePprofReference(bytes, options)) };
}

const OPTION_SETS: DecodePprofOptions[] = [
  { limits: { maxSamples: 200_000 } },
  { dotnetFix: true, spyName: 'dotnetspy' },
  { spyName: 'pyspy' },
  // Small limits, so truncation and the frame budget are exercised on real stacks.
  { limits: { maxStackDepth: 7, maxFramesPerProfile: 20_000, maxSamples: 5_000 } },
];

describe('pprof reader = reference decoder on every fixture', () => {
  it('finds the fixtures', () => {
    expect(pprofFiles.length).toBeGreaterThan(60);
    expect(otherFiles.length).toBeGreaterThan(5);
  });

  it.each(pprofFiles)('%s', (file) => {
    const bytes = read(file);
    for (const options of OPTION_SETS) {
      const { reader, reference } = both(bytes, options);
      expect(reader, JSON.stringify(options)).toBe(reference);
    }
  }, 120_000);

  it('decodes (rather than refuses alike) nearly every fixture, so the comparison above compares profiles', () => {
    const decoded = pprofFiles.filter((file) => !both(read(file), OPTION_SETS[1]!).reader.startsWith('rejected'));
    expect(decoded.length).toBeGreaterThanOrEqual(pprofFiles.length - 3);
  });

  it.each(otherFiles)('%s (not pprof): the same outcome', (file) => {
    const { reader, reference } = both(read(file), {});
    expect(reader).toBe(reference);
  });

  it('tells different profiles apart (the comparison can fail)', () => {
    const bytes = read('go/cpu.pb.gz');
    expect(outcome(() => decodePprof(bytes))).not.toBe(outcome(() => decodePprofReference(bytes, { limits: { maxStackDepth: 3 } })));
    expect(outcome(() => decodePprof(bytes))).not.toBe(outcome(() => decodePprof(read('go/heap.pb.gz'))));
  });
});

/** A top-level protobuf field as pprof-format walks it: one-byte key, length clamped to the end. */
interface Field {
  start: number;
  end: number;
  /** Payload of a length-delimited field (undefined for varints). */
  payloadStart?: number;
}

function fieldsOf(bytes: Uint8Array, start = 0, end = bytes.length): Field[] {
  const fields: Field[] = [];
  let at = start;
  while (at < end && fields.length < 100_000) {
    const fieldStart = at;
    const wire = bytes[at++]! & 7;
    if (wire === 0) {
      while (at < end && bytes[at]! >= 0x80) at++;
      at = Math.min(end, at + 1);
      fields.push({ start: fieldStart, end: at });
    } else if (wire === 2) {
      let length = 0;
      let scale = 1;
      while (at < end && bytes[at]! >= 0x80) {
        length += (bytes[at++]! & 0x7f) * scale;
        scale *= 128;
      }
      if (at < end) length += bytes[at++]! * scale;
      const payloadStart = at;
      at = Math.min(end, at + length);
      fields.push({ start: fieldStart, end: at, payloadStart });
    } else break;
  }
  return fields;
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'bit'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'varint'; at: number; value: number; padding: number }
  | { kind: 'duplicate'; at: number; nested: boolean; inner: number }
  | { kind: 'sampleValue'; at: number; inner: number; value: bigint }
  | { kind: 'scalar'; field: number; value: bigint }
  | { kind: 'nested'; path: number[]; edit: 'value' | 'cut' | 'drop'; value: bigint };

/** Values around the edges of what a sample value, period or time may be (2^64 − 1 reads as −1). */
const edgeValue = fc.constantFrom(0n, 1n, 2n ** 49n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 5n);

/** Positions are fractions of the input length (so one arbitrary fits every base). */
const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('bit' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), count: fc.integer({ min: 1, max: 16 }) }),
  // Rewrites the varint at a position: another value (ids, indices, lengths, values, huge ones) and
  // non-canonical padding, up to the 11 bytes that must be refused.
  fc.record({
    kind: fc.constant('varint' as const),
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    value: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(0, 1, 2 ** 31, 2 ** 49, 2 ** 53, 2 ** 63, 2 ** 64 - 1, 1e19), fc.nat()),
    padding: fc.integer({ min: 0, max: 10 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), nested: fc.boolean(), inner: fc.nat() }),
  // One value of one sample set to an edge value; period (12), time (9) or duration (10) sent again.
  fc.record({ kind: fc.constant('sampleValue' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), inner: fc.nat(), value: edgeValue }),
  fc.record({ kind: fc.constant('scalar' as const), field: fc.constantFrom(9, 10, 12), value: edgeValue }),
  // A field found by walking into messages (sample → label, location → line, …): its varint set to
  // another value, its last byte cut (a packed list ending inside a number) or the field dropped;
  // every enclosing length is rewritten, so the edit lands inside well-formed messages.
  fc.record({
    kind: fc.constant('nested' as const),
    path: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    edit: fc.constantFrom('value' as const, 'cut' as const, 'drop' as const),
    value: fc.oneof(edgeValue, fc.bigInt({ min: 0n, max: 300n })),
  }),
);

/** Applies a nested edit inside [start, end) of `input`; returns the new bytes of that range. */
function editNested(input: Uint8Array, start: number, end: number, path: number[], edit: 'value' | 'cut' | 'drop', value: bigint): Uint8Array {
  const fields = fieldsOf(input, start, end);
  if (fields.length === 0) return input.slice(start, end);
  const field = fields[path[0]! % fields.length]!;
  let replacement: Uint8Array;
  if (field.payloadStart !== undefined && path.length > 1) {
    const inner = editNested(input, field.payloadStart, field.end, path.slice(1), edit, value);
    replacement = concat([input[field.start]!], varint(inner.length), inner);
  } else if (edit === 'drop') {
    replacement = new Uint8Array(0);
  } else if (edit === 'cut') {
    const payloadStart = field.payloadStart ?? field.start + 1;
    const payload = input.subarray(payloadStart, Math.max(payloadStart, field.end - 1));
    replacement = field.payloadStart === undefined ? concat([input[field.start]!], payload) : concat([input[field.start]!], varint(payload.length), payload);
  } else if (field.payloadStart === undefined) {
    replacement = concat([input[field.start]!], bigVarint(value));
  } else {
    const encoded = bigVarint(value);
    replacement = concat([input[field.start]!], varint(encoded.length), encoded);
  }
  return concat(input.subarray(start, field.start), replacement, input.subarray(field.end, end));
}

function mutate(input: Uint8Array, mutation: Mutation): Uint8Array {
  const position = (fraction: number): number => Math.min(input.length, Math.floor(fraction * input.length));
  switch (mutation.kind) {
    case 'set': {
      const out = input.slice();
      const at = position(mutation.at);
      if (at < out.length) out[at] = mutation.byte;
      return out;
    }
    case 'bit': {
      const out = input.slice();
      const at = position(mutation.at);
      if (at < out.length) out[at] = out[at]! ^ (1 << mutation.bit);
      return out;
    }
    case 'truncate':
      return input.slice(0, position(mutation.at));
    case 'insert': {
      const at = position(mutation.at);
      return concat(input.subarray(0, at), mutation.bytes, input.subarray(at));
    }
    case 'delete': {
      const at = position(mutation.at);
      return concat(input.subarray(0, at), input.subarray(Math.min(input.length, at + mutation.count)));
    }
    case 'varint': {
      // From the chosen byte, back to the start of the varint it belongs to, then past its end.
      let start = position(mutation.at);
      while (start > 0 && input[start - 1]! >= 0x80) start--;
      let end = start;
      while (end < input.length && input[end]! >= 0x80) end++;
      end = Math.min(input.length, end + 1);
      const encoded = mutation.value >= 2 ** 53 ? bigVarint(BigInt(Math.min(mutation.value, 2 ** 64 - 1))) : varint(mutation.value);
      const padded = encoded.slice(0, -1).concat([encoded[encoded.length - 1]! | (mutation.padding > 0 ? 0x80 : 0)]);
      for (let i = 1; i < mutation.padding; i++) padded.push(0x80);
      if (mutation.padding > 0) padded.push(0);
      return concat(input.subarray(0, start), padded, input.subarray(end));
    }
    case 'duplicate': {
      const fields = fieldsOf(input);
      if (fields.length === 0) return input;
      const field = fields[Math.min(fields.length - 1, Math.floor(mutation.at * fields.length))]!;
      if (!mutation.nested || field.payloadStart === undefined) {
        // The same field again, right after itself: repeated fields append, scalars last-win.
        return concat(input.subarray(0, field.end), input.subarray(field.start, field.end), input.subarray(field.end));
      }
      // A field inside a sample/location/…: duplicated, and the outer length rewritten to match.
      const inner = fieldsOf(input, field.payloadStart, field.end);
      if (inner.length === 0) return input;
      const copied = inner[mutation.inner % inner.length]!;
      const payload = concat(input.subarray(field.payloadStart, copied.end), input.subarray(copied.start, copied.end), input.subarray(copied.end, field.end));
      return concat(input.subarray(0, field.start), [input[field.start]!], varint(payload.length), payload, input.subarray(field.end));
    }
    case 'sampleValue': {
      const samples = fieldsOf(input).filter((field) => input[field.start] === 0x12 && field.payloadStart !== undefined);
      if (samples.length === 0) return input;
      const sample = samples[Math.floor(mutation.at * samples.length)]!;
      const valuesField = fieldsOf(input, sample.payloadStart, sample.end).find((field) => input[field.start] === 0x12 && field.payloadStart !== undefined);
      if (!valuesField) return input;
      let count = 0;
      for (let i = valuesField.payloadStart!; i < valuesField.end; i++) if (input[i]! < 0x80) count++;
      const values: number[] = [];
      for (let i = 0; i < count; i++) values.push(...(i === mutation.inner % Math.max(1, count) ? bigVarint(mutation.value) : [1]));
      const newValues = concat([0x12], varint(values.length), values);
      const payload = concat(input.subarray(sample.payloadStart, valuesField.start), newValues, input.subarray(valuesField.end, sample.end));
      return concat(input.subarray(0, sample.start), [0x12], varint(payload.length), payload, input.subarray(sample.end));
    }
    case 'scalar':
      return concat(input, [mutation.field << 3], bigVarint(mutation.value));
    case 'nested':
      return editNested(input, 0, input.length, mutation.path, mutation.edit, mutation.value);
  }
}

function bigVarint(value: bigint): number[] {
  const out: number[] = [];
  while (value >= 0x80n) {
    out.push(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  out.push(Number(value));
  return out;
}

/** Small real profiles of every shape (inlining, labels, dotnet ids, scripting names, addresses), plus crafted ones. */
function mutationBases(): { name: string; bytes: Uint8Array; options: DecodePprofOptions }[] {
  const crafted = new ProfileBuilder([{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }, 10_000_000);
  crafted.addSample(['main', 'wörk', 'leaf'], [3, 30_000_000], [['span_id', '42'], ['thread', 'main']]);
  crafted.addSample(['main', 'idle'], [1, 10_000_000]);
  crafted.addSample([], [2, 20_000_000], [['trace_id', 'ab']]);
  return [
    { name: 'go/cpu.pb.gz', bytes: read('go/cpu.pb.gz'), options: {} },
    { name: 'go/single_group_with_optional_span_id.pb.gz', bytes: read('go/single_group_with_optional_span_id.pb.gz'), options: {} },
    { name: 'nodejs-sdk wall-cpu', bytes: read('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz'), options: { spyName: 'nodespy' } },
    { name: 'python/pyspy-1.pb.gz', bytes: read('python/pyspy-1.pb.gz'), options: { spyName: 'pyspy' } },
    { name: 'broken/dotnet-pprof-73.pb.gz', bytes: read('broken/dotnet-pprof-73.pb.gz'), options: { dotnetFix: true } },
    { name: 'broken/no_addr_no_line.pb.gz', bytes: read('broken/no_addr_no_line.pb.gz'), options: {} },
    { name: 'broken/invalid_utf8.pb.gz', bytes: read('broken/invalid_utf8.pb.gz'), options: {} },
    { name: 'crafted', bytes: encodePprof(crafted.build()), options: { limits: { maxStackDepth: 2, maxSamples: 2 } } },
  ].filter((base) => base.bytes.length < 64 * 1024);
}

describe('pprof reader = reference decoder on seeded mutations', () => {
  const bases = mutationBases();
  const RUNS = 12_000;
  const TIGHT_LIMITS = [{ maxStackDepth: 3, maxFramesPerProfile: 40 }, { maxSamples: 5 }, { maxStackDepth: 1000, maxFramesPerProfile: 300 }];

  it(`${RUNS} mutated inputs (byte and bit flips, truncations, inserts, deletions, varint edits, field duplication): the same profile or the same rejection`, () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 3 }), (baseIndex, mutations, tight) => {
        const base = bases[baseIndex]!;
        const bytes = mutations.reduce(mutate, base.bytes);
        const options: DecodePprofOptions = tight === 0 ? base.options : { ...base.options, limits: TIGHT_LIMITS[tight - 1]! };
        const { reader, reference } = both(bytes, options);
        const kind = reference.startsWith('rejected') || reference.startsWith('threw') ? reference.split(':')[0]! : 'decoded';
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
        expect(reader).toBe(reference);
      }),
      { numRuns: RUNS, seed: 20261128, endOnFailure: true },
    );
    // The mutations reach every outcome, so the equality above was tested on each kind.
    expect(seen.get('decoded') ?? 0).toBeGreaterThan(RUNS / 10);
    for (const code of [ErrorCodes.INGEST_MALFORMED_PPROF, ErrorCodes.INGEST_VALUE_OUT_OF_RANGE, ErrorCodes.INGEST_PROFILE_TOO_COMPLEX, ErrorCodes.INGEST_TOO_MANY_SAMPLES, ErrorCodes.INGEST_INVALID_UTF8]) {
      expect(seen.get(`rejected ${code}`) ?? 0, `${code} (${JSON.stringify([...seen])})`).toBeGreaterThan(10);
    }
    expect([...seen.keys()].filter((kind) => kind.startsWith('threw'))).toEqual([]);
  }, 300_000);
});

/** A protobuf message from [field, value] pairs: numbers are varints, byte arrays length-delimited. */
type Wire = [field: number, value: number | bigint | Uint8Array | string | { raw: number[] }];
function message(...fields: Wire[]): Uint8Array {
  const parts: ArrayLike<number>[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number' || typeof value === 'bigint') parts.push([field << 3], bigVarint(BigInt(value)));
    else if (typeof value === 'string' || value instanceof Uint8Array) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      parts.push([(field << 3) | 2], varint(bytes.length), bytes);
    } else parts.push(value.raw);
  }
  return concat(...parts);
}

/** A small valid profile: `main → work` and `main → idle`, one label, plus whatever `extra` adds. */
function smallProfile(extra: Wire[] = [], sampleExtra: Wire[] = []): Uint8Array {
  return message(
    [1, message([1, 1], [2, 2])],
    [2, message([1, 2], [1, 1], [2, 7], [3, message([1, 5], [2, 6])], ...sampleExtra)],
    [2, message([1, 3], [1, 1], [2, 4])],
    [4, message([1, 1], [4, message([1, 1])])],
    [4, message([1, 2], [4, message([1, 2])])],
    [4, message([1, 3], [3, 0x7f3a12])],
    [5, message([1, 1], [2, 3])],
    [5, message([1, 2], [2, 4])],
    ...['', 'samples', 'count', 'main', 'work', 'span_id', '42'].map((text): Wire => [6, text]),
    ...extra,
  );
}

describe('pprof reader = reference decoder on crafted corner cases', () => {
  const cases: [string, Uint8Array, DecodePprofOptions?][] = [
    ['the small profile itself', smallProfile()],
    ['a label with key 0 and a string value', smallProfile([], [[3, message([1, 0], [2, 6])]])],
    ['a numeric label (no string value) with an out-of-range key', smallProfile([], [[3, message([1, 999], [3, 5])]])],
    ['a label whose string index is out of range', smallProfile([], [[3, message([1, 5], [2, 999])]])],
    ['a label value sent twice (last wins)', smallProfile([], [[3, message([1, 5], [2, 999], [2, 6])]])],
    ['location id 0 referenced by a sample', smallProfile([[4, message([4, message([1, 2])])]], [[1, 0]])],
    ['a duplicated location id (last wins)', smallProfile([[4, message([1, 1], [4, message([1, 2])])]])],
    ['a location referring to a missing function', smallProfile([[4, message([1, 9], [4, message([1, 77])])]])],
    ['a function with an empty name (named by the address)', smallProfile([[5, message([1, 2], [2, 0])]])],
    ['a non-canonical 10-byte location id', smallProfile([], [[1, { raw: [0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00] }]])],
    ['an 11-byte varint', smallProfile([], [[1, { raw: [0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00] }]])],
    ['a 10-byte −1 value', smallProfile([], [[2, 2n ** 64n - 1n]])],
    ['a value of 2^53 − 1 and one of 2^53', smallProfile([], [[2, 2n ** 53n - 1n]])],
    ['a 70-bit location id', smallProfile([], [[1, { raw: [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] }]])],
    ['a packed list ending inside a number', smallProfile([], [[1, { raw: [0x0a, 0x02, 0x01, 0x81] }]])],
    ['a varint cut by the end of its message', smallProfile([[9, { raw: [0x48, 0x81, 0x82] }]])],
    ['a length past the end of the body', concat(smallProfile(), [0x32, 0x7f, 0x61])],
    ['a string sent as a varint', smallProfile([[6, 0xc3]])],
    ['a sample sent as a varint', smallProfile([[2, 0x08]])],
    ['a string with a BOM and one with a real U+FFFD', smallProfile([[6, '\uFEFFbom'], [6, 'a\uFFFDb']])],
    ['invalid UTF-8 in a string', smallProfile([[6, new Uint8Array([0x61, 0xff, 0x62])]])],
    ['invalid UTF-8 in a string sent as a varint (not checked strictly)', smallProfile([[6, 0xff]])],
    ['no string table at all', message([2, message([1, 1], [2, 1])], [4, message([1, 1], [3, 16])])],
    ['wire type 5 in a sample', smallProfile([], [[7, { raw: [0x3d, 1, 2, 3, 4] }]])],
    ['a multi-byte field key (field 16+)', smallProfile([[16, 5]])],
    ['negative time, period and duration', smallProfile([[9, 2n ** 64n - 1n], [10, 2n ** 64n - 1n], [12, 2n ** 64n - 1n]])],
    ['a period of 2^53', smallProfile([[12, 2n ** 53n], [9, 1_700_000_000_123_456_789n], [10, 10_000_000_000n]])],
    ['a period type, sent twice', smallProfile([[11, message([1, 3])], [11, message([1, 1], [2, 2])]])],
    ['a sample type with "-" (dotnet fix off)', smallProfile([[6, 'alloc-size'], [1, message([1, 7], [2, 2])]])],
    ['a sample type with "-" (dotnet fix on)', smallProfile([[6, 'alloc-size'], [1, message([1, 7], [2, 2])]]), { dotnetFix: true }],
    ['all function ids 0 (dotnet fix on)', message([1, message([1, 1], [2, 2])], [2, message([1, 1], [2, 3])], [4, message([1, 1], [4, message([1, 0])])], [5, message([2, 3])], ...['', 'n', 'c', 'f'].map((t): Wire => [6, t])), { dotnetFix: true }],
    ['scripting spy names', smallProfile([[5, message([1, 2], [2, 4], [4, 3])]]), { spyName: 'pyspy' }],
    ['a deep stack over maxStackDepth', smallProfile([], [[1, 2], [1, 2], [1, 2]]), { limits: { maxStackDepth: 2 } }],
    ['frames over maxFramesPerProfile', smallProfile([], [[1, 2], [1, 2]]), { limits: { maxFramesPerProfile: 4 } }],
    ['samples over maxSamples', smallProfile(), { limits: { maxSamples: 1 } }],
  ];

  it.each(cases)('%s', (_, bytes, options = {}) => {
    const { reader, reference } = both(bytes, options);
    expect(reader).toBe(reference);
  });

  it('the cases cover decoded profiles and every rejection code', () => {
    const outcomes = new Set(cases.map(([, bytes, options = {}]) => both(bytes, options).reference.split(':')[0]!.replace(/^\{.*/, 'decoded')));
    expect([...outcomes].sort()).toEqual(
      ['decoded', ...[ErrorCodes.INGEST_INVALID_UTF8, ErrorCodes.INGEST_MALFORMED_PPROF, ErrorCodes.INGEST_PROFILE_TOO_COMPLEX, ErrorCodes.INGEST_TOO_MANY_SAMPLES, ErrorCodes.INGEST_VALUE_OUT_OF_RANGE].map((code) => `rejected ${code}`)].sort(),
    );
  });
});
