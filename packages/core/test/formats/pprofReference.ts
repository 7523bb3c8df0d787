/**
 * The pprof decoder ingest used before core/src/formats/pprofReader.ts: `pprof-format` objects, then
 * the model. Kept unchanged (only renamed, its imports pointed at @cinder/core) as the reference the
 * reader is tested against, input for input (pprofReader.test.ts). Not used outside tests.
 */
import { Profile as PprofProfile } from 'pprof-format';
import {
  CinderError,
  ErrorCodes,
  MAX_SAMPLE_VALUE,
  resolveDecodeLimits,
  SCRIPTING_SPIES,
  tooComplex,
  valueOutOfRange,
  WorkBudget,
  type DecodePprofOptions,
  type LabelPairs,
  type Profile,
  type ValueType,
} from '@cinder/core';
import { StringTable as NameTable } from '../../src/stringTable.js';

/** Unsymbolized frames are named by their address, e.g. `0x7f3a12`, as `pprof -traces` shows them. */
function addressName(address: number | bigint | undefined): string {
  return `0x${BigInt(address ?? 0).toString(16)}`;
}

function num(value: number | bigint | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/** An int64 field as pprof-format returns it (small: number, else the unsigned 64-bit bigint). */
function int64(value: number | bigint | undefined): bigint | number {
  if (value === undefined) return 0;
  return typeof value === 'bigint' ? BigInt.asIntN(64, value) : value;
}

/** An int64 that must be a whole number within [0, 2^53 − 1]. */
function boundedInt64(value: number | bigint | undefined, what: () => string): number {
  const signed = int64(value);
  if (signed < 0 || signed > MAX_SAMPLE_VALUE) throw valueOutOfRange(what(), signed);
  return Number(signed);
}

/**
 * Message layout as pprof-format walks it: which length-delimited fields hold a sub-message, and
 * which fields it decodes as numbers (from varint or packed bytes). Unknown fields are skipped.
 */
type Layout = { messages: Record<number, Layout | undefined>; numbers: ReadonlySet<number>; strings: ReadonlySet<number> };
const LEAF = (numbers: number[]): Layout => ({ messages: {}, numbers: new Set(numbers), strings: new Set() });
const VALUE_TYPE = LEAF([1, 2]);
const LABEL = LEAF([1, 2, 3, 4]);
const LINE = LEAF([1, 2, 3]);
const PROFILE_LAYOUT: Layout = {
  messages: {
    1: VALUE_TYPE,
    2: { messages: { 3: LABEL }, numbers: new Set([1, 2]), strings: new Set() },
    3: LEAF([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    4: { messages: { 4: LINE }, numbers: new Set([1, 2, 3, 5]), strings: new Set() },
    5: LEAF([1, 2, 3, 4, 5]),
    11: VALUE_TYPE,
  },
  numbers: new Set([7, 8, 9, 10, 12, 13, 14]),
  strings: new Set([6]),
};

/**
 * pprof-format decodes a varint of n bytes in O(n²) (BigInt shifts): a 160 KB varint takes 4.6 s.
 * Protobuf varints are at most 10 bytes, so every number position pprof-format will decode is
 * checked first, walking the bytes exactly as it does (one-byte keys, clamped lengths).
 */
function assertShortVarints(bytes: Uint8Array, layout: Layout = PROFILE_LAYOUT, from = 0, to = bytes.length): void {
  const tooLong = (at: number): never => {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `body is not a valid pprof profile: a number at byte ${at} is longer than 10 bytes`);
  };
  /** End of the varint starting at `at` (continuation bytes ≥ 0x80), checked to be ≤ 10 bytes. */
  const varintEnd = (at: number): number => {
    let end = at;
    while (end < to && bytes[end]! >= 0x80) if (++end - at >= 10) tooLong(at);
    return end < to ? end + 1 : end;
  };
  let offset = from;
  while (offset < to) {
    const key = bytes[offset++]!;
    const field = key >> 3;
    const wireType = key & 7;
    if (wireType === 0) {
      offset = varintEnd(offset);
      continue;
    }
    if (wireType !== 2) return; // pprof-format rejects other wire types itself
    const lengthEnd = varintEnd(offset);
    let length = 0;
    for (let i = lengthEnd - 1; i >= offset; i--) length = length * 128 + (bytes[i]! & 0x7f);
    const start = lengthEnd;
    const end = Math.min(to, start + length);
    const sub = layout.messages[field];
    if (sub) assertShortVarints(bytes, sub, start, end);
    else if (layout.numbers.has(field)) {
      // Packed numbers: every run of continuation bytes is one number.
      for (let i = start; i < end; ) i = varintEnd(i);
    }
    offset = end;
  }
}

/**
 * pprof-format decodes strings leniently (invalid bytes become U+FFFD). When such a character shows
 * up, the raw string table is checked strictly so real U+FFFD characters are still accepted.
 */
function assertValidUtf8Strings(bytes: Uint8Array): void {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (offset >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('varint too long');
  };
  while (offset < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = varint();
      if (field === 6) {
        try {
          strict.decode(bytes.subarray(offset, offset + length));
        } catch {
          throw new CinderError(ErrorCodes.INGEST_INVALID_UTF8, `pprof string table entry at byte ${offset} is not valid UTF-8; the profiler produced corrupt symbol names`);
        }
      }
      offset += length;
    } else throw new Error(`wire type ${wireType}`);
  }
}

export function decodePprofReference(bytes: Uint8Array, options: DecodePprofOptions = {}): Profile {
  const limits = resolveDecodeLimits(options.limits);
  let decoded: PprofProfile;
  // A plain Uint8Array view: pprof-format slices the input for every field, and Node's
  // Buffer#subarray costs several times TypedArray#subarray (a quarter of ingest CPU).
  const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    assertShortVarints(plain);
    decoded = PprofProfile.decode(plain);
  } catch (error) {
    if (error instanceof CinderError) throw error;
    throw new CinderError(
      ErrorCodes.INGEST_MALFORMED_PPROF,
      `body is not a valid pprof profile (${(error as Error).message}); send the profile.proto bytes, optionally gzipped`,
    );
  }
  const strings = decoded.stringTable.strings;
  if (strings.some((s) => s.includes('\uFFFD'))) {
    try {
      assertValidUtf8Strings(bytes);
    } catch (error) {
      if (error instanceof CinderError) throw error;
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `body is not a valid pprof profile (${(error as Error).message})`);
    }
  }
  const str = (index: number | bigint | undefined): string => {
    const i = num(index);
    if (i < 0 || i >= strings.length) {
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `pprof refers to string ${i} but its string table has ${strings.length} entries`);
    }
    return strings[i]!;
  };
  if (decoded.sampleType.length === 0 && decoded.sample.length > 0) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, 'pprof has samples but no sample types');
  }
  const sampleTypes: ValueType[] = decoded.sampleType.map((vt) => {
    let type = str(vt.type);
    if (type.includes('-')) {
      if (!options.dotnetFix) {
        throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `sample type "${type}" contains "-"; sample type names may only use letters, digits and "_"`);
      }
      type = type.replace(/-/g, '_');
    }
    return { type, unit: str(vt.unit) };
  });
  const periodType: ValueType | null = decoded.periodType ? { type: str(decoded.periodType.type), unit: str(decoded.periodType.unit) } : null;

  // Early pyroscope-dotnet builds wrote every function id as 0; pair function i with location i
  // (upstream's FixFunctionIDForBrokenDotnet, which also needs the two tables to be equally long).
  if (
    options.dotnetFix &&
    decoded.function.length > 0 &&
    decoded.function.length === decoded.location.length &&
    decoded.function.every((fn) => num(fn.id) === 0)
  ) {
    decoded.function.forEach((fn, i) => {
      const location = decoded.location[i];
      if (location) fn.id = location.id;
    });
  }

  const nameTable = new NameTable();
  const names = nameTable.strings;
  const nameId = (name: string): number => nameTable.id(name);
  const functionName = new Map<number, string>();
  const rewrite = options.spyName !== undefined && SCRIPTING_SPIES.has(options.spyName);
  for (const fn of decoded.function) {
    const name = str(fn.name);
    // Scripting spies (py-spy, rbspy) send bare method names; upstream prefixes the file so that
    // `work` in a.py and `work` in b.py stay apart: "main.py work". Newer pyroscope-rs builds
    // already send "file.py:-1 - work"; those names keep their single copy of the file.
    const filename = rewrite ? str(fn.filename) : '';
    const prefixed = filename !== '' && name !== '' && !name.startsWith(filename);
    functionName.set(num(fn.id), prefixed ? `${filename} ${name}` : name);
  }
  /** Frames of a location, root-most first (pprof lists inlined lines innermost first). */
  const locationFrames = new Map<number, Uint32Array>();
  for (const location of decoded.location) {
    const frames: number[] = [];
    for (let l = location.line.length - 1; l >= 0; l--) {
      const line = location.line[l]!;
      const name = functionName.get(num(line.functionId));
      if (name === undefined) {
        throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `pprof location ${num(location.id)} refers to function ${num(line.functionId)}, which does not exist`);
      }
      frames.push(nameId(name === '' ? addressName(location.address) : name));
    }
    if (frames.length === 0) frames.push(nameId(addressName(location.address)));
    locationFrames.set(num(location.id), Uint32Array.from(frames));
  }

  // Location ids are usually 1…n: a dense array answers the per-frame lookups several times faster
  // than the Map (which stays for sparse or huge ids).
  const framesById: (Uint32Array | undefined)[] = [];
  for (const [id, frames] of locationFrames) if (id < 4 * locationFrames.size + 16) framesById[id] = frames;
  const typeCount = sampleTypes.length;
  const sampleCount = decoded.sample.length;
  const budget = new WorkBudget(limits);
  if (sampleCount > limits.maxSamples) throw tooComplex('maxSamples', String(sampleCount), limits.maxSamples);
  const values = sampleTypes.map(() => new Float64Array(sampleCount));
  const stacks: Uint32Array[] = new Array<Uint32Array>(sampleCount);
  const sampleLabels: (LabelPairs | null)[] = new Array<LabelPairs | null>(sampleCount);
  let parts: Uint32Array[] = [];
  for (let s = 0; s < sampleCount; s++) {
    const sample = decoded.sample[s]!;
    if (sample.value.length !== typeCount) {
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `pprof sample ${s} has ${sample.value.length} values but the profile has ${typeCount} sample types`);
    }
    for (let t = 0; t < typeCount; t++) {
      values[t]![s] = boundedInt64(sample.value[t], () => `pprof sample ${s}, value ${t} (${sampleTypes[t]!.type})`);
    }
    // Sized from the per-location frame counts first: only the root-most maxDepth frames are
    // copied, however many times a deeply inlined location is referenced.
    const ids = sample.locationId;
    if (parts.length < ids.length) parts = new Array<Uint32Array>(ids.length);
    let depth = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const frames = typeof id === 'number' && id < framesById.length ? framesById[id] : locationFrames.get(num(id));
      if (!frames) throw new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, `pprof sample ${s} refers to location ${num(ids[i])}, which does not exist`);
      parts[i] = frames;
      depth += frames.length;
    }
    const kept = budget.sample(depth);
    // pprof lists locations leaf first; the model wants root first.
    const stack = new Uint32Array(kept);
    let at = 0;
    for (let i = ids.length - 1; i >= 0 && at < kept; i--) {
      const frames = parts[i]!;
      const take = Math.min(frames.length, kept - at);
      stack.set(take === frames.length ? frames : frames.subarray(0, take), at);
      at += take;
    }
    stacks[s] = stack;
    let labels: [string, string][] | null = null;
    for (const label of sample.label) {
      if (num(label.str) === 0) continue; // numeric labels are not series/sample dimensions here
      (labels ??= []).push([str(label.key), str(label.str)]);
    }
    sampleLabels[s] = labels;
  }

  const timeNanos = int64(decoded.timeNanos);
  if (timeNanos < 0) throw valueOutOfRange('pprof time_nanos', timeNanos);
  return {
    sampleTypes,
    periodType,
    period: boundedInt64(decoded.period, () => 'pprof period'),
    // Integer division first: nanoseconds since the epoch are beyond 2^53.
    timeMs: typeof timeNanos === 'bigint' ? Number(timeNanos / 1_000_000n) : Math.floor(timeNanos / 1e6),
    // Informational and not stored, and real files carry nonsense here (pyroscope's JFR→pprof
    // output holds a timestamp, 1.7e18): kept as read, only a negative one reads as unknown (0).
    durationNs: Math.max(0, Number(int64(decoded.durationNanos))),
    names,
    stacks,
    values,
    sampleLabels,
  };
}

