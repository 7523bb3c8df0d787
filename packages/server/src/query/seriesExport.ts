/**
 * querier.v1 Series and SelectSeries answers written straight to protobuf bytes or Connect JSON.
 * Connect builds a message per label pair and point and serialises it by reflection; with the
 * thousands of series a store collects (the fuzzer makes ~3,000), that was one of the longest
 * event-loop blocks left (encoding plus the garbage after it). The output equals protobuf-es's
 * `toBinary` and `toJson` of the same message (a differential test checks it): canonical field
 * order, proto3 defaults omitted (a double is unset only when it is +0), int64 as JSON strings.
 */
import { ProtoWriter, type LabelPairs } from '@cinder/core';
import type { SeriesResult } from './service.js';

// types.v1 / querier.v1 field numbers (proto/types/v1/types.proto, proto/querier/v1/querier.proto).
const SERIES_RESPONSE_LABELS_SET = 2;
const SELECT_SERIES_RESPONSE_SERIES = 1;
const LABELS_LABELS = 1;
const LABEL_PAIR = { name: 1, value: 2 } as const;
const SERIES = { labels: 1, points: 2 } as const;
const POINT = { value: 1, timestamp: 2 } as const;
const WIRE_FIXED64 = 1;

const utf8 = new TextEncoder();

function writeString(writer: ProtoWriter, field: number, text: string): void {
  if (text !== '') writer.bytesField(field, utf8.encode(text));
}

/** Label pairs as repeated LabelPair messages (shared with heatmapExport.ts). */
export function writeLabels(out: ProtoWriter, field: number, labels: LabelPairs, pair: ProtoWriter): void {
  for (const [name, value] of labels) {
    writeString(pair, LABEL_PAIR.name, name);
    writeString(pair, LABEL_PAIR.value, value);
    out.messageField(field, pair);
  }
}

/** Label pairs or points per chunk: each chunk is well under a millisecond of work. */
const WORK_PER_CHUNK = 4096;

/**
 * SeriesResponse { labels_set } in chunks (bytes, or Connect JSON), to be drained with pauses
 * (flameGraphExport.ts drainPaced): a store with many series made this a block of its own.
 */
export function* seriesResponseChunks(sets: readonly LabelPairs[], json: boolean): Generator<Uint8Array, void, undefined> {
  if (json && sets.length === 0) {
    yield utf8.encode('{}');
    return;
  }
  let out = new ProtoWriter(64 * 1024);
  const labels = new ProtoWriter(1024);
  const pair = new ProtoWriter(256);
  let text = json ? '{"labelsSet":[' : '';
  let work = 0;
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i]!;
    if (json) text += `${i > 0 ? ',' : ''}${set.length === 0 ? '{}' : `{"labels":[${labelsJson(set)}]}`}`;
    else {
      writeLabels(labels, LABELS_LABELS, set, pair);
      out.messageField(SERIES_RESPONSE_LABELS_SET, labels);
    }
    work += 1 + set.length;
    if (work >= WORK_PER_CHUNK) {
      work = 0;
      yield json ? utf8.encode(text) : out.finish();
      text = '';
      out = new ProtoWriter(64 * 1024);
    }
  }
  if (json) text += ']}';
  if (json ? text !== '' : out.byteLength > 0) yield json ? utf8.encode(text) : out.finish();
}

export function labelsJson(labels: LabelPairs): string {
  let text = '';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i]!;
    const nameField = name !== '' ? `"name":${JSON.stringify(name)}` : '';
    const valueField = value !== '' ? `"value":${JSON.stringify(value)}` : '';
    text += `${i > 0 ? ',' : ''}{${nameField}${nameField && valueField ? ',' : ''}${valueField}}`;
  }
  return text;
}

const doubleBytes = new Uint8Array(8);
const doubleView = new DataView(doubleBytes.buffer);

/** A double as protobuf's JSON writes it (NaN and infinities as strings). */
export function doubleJson(value: number): string {
  if (Number.isNaN(value)) return '"NaN"';
  if (value === Number.POSITIVE_INFINITY) return '"Infinity"';
  if (value === Number.NEGATIVE_INFINITY) return '"-Infinity"';
  return JSON.stringify(value);
}

/** SelectSeriesResponse { series } in chunks (bytes, or Connect JSON), like seriesResponseChunks. */
export function* selectSeriesResponseChunks(series: readonly SeriesResult[], json: boolean): Generator<Uint8Array, void, undefined> {
  if (json && series.length === 0) {
    yield utf8.encode('{}');
    return;
  }
  let out = new ProtoWriter(64 * 1024);
  const entry = new ProtoWriter(4096);
  const pair = new ProtoWriter(256);
  const point = new ProtoWriter(64);
  let text = json ? '{"series":[' : '';
  let work = 0;
  for (let i = 0; i < series.length; i++) {
    const { labels, points } = series[i]!;
    if (json) {
      let fields = labels.length > 0 ? `"labels":[${labelsJson(labels)}]` : '';
      if (points.length > 0) {
        let items = '';
        for (let j = 0; j < points.length; j++) {
          const { value, timestampMs } = points[j]!;
          // BigInt first: a timestamp that is not a whole number fails here as it did in Connect's path.
          const timestamp = BigInt(timestampMs);
          const valueField = Object.is(value, 0) ? '' : `"value":${doubleJson(value)}`;
          const timestampField = timestamp !== 0n ? `"timestamp":"${timestamp}"` : '';
          items += `${j > 0 ? ',' : ''}{${valueField}${valueField && timestampField ? ',' : ''}${timestampField}}`;
        }
        fields += `${fields ? ',' : ''}"points":[${items}]`;
      }
      text += `${i > 0 ? ',' : ''}{${fields}}`;
    } else {
      writeLabels(entry, SERIES.labels, labels, pair);
      for (const { value, timestampMs } of points) {
        const timestamp = BigInt(timestampMs);
        if (!Object.is(value, 0)) {
          doubleView.setFloat64(0, value, true);
          point.tag(POINT.value, WIRE_FIXED64).raw(doubleBytes);
        }
        if (timestamp !== 0n) point.tag(POINT.timestamp, 0).uvarintBig(timestamp);
        entry.messageField(SERIES.points, point);
      }
      out.messageField(SELECT_SERIES_RESPONSE_SERIES, entry);
    }
    work += 1 + labels.length + points.length;
    if (work >= WORK_PER_CHUNK) {
      work = 0;
      yield json ? utf8.encode(text) : out.finish();
      text = '';
      out = new ProtoWriter(64 * 1024);
    }
  }
  if (json) text += ']}';
  if (json ? text !== '' : out.byteLength > 0) yield json ? utf8.encode(text) : out.finish();
}

/** The chunks of a paced encoder in one buffer (`null`s are pause points). */
export function joined(chunks: Iterable<Uint8Array | null>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) if (chunk) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** SeriesResponse as bytes, whole. */
export function seriesResponseBytes(sets: readonly LabelPairs[]): Uint8Array {
  return joined(seriesResponseChunks(sets, false));
}

/** SeriesResponse as Connect's JSON codec writes it, whole. */
export function seriesResponseJson(sets: readonly LabelPairs[]): string {
  return new TextDecoder().decode(joined(seriesResponseChunks(sets, true)));
}

/** SelectSeriesResponse as bytes, whole. */
export function selectSeriesResponseBytes(series: readonly SeriesResult[]): Uint8Array {
  return joined(selectSeriesResponseChunks(series, false));
}

/** SelectSeriesResponse as Connect's JSON codec writes it, whole. */
export function selectSeriesResponseJson(series: readonly SeriesResult[]): string {
  return new TextDecoder().decode(joined(selectSeriesResponseChunks(series, true)));
}
