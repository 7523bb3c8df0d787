import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { create, toBinary, fromBinary, toJson } from '@bufbuild/protobuf';
import { Profile as PprofFormatProfile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { ROOT_NODE, callTreeFromProfile, codeLinesOfProfile, collapsedFromTree, decodePprof, nodeName, type CallTree } from '@cinder/core';
import { ProfileSchema } from '../src/gen/google/v1/profile_pb.js';
import { pprofBytesFromTree, pprofJsonFromTree, type PprofExportOptions } from '../src/query/pprofExport.js';
import { testdataDir } from './helpers/startServer.js';

/**
 * Differential tests of the hand-written pprof encoder: for real profiles it writes exactly the bytes
 * protobuf-es writes for the same message (the reference below builds that message the plain way),
 * and two independent decoders (protobuf-es, pprof-format) read the same stacks back.
 */
function referenceMessageBytes(tree: CallTree, options: PprofExportOptions): Uint8Array {
  const strings: string[] = [''];
  const ids = new Map<string, bigint>([['', 0n]]);
  const str = (text: string): bigint => {
    let id = ids.get(text);
    if (id === undefined) {
      id = BigInt(strings.length);
      strings.push(text);
      ids.set(text, id);
    }
    return id;
  };
  const sampleType = { type: str(options.sampleType), unit: str(options.sampleUnit) };
  const functions: { id: bigint; name: bigint }[] = [];
  const locations: { id: bigint; line: { functionId: bigint }[] }[] = [];
  const locationOfName = new Map<number, bigint>();
  const samples: { locationId: bigint[]; value: bigint[] }[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    if (tree.self[node] === 0) continue;
    const stack: bigint[] = [];
    for (let up = node; up !== ROOT_NODE; up = tree.parent[up]!) {
      let id = locationOfName.get(tree.nameIndex[up]!);
      if (id === undefined) {
        id = BigInt(functions.length + 1);
        functions.push({ id, name: str(nodeName(tree, up)) });
        locations.push({ id, line: [{ functionId: id }] });
        locationOfName.set(tree.nameIndex[up]!, id);
      }
      stack.push(id);
    }
    samples.push({ locationId: stack, value: [BigInt(Math.round(tree.self[node]!))] });
  }
  const periodType = { type: str(options.periodType), unit: str(options.periodUnit) };
  return toBinary(
    ProfileSchema,
    create(ProfileSchema, { sampleType: [sampleType], sample: samples, location: locations, function: functions, stringTable: strings, timeNanos: options.timeNanos, durationNanos: options.durationNanos ?? 0n, periodType, defaultSampleType: sampleType.type }),
  );
}

const FIXTURES = ['go/cpu.pb.gz', 'go/heap.pb.gz', 'go/go.cpu.labels.pprof', 'java/profile_java', 'dotnet/dotnet.labels.pprof', 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz'];

describe('pprofBytesFromTree', () => {
  for (const file of FIXTURES) {
    it(`${file}: the same bytes as protobuf-es, the same stacks through pprof-format`, () => {
      const raw = readFileSync(path.join(testdataDir, file));
      const profile = decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw, { spyName: 'gospy', dotnetFix: file.startsWith('dotnet') });
      const tree = callTreeFromProfile(profile, profile.sampleTypes.length - 1);
      const options = { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds', timeNanos: 1_764_000_000_123_456_789n, durationNanos: 10_000_000_000n };
      const bytes = pprofBytesFromTree(tree, options);
      expect(Buffer.from(bytes).equals(Buffer.from(referenceMessageBytes(tree, options)))).toBe(true);
      // Independent readers agree with the tree.
      expect(fromBinary(ProfileSchema, bytes).timeNanos).toBe(options.timeNanos);
      const reread = decodePprof(PprofFormatProfile.decode(bytes).encode());
      expect(collapsedFromTree(callTreeFromProfile(reread, 0))).toBe(collapsedFromTree(tree));
      // The JSON text equals protobuf-es's canonical JSON of the same message.
      expect(JSON.parse(pprofJsonFromTree(tree, options))).toEqual(toJson(ProfileSchema, fromBinary(ProfileSchema, bytes)));
    });
  }

  it('an empty tree is a valid profile with no samples', () => {
    const tree = callTreeFromProfile(decodePprof(new Uint8Array(0)), 0);
    const bytes = pprofBytesFromTree(tree, { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: '', periodUnit: '', timeNanos: 0n });
    expect(fromBinary(ProfileSchema, bytes).sample).toEqual([]);
    expect(JSON.parse(pprofJsonFromTree(tree, { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: '', periodUnit: '', timeNanos: 0n }))).toEqual(toJson(ProfileSchema, fromBinary(ProfileSchema, bytes)));
  });
});

describe('pprofBytesFromTree with code metadata', () => {
  it('writes filename, start_line and call-site lines that read back the same, canonically encoded', () => {
    const raw = gunzipSync(readFileSync(path.join(testdataDir, 'go/single_group_with_optional_span_id.pb.gz')));
    const profile = decodePprof(raw, { code: true });
    const code = codeLinesOfProfile(profile);
    expect(code.functions.size).toBeGreaterThan(50);
    const tree = callTreeFromProfile(profile, 1);
    const options = { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds', timeNanos: 1_764_000_000_123_456_789n, code };
    const bytes = pprofBytesFromTree(tree, options);
    // Canonical protobuf (what protobuf-es writes back for the message it reads) and the same JSON.
    expect(Buffer.from(toBinary(ProfileSchema, fromBinary(ProfileSchema, bytes))).equals(Buffer.from(bytes))).toBe(true);
    expect(JSON.parse(pprofJsonFromTree(tree, options))).toEqual(toJson(ProfileSchema, fromBinary(ProfileSchema, bytes)));
    const reread = decodePprof(PprofFormatProfile.decode(bytes).encode(), { code: true });
    expect(collapsedFromTree(callTreeFromProfile(reread, 0))).toBe(collapsedFromTree(tree));
    const back = codeLinesOfProfile(reread);
    for (const name of tree.names) if (code.functions.has(name)) expect(back.functions.get(name)).toEqual(code.functions.get(name));
    let edges = 0;
    for (let node = 1; node < tree.nodeCount; node++) {
      const parent = tree.parent[node]!;
      if (parent === ROOT_NODE) continue;
      const line = code.callSites.get(nodeName(tree, parent))?.get(nodeName(tree, node));
      if (line === undefined) continue;
      expect(back.callSites.get(nodeName(tree, parent))?.get(nodeName(tree, node))).toBe(line);
      edges++;
    }
    expect(edges).toBeGreaterThan(50);
  });

  it('without metadata for a name, its frames are written as before (no file, line or start_line)', () => {
    const raw = gunzipSync(readFileSync(path.join(testdataDir, 'go/cpu.pb.gz')));
    const tree = callTreeFromProfile(decodePprof(raw), 0);
    const options = { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds', timeNanos: 0n };
    const empty = pprofBytesFromTree(tree, { ...options, code: { functions: new Map(), callSites: new Map() } });
    expect(Buffer.from(empty).equals(Buffer.from(pprofBytesFromTree(tree, options)))).toBe(true);
  });
});
