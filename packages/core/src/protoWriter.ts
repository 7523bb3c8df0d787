/**
 * A protobuf wire-format writer for the encoders whose speed matters (pprof exports of big merged
 * trees, tree bytes): reflection-based encoders spent most of a 230 ms event-loop block on a
 * 100k-node pprof. Only what those encoders need: varints, tags, length-delimited bytes, and
 * nested messages written through a scratch writer.
 */
export const WIRE_VARINT = 0;
export const WIRE_LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialBytes = 1024) {
    this.buffer = new Uint8Array(initialBytes);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  /**
   * A non-negative whole number below 2^53 (what every stored value is). Anything else is a bug
   * upstream of the encoder: Infinity would loop forever and NaN would write garbage, so refuse.
   */
  uvarint(value: number): this {
    if (!Number.isFinite(value) || value < 0) throw new Error(`protobuf: cannot encode ${value} as an unsigned varint`);
    this.ensure(10);
    let v = Math.round(value);
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
    return this;
  }

  /** A uint64 beyond 2^53 (nanosecond timestamps); negative int64 as two's complement, as protobuf does. */
  uvarintBig(value: bigint): this {
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
    return this;
  }

  /** Bytes written as they are (fields encoded elsewhere, in order). */
  raw(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.uvarint(field * 8 + wireType);
  }

  /** A varint field, omitted when 0 (proto3 default). */
  varintField(field: number, value: number): this {
    return value === 0 ? this : this.tag(field, WIRE_VARINT).uvarint(value);
  }

  bytes(data: Uint8Array): this {
    this.uvarint(data.length);
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    return this.tag(field, WIRE_LENGTH_DELIMITED).bytes(data);
  }

  /** A nested message or packed field: the scratch writer's bytes, length-prefixed. Resets scratch. */
  messageField(field: number, scratch: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).uvarint(scratch.length);
    this.ensure(scratch.length);
    this.buffer.set(scratch.buffer.subarray(0, scratch.length), this.length);
    this.length += scratch.length;
    scratch.length = 0;
    return this;
  }

  get byteLength(): number {
    return this.length;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
