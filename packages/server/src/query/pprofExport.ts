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

/**
 * What both encodings write, in their order: one location (= function) per distinct name in
 * first-use order, one sample per node with a self value, string ids in first-use order (sample
 * type, unit, function names, then the period type and unit).
 */
interface PprofLayout {
  strings: string[];
  sampleTypeId: number;
  sampleUnitId: number;
  periodTypeId: number;
  periodUnitId: number;
  /** String id of each function's name; function and location ids are index + 1. */
  functionNames: number[];
  /** Sample s has locations sampleLocations[sampleStart[s] .. sampleStart[s + 1]), leaf first. */
  sampleStart: Uint32Array;
  sampleLocations: Uint32Array;
  sampleValues: Float64Array;
}

function layoutPprof(tree: CallTree, options: PprofExportOptions): PprofLayout {
  const stringTable = new StringTable(['']);
  const sampleTypeId = stringTable.id(options.sampleType);
  const sampleUnitId = stringTable.id(options.sampleUnit);
  const locationOfName = new Uint32Array(tree.names.length);
  const functionNames: number[] = [];
  let sampleCount = 0;
  let locationCount = 0;
  const depth = new Uint32Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) {
    depth[node] = depth[tree.parent[node]!]! + 1;
    if (tree.self[node] !== 0) {
      sampleCount++;
      locationCount += depth[node]!;
    }
  }
  const sampleStart = new Uint32Array(sampleCount + 1);
  const sampleLocations = new Uint32Array(locationCount);
  const sampleValues = new Float64Array(sampleCount);
  let sample = 0;
  let at = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const value = tree.self[node]!;
    if (value === 0) continue;
    for (let up = node; up !== ROOT_NODE; up = tree.parent[up]!) {
      const nameIndex = tree.nameIndex[up]!;
      let id = locationOfName[nameIndex]!;
      if (id === 0) {
        functionNames.push(stringTable.id(nodeName(tree, up)));
        id = functionNames.length;
        locationOfName[nameIndex] = id;
      }
      sampleLocations[at++] = id;
    }
    sampleValues[sample] = Math.round(value);
    sampleStart[++sample] = at;
  }
  const periodTypeId = stringTable.id(options.periodType);
  const periodUnitId = stringTable.id(options.periodUnit);
  return { strings: stringTable.strings, sampleTypeId, sampleUnitId, periodTypeId, periodUnitId, functionNames, sampleStart, sampleLocations, sampleValues };
}

export function pprofBytesFromTree(tree: CallTree, options: PprofExportOptions): Uint8Array {
  const layout = layoutPprof(tree, options);
  const functionCount = layout.functionNames.length;
  const out = new ProtoWriter(layout.sampleLocations.length * 3 + 64 * functionCount + 1024);
  const field = new ProtoWriter(256);
  const packed = new ProtoWriter(256);
  field.varintField(VALUE_TYPE.type, layout.sampleTypeId).varintField(VALUE_TYPE.unit, layout.sampleUnitId);
  out.messageField(PROFILE.sampleType, field);
  for (let s = 0; s + 1 < layout.sampleStart.length; s++) {
    for (let i = layout.sampleStart[s]!; i < layout.sampleStart[s + 1]!; i++) packed.uvarint(layout.sampleLocations[i]!);
    field.messageField(SAMPLE.locationId, packed);
    packed.uvarint(layout.sampleValues[s]!);
    field.messageField(SAMPLE.value, packed);
    out.messageField(PROFILE.sample, field);
  }
  const line = new ProtoWriter(16);
  for (let id = 1; id <= functionCount; id++) {
    line.varintField(LINE.functionId, id);
    field.varintField(LOCATION.id, id).messageField(LOCATION.line, line);
    out.messageField(PROFILE.location, field);
  }
  for (let id = 1; id <= functionCount; id++) {
    field.varintField(FUNCTION.id, id).varintField(FUNCTION.name, layout.functionNames[id - 1]!);
    out.messageField(PROFILE.function, field);
  }
  const encoder = new TextEncoder();
  for (const text of layout.strings) out.tag(PROFILE.stringTable, WIRE_LENGTH_DELIMITED).bytes(encoder.encode(text));
  if (options.timeNanos !== 0n) out.tag(PROFILE.timeNanos, 0).uvarintBig(options.timeNanos);
  if ((options.durationNanos ?? 0n) !== 0n) out.tag(PROFILE.durationNanos, 0).uvarintBig(options.durationNanos!);
  field.varintField(VALUE_TYPE.type, layout.periodTypeId).varintField(VALUE_TYPE.unit, layout.periodUnitId);
  out.messageField(PROFILE.periodType, field);
  out.varintField(PROFILE.defaultSampleType, layout.sampleTypeId);
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
  const layout = layoutPprof(tree, options);
  const valueType = (type: number, unit: number): string => {
    const fields = [...(type !== 0 ? [`"type":"${type}"`] : []), ...(unit !== 0 ? [`"unit":"${unit}"`] : [])];
    return `{${fields.join(',')}}`;
  };
  const samples: string[] = [];
  for (let s = 0; s + 1 < layout.sampleStart.length; s++) {
    const ids: string[] = [];
    for (let i = layout.sampleStart[s]!; i < layout.sampleStart[s + 1]!; i++) ids.push(`"${layout.sampleLocations[i]}"`);
    samples.push(`{"locationId":[${ids.join(',')}],"value":["${layout.sampleValues[s]}"]}`);
  }
  const locations: string[] = [];
  const functions: string[] = [];
  layout.functionNames.forEach((name, i) => {
    locations.push(`{"id":"${i + 1}","line":[{"functionId":"${i + 1}"}]}`);
    functions.push(name !== 0 ? `{"id":"${i + 1}","name":"${name}"}` : `{"id":"${i + 1}"}`);
  });
  const fields = [`"sampleType":[${valueType(layout.sampleTypeId, layout.sampleUnitId)}]`];
  if (samples.length > 0) fields.push(`"sample":[${samples.join(',')}]`);
  if (locations.length > 0) fields.push(`"location":[${locations.join(',')}]`, `"function":[${functions.join(',')}]`);
  fields.push(`"stringTable":${JSON.stringify(layout.strings)}`);
  if (options.timeNanos !== 0n) fields.push(`"timeNanos":"${BigInt.asIntN(64, options.timeNanos)}"`);
  if ((options.durationNanos ?? 0n) !== 0n) fields.push(`"durationNanos":"${BigInt.asIntN(64, options.durationNanos!)}"`);
  fields.push(`"periodType":${valueType(layout.periodTypeId, layout.periodUnitId)}`);
  if (layout.sampleTypeId !== 0) fields.push(`"defaultSampleType":"${layout.sampleTypeId}"`);
  return `{${fields.join(',')}}`;
}
