/**
 * A merged call tree as a pprof (SelectMergeProfile, SelectMergeStacktraces PPROF, exports): one
 * function per distinct name, one sample per node with a self value, leaf first as pprof wants.
 *
 * Code metadata (options.code, from the store's code tables: storage/codeLines.ts) adds what the
 * names alone cannot say: a function's filename and start_line, and for a frame that calls the next
 * one the call-site line in its location (Line.line), so Go's PGO sees real call-site offsets. A
 * location is then one per (function, line): the call tree is by name, so one tree edge has one
 * call-site line even when the caller calls that callee from two places (the store's choice, see
 * codeLinesFromRows). Leaf frames and frames without metadata get no line, and without any
 * metadata the output is what it always was: one location per function. Written straight to protobuf bytes: building and serialising a reflection-based
 * message of a 100k-node tree blocked the event loop for ~230 ms. Field order and defaults follow
 * protobuf's canonical encoding, so the bytes equal what protobuf-es writes for the same message
 * (a differential test checks it).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ProtoWriter, ROOT_NODE, StringTable, nodeName, parseSelector, WIRE_LENGTH_DELIMITED, type CallTree, type CodeLines } from '@cinder/core';
import type { ProfileReader } from '../storage/store.js';
import { Pacer } from '../storage/pace.js';
import { drainPaced } from './flameGraphExport.js';
import { joined } from './seriesExport.js';
import { ProfileSchema, type Profile as PprofMessage } from '../gen/google/v1/profile_pb.js';

export interface PprofExportOptions {
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
  timeNanos: bigint;
  durationNanos?: bigint;
  /** File, start line and call-site lines of the frames that have them. */
  code?: CodeLines;
}

// google.v1.Profile field numbers (proto/google/v1/profile.proto).
const PROFILE = { sampleType: 1, sample: 2, location: 4, function: 5, stringTable: 6, timeNanos: 9, durationNanos: 10, periodType: 11, defaultSampleType: 14 } as const;
const SAMPLE = { locationId: 1, value: 2 } as const;
const LOCATION = { id: 1, line: 4 } as const;
const LINE = { functionId: 1, line: 2 } as const;
const FUNCTION = { id: 1, name: 2, filename: 4, startLine: 5 } as const;
const VALUE_TYPE = { type: 1, unit: 2 } as const;

/**
 * What both encodings write, in their order: one function per distinct name and one location per
 * (function, line) in first-use order, one sample per node with a self value, string ids in
 * first-use order (sample type, unit, function names and files, then the period type and unit).
 */
interface PprofLayout {
  strings: string[];
  sampleTypeId: number;
  sampleUnitId: number;
  periodTypeId: number;
  periodUnitId: number;
  /** String id of each function's name; function ids are index + 1. */
  functionNames: number[];
  /** String id of each function's file (0 = none) and its start line (0 = none). */
  functionFiles: number[];
  functionStartLines: number[];
  /** Function id and line (0 = none) of each location; location ids are index + 1. */
  locationFunctions: number[];
  locationLines: number[];
  /** Sample s has locations sampleLocations[sampleStart[s] .. sampleStart[s + 1]), leaf first. */
  sampleStart: Uint32Array;
  sampleLocations: Uint32Array;
  sampleValues: Float64Array;
}

/**
 * Work units (nodes visited, sample locations written, entries encoded) between two places where a
 * paced encoder may pause: ~0.1 ms of work, so the pacer's clock check is noise.
 */
const PACED_STEP = 4096;
/** A chunk of the encoders' output is handed on once it is about this big. */
const CHUNK_BYTES = 64 * 1024;

/** The layout, as a generator that yields `null` every PACED_STEP units of work (see drainSync / the paced exports). */
function* layoutPprof(tree: CallTree, options: PprofExportOptions): Generator<null, PprofLayout, undefined> {
  const stringTable = new StringTable(['']);
  const sampleTypeId = stringTable.id(options.sampleType);
  const sampleUnitId = stringTable.id(options.sampleUnit);
  const code = options.code;
  const functionOfName = new Uint32Array(tree.names.length);
  const functionNames: number[] = [];
  const functionFiles: number[] = [];
  const functionStartLines: number[] = [];
  const functionOf = (nameIndex: number, node: number): number => {
    let id = functionOfName[nameIndex]!;
    if (id === 0) {
      const name = nodeName(tree, node);
      functionNames.push(stringTable.id(name));
      const known = code?.functions.get(name);
      functionFiles.push(known && known.file !== '' ? stringTable.id(known.file) : 0);
      functionStartLines.push(known ? known.startLine : 0);
      id = functionNames.length;
      functionOfName[nameIndex] = id;
    }
    return id;
  };
  const locationFunctions: number[] = [];
  const locationLines: number[] = [];
  // Line 0 (no line) by name, other lines by "function:line".
  const locationOfName = new Uint32Array(tree.names.length);
  const locationOfLine = new Map<string, number>();
  const locationOf = (node: number, line: number): number => {
    const nameIndex = tree.nameIndex[node]!;
    if (line === 0) {
      let id = locationOfName[nameIndex]!;
      if (id === 0) {
        locationFunctions.push(functionOf(nameIndex, node));
        locationLines.push(0);
        id = locationOfName[nameIndex] = locationFunctions.length;
      }
      return id;
    }
    const functionId = functionOf(nameIndex, node);
    const key = `${functionId}:${line}`;
    let id = locationOfLine.get(key);
    if (id === undefined) {
      locationFunctions.push(functionId);
      locationLines.push(line);
      id = locationFunctions.length;
      locationOfLine.set(key, id);
    }
    return id;
  };
  // The location of node n's parent as the caller of n (0 = not computed yet), so each tree edge
  // is looked up once however many samples pass through it.
  const callerLocation = code && code.callSites.size > 0 ? new Uint32Array(tree.nodeCount) : null;
  const callerLocationOf = (node: number): number => {
    const parent = tree.parent[node]!;
    if (callerLocation === null) return locationOf(parent, 0);
    let id = callerLocation[node]!;
    if (id === 0) {
      const line = code!.callSites.get(nodeName(tree, parent))?.get(nodeName(tree, node)) ?? 0;
      id = callerLocation[node] = locationOf(parent, line);
    }
    return id;
  };
  let sampleCount = 0;
  let locationCount = 0;
  const depth = new Uint32Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) {
    depth[node] = depth[tree.parent[node]!]! + 1;
    if (tree.self[node] !== 0) {
      sampleCount++;
      locationCount += depth[node]!;
    }
    if (node % (PACED_STEP * 4) === 0) yield null;
  }
  const sampleStart = new Uint32Array(sampleCount + 1);
  const sampleLocations = new Uint32Array(locationCount);
  const sampleValues = new Float64Array(sampleCount);
  let sample = 0;
  let at = 0;
  let work = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    if (++work >= PACED_STEP) {
      work = 0;
      yield null;
    }
    const value = tree.self[node]!;
    if (value === 0) continue;
    sampleLocations[at++] = locationOf(node, 0);
    for (let up = node; tree.parent[up] !== ROOT_NODE; up = tree.parent[up]!) sampleLocations[at++] = callerLocationOf(up);
    work += depth[node]!;
    sampleValues[sample] = Math.round(value);
    sampleStart[++sample] = at;
  }
  const periodTypeId = stringTable.id(options.periodType);
  const periodUnitId = stringTable.id(options.periodUnit);
  return {
    strings: stringTable.strings,
    sampleTypeId,
    sampleUnitId,
    periodTypeId,
    periodUnitId,
    functionNames,
    functionFiles,
    functionStartLines,
    locationFunctions,
    locationLines,
    sampleStart,
    sampleLocations,
    sampleValues,
  };
}

/**
 * The profile's bytes in chunks of ~CHUNK_BYTES, with `null` where a paced caller may pause. The
 * chunks are top-level fields in canonical order, so their concatenation is the message.
 */
function* pprofByteChunks(tree: CallTree, options: PprofExportOptions): Generator<Uint8Array | null, void, undefined> {
  const layout = yield* layoutPprof(tree, options);
  const functionCount = layout.functionNames.length;
  let out = new ProtoWriter(CHUNK_BYTES * 2);
  const field = new ProtoWriter(256);
  const packed = new ProtoWriter(256);
  let work = 0;
  /** True every PACED_STEP units of work: then `yield next()` hands on the chunk if full, else offers a pause. */
  const due = (units: number): boolean => (work += units) >= PACED_STEP;
  const next = (): Uint8Array | null => {
    work = 0;
    if (out.byteLength < CHUNK_BYTES) return null;
    const chunk = out.finish();
    out = new ProtoWriter(CHUNK_BYTES * 2);
    return chunk;
  };
  field.varintField(VALUE_TYPE.type, layout.sampleTypeId).varintField(VALUE_TYPE.unit, layout.sampleUnitId);
  out.messageField(PROFILE.sampleType, field);
  for (let s = 0; s + 1 < layout.sampleStart.length; s++) {
    for (let i = layout.sampleStart[s]!; i < layout.sampleStart[s + 1]!; i++) packed.uvarint(layout.sampleLocations[i]!);
    field.messageField(SAMPLE.locationId, packed);
    packed.uvarint(layout.sampleValues[s]!);
    field.messageField(SAMPLE.value, packed);
    out.messageField(PROFILE.sample, field);
    if (due(1 + layout.sampleStart[s + 1]! - layout.sampleStart[s]!)) yield next();
  }
  const line = new ProtoWriter(16);
  for (let id = 1; id <= layout.locationFunctions.length; id++) {
    line.varintField(LINE.functionId, layout.locationFunctions[id - 1]!);
    if (layout.locationLines[id - 1] !== 0) line.varintField(LINE.line, layout.locationLines[id - 1]!);
    field.varintField(LOCATION.id, id).messageField(LOCATION.line, line);
    out.messageField(PROFILE.location, field);
    if (due(1)) yield next();
  }
  for (let id = 1; id <= functionCount; id++) {
    field.varintField(FUNCTION.id, id).varintField(FUNCTION.name, layout.functionNames[id - 1]!);
    if (layout.functionFiles[id - 1] !== 0) field.varintField(FUNCTION.filename, layout.functionFiles[id - 1]!);
    if (layout.functionStartLines[id - 1] !== 0) field.varintField(FUNCTION.startLine, layout.functionStartLines[id - 1]!);
    out.messageField(PROFILE.function, field);
    if (due(1)) yield next();
  }
  const encoder = new TextEncoder();
  for (const text of layout.strings) {
    out.tag(PROFILE.stringTable, WIRE_LENGTH_DELIMITED).bytes(encoder.encode(text));
    if (due(1 + (text.length >> 6))) yield next();
  }
  if (options.timeNanos !== 0n) out.tag(PROFILE.timeNanos, 0).uvarintBig(options.timeNanos);
  if ((options.durationNanos ?? 0n) !== 0n) out.tag(PROFILE.durationNanos, 0).uvarintBig(options.durationNanos!);
  field.varintField(VALUE_TYPE.type, layout.periodTypeId).varintField(VALUE_TYPE.unit, layout.periodUnitId);
  out.messageField(PROFILE.periodType, field);
  out.varintField(PROFILE.defaultSampleType, layout.sampleTypeId);
  yield out.finish();
}

/** Runs a chunk generator to its end in one go (the synchronous exports). */
function drainSync<T>(chunks: Iterable<T | null>): T[] {
  const parts: T[] = [];
  for (const chunk of chunks) if (chunk !== null) parts.push(chunk);
  return parts;
}

/** The profile's bytes in one go: for small trees and the paths that need a message (pprofFromTree). */
export function pprofBytesFromTree(tree: CallTree, options: PprofExportOptions): Uint8Array {
  return joined(pprofByteChunks(tree, options));
}

/**
 * The same bytes, made in ~15 ms slices with the event loop's turns in between (drainPaced): a
 * 100k-node tree's layout and encoding were a 75–105 ms block in one go.
 */
export function pprofBytesFromTreePaced(tree: CallTree, options: PprofExportOptions): Promise<Buffer> {
  return drainPaced(pprofByteChunks(tree, options));
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
  return drainSync(pprofJsonParts(tree, options)).join('');
}

/** The same JSON text, made in ~15 ms slices with the event loop's turns in between. */
export async function pprofJsonFromTreePaced(tree: CallTree, options: PprofExportOptions): Promise<string> {
  const pacer = new Pacer(15, 1);
  const parts: string[] = [];
  for (const part of pprofJsonParts(tree, options)) {
    if (part !== null) parts.push(part);
    const pause = pacer.tick();
    if (pause) await pause;
  }
  return parts.join('');
}

/** The JSON text in parts (one per sample, location, function), `null` where a paced caller may pause. */
function* pprofJsonParts(tree: CallTree, options: PprofExportOptions): Generator<string | null, void, undefined> {
  const layout = yield* layoutPprof(tree, options);
  const valueType = (type: number, unit: number): string => {
    const fields = [...(type !== 0 ? [`"type":"${type}"`] : []), ...(unit !== 0 ? [`"unit":"${unit}"`] : [])];
    return `{${fields.join(',')}}`;
  };
  let work = 0;
  const due = (units: number): boolean => {
    work += units;
    if (work < PACED_STEP) return false;
    work = 0;
    return true;
  };
  yield `{"sampleType":[${valueType(layout.sampleTypeId, layout.sampleUnitId)}]`;
  const sampleCount = layout.sampleStart.length - 1;
  for (let s = 0; s < sampleCount; s++) {
    const ids: string[] = [];
    for (let i = layout.sampleStart[s]!; i < layout.sampleStart[s + 1]!; i++) ids.push(`"${layout.sampleLocations[i]}"`);
    yield `${s === 0 ? ',"sample":[' : ','}{"locationId":[${ids.join(',')}],"value":["${layout.sampleValues[s]}"]}${s === sampleCount - 1 ? ']' : ''}`;
    if (due(1 + ids.length)) yield null;
  }
  const locationCount = layout.locationFunctions.length;
  if (locationCount > 0) {
    for (let i = 0; i < locationCount; i++) {
      const line = layout.locationLines[i]!;
      yield `${i === 0 ? ',"location":[' : ','}{"id":"${i + 1}","line":[{"functionId":"${layout.locationFunctions[i]}"${line !== 0 ? `,"line":"${line}"` : ''}}]}${i === locationCount - 1 ? ']' : ''}`;
      if (due(1)) yield null;
    }
    const functionCount = layout.functionNames.length;
    for (let i = 0; i < functionCount; i++) {
      const name = layout.functionNames[i]!;
      const fields = [`"id":"${i + 1}"`];
      if (name !== 0) fields.push(`"name":"${name}"`);
      if (layout.functionFiles[i] !== 0) fields.push(`"filename":"${layout.functionFiles[i]}"`);
      if (layout.functionStartLines[i] !== 0) fields.push(`"startLine":"${layout.functionStartLines[i]}"`);
      yield `${i === 0 ? ',"function":[' : ','}{${fields.join(',')}}${i === functionCount - 1 ? ']' : ''}`;
      if (due(1)) yield null;
    }
    // A location always has a function, so the list is never empty here; written as before if it were.
    if (functionCount === 0) yield ',"function":[]';
  }
  yield ',"stringTable":[';
  for (let i = 0; i < layout.strings.length; i++) {
    const text = layout.strings[i]!;
    yield `${i === 0 ? '' : ','}${JSON.stringify(text)}`;
    if (due(1 + (text.length >> 6))) yield null;
  }
  let tail = ']';
  if (options.timeNanos !== 0n) tail += `,"timeNanos":"${BigInt.asIntN(64, options.timeNanos)}"`;
  if ((options.durationNanos ?? 0n) !== 0n) tail += `,"durationNanos":"${BigInt.asIntN(64, options.durationNanos!)}"`;
  tail += `,"periodType":${valueType(layout.periodTypeId, layout.periodUnitId)}`;
  if (layout.sampleTypeId !== 0) tail += `,"defaultSampleType":"${layout.sampleTypeId}"`;
  yield `${tail}}`;
}

/**
 * The code metadata an export of a selection uses: the service's when the selector pins one
 * (service_name="…"), else every service of the tenant. Undefined when the store keeps none or
 * cannot read it now: the export is still exact, by name.
 */
export async function exportCodeLines(store: ProfileReader, tenant: string, selection: { labelSelector: string; fromMs: number; toMs: number }): Promise<CodeLines | undefined> {
  if (!store.codeLines) return undefined;
  let service: string | null = null;
  try {
    service = parseSelector(selection.labelSelector).find((matcher) => matcher.name === 'service_name' && matcher.op === '=')?.value ?? null;
  } catch {
    service = null;
  }
  return store.codeLines(tenant, service, selection.fromMs, selection.toMs).catch(() => undefined);
}
