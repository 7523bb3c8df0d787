/**
 * A small reader for JDK Flight Recorder files (what async-profiler, the Pyroscope Java agent and
 * `jcmd JFR.dump` write): it walks the chunks of a recording one after the other and hands every
 * event of the wanted types, decoded by the chunk's own metadata, to a callback. Nothing else of
 * the recording is kept once its chunk is done.
 *
 * Layout (all integers big-endian in the header, LEB128-style "compressed" varints elsewhere):
 *
 *   chunk  := header(68 bytes) event*            — a file is one or more chunks back to back
 *   header := "FLR\0" u16 major u16 minor i64 chunkSize i64 constantPoolOffset i64 metadataOffset
 *             i64 startNanos i64 durationNanos i64 startTicks i64 ticksPerSecond i32 features
 *   event  := varint size (of the whole event, itself included) varlong typeId field*
 *   typeId 0 = metadata: the classes (id, name, fields) every other event and constant is read with
 *   typeId 1 = constant pool: per class, key → value tables that events refer to by key
 *
 * A value is read by its class: primitives (boolean and byte 1 byte, char/short/int/long varints,
 * float 4 and double 8 bytes), strings (an encoding byte: 0 null, 1 empty, 2 pool reference,
 * 3 UTF-8, 4 char array, 5 Latin-1), constant-pool fields (a varlong key), arrays (a varint count)
 * and anything else inline, field after field. Example: an `jdk.ExecutionSample` of class id 101
 * with fields (startTime long, sampledThread Thread@cp, stackTrace StackTrace@cp, state
 * ThreadState@cp) is `09 65 <startTime> 03 2a 01` — size 9, type 101, thread 3, stack 42, state 1.
 *
 * Work is linear in the input: every loop either consumes bytes or counts against a work budget
 * proportional to the input size (classes whose values take no bytes could otherwise describe
 * unbounded work in a few bytes), nesting of inline classes is bounded, and every count is checked
 * against the bytes left before anything is allocated. Malformed or truncated input is refused with
 * INGEST_MALFORMED_JFR.
 */
import { CinderError, ErrorCodes } from '../errors.js';

export function malformedJfr(message: string): CinderError {
  return new CinderError(ErrorCodes.INGEST_MALFORMED_JFR, `body is not a readable JFR recording: ${message}`);
}

const CHUNK_HEADER_BYTES = 68;
const MAGIC = [0x46, 0x4c, 0x52, 0x00]; // "FLR\0"
const SUPPORTED_MAJOR_VERSION = 2;
const METADATA_EVENT = 0;
const CONSTANT_POOL_EVENT = 1;
/** Inline classes nest a few levels in real files (event → StackTrace → StackFrame); more is a cycle. */
const MAX_NESTING = 32;
/**
 * Value visits allowed per input byte: the fixtures use 0.13–0.89 (every value but an empty inline
 * class takes at least a byte), so 4 only ever stops crafted input, within a few seconds.
 */
const WORK_PER_BYTE = 4;
const WORK_BASE = 100_000;

/** Integers wider than 2^53 − 1 stay exact as bigints (constant-pool keys can use all 64 bits). */
export type JfrLong = number | bigint;

/** A string field that refers to the `java.lang.String` constant pool (encoding 2). */
export class JfrStringRef {
  constructor(readonly key: JfrLong) {}
}

export type JfrValue = boolean | number | bigint | string | null | JfrStringRef | JfrObject | JfrValue[];

/** An inline or constant-pool value of a non-primitive class: its fields' values in metadata order. */
export class JfrObject {
  constructor(
    readonly cls: JfrClass,
    readonly values: JfrValue[],
  ) {}

  /** The value of a field by name; undefined when this class has no such field. */
  get(field: string): JfrValue | undefined {
    const index = this.cls.fieldIndex.get(field);
    return index === undefined ? undefined : this.values[index];
  }
}

type Kind = 'boolean' | 'byte' | 'char' | 'short' | 'int' | 'long' | 'float' | 'double' | 'string' | 'struct';
const PRIMITIVE_KINDS: Readonly<Record<string, Kind>> = {
  boolean: 'boolean',
  byte: 'byte',
  char: 'char',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  'java.lang.String': 'string',
};

export interface JfrField {
  name: string;
  typeId: number;
  /** The value is a varlong key into the constant pool of `typeId`. */
  constantPool: boolean;
  array: boolean;
}

export interface JfrClass {
  id: number;
  name: string;
  kind: Kind;
  fields: JfrField[];
  fieldIndex: Map<string, number>;
  /** Index of the one field a value of this class is read as (JfrReadOptions.projections); -1 = all. */
  projectedField: number;
}

/** What a chunk offers its events' consumer: its constant pools and header facts. */
export interface JfrChunk {
  /** 0-based position of the chunk in the file. */
  index: number;
  /** Header facts as doubles (ns since 1970 are beyond 2^53: about 200 ns of rounding). */
  startNanos: number;
  durationNanos: number;
  ticksPerSecond: number;
  /** Constants of a wanted pool type by key (undefined when the chunk has none of that type). */
  pool(typeName: string): ReadonlyMap<JfrLong, JfrValue> | undefined;
  /** A string field's text, following pool references; null when absent. */
  text(value: JfrValue | undefined): string | null;
}

export interface JfrReadOptions {
  /** Constant-pool classes whose values are kept (others are read past). */
  poolTypes: readonly string[];
  /** Event classes handed to `onEvent` (others are skipped by their size, unread). */
  eventTypes: readonly string[];
  /**
   * Classes read as the value of one of their fields, e.g. `jdk.types.StackFrame` → `method`
   * makes a stack trace's `frames` an array of method keys: one value instead of an object per
   * frame (most of a recording's constants are frames).
   */
  projections?: Readonly<Record<string, string>>;
}

/** Reads bytes [pos, end) of one region; every read past `end` is a truncation. */
class Cursor {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  u8(): number {
    if (this.pos >= this.end) throw truncated(this.pos);
    return this.bytes[this.pos++]!;
  }

  /** A compressed integer: 7 bits per byte, low first, at most 9 bytes (the 9th carries 8 bits). */
  varlong(): JfrLong {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    // Beyond 49 bits: finish exactly in bigint, and hand back a number whenever it fits.
    let big = BigInt(value);
    const eighth = this.u8();
    big += BigInt(eighth & 0x7f) << 49n;
    if (eighth >= 0x80) big += BigInt(this.u8()) << 56n;
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  /** A varint that must be a count or length no larger than `max`. */
  count(what: string, max = this.end - this.pos): number {
    const at = this.pos;
    const value = this.varlong();
    if (typeof value !== 'number' || value > max) throw malformedJfr(`${what} at byte ${at} is ${String(value)}, more than the ${max} that can follow`);
    return value;
  }

  bytesOf(length: number): Uint8Array {
    if (length > this.end - this.pos) throw truncated(this.pos);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }
}

function truncated(at: number): CinderError {
  return malformedJfr(`it ends early (a value at byte ${at} runs past the end of its chunk or event); send the complete recording`);
}

const utf8 = new TextDecoder('utf-8');

/** A JFR-encoded string (see the encodings above). */
function readString(cursor: Cursor): string | JfrStringRef | null {
  const encoding = cursor.u8();
  switch (encoding) {
    case 0:
      return null;
    case 1:
      return '';
    case 2:
      return new JfrStringRef(cursor.varlong());
    case 3:
      return utf8.decode(cursor.bytesOf(cursor.count('string length')));
    case 4: {
      const length = cursor.count('string length');
      let text = '';
      for (let i = 0; i < length; i++) text += String.fromCharCode(toInt32(cursor.varlong()) & 0xffff);
      return text;
    }
    case 5: {
      const bytes = cursor.bytesOf(cursor.count('string length'));
      let text = '';
      for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
      return text;
    }
    default:
      throw malformedJfr(`unknown string encoding ${encoding} at byte ${cursor.pos - 1}`);
  }
}

/** Java int semantics for a varint (writers emit negative ints as their unsigned 32-bit form). */
function toInt32(value: JfrLong): number {
  return typeof value === 'number' ? value | 0 : Number(BigInt.asIntN(32, value));
}

/** i64 big-endian header field, as a double (exact below 2^53; times in ns since 1970 are not). */
function headerNumber(bytes: Uint8Array, at: number): number {
  const high = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) | 0;
  const low = ((bytes[at + 4]! << 24) | (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** An offset or size: must be exact (so within [0, 2^53)). */
function headerOffset(bytes: Uint8Array, at: number, what: string): number {
  const value = headerNumber(bytes, at);
  if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) throw malformedJfr(`chunk header field ${what} is ${value}, out of range`);
  return value;
}

interface Element {
  name: string;
  attributes: Map<string, string>;
  children: Element[];
}

/** Value visits so far and allowed, for the whole file. */
interface WorkMeter {
  spent: number;
  readonly max: number;
}

/** Decodes values by the classes of one chunk. */
class ValueReader {
  constructor(
    private readonly classes: ReadonlyMap<number, JfrClass>,
    private readonly meter: WorkMeter,
  ) {}

  classOf(typeId: number, what: () => string): JfrClass {
    const cls = this.classes.get(typeId);
    if (!cls) throw malformedJfr(`${what()} has type ${typeId}, which the chunk's metadata does not define`);
    return cls;
  }

  private spend(): void {
    if (++this.meter.spent > this.meter.max) {
      throw malformedJfr(`its metadata describes more values than the ${this.meter.max} its size allows (classes whose values take no bytes?)`);
    }
  }

  /** One value of `cls` (not a pool reference, not an array); `keep` false reads past it. */
  value(cursor: Cursor, cls: JfrClass, keep: boolean, depth: number): JfrValue {
    this.spend();
    switch (cls.kind) {
      case 'boolean':
        return cursor.u8() !== 0;
      case 'byte':
        return (cursor.u8() << 24) >> 24;
      case 'char':
      case 'short':
      case 'int':
        return toInt32(cursor.varlong());
      case 'long':
        return cursor.varlong();
      case 'float': {
        const bytes = cursor.bytesOf(4);
        return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0);
      }
      case 'double': {
        const bytes = cursor.bytesOf(8);
        return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
      }
      case 'string':
        return readString(cursor);
      case 'struct': {
        if (depth > MAX_NESTING) throw malformedJfr(`class ${cls.name} nests inline values more than ${MAX_NESTING} deep (a class that contains itself?)`);
        const fields = cls.fields;
        if (keep && cls.projectedField >= 0) {
          let projected: JfrValue = null;
          for (let f = 0; f < fields.length; f++) {
            const value = this.field(cursor, fields[f]!, f === cls.projectedField, depth + 1);
            if (f === cls.projectedField) projected = value;
          }
          return projected;
        }
        const values: JfrValue[] | null = keep ? new Array<JfrValue>(fields.length) : null;
        for (let f = 0; f < fields.length; f++) {
          const value = this.field(cursor, fields[f]!, keep, depth + 1);
          if (values) values[f] = value;
        }
        return values ? new JfrObject(cls, values) : null;
      }
    }
  }

  field(cursor: Cursor, field: JfrField, keep: boolean, depth: number): JfrValue {
    if (!field.array) return this.scalar(cursor, field, keep, depth);
    // No element takes less than a byte in a real file: a longer array is malformed.
    const length = cursor.count(`the length of array field ${field.name}`);
    const items: JfrValue[] | null = keep ? [] : null;
    for (let i = 0; i < length; i++) {
      const item = this.scalar(cursor, field, keep, depth);
      if (items) items.push(item);
    }
    return items;
  }

  private scalar(cursor: Cursor, field: JfrField, keep: boolean, depth: number): JfrValue {
    if (field.constantPool) {
      this.spend();
      return cursor.varlong();
    }
    return this.value(cursor, this.classOf(field.typeId, () => `field ${field.name}`), keep, depth);
  }
}

/** Every chunk of `bytes`, in order; `onEvent` gets each wanted event with its chunk. */
/** Reads every chunk; returns how many values were visited (the work, linear in the input). */
export function readJfr(bytes: Uint8Array, options: JfrReadOptions, onEvent: (typeName: string, event: JfrObject, chunk: JfrChunk) => void): { valuesRead: number } {
  if (bytes.length < CHUNK_HEADER_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw malformedJfr('it does not start with the JFR magic bytes "FLR\\0"; send the .jfr file (gzipped or not) as written by the profiler');
  }
  const meter: WorkMeter = { spent: 0, max: WORK_BASE + WORK_PER_BYTE * bytes.length };
  let offset = 0;
  for (let index = 0; offset < bytes.length; index++) offset = readChunk(bytes, offset, index, options, meter, onEvent);
  return { valuesRead: meter.spent };
}

function readChunk(
  bytes: Uint8Array,
  start: number,
  index: number,
  options: JfrReadOptions,
  meter: WorkMeter,
  onEvent: (typeName: string, event: JfrObject, chunk: JfrChunk) => void,
): number {
  if (bytes.length - start < CHUNK_HEADER_BYTES || MAGIC.some((byte, i) => bytes[start + i] !== byte)) {
    throw malformedJfr(`chunk ${index + 1} at byte ${start} does not start with "FLR\\0" (data after the last chunk, or a truncated file)`);
  }
  const major = (bytes[start + 4]! << 8) | bytes[start + 5]!;
  const minor = (bytes[start + 6]! << 8) | bytes[start + 7]!;
  if (major !== SUPPORTED_MAJOR_VERSION) {
    throw malformedJfr(`chunk format version ${major}.${minor} is not supported (JDK 11+ and async-profiler write version 2)`);
  }
  const size = headerOffset(bytes, start + 8, 'chunkSize');
  const constantPoolOffset = headerOffset(bytes, start + 16, 'constantPoolOffset');
  const metadataOffset = headerOffset(bytes, start + 24, 'metadataOffset');
  const startNanos = headerNumber(bytes, start + 32);
  const durationNanos = headerNumber(bytes, start + 40);
  const ticksPerSecond = headerNumber(bytes, start + 56);
  const features = bytes[start + 67]!;
  if (size < CHUNK_HEADER_BYTES || size > bytes.length - start) {
    throw malformedJfr(`chunk ${index + 1} declares ${size} bytes but ${bytes.length - start} remain (truncated, or a recording still being written)`);
  }
  if (metadataOffset < CHUNK_HEADER_BYTES || metadataOffset >= size) throw malformedJfr(`chunk ${index + 1} has its metadata at offset ${metadataOffset}, outside the chunk`);
  if (constantPoolOffset !== 0 && (constantPoolOffset < CHUNK_HEADER_BYTES || constantPoolOffset >= size)) {
    throw malformedJfr(`chunk ${index + 1} has its constant pool at offset ${constantPoolOffset}, outside the chunk`);
  }
  if ((features & 1) === 0) throw malformedJfr('it uses uncompressed integers, which no current JDK or async-profiler writes');
  const end = start + size;

  const classes = readMetadata(new Cursor(bytes, start + metadataOffset, end));
  for (const cls of classes.values()) {
    const projected = options.projections?.[cls.name];
    if (projected !== undefined) cls.projectedField = cls.fieldIndex.get(projected) ?? -1;
  }
  const reader = new ValueReader(classes, meter);
  const idsByName = new Map<string, number>();
  for (const cls of classes.values()) idsByName.set(cls.name, cls.id);
  const wantedPools = new Set<number>();
  for (const name of options.poolTypes) {
    const id = idsByName.get(name);
    if (id !== undefined) wantedPools.add(id);
  }
  const stringClass = idsByName.get('java.lang.String');
  if (stringClass !== undefined) wantedPools.add(stringClass);
  const wantedEvents = new Map<number, string>();
  for (const name of options.eventTypes) {
    const id = idsByName.get(name);
    if (id !== undefined) wantedEvents.set(id, name);
  }

  // Pass 1: every constant pool of the chunk (events may refer to constants written after them).
  const pools = new Map<number, Map<JfrLong, JfrValue>>();
  forEachEvent(bytes, start, end, (typeId, cursor) => {
    if (typeId === CONSTANT_POOL_EVENT) readConstantPool(cursor, reader, wantedPools, pools);
  });

  const chunk: JfrChunk = {
    index,
    startNanos,
    durationNanos,
    ticksPerSecond,
    pool: (typeName) => {
      const id = idsByName.get(typeName);
      return id === undefined ? undefined : pools.get(id);
    },
    text: (value) => {
      if (value instanceof JfrStringRef) {
        const resolved = stringClass === undefined ? undefined : pools.get(stringClass)?.get(value.key);
        return typeof resolved === 'string' ? resolved : null;
      }
      return typeof value === 'string' ? value : null;
    },
  };

  // Pass 2: the wanted events, in file order.
  if (wantedEvents.size > 0) {
    forEachEvent(bytes, start, end, (typeId, cursor) => {
      const typeName = wantedEvents.get(typeId);
      if (typeName === undefined) return;
      const cls = reader.classOf(typeId, () => 'an event');
      const event = reader.value(cursor, cls, true, 0) as JfrObject;
      onEvent(typeName, event, chunk);
    });
  }
  return end;
}

/** Calls `visit` with each event's type and a cursor bounded to the event, after its header. */
function forEachEvent(bytes: Uint8Array, chunkStart: number, chunkEnd: number, visit: (typeId: number, cursor: Cursor) => void): void {
  let offset = chunkStart + CHUNK_HEADER_BYTES;
  while (offset < chunkEnd) {
    const cursor = new Cursor(bytes, offset, chunkEnd);
    const size = cursor.count('an event size', chunkEnd - offset);
    cursor.end = offset + size;
    const typeId = cursor.varlong();
    // size counts its own bytes: anything that does not cover size and type makes no progress.
    if (cursor.pos > cursor.end || size === 0) throw malformedJfr(`the event at byte ${offset} has size ${size}, smaller than its own header`);
    if (typeof typeId === 'number') visit(typeId, cursor);
    offset += size;
  }
}

function readMetadata(cursor: Cursor): Map<number, JfrClass> {
  const eventStart = cursor.pos;
  const size = cursor.count('the metadata size');
  cursor.end = eventStart + size;
  if (cursor.varlong() !== METADATA_EVENT) throw malformedJfr(`the metadata offset (byte ${eventStart}) does not point at a metadata event`);
  cursor.varlong(); // start time
  cursor.varlong(); // duration
  cursor.varlong(); // metadata id
  const stringCount = cursor.count('the metadata string count');
  const strings: string[] = [];
  for (let i = 0; i < stringCount; i++) {
    const text = readString(cursor);
    if (text instanceof JfrStringRef) throw malformedJfr('a metadata string refers to a constant pool');
    strings.push(text ?? '');
  }
  const root = readElement(cursor, strings, 0);
  if (root.name !== 'root') throw malformedJfr(`the metadata tree starts with "${root.name}", not "root"`);

  const classes = new Map<number, JfrClass>();
  for (const section of root.children) {
    if (section.name !== 'metadata') continue;
    for (const element of section.children) {
      if (element.name !== 'class') continue;
      const id = Number(element.attributes.get('id'));
      const name = element.attributes.get('name');
      if (!Number.isSafeInteger(id) || id < 0 || name === undefined) throw malformedJfr('a metadata class has no valid "id" or "name"');
      const fields: JfrField[] = [];
      for (const child of element.children) {
        if (child.name !== 'field') continue;
        const fieldName = child.attributes.get('name');
        const typeId = Number(child.attributes.get('class'));
        if (fieldName === undefined || !Number.isSafeInteger(typeId)) throw malformedJfr(`a field of class ${name} has no valid "name" or "class"`);
        fields.push({ name: fieldName, typeId, constantPool: child.attributes.get('constantPool') === 'true', array: child.attributes.get('dimension') === '1' });
      }
      const fieldIndex = new Map<string, number>();
      fields.forEach((field, i) => fieldIndex.set(field.name, i));
      classes.set(id, { id, name, kind: PRIMITIVE_KINDS[name] ?? 'struct', fields, fieldIndex, projectedField: -1 });
    }
  }
  return classes;
}

function readElement(cursor: Cursor, strings: readonly string[], depth: number): Element {
  if (depth > MAX_NESTING) throw malformedJfr(`the metadata tree is nested more than ${MAX_NESTING} deep`);
  const stringAt = (): string => {
    const at = cursor.pos;
    const i = cursor.varlong();
    if (typeof i !== 'number' || i >= strings.length) throw malformedJfr(`metadata string index ${String(i)} at byte ${at} is out of range (${strings.length} strings)`);
    return strings[i]!;
  };
  const name = stringAt();
  const attributeCount = cursor.count('a metadata attribute count');
  const attributes = new Map<string, string>();
  for (let i = 0; i < attributeCount; i++) {
    const key = stringAt();
    attributes.set(key, stringAt());
  }
  const childCount = cursor.count('a metadata child count');
  const children: Element[] = [];
  for (let i = 0; i < childCount; i++) children.push(readElement(cursor, strings, depth + 1));
  return { name, attributes, children };
}

function readConstantPool(cursor: Cursor, reader: ValueReader, wanted: ReadonlySet<number>, pools: Map<number, Map<JfrLong, JfrValue>>): void {
  cursor.varlong(); // start time
  cursor.varlong(); // duration
  cursor.varlong(); // delta to the previous pool (every pool event is visited anyway)
  cursor.varlong(); // checkpoint kind / flush flag
  const typeCount = cursor.count('a constant pool type count');
  for (let t = 0; t < typeCount; t++) {
    const typeId = cursor.varlong();
    const cls = reader.classOf(typeof typeId === 'number' ? typeId : -1, () => 'a constant pool');
    const constantCount = cursor.count(`the constant count of pool ${cls.name}`);
    const keep = wanted.has(cls.id);
    let pool = pools.get(cls.id);
    if (keep && !pool) pools.set(cls.id, (pool = new Map()));
    for (let c = 0; c < constantCount; c++) {
      const key = cursor.varlong();
      const value = reader.value(cursor, cls, keep, 0);
      if (pool) pool.set(key, value);
    }
  }
}
