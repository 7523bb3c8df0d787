/**
 * The ingest pprof reader: one pass over the (already gunzipped) profile.proto bytes into flat
 * arrays, then the profile model, with no object per sample, location or function.
 *
 * Layout of what the pass keeps (indices are positions in the input):
 *   strings     strStart[i], strEnd[i]           the byte range of string i (decoded on first use)
 *   samples     locStart[s] … locStart[s+1]      its location ids in `locIds` (leaf first, as sent)
 *               valStart[s] … valStart[s+1]      its values in `vals`
 *               lblStart[s] … lblStart[s+1]      its string labels (key, str indices) in `lblKey`, `lblStr`
 *   locations   locId[l], addrStart/End[l], lineStart[l] … lineStart[l+1] → `lineFn` (function ids)
 *   functions   fnId[f], fnName[f], fnFile[f]
 * e.g. a sample `{location_id: [3, 1], value: [5]}` appends 3, 1 to locIds and 5 to vals.
 *
 * It accepts exactly what the previous decoder (pprof-format plus our checks; kept as the test
 * reference in test/formats/pprofReference.ts) accepted and rejects the rest with the same codes,
 * quirks included, so swapping decoders changed no answer: field keys are read as one byte
 * (field = byte >> 3), a length that runs past the end of its message is clamped to it, a varint
 * cut by the end of its message is read as far as it goes, a message or string sent with wire type
 * 0 is read from the varint's bytes, the last occurrence of a scalar field wins and repeated
 * numbers append whether packed or not. A number of more than 10 bytes anywhere a number is read is
 * refused (MALFORMED_PPROF) before any work it could cause. Numbers are read as pprof-format's
 * decodeNumber reads them (up to 70 bits, then Number()); int64 fields are then taken as signed
 * 64-bit, and sample values, period and time must be whole numbers within [0, 2^53 − 1].
 *
 * Work: inline expansion is sized from per-location frame counts before anything is copied,
 * stacks keep their root-most `maxStackDepth` frames, and sample and frame counts are checked
 * (DecodeLimits) before the frames are copied into one array that every stack is a view of.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import type { LabelPairs, ValueType } from '../model.js';
import { StringTable as NameTable } from '../stringTable.js';
import { MAX_CODE_LINE, type PprofCode, type ProfileWithCode } from './codeLines.js';
import { MAX_SAMPLE_VALUE, resolveDecodeLimits, tooComplex, valueOutOfRange, WorkBudget, type DecodeLimits } from './limits.js';

export interface DecodePprofOptions {
  spyName?: string;
  /** pyroscope-dotnet quirks: `-` in sample type names, all function ids 0. */
  dotnetFix?: boolean;
  limits?: Partial<DecodeLimits>;
  /**
   * Also return where the code is (`ProfileWithCode.code`): each frame name's file and start line
   * and the call-site lines of its calls (what Go's PGO matches on). Costs one typed-array compare
   * per frame and a little work per distinct call edge.
   */
  code?: boolean;
}

/** Spy names for which Pyroscope rewrites function names to `<file> <function>`. */
export const SCRIPTING_SPIES: ReadonlySet<string> = new Set(['pyspy', 'rbspy', 'scripting']);

function malformed(message: string): CinderError {
  return new CinderError(ErrorCodes.INGEST_MALFORMED_PPROF, message);
}

function tooLong(at: number): never {
  throw malformed(`body is not a valid pprof profile: a number at byte ${at} is longer than 10 bytes`);
}

/** End of the varint at `at` within a message ending at `end` (after its last byte); ≤ 10 bytes. */
function varintEnd(b: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && b[i]! >= 0x80) if (++i - at >= 10) tooLong(at);
  return i < end ? i + 1 : i;
}

/** Every run of continuation bytes in a packed number field is one number: none may pass 10 bytes. */
function checkRuns(b: Uint8Array, start: number, end: number): void {
  let run = 0;
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      if (++run >= 10) tooLong(i - 9);
    } else run = 0;
  }
}

/** Run length of the varint prefix of [start, end): through its first byte < 0x80, or to end. */
function runLength(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && b[i++]! >= 0x80);
  return i - start;
}

/** The varint prefix of [start, end) exactly, as pprof-format's BigInt path reads it (≤ 70 bits). */
function prefixBig(b: Uint8Array, start: number, end: number): bigint {
  let value = 0n;
  let shift = 0n;
  for (let i = start; i < end; i++) {
    const byte = b[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) break;
    shift += 7n;
  }
  return value;
}

/** Number() of the varint prefix of [start, end): exact below 2^53, rounded as Number(bigint) above. */
function prefixNumber(b: Uint8Array, start: number, end: number): number {
  let value = 0;
  let scale = 1;
  const fastEnd = Math.min(end, start + 7);
  for (let i = start; i < fastEnd; i++) {
    const byte = b[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  return fastEnd === end ? value : Number(prefixBig(b, start, end));
}

/**
 * An int64 field: a number when pprof-format reads it as one (≤ 4 bytes) or when it is below 2^49
 * anyway, else the signed 64-bit bigint (a 10-byte −1 is −1n).
 */
function prefixInt64(b: Uint8Array, start: number, end: number): number | bigint {
  return runLength(b, start, end) <= 7 ? prefixNumber(b, start, end) : BigInt.asIntN(64, prefixBig(b, start, end));
}

/** An int64 that must be a whole number within [0, 2^53 − 1]. */
function boundedInt64(signed: number | bigint, what: () => string): number {
  if (signed < 0 || signed > MAX_SAMPLE_VALUE) throw valueOutOfRange(what(), signed);
  return Number(signed);
}

/** A growable typed array, reused across decodes (a decode runs to completion before the next). */
class Growable<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (capacity: number) => T,
  ) {}
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }
  grow(atLeast: number): void {
    const next = this.make(Math.max(atLeast, this.data.length * 2));
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }
  /** Back to empty; a buffer grown for a huge profile is let go rather than kept for the next one. */
  reset(): void {
    this.length = 0;
    if (this.data.length > 1 << 18) this.data = this.make(256);
  }
}
const f64 = (): Growable<Float64Array> => new Growable(new Float64Array(256), (n) => new Float64Array(n));
const i32 = (): Growable<Int32Array> => new Growable(new Int32Array(256), (n) => new Int32Array(n));

/** Wire type 0 or 2 as pprof-format reads it; anything else is refused. */
const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

/** The pass: a cursor over the input plus everything it keeps. */
class Pass {
  b: Uint8Array = new Uint8Array(0);
  pos = 0;
  /** Value of the field just read: [vs, ve), its wire type in `wire`. */
  vs = 0;
  ve = 0;
  wire = 0;

  readonly strStart = i32();
  readonly strEnd = i32();
  sawStrings = false;
  readonly typeName = f64();
  readonly typeUnit = f64();
  hasPeriodType = false;
  periodTypeName = 0;
  periodTypeUnit = 0;

  readonly locStart = i32();
  readonly locIds = f64();
  readonly valStart = i32();
  readonly vals = f64();
  /** Values that do not fit a double exactly (their slot in `vals` is NaN), for the error message. */
  readonly bigValues = new Map<number, bigint>();
  readonly lblStart = i32();
  readonly lblKey = f64();
  readonly lblStr = f64();

  readonly locId = f64();
  readonly addrStart = i32();
  readonly addrEnd = i32();
  readonly lineStart = i32();
  readonly lineFn = f64();
  /** Line.line of each entry of lineFn (0 = none). */
  readonly lineNo = f64();

  readonly fnId = f64();
  readonly fnName = f64();
  readonly fnFile = f64();
  readonly fnStartLine = f64();

  /** Scalars of the profile message as byte ranges of their last occurrence (−1: absent). */
  timeStart = -1;
  timeEnd = -1;
  durationStart = -1;
  durationEnd = -1;
  periodStart = -1;
  periodEnd = -1;

  reset(bytes: Uint8Array): void {
    this.b = bytes;
    this.pos = 0;
    this.sawStrings = false;
    this.hasPeriodType = false;
    this.periodTypeName = this.periodTypeUnit = 0;
    for (const list of [this.strStart, this.strEnd, this.typeName, this.typeUnit, this.locStart, this.locIds, this.valStart, this.vals]) list.reset();
    for (const list of [this.lblStart, this.lblKey, this.lblStr, this.locId, this.addrStart, this.addrEnd, this.lineStart, this.lineFn, this.lineNo, this.fnId, this.fnName, this.fnFile, this.fnStartLine]) list.reset();
    this.bigValues.clear();
    this.timeStart = this.timeEnd = this.durationStart = this.durationEnd = this.periodStart = this.periodEnd = -1;
  }

  /** Reads the key and bounds of the next field of a message ending at `end`; returns its number. */
  next(end: number): number {
    const b = this.b;
    const key = b[this.pos++]!;
    const wire = key & 7;
    if (wire === WIRE_VARINT) {
      this.vs = this.pos;
      this.ve = this.pos = varintEnd(b, this.pos, end);
    } else if (wire === WIRE_BYTES) {
      const lengthEnd = varintEnd(b, this.pos, end);
      const length = prefixNumber(b, this.pos, lengthEnd);
      this.vs = lengthEnd;
      this.ve = this.pos = length >= end - lengthEnd ? end : lengthEnd + length;
    } else {
      throw malformed(`body is not a valid pprof profile (Unrecognized value type: ${wire}); send the profile.proto bytes, optionally gzipped`);
    }
    this.wire = wire;
    return key >> 3;
  }

  /** The field just read as one number (a length-delimited one is read from its first bytes). */
  number(): number {
    if (this.wire === WIRE_BYTES) checkRuns(this.b, this.vs, this.ve);
    return prefixNumber(this.b, this.vs, this.ve);
  }

  /** A number field nobody reads: only its shape is checked. */
  skipNumber(): void {
    if (this.wire === WIRE_BYTES) checkRuns(this.b, this.vs, this.ve);
  }

  /**
   * Appends the field's numbers as pprof-format's decodeNumbers reads them: one per byte < 0x80,
   * a trailing unfinished one dropped. Values that are not exact doubles go to `big` (NaN slot).
   */
  numbers(out: Growable<Float64Array>, signed: boolean): void {
    const b = this.b;
    const end = this.ve;
    let i = this.vs;
    while (i < end) {
      const start = i;
      let byte = b[i++]!;
      if (byte < 0x80) {
        out.push(byte);
        continue;
      }
      let value = byte & 0x7f;
      let scale = 128;
      let done = false;
      while (i < end) {
        byte = b[i++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) {
          done = true;
          break;
        }
        if (i - start >= 10) tooLong(start);
        scale *= 128;
      }
      if (!done) return; // an unfinished number at the end is no number
      if (i - start <= 7) out.push(value);
      else if (!signed) out.push(Number(prefixBig(b, start, i)));
      else {
        const exact = BigInt.asIntN(64, prefixBig(b, start, i));
        if (exact >= 0n && exact <= BigInt(MAX_SAMPLE_VALUE)) out.push(Number(exact));
        else {
          this.bigValues.set(out.length, exact);
          out.push(Number.NaN);
        }
      }
    }
  }

  profile(): void {
    const end = this.b.length;
    while (this.pos < end) {
      const field = this.next(end);
      const vs = this.vs;
      const ve = this.ve;
      switch (field) {
        case 1:
          this.valueType(vs, ve);
          this.typeName.push(this.vtName);
          this.typeUnit.push(this.vtUnit);
          break;
        case 2:
          this.sample(vs, ve);
          break;
        case 3:
          this.mapping(vs, ve);
          break;
        case 4:
          this.location(vs, ve);
          break;
        case 5:
          this.function(vs, ve);
          break;
        case 6:
          this.sawStrings = true;
          this.strStart.push(vs);
          this.strEnd.push(ve);
          break;
        case 9:
          this.skipNumber();
          this.timeStart = vs;
          this.timeEnd = ve;
          break;
        case 10:
          this.skipNumber();
          this.durationStart = vs;
          this.durationEnd = ve;
          break;
        case 11:
          this.valueType(vs, ve);
          this.hasPeriodType = true;
          this.periodTypeName = this.vtName;
          this.periodTypeUnit = this.vtUnit;
          break;
        case 12:
          this.skipNumber();
          this.periodStart = vs;
          this.periodEnd = ve;
          break;
        case 7:
        case 8:
        case 13:
        case 14:
          this.skipNumber();
          break;
        // 15 (doc_url) and unknown fields: skipped unread.
      }
      this.pos = ve;
    }
  }

  vtName = 0;
  vtUnit = 0;
  valueType(start: number, end: number): void {
    this.pos = start;
    let name = 0;
    let unit = 0;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) name = this.number();
      else if (field === 2) unit = this.number();
    }
    this.vtName = name;
    this.vtUnit = unit;
  }

  sample(start: number, end: number): void {
    this.locStart.push(this.locIds.length);
    this.valStart.push(this.vals.length);
    this.lblStart.push(this.lblKey.length);
    this.pos = start;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) this.numbers(this.locIds, false);
      else if (field === 2) this.numbers(this.vals, true);
      else if (field === 3) {
        const after = this.pos;
        this.label(this.vs, this.ve);
        this.pos = after;
      }
    }
  }

  label(start: number, end: number): void {
    this.pos = start;
    let key = 0;
    let str = 0;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) key = this.number();
      else if (field === 2) str = this.number();
      else if (field === 3 || field === 4) this.skipNumber();
    }
    // Numeric labels (no string value) are not series or sample dimensions here.
    if (str !== 0) {
      this.lblKey.push(key);
      this.lblStr.push(str);
    }
  }

  mapping(start: number, end: number): void {
    this.pos = start;
    while (this.pos < end) {
      const field = this.next(end);
      if (field >= 1 && field <= 10) this.skipNumber();
    }
  }

  location(start: number, end: number): void {
    this.lineStart.push(this.lineFn.length);
    this.pos = start;
    let id = 0;
    let addrStart = 0;
    let addrEnd = 0;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) id = this.number();
      else if (field === 3) {
        this.skipNumber();
        addrStart = this.vs;
        addrEnd = this.ve;
      } else if (field === 4) {
        const after = this.pos;
        this.line(this.vs, this.ve);
        this.pos = after;
      } else if (field === 2 || field === 5) this.skipNumber();
    }
    this.locId.push(id);
    this.addrStart.push(addrStart);
    this.addrEnd.push(addrEnd);
  }

  line(start: number, end: number): void {
    this.pos = start;
    let fn = 0;
    let line = 0;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) fn = this.number();
      else if (field === 2) line = this.number();
      else if (field === 3) this.skipNumber();
    }
    this.lineFn.push(fn);
    this.lineNo.push(line);
  }

  function(start: number, end: number): void {
    this.pos = start;
    let id = 0;
    let name = 0;
    let file = 0;
    let startLine = 0;
    while (this.pos < end) {
      const field = this.next(end);
      if (field === 1) id = this.number();
      else if (field === 2) name = this.number();
      else if (field === 4) file = this.number();
      else if (field === 5) startLine = this.number();
      else if (field === 3) this.skipNumber();
    }
    this.fnId.push(id);
    this.fnName.push(name);
    this.fnFile.push(file);
    this.fnStartLine.push(startLine);
  }
}

const pass = new Pass();
const lenient = new TextDecoder();

/**
 * The lenient decode turned invalid bytes into U+FFFD; the raw string table is then checked
 * strictly (walking it as a protobuf reader would), so real U+FFFD characters are still accepted.
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

/** Unsymbolized frames are named by their address, e.g. `0x7f3a12`, as `pprof -traces` shows them. */
function addressName(b: Uint8Array, start: number, end: number): string {
  return runLength(b, start, end) <= 7 ? `0x${prefixNumber(b, start, end).toString(16)}` : `0x${prefixBig(b, start, end).toString(16)}`;
}

function isAscii(b: Uint8Array, start: number, end: number): boolean {
  const text = lenient.decode(b.subarray(start, end));
  return text.length === end - start && !text.includes('\uFFFD');
}

/** id → index of the last entry with that id: a dense table for the usual 1…n ids, a Map beyond. */
class IdIndex {
  private readonly dense: Int32Array;
  private readonly sparse = new Map<number, number>();
  constructor(ids: Float64Array, count: number) {
    this.dense = new Int32Array(4 * count + 16).fill(-1);
    for (let i = 0; i < count; i++) this.set(ids[i]!, i);
  }
  set(id: number, index: number): void {
    if (id < this.dense.length) this.dense[id] = index;
    else this.sparse.set(id, index);
  }
  /** −1 when absent. */
  get(id: number): number {
    const small = id | 0;
    if (small === id && small >= 0 && small < this.dense.length) return this.dense[small]!;
    return id < this.dense.length ? -1 : (this.sparse.get(id) ?? -1);
  }
}

export function readPprof(bytes: Uint8Array, options: DecodePprofOptions = {}): ProfileWithCode {
  const limits = resolveDecodeLimits(options.limits);
  const p = pass;
  p.reset(bytes);
  try {
    p.profile();
  } finally {
    // The pass keeps a reference to the input only while it runs.
    p.b = new Uint8Array(0);
  }
  const b = bytes;

  // Strings: with no string table at all the table is [""], as pprof-format makes it.
  const stringCount = p.sawStrings ? p.strStart.length : 1;
  const strStart = p.strStart.data;
  const strEnd = p.strEnd.data;
  const strings = new Array<string | undefined>(stringCount);
  if (!p.sawStrings) strings[0] = '';
  let replaced = false;
  // Usually the table is one run of ASCII strings at the end: one decode of that run shows it (same
  // length as its bytes and no U+FFFD means every byte was ASCII, so no string can hold U+FFFD).
  const tableStart = p.strStart.length > 0 ? strStart[0]! : 0;
  const tableEnd = p.strStart.length > 0 ? strEnd[p.strStart.length - 1]! : 0;
  const asciiRun = tableEnd > tableStart && isAscii(b, tableStart, tableEnd);
  for (let i = 0; i < p.strStart.length && !replaced && !asciiRun; i++) {
    const start = strStart[i]!;
    const end = strEnd[i]!;
    let high = 0;
    for (let j = start; j < end; j++) high |= b[j]!;
    if (high >= 0x80) {
      const text = lenient.decode(b.subarray(start, end));
      strings[i] = text;
      if (text.includes('\uFFFD')) replaced = true;
    }
  }
  if (replaced) {
    try {
      assertValidUtf8Strings(b);
    } catch (error) {
      if (error instanceof CinderError) throw error;
      throw malformed(`body is not a valid pprof profile (${(error as Error).message})`);
    }
  }
  const checkString = (index: number): void => {
    if (index < 0 || index >= stringCount) throw malformed(`pprof refers to string ${index} but its string table has ${stringCount} entries`);
  };
  const str = (index: number): string => {
    checkString(index);
    let text = strings[index];
    if (text === undefined) text = strings[index] = lenient.decode(b.subarray(strStart[index]!, strEnd[index]!));
    return text;
  };

  const sampleCount = p.locStart.length;
  const typeCount = p.typeName.length;
  if (typeCount === 0 && sampleCount > 0) throw malformed('pprof has samples but no sample types');
  const sampleTypes: ValueType[] = new Array<ValueType>(typeCount);
  for (let t = 0; t < typeCount; t++) {
    let type = str(p.typeName.data[t]!);
    if (type.includes('-')) {
      if (!options.dotnetFix) throw malformed(`sample type "${type}" contains "-"; sample type names may only use letters, digits and "_"`);
      type = type.replace(/-/g, '_');
    }
    sampleTypes[t] = { type, unit: str(p.typeUnit.data[t]!) };
  }
  const periodType: ValueType | null = p.hasPeriodType ? { type: str(p.periodTypeName), unit: str(p.periodTypeUnit) } : null;

  const fnCount = p.fnId.length;
  const locCount = p.locId.length;
  const fnIds = p.fnId.data;
  const locIds = p.locId.data;
  // Early pyroscope-dotnet builds wrote every function id as 0; pair function i with location i
  // (upstream's FixFunctionIDForBrokenDotnet, which also needs the two tables to be equally long).
  if (options.dotnetFix && fnCount > 0 && fnCount === locCount) {
    let allZero = true;
    for (let f = 0; f < fnCount && allZero; f++) if (fnIds[f] !== 0) allZero = false;
    if (allZero) fnIds.set(locIds.subarray(0, locCount));
  }

  const rewrite = options.spyName !== undefined && SCRIPTING_SPIES.has(options.spyName);
  for (let f = 0; f < fnCount; f++) {
    checkString(p.fnName.data[f]!);
    if (rewrite) checkString(p.fnFile.data[f]!);
  }
  const fnById = new IdIndex(fnIds, fnCount);
  const nameTable = new NameTable();
  /** Name id of each function once used; −2: its name is empty (the location's address names it). */
  const fnNameId = new Int32Array(fnCount).fill(-1);
  const functionNameId = (f: number): number => {
    let id = fnNameId[f]!;
    if (id !== -1) return id;
    const name = str(p.fnName.data[f]!);
    // Scripting spies (py-spy, rbspy) send bare method names; upstream prefixes the file so that
    // `work` in a.py and `work` in b.py stay apart: "main.py work". Newer pyroscope-rs builds
    // already send "file.py:-1 - work"; those names keep their single copy of the file.
    const filename = rewrite ? str(p.fnFile.data[f]!) : '';
    const prefixed = filename !== '' && name !== '' && !name.startsWith(filename);
    const full = prefixed ? `${filename} ${name}` : name;
    id = full === '' ? -2 : nameTable.id(full);
    fnNameId[f] = id;
    return id;
  };

  // Frames of each location, root-most first (pprof lists inlined lines innermost first).
  const lineStart = p.lineStart.data;
  const lineFn = p.lineFn.data;
  const lineTotal = p.lineFn.length;
  const locFrames = new Uint32Array(lineTotal + locCount);
  const locFrameStart = new Int32Array(locCount);
  const locFrameCount = new Int32Array(locCount);
  // With options.code: Line.line of each frame in locFrames (0 = none).
  const wantCode = options.code === true;
  const locFrameLine = wantCode ? new Int32Array(lineTotal + locCount) : null;
  const lineNo = p.lineNo.data;
  let framesAt = 0;
  for (let l = 0; l < locCount; l++) {
    const first = lineStart[l]!;
    const last = l + 1 < locCount ? lineStart[l + 1]! : lineTotal;
    locFrameStart[l] = framesAt;
    for (let line = last - 1; line >= first; line--) {
      const functionId = lineFn[line]!;
      const f = fnById.get(functionId);
      if (f < 0) throw malformed(`pprof location ${locIds[l]!} refers to function ${functionId}, which does not exist`);
      let id = functionNameId(f);
      if (id === -2) id = nameTable.id(addressName(b, p.addrStart.data[l]!, p.addrEnd.data[l]!));
      if (locFrameLine !== null) locFrameLine[framesAt] = codeLine(lineNo[line]!);
      locFrames[framesAt++] = id;
    }
    if (last === first) locFrames[framesAt++] = nameTable.id(addressName(b, p.addrStart.data[l]!, p.addrEnd.data[l]!));
    locFrameCount[l] = framesAt - locFrameStart[l]!;
  }
  const locById = new IdIndex(locIds, locCount);

  if (sampleCount > limits.maxSamples) throw tooComplex('maxSamples', String(sampleCount), limits.maxSamples);
  const budget = new WorkBudget(limits);
  const values: Float64Array[] = new Array<Float64Array>(typeCount);
  for (let t = 0; t < typeCount; t++) values[t] = new Float64Array(sampleCount);
  const sampleLabels: (LabelPairs | null)[] = new Array<LabelPairs | null>(sampleCount);
  const kept = new Int32Array(sampleCount);
  const locStart = p.locStart.data;
  const sampleLocs = p.locIds.data;
  const locTotal = p.locIds.length;
  const valStart = p.valStart.data;
  const vals = p.vals.data;
  const valTotal = p.vals.length;
  const lblStart = p.lblStart.data;
  const lblTotal = p.lblKey.length;
  const lblKey = p.lblKey.data;
  const lblStr = p.lblStr.data;
  /** Hash of a sample's label string indices → the first sample with them. */
  const labelSetSample = new Map<number, number>();
  let previousLabels: LabelPairs | null = null;
  let previousFirst = 0;
  let previousLast = 0;
  // Each sample's location ids resolved to location indexes, in place of the ids.
  const resolved = new Int32Array(locTotal);
  let frameTotal = 0;
  for (let s = 0; s < sampleCount; s++) {
    const valFirst = valStart[s]!;
    const valLast = s + 1 < sampleCount ? valStart[s + 1]! : valTotal;
    if (valLast - valFirst !== typeCount) {
      throw malformed(`pprof sample ${s} has ${valLast - valFirst} values but the profile has ${typeCount} sample types`);
    }
    for (let t = 0; t < typeCount; t++) {
      const value = vals[valFirst + t]!;
      if (value === value) values[t]![s] = value;
      else throw valueOutOfRange(`pprof sample ${s}, value ${t} (${sampleTypes[t]!.type})`, p.bigValues.get(valFirst + t)!);
    }
    const locFirst = locStart[s]!;
    const locLast = s + 1 < sampleCount ? locStart[s + 1]! : locTotal;
    let depth = 0;
    for (let i = locFirst; i < locLast; i++) {
      const l = locById.get(sampleLocs[i]!);
      if (l < 0) throw malformed(`pprof sample ${s} refers to location ${sampleLocs[i]!}, which does not exist`);
      resolved[i] = l;
      depth += locFrameCount[l]!;
    }
    const keep = budget.sample(depth);
    kept[s] = keep;
    frameTotal += keep;
    const lblFirst = lblStart[s]!;
    const lblLast = s + 1 < sampleCount ? lblStart[s + 1]! : lblTotal;
    if (lblLast === lblFirst) sampleLabels[s] = null;
    else {
      for (let i = lblFirst; i < lblLast; i++) {
        checkString(lblKey[i]!);
        checkString(lblStr[i]!);
      }
      // Samples with the same labels share one (read-only) pairs array: SDKs tag most samples
      // alike, and validation groups samples by these arrays.
      let same = previousLabels !== null && lblLast - lblFirst === previousLast - previousFirst;
      for (let i = 0; same && i < lblLast - lblFirst; i++) {
        if (lblKey[lblFirst + i] !== lblKey[previousFirst + i] || lblStr[lblFirst + i] !== lblStr[previousFirst + i]) same = false;
      }
      if (!same) {
        // Looked up by a hash of the string indices, confirmed index by index (a collision only
        // costs a separate array).
        let hash = lblLast - lblFirst;
        for (let i = lblFirst; i < lblLast; i++) hash = Math.imul(Math.imul(hash ^ (lblKey[i]! | 0), 0x9e3779b1) ^ (lblStr[i]! | 0), 0x85ebca6b);
        const earlier = labelSetSample.get(hash);
        let found = earlier !== undefined;
        if (found) {
          const otherFirst = lblStart[earlier!]!;
          const otherLast = earlier! + 1 < sampleCount ? lblStart[earlier! + 1]! : lblTotal;
          found = otherLast - otherFirst === lblLast - lblFirst;
          for (let i = 0; found && i < lblLast - lblFirst; i++) {
            if (lblKey[lblFirst + i] !== lblKey[otherFirst + i] || lblStr[lblFirst + i] !== lblStr[otherFirst + i]) found = false;
          }
        }
        if (found) previousLabels = sampleLabels[earlier!]!;
        else {
          const labels: [string, string][] = new Array<[string, string]>(lblLast - lblFirst);
          for (let i = lblFirst; i < lblLast; i++) labels[i - lblFirst] = [str(lblKey[i]!), str(lblStr[i]!)];
          previousLabels = labels;
          if (earlier === undefined) labelSetSample.set(hash, s);
        }
      }
      previousFirst = lblFirst;
      previousLast = lblLast;
      sampleLabels[s] = previousLabels;
    }
  }

  // pprof lists locations leaf first; the model wants root first. Only the root-most `kept`
  // frames of each sample are copied.
  const frames = new Uint32Array(frameTotal);
  const stacks: Uint32Array[] = new Array<Uint32Array>(sampleCount);
  let at = 0;
  for (let s = 0; s < sampleCount; s++) {
    const start = at;
    const stop = start + kept[s]!;
    const locFirst = locStart[s]!;
    for (let i = (s + 1 < sampleCount ? locStart[s + 1]! : locTotal) - 1; i >= locFirst && at < stop; i--) {
      const l = resolved[i]!;
      let from = locFrameStart[l]!;
      const to = Math.min(from + locFrameCount[l]!, from + (stop - at));
      while (from < to) frames[at++] = locFrames[from++]!;
    }
    stacks[s] = frames.subarray(start, stop);
  }

  const timeNanos = p.timeStart < 0 ? 0 : prefixInt64(b, p.timeStart, p.timeEnd);
  if (timeNanos < 0) throw valueOutOfRange('pprof time_nanos', timeNanos);
  const period = p.periodStart < 0 ? 0 : boundedInt64(prefixInt64(b, p.periodStart, p.periodEnd), () => 'pprof period');
  const durationNanos = p.durationStart < 0 ? 0 : prefixInt64(b, p.durationStart, p.durationEnd);
  const code =
    locFrameLine === null
      ? undefined
      : codeOf(p, fnCount, fnNameId, (index) => (index < stringCount ? str(index) : ''), nameTable.strings.length, locCount, locFrames, locFrameStart, locFrameCount, locFrameLine, {
          resolved,
          locStart,
          sampleCount,
          locTotal,
        });
  return {
    ...(code ? { code } : {}),
    sampleTypes,
    periodType,
    period,
    // Integer division first: nanoseconds since the epoch are beyond 2^53.
    timeMs: typeof timeNanos === 'bigint' ? Number(timeNanos / 1_000_000n) : Math.floor(timeNanos / 1e6),
    // Informational and not stored, and real files carry nonsense here (pyroscope's JFR→pprof
    // output holds a timestamp, 1.7e18): kept as read, only a negative one reads as unknown (0).
    durationNs: Math.max(0, Number(durationNanos)),
    names: nameTable.strings,
    stacks,
    values,
    sampleLabels,
  };
}

function codeLine(value: number): number {
  return value > 0 && value <= MAX_CODE_LINE ? value : 0;
}

/**
 * The profile's code (see codeLines.ts): file and start line of each used function name (the first
 * function of a name wins), and its distinct call edges with their call-site lines: within a
 * location (inlined frames: each caller is the next line entry) and between the locations each
 * sample listed next to each other.
 */
function codeOf(
  p: Pass,
  fnCount: number,
  fnNameId: Int32Array,
  str: (index: number) => string,
  nameCount: number,
  locCount: number,
  locFrames: Uint32Array,
  locFrameStart: Int32Array,
  locFrameCount: Int32Array,
  locFrameLine: Int32Array,
  samples: { resolved: Int32Array; locStart: Int32Array; sampleCount: number; locTotal: number },
): PprofCode {
  const files: string[] = [];
  const fileOfString = new Map<number, number>();
  const nameFile = new Int32Array(nameCount).fill(-1);
  const nameStartLine = new Int32Array(nameCount);
  const named = new Uint8Array(nameCount);
  for (let f = 0; f < fnCount; f++) {
    const id = fnNameId[f]!;
    if (id < 0 || named[id] === 1) continue;
    named[id] = 1;
    nameStartLine[id] = codeLine(p.fnStartLine.data[f]!);
    const fileString = p.fnFile.data[f]!;
    if (fileString === 0) continue;
    let file = fileOfString.get(fileString);
    if (file === undefined) {
      const text = str(fileString);
      file = text === '' ? -1 : files.push(text) - 1;
      fileOfString.set(fileString, file);
    }
    nameFile[id] = file;
  }
  const edges: number[] = [];
  // (caller, callee) → the call-site line(s) already listed.
  const listed = new Map<number, number | number[]>();
  const add = (caller: number, callee: number, line: number): void => {
    if (line === 0) return;
    const key = caller * nameCount + callee;
    const known = listed.get(key);
    if (known === undefined) listed.set(key, line);
    else if (typeof known === 'number') {
      if (known === line) return;
      listed.set(key, [known, line]);
    } else {
      if (known.includes(line)) return;
      known.push(line);
    }
    edges.push(caller, callee, line);
  };
  for (let l = 0; l < locCount; l++) {
    const start = locFrameStart[l]!;
    for (let k = start; k + 1 < start + locFrameCount[l]!; k++) add(locFrames[k]!, locFrames[k + 1]!, locFrameLine[k]!);
  }
  // Between locations: per location the callee (outermost frame of the location below it) seen
  // last, so a sample costs one compare per frame and only a new (location, callee) pair is added.
  const outer = new Int32Array(locCount);
  for (let l = 0; l < locCount; l++) outer[l] = locFrames[locFrameStart[l]!]!;
  const lastCallee = new Int32Array(locCount).fill(-1);
  const { resolved, locStart, sampleCount, locTotal } = samples;
  for (let s = 0; s < sampleCount; s++) {
    const last = s + 1 < sampleCount ? locStart[s + 1]! : locTotal;
    let callee = -1;
    for (let i = locStart[s]!; i < last; i++) {
      const l = resolved[i]!;
      if (callee >= 0 && lastCallee[l] !== callee) {
        lastCallee[l] = callee;
        const inner = locFrameStart[l]! + locFrameCount[l]! - 1;
        add(locFrames[inner]!, callee, locFrameLine[inner]!);
      }
      callee = outer[l]!;
    }
  }
  return { files, nameFile, nameStartLine, edges: Int32Array.from(edges) };
}
