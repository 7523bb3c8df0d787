/**
 * querier.v1 SelectHeatmapResponse written straight to protobuf bytes or Connect JSON, in paced
 * chunks (drained by flameGraphExport.ts drainPaced). Connect builds a message per slot, exemplar
 * and label pair and serialises it by reflection: over 20k profiles grouped by a label that was
 * ~0.7 s of main-thread CPU in one go (8.9 MB of protobuf), the longest heatmap block. The output
 * equals protobuf-es's `toBinary` and `toJson` of the message connectQuery.ts builds (a
 * differential test checks it): canonical field order, proto3 defaults omitted, packed repeated
 * scalars, int64 as JSON strings.
 */
import { ProtoWriter } from '@cinder/core';
import type { HeatmapResult } from './service.js';
import { doubleJson, joined, labelsJson, writeLabels } from './seriesExport.js';

// types.v1 / querier.v1 field numbers (proto/types/v1/types.proto, proto/querier/v1/querier.proto).
const RESPONSE_SERIES = 1;
const SERIES = { labels: 1, slots: 2 } as const;
const SLOT = { timestamp: 1, yMin: 2, counts: 3, exemplars: 4 } as const;
const EXEMPLAR = { timestamp: 1, profileId: 2, value: 4, labels: 5 } as const;
const WIRE_VARINT = 0;

/** Slots, exemplars and label pairs per chunk: each chunk is well under a millisecond of work. */
const WORK_PER_CHUNK = 2048;

const utf8 = new TextEncoder();
const doubleBytes = new Uint8Array(8);
const doubleView = new DataView(doubleBytes.buffer);

/**
 * A value for an int64 wire field (the Connect answers' totals and exemplar values). Stored values
 * are whole numbers below 2^53 (ingest refuses others), but a merge of many can exceed int64's
 * range in theory: clamp rather than fail encoding; a non-finite value is refused.
 */
export function int64Of(value: number): bigint {
  if (!Number.isFinite(value)) throw new Error(`cannot encode ${value} as int64`);
  const rounded = Math.round(value);
  if (rounded >= 9.223372036854775e18) return 9_223_372_036_854_775_807n;
  if (rounded <= -9.223372036854775e18) return -9_223_372_036_854_775_808n;
  return BigInt(rounded);
}

/** An int32 as protobuf writes it (a negative one sign-extended to 64 bits). */
function writeInt32(writer: ProtoWriter, value: number): void {
  const v = value | 0;
  if (v >= 0) writer.uvarint(v);
  else writer.uvarintBig(BigInt(v));
}

/** `{"a":…,"b":…}` of the fields that are present. */
const object = (fields: string[]): string => `{${fields.filter((field) => field !== '').join(',')}}`;

/**
 * SelectHeatmapResponse { series } in chunks (bytes, or Connect JSON), `null` where a drain may
 * pause. `withExemplars` false leaves every slot's exemplars out (ExemplarType NONE), as the
 * Connect handler did.
 */
export function* heatmapResponseChunks(series: readonly HeatmapResult[], withExemplars: boolean, json: boolean): Generator<Uint8Array | null, void, undefined> {
  if (json && series.length === 0) {
    yield utf8.encode('{}');
    return;
  }
  let out = new ProtoWriter(64 * 1024);
  const entry = new ProtoWriter(64 * 1024);
  const slotWriter = new ProtoWriter(1024);
  const packed = new ProtoWriter(256);
  const exemplarWriter = new ProtoWriter(256);
  const pair = new ProtoWriter(256);
  let text = json ? '{"series":[' : '';
  let work = 0;
  const flush = function* (): Generator<Uint8Array | null, void, undefined> {
    work = 0;
    if (json) {
      if (text !== '') yield utf8.encode(text);
      text = '';
    } else if (out.byteLength > 0) {
      yield out.finish();
      out = new ProtoWriter(64 * 1024);
    }
  };
  for (let i = 0; i < series.length; i++) {
    const { labels, slots } = series[i]!;
    if (json) text += `${i > 0 ? ',' : ''}{${labels.length > 0 ? `"labels":[${labelsJson(labels)}]` : ''}${slots.length > 0 ? `${labels.length > 0 ? ',' : ''}"slots":[` : ''}`;
    else writeLabels(entry, SERIES.labels, labels, pair);
    work += 1 + labels.length;
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      const exemplars = withExemplars ? slot.exemplars : [];
      // BigInt first: a timestamp that is not a whole number fails here as it did in Connect's path.
      const timestamp = BigInt(slot.timestampMs);
      if (json) {
        const exemplarTexts = exemplars.map((e) => {
          const exemplarTimestamp = BigInt(e.timestampMs);
          const value = int64Of(e.value);
          return object([
            exemplarTimestamp !== 0n ? `"timestamp":"${exemplarTimestamp}"` : '',
            e.profileId !== '' ? `"profileId":${JSON.stringify(e.profileId)}` : '',
            value !== 0n ? `"value":"${value}"` : '',
            e.labels.length > 0 ? `"labels":[${labelsJson(e.labels)}]` : '',
          ]);
        });
        text += `${s > 0 ? ',' : ''}${object([
          timestamp !== 0n ? `"timestamp":"${timestamp}"` : '',
          slot.yMin.length > 0 ? `"yMin":[${slot.yMin.map(doubleJson).join(',')}]` : '',
          slot.counts.length > 0 ? `"counts":[${slot.counts.map((count) => String(count | 0)).join(',')}]` : '',
          exemplarTexts.length > 0 ? `"exemplars":[${exemplarTexts.join(',')}]` : '',
        ])}`;
      } else {
        if (timestamp !== 0n) slotWriter.tag(SLOT.timestamp, WIRE_VARINT).uvarintBig(timestamp);
        if (slot.yMin.length > 0) {
          for (const value of slot.yMin) {
            doubleView.setFloat64(0, value, true);
            packed.raw(doubleBytes);
          }
          slotWriter.messageField(SLOT.yMin, packed);
        }
        if (slot.counts.length > 0) {
          for (const count of slot.counts) writeInt32(packed, count);
          slotWriter.messageField(SLOT.counts, packed);
        }
        for (const e of exemplars) {
          const exemplarTimestamp = BigInt(e.timestampMs);
          const value = int64Of(e.value);
          if (exemplarTimestamp !== 0n) exemplarWriter.tag(EXEMPLAR.timestamp, WIRE_VARINT).uvarintBig(exemplarTimestamp);
          if (e.profileId !== '') exemplarWriter.bytesField(EXEMPLAR.profileId, utf8.encode(e.profileId));
          if (value !== 0n) exemplarWriter.tag(EXEMPLAR.value, WIRE_VARINT).uvarintBig(value);
          writeLabels(exemplarWriter, EXEMPLAR.labels, e.labels, pair);
          slotWriter.messageField(SLOT.exemplars, exemplarWriter);
        }
        entry.messageField(SERIES.slots, slotWriter);
      }
      work += 1 + exemplars.length + slot.yMin.length / 8;
      // A series' bytes are one length-delimited field, so bytes are cut between series only (within
      // one, `null` offers the pause); JSON anywhere.
      if (work >= WORK_PER_CHUNK) {
        if (json) yield* flush();
        else {
          work = 0;
          yield null;
        }
      }
    }
    if (json) text += `${slots.length > 0 ? ']' : ''}}`;
    else out.messageField(RESPONSE_SERIES, entry);
    if (work >= WORK_PER_CHUNK) yield* flush();
  }
  if (json) text += ']}';
  yield* flush();
}

/** SelectHeatmapResponse as bytes, whole (tests). */
export function heatmapResponseBytes(series: readonly HeatmapResult[], withExemplars: boolean): Uint8Array {
  return joined(heatmapResponseChunks(series, withExemplars, false));
}

/** SelectHeatmapResponse as Connect's JSON codec writes it, whole (tests). */
export function heatmapResponseJson(series: readonly HeatmapResult[], withExemplars: boolean): string {
  return new TextDecoder().decode(joined(heatmapResponseChunks(series, withExemplars, true)));
}
