/**
 * The querier.v1 FlameGraph of SelectMergeStacktraces / SelectMergeSpanProfile, written straight to
 * protobuf bytes or Connect JSON. Connect would build a message with a bigint per level value and
 * serialise it by reflection: for an 8k-node graph that is ~33k bigints and, on the JSON codec,
 * the fuzzer's longest event-loop blocks after pprof. The output equals protobuf-es's `toBinary`
 * and `toJson` of the same message (a differential test checks it): canonical field order,
 * proto3 defaults omitted, packed int64, int64 as JSON strings.
 */
import { ProtoWriter, WIRE_LENGTH_DELIMITED, WIRE_VARINT, collapsedChunks, type CallTree, type FlameGraphData } from '@cinder/core';
import { Pacer } from '../storage/pace.js';

// querier.v1 field numbers (proto/querier/v1/querier.proto).
const RESPONSE_FLAMEGRAPH = 1;
const FLAMEGRAPH = { names: 1, levels: 2, total: 3, maxSelf: 4 } as const;
const LEVEL_VALUES = 1;
/** int64's largest value as a double (2^63): merged sums past it are clamped, as the Connect path did. */
const INT64_LIMIT = 9.223372036854775807e18;

/** A level value or total as int64: whole, finite, clamped into int64 (graph values are never negative). */
function int64Of(value: number): number {
  if (!Number.isFinite(value)) throw new Error(`cannot encode ${value} as int64`);
  const rounded = Math.round(value);
  if (rounded < 0) return Math.max(rounded, -INT64_LIMIT);
  return Math.min(rounded, INT64_LIMIT);
}

function writeInt64(writer: ProtoWriter, value: number): void {
  const v = int64Of(value);
  if (v >= INT64_LIMIT) writer.uvarintBig(9_223_372_036_854_775_807n);
  else if (v < 0) writer.uvarintBig(BigInt(v));
  else writer.uvarint(v);
}

function int64Text(value: number): string {
  const v = int64Of(value);
  if (v >= INT64_LIMIT) return '9223372036854775807';
  return BigInt(v).toString();
}

const utf8 = new TextEncoder();

/** The FlameGraph message's bytes. */
export function flameGraphBytes(data: FlameGraphData): Uint8Array {
  const out = new ProtoWriter(64 * 1024);
  for (const name of data.names) out.bytesField(FLAMEGRAPH.names, utf8.encode(name));
  const packed = new ProtoWriter(4096);
  const level = new ProtoWriter(4096);
  for (const values of data.levels) {
    for (const value of values) writeInt64(packed, value);
    if (packed.byteLength > 0) level.messageField(LEVEL_VALUES, packed);
    out.messageField(FLAMEGRAPH.levels, level);
  }
  if (int64Of(data.total) !== 0) writeInt64(out.tag(FLAMEGRAPH.total, WIRE_VARINT), data.total);
  if (int64Of(data.maxSelf) !== 0) writeInt64(out.tag(FLAMEGRAPH.maxSelf, WIRE_VARINT), data.maxSelf);
  return out.finish();
}

/** SelectMergeStacktracesResponse / SelectMergeSpanProfileResponse { flamegraph } as bytes. */
export function flameGraphResponseBytes(data: FlameGraphData): Uint8Array {
  const graph = flameGraphBytes(data);
  return new ProtoWriter(graph.length + 16).tag(RESPONSE_FLAMEGRAPH, WIRE_LENGTH_DELIMITED).bytes(graph).finish();
}

/** The FlameGraph message as Connect's JSON codec writes it. */
export function flameGraphJson(data: FlameGraphData): string {
  const fields: string[] = [];
  if (data.names.length > 0) fields.push(`"names":${JSON.stringify(data.names)}`);
  if (data.levels.length > 0) {
    const levels = data.levels.map((values) => (values.length === 0 ? '{}' : `{"values":[${values.map((v) => `"${int64Text(v)}"`).join(',')}]}`));
    fields.push(`"levels":[${levels.join(',')}]`);
  }
  if (int64Of(data.total) !== 0) fields.push(`"total":"${int64Text(data.total)}"`);
  if (int64Of(data.maxSelf) !== 0) fields.push(`"maxSelf":"${int64Text(data.maxSelf)}"`);
  return `{${fields.join(',')}}`;
}

export function flameGraphResponseJson(data: FlameGraphData): string {
  return `{"flamegraph":${flameGraphJson(data)}}`;
}

/**
 * Runs a paced encoder (chunks, and `null` where it may pause) into one buffer, giving the event
 * loop a turn every ~15 ms. The answer is still sent whole, with its Content-Length, as before.
 */
export async function drainPaced(chunks: Iterable<Uint8Array | null>): Promise<Buffer> {
  const pacer = new Pacer(15, 1);
  const parts: Buffer[] = [];
  for (const chunk of chunks) {
    if (chunk) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const pause = pacer.tick();
    if (pause) await pause;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The folded text of a merged tree (`collapsedFromTree`'s bytes), made in slices. */
export function collapsedBody(tree: CallTree): Promise<Buffer> {
  return drainPaced(collapsedChunks(tree));
}
