/**
 * The paced pprof exports (pprofBytesFromTreePaced, pprofJsonFromTreePaced) write exactly what the
 * one-go exports write, and the one-go exports still write what they wrote before they became
 * generators (digests of that output, below), while the event loop gets its turns during a big one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { callTreeFromProfile, codeLinesOfProfile, decodePprof, type CallTree } from '@cinder/core';
import { ProfileSchema } from '../src/gen/google/v1/profile_pb.js';
import { pprofBytesFromTree, pprofBytesFromTreePaced, pprofJsonFromTree, pprofJsonFromTreePaced, type PprofExportOptions } from '../src/query/pprofExport.js';
import { testdataDir } from './helpers/startServer.js';
import { withLoopTurns } from './helpers/loopTurns.js';

const OPTIONS: PprofExportOptions = { sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds', timeNanos: 1_764_000_000_123_456_789n, durationNanos: 10_000_000_000n };

/**
 * sha256 (first 16 hex digits) of the exports of these fixtures as the one-go encoders wrote them
 * before pacing (last tree of the fixture's sample types; "+code" with codeLinesOfProfile).
 */
const PREVIOUS_OUTPUT: Record<string, { bytes: string; json: string }> = {
  'go/cpu.pb.gz': { bytes: 'f913b917da6a0a5f', json: '39330e37d4d4f9ae' },
  'go/single_group_with_optional_span_id.pb.gz': { bytes: '0e33b8847ca67aa5', json: '8356677cbdfb8912' },
  'go/single_group_with_optional_span_id.pb.gz+code': { bytes: '4c0c1bac8d9a5dfa', json: 'c66d1bed159a9958' },
};

const FIXTURES = ['go/cpu.pb.gz', 'go/heap.pb.gz', 'go/go.cpu.labels.pprof', 'go/single_group_with_optional_span_id.pb.gz', 'java/profile_java', 'dotnet/dotnet.labels.pprof', 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz'];

const digest = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex').slice(0, 16);

function fixtureCases(): { name: string; tree: CallTree; options: PprofExportOptions }[] {
  return FIXTURES.flatMap((file) => {
    const raw = readFileSync(path.join(testdataDir, file));
    const profile = decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw, { code: true });
    const tree = callTreeFromProfile(profile, profile.sampleTypes.length - 1);
    return [
      { name: file, tree, options: OPTIONS },
      { name: `${file}+code`, tree, options: { ...OPTIONS, code: codeLinesOfProfile(profile) } },
    ];
  });
}

/** A wide tree of `nodeCount` nodes (4 children each, 5,000 names), every node with a self value. */
function bigTree(nodeCount: number): CallTree {
  const parent = new Int32Array(nodeCount);
  const nameIndex = new Int32Array(nodeCount);
  const self = new Float64Array(nodeCount);
  parent[0] = -1;
  nameIndex[0] = -1;
  for (let node = 1; node < nodeCount; node++) {
    parent[node] = Math.floor((node - 1) / 4);
    nameIndex[node] = node % 5000;
    self[node] = 1 + (node % 13);
  }
  const total = Float64Array.from(self);
  for (let node = nodeCount - 1; node > 0; node--) total[parent[node]!]! += total[node]!;
  return { names: Array.from({ length: 5000 }, (_, i) => `pkg.function${i}`), nodeCount, parent, nameIndex, self, total };
}

describe('paced pprof exports', () => {
  for (const { name, tree, options } of fixtureCases()) {
    it(`${name}: paced bytes and JSON equal the one-go output`, async () => {
      const bytes = pprofBytesFromTree(tree, options);
      const json = pprofJsonFromTree(tree, options);
      expect(Buffer.from(await pprofBytesFromTreePaced(tree, options)).equals(Buffer.from(bytes))).toBe(true);
      expect(await pprofJsonFromTreePaced(tree, options)).toBe(json);
      // Still canonical protobuf (protobuf-es writes back the same bytes) and valid JSON.
      expect(Buffer.from(toBinary(ProfileSchema, fromBinary(ProfileSchema, bytes))).equals(Buffer.from(bytes))).toBe(true);
      expect(() => JSON.parse(json)).not.toThrow();
      const previous = PREVIOUS_OUTPUT[name];
      if (previous) expect({ bytes: digest(bytes), json: digest(json) }).toEqual(previous);
    });
  }

  it('gives the event loop turns while it encodes a big tree, and still writes the same output', async () => {
    const tree = bigTree(300_000);
    const {
      result: [paced, pacedJson],
      turns,
    } = await withLoopTurns(async () => [await pprofBytesFromTreePaced(tree, OPTIONS), await pprofJsonFromTreePaced(tree, OPTIONS)] as const);
    // Each encoder is well over 15 ms of work for 300k nodes, so each yields more than once.
    expect(turns).toBeGreaterThan(4);
    expect(Buffer.from(paced).equals(Buffer.from(pprofBytesFromTree(tree, OPTIONS)))).toBe(true);
    expect(pacedJson).toBe(pprofJsonFromTree(tree, OPTIONS));
    expect(fromBinary(ProfileSchema, paced).sample.length).toBe(299_999);
  });
});
