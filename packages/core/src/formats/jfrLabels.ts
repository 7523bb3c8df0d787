/**
 * The `labels` part of a Pyroscope Java upload: a protobuf `LabelsSnapshot` (grafana/jfr-parser's
 * jfr_labels.proto) that maps the `contextId` of JFR events to label pairs, by string ids:
 *
 *   message Context        { map<int64, int64> labels = 1; }          // key string id → value string id
 *   message LabelsSnapshot { map<int64, Context> contexts = 1;         // contextId → Context
 *                            map<int64, string> strings = 2; }         // string id → text
 *
 * Example: contexts {7: {labels {1: 2}}}, strings {1: "thread_name", 2: "pool-2-thread-1"} puts
 * `thread_name="pool-2-thread-1"` on every event whose contextId is 7.
 *
 * Read with a bounded protobuf walk (lengths checked against the bytes left, varints ≤ 10 bytes);
 * a malformed snapshot is refused with INGEST_MALFORMED_JFR.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import type { JfrLong } from './jfrReader.js';

export interface JfrLabelsSnapshot {
  /** contextId → [key string id, value string id] pairs, in the order sent. */
  contexts: Map<JfrLong, [JfrLong, JfrLong][]>;
  strings: Map<JfrLong, string>;
}

function malformed(message: string): CinderError {
  return new CinderError(ErrorCodes.INGEST_MALFORMED_JFR, `the "labels" part is not a LabelsSnapshot protobuf: ${message}`);
}

class ProtoCursor {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint; above 2^53 − 1 as an exact bigint (the same rule as JFR's varlongs). */
  varint(): JfrLong {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    let big = BigInt(value);
    for (let shift = 49n; ; shift += 7n) {
      if (shift > 63n) throw malformed(`a number at byte ${this.pos} is longer than 10 bytes`);
      const byte = this.byte();
      big += BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    big = BigInt.asUintN(64, big);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private byte(): number {
    if (this.pos >= this.end) throw malformed(`it ends inside a value at byte ${this.pos}`);
    return this.bytes[this.pos++]!;
  }

  /** The next field: its number, wire type, and (for length-delimited) the cursor over its bytes. */
  field(): { field: number; wire: number; value: JfrLong; sub: ProtoCursor | null } {
    const key = this.varint();
    if (typeof key !== 'number') throw malformed(`field key at byte ${this.pos} is out of range`);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    switch (wire) {
      case 0:
        return { field, wire, value: this.varint(), sub: null };
      case 1:
        return { field, wire, value: 0, sub: this.skip(8) };
      case 5:
        return { field, wire, value: 0, sub: this.skip(4) };
      case 2: {
        const length = this.varint();
        if (typeof length !== 'number' || length > this.end - this.pos) throw malformed(`a length at byte ${this.pos} runs past the end`);
        return { field, wire, value: length, sub: this.skip(length) };
      }
      default:
        throw malformed(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }

  private skip(length: number): ProtoCursor {
    if (length > this.end - this.pos) throw malformed(`it ends inside a value at byte ${this.pos}`);
    const sub = new ProtoCursor(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }

  text(): string {
    return utf8.decode(this.bytes.subarray(this.pos, this.end));
  }
}

const utf8 = new TextDecoder('utf-8');

/** A map entry `{key = 1; value = 2}`: the key as a number and the value's field. */
function mapEntry(cursor: ProtoCursor): { key: JfrLong; value: ReturnType<ProtoCursor['field']> | null } {
  let key: JfrLong = 0;
  let value: ReturnType<ProtoCursor['field']> | null = null;
  while (!cursor.done) {
    const entry = cursor.field();
    if (entry.field === 1 && entry.wire === 0) key = entry.value;
    else if (entry.field === 2) value = entry;
  }
  return { key, value };
}

export function decodeJfrLabels(bytes: Uint8Array): JfrLabelsSnapshot {
  const snapshot: JfrLabelsSnapshot = { contexts: new Map(), strings: new Map() };
  const top = new ProtoCursor(bytes, 0, bytes.length);
  while (!top.done) {
    const { field, wire, sub } = top.field();
    if (wire !== 2 || !sub) continue;
    if (field === 1) {
      const { key, value } = mapEntry(sub);
      const pairs: [JfrLong, JfrLong][] = [];
      if (value?.sub && value.wire === 2) {
        const context = value.sub;
        while (!context.done) {
          const label = context.field();
          if (label.field !== 1 || !label.sub || label.wire !== 2) continue;
          // proto3 leaves a 0 value out of the entry.
          const pair = mapEntry(label.sub);
          pairs.push([pair.key, pair.value && pair.value.wire === 0 ? pair.value.value : 0]);
        }
      }
      snapshot.contexts.set(key, pairs);
    } else if (field === 2) {
      const { key, value } = mapEntry(sub);
      snapshot.strings.set(key, value?.sub && value.wire === 2 ? value.sub.text() : '');
    }
  }
  return snapshot;
}
