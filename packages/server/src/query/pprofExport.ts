/**
 * A merged call tree as a pprof (SelectMergeProfile, SelectMergeStacktraces PPROF, exports): one
 * location and function per distinct name, one sample per node with a self value, leaf first as
 * pprof wants. Written straight to protobuf bytes: building and serialising a reflection-based
 * message of a 100k-node tree blocked the event loop for ~230 ms. Field order and defaults follow
 * protobuf's canonical encoding, so the bytes equal what protobuf-es writes for the same message
 * (a differential test checks it).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ProtoWriter, ROOT_NODE, StringTable, nodeName, WIRE_LENGTH_DELIMITED, type CallTree } from '@cinder/core';
import { ProfileSchema, type Profile as PprofMessage } from '../gen/google/v1/profile_pb.js';

export interface PprofExportOptions {
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
  timeNanos: bigint;
  durationNanos?: bigint;
}

// google.v1.Profile field numbers (proto/google/v1/profile.proto).
const PROFILE = { sampleType: 1, sample: 2, location: 4, function: 5, stringTable: 6, timeNanos: 9, durationNanos: 10, periodType: 11, defaultSampleType: 14 } as const;
const SAMPLE = { locationId: 1, value: 2 } as const;
const LOCATION = { id: 1, line: 4 } as const;
const LINE = { functionId: 1 } as const;
const FUNCTION = { id: 1, name: 2 } as const;
const VALUE_TYPE = { type: 1, unit: 2 } as const;

export function pprofBytesFromTree(tree: CallTree, options: PprofExportOptions): Uint8Array {
  const stringTable = new StringTable(['']);
  const strings = stringTable.strings;
  const str = (text: string): number => stringTable.id(text);
  const sampleTypeId = str(options.sampleType);
  const sampleUnitId = str(options.sampleUnit);
  // Location (= function) id per name index of the tree, 0 = not yet assigned.
  const locationOfName = new Uint32Array(tree.names.length);
  const functionNames: number[] = [];
  const locationOf = (node: number): number => {
    const nameIndex = tree.nameIndex[node]!;
    let id = locationOfName[nameIndex]!;
    if (id === 0) {
      functionNames.push(str(nodeName(tree, node)));
      id = functionNames.length;
      locationOfName[nameIndex] = id;
    }
    return id;
  };

  const samples = new ProtoWriter(1 << 16);
  const field = new ProtoWriter(256);
  const packed = new ProtoWriter(256);
  for (let node = 1; node < tree.nodeCount; node++) {
    const value = tree.self[node]!;
    if (value === 0) continue;
    for (let up = node; up !== ROOT_NODE; up = tree.parent[up]!) packed.uvarint(locationOf(up));
    field.messageField(SAMPLE.locationId, packed);
    packed.uvarint(Math.round(value));
    field.messageField(SAMPLE.value, packed);
    samples.messageField(PROFILE.sample, field);
  }

  const out = new ProtoWriter(samples.byteLength + 64 * functionNames.length + 1024);
  field.varintField(VALUE_TYPE.type, sampleTypeId).varintField(VALUE_TYPE.unit, sampleUnitId);
  out.messageField(PROFILE.sampleType, field);
  out.raw(samples.finish());
  const line = new ProtoWriter(16);
  for (let id = 1; id <= functionNames.length; id++) {
    line.varintField(LINE.functionId, id);
    field.varintField(LOCATION.id, id).messageField(LOCATION.line, line);
    out.messageField(PROFILE.location, field);
  }
  for (let id = 1; id <= functionNames.length; id++) {
    field.varintField(FUNCTION.id, id).varintField(FUNCTION.name, functionNames[id - 1]!);
    out.messageField(PROFILE.function, field);
  }
  const periodTypeId = str(options.periodType);
  const periodUnitId = str(options.periodUnit);
  const encoder = new TextEncoder();
  for (const text of strings) out.tag(PROFILE.stringTable, WIRE_LENGTH_DELIMITED).bytes(encoder.encode(text));
  if (options.timeNanos !== 0n) out.tag(PROFILE.timeNanos, 0).uvarintBig(options.timeNanos);
  if ((options.durationNanos ?? 0n) !== 0n) out.tag(PROFILE.durationNanos, 0).uvarintBig(options.durationNanos!);
  field.varintField(VALUE_TYPE.type, periodTypeId).varintField(VALUE_TYPE.unit, periodUnitId);
  out.messageField(PROFILE.periodType, field);
  out.varintField(PROFILE.defaultSampleType, sampleTypeId);
  return out.finish();
}

/** The same profile as a message, for the paths that need one. */
export function pprofFromTree(tree: CallTree, options: PprofExportOptions): PprofMessage {
  return fromBinary(ProfileSchema, pprofBytesFromTree(tree, options));
}

/**
 * The same profile in protobuf's canonical JSON (what Connect's JSON codec writes: lowerCamelCase
 * names, 64-bit integers as strings, defaults omitted), written as text for the same reason as the
 * bytes: a reflection-based toJson of a 100k-node profile blocked the event loop ~400 ms.
 */
export function pprofJsonFromTree(tree: CallTree, options: PprofExportOptions): string {
  const stringTable = new StringTable(['']);
  const strings = stringTable.strings;
  const str = (text: string): number => stringTable.id(text);
  const sampleTypeId = str(options.sampleType);
  const sampleUnitId = str(options.sampleUnit);
  const locationOfName = new Uint32Array(tree.names.length);
  const functionNames: number[] = [];
  const parts: string[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    const value = tree.self[node]!;
    if (value === 0) continue;
    const ids: string[] = [];
    for (let up = node; up !== ROOT_NODE; up = tree.parent[up]!) {
      const nameIndex = tree.nameIndex[up]!;
      let id = locationOfName[nameIndex]!;
      if (id === 0) {
        functionNames.push(str(nodeName(tree, up)));
        id = functionNames.length;
        locationOfName[nameIndex] = id;
      }
      ids.push(`"${id}"`);
    }
    parts.push(`{"locationId":[${ids.join(',')}],"value":["${Math.round(value)}"]}`);
  }
  const valueType = (type: number, unit: number): string => {
    const fields = [...(type !== 0 ? [`"type":"${type}"`] : []), ...(unit !== 0 ? [`"unit":"${unit}"`] : [])];
    return `{${fields.join(',')}}`;
  };
  const locations: string[] = [];
  const functions: string[] = [];
  for (let id = 1; id <= functionNames.length; id++) {
    locations.push(`{"id":"${id}","line":[{"functionId":"${id}"}]}`);
    functions.push(functionNames[id - 1] !== 0 ? `{"id":"${id}","name":"${functionNames[id - 1]}"}` : `{"id":"${id}"}`);
  }
  const periodType = valueType(str(options.periodType), str(options.periodUnit));
  const fields = [`"sampleType":[${valueType(sampleTypeId, sampleUnitId)}]`];
  if (parts.length > 0) fields.push(`"sample":[${parts.join(',')}]`);
  if (locations.length > 0) fields.push(`"location":[${locations.join(',')}]`, `"function":[${functions.join(',')}]`);
  fields.push(`"stringTable":${JSON.stringify(strings)}`);
  if (options.timeNanos !== 0n) fields.push(`"timeNanos":"${BigInt.asIntN(64, options.timeNanos)}"`);
  if ((options.durationNanos ?? 0n) !== 0n) fields.push(`"durationNanos":"${BigInt.asIntN(64, options.durationNanos!)}"`);
  fields.push(`"periodType":${periodType}`);
  if (sampleTypeId !== 0) fields.push(`"defaultSampleType":"${sampleTypeId}"`);
  return `{${fields.join(',')}}`;
}
