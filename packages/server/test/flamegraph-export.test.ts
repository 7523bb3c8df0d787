import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { create, toBinary, toJson } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { callTreeFromProfile, decodePprof, flameGraphFromTree, type FlameGraphData } from '@cinder/core';
import { SelectMergeStacktracesResponseSchema } from '../src/gen/querier/v1/querier_pb.js';
import { flameGraphResponseBytes, flameGraphResponseJson } from '../src/query/flameGraphExport.js';
import { testdataDir } from './helpers/startServer.js';

/**
 * Differential tests of the hand-written FlameGraph encoder (SelectMergeStacktraces FLAMEGRAPH,
 * SelectMergeSpanProfile): the bytes equal protobuf-es's toBinary and the JSON equals its toJson
 * (what Connect's codecs wrote before the fast path) for real profiles and for the edges.
 */
function referenceMessage(data: FlameGraphData) {
  const int64 = (value: number): bigint => {
    const rounded = Math.round(value);
    if (rounded >= 9.223372036854775e18) return 9_223_372_036_854_775_807n;
    return BigInt(rounded);
  };
  return create(SelectMergeStacktracesResponseSchema, {
    flamegraph: { names: data.names, levels: data.levels.map((values) => ({ values: values.map(int64) })), total: int64(data.total), maxSelf: int64(data.maxSelf) },
  });
}

function graphOf(file: string, maxNodes: number): FlameGraphData {
  const raw = readFileSync(path.join(testdataDir, file));
  const profile = decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw);
  return flameGraphFromTree(callTreeFromProfile(profile, 0), maxNodes).flamegraph;
}

const cases: [string, FlameGraphData][] = [
  ['empty', { names: [], levels: [], total: 0, maxSelf: 0 }],
  ['total only', { names: ['total'], levels: [[0, 5, 0, 0]], total: 5, maxSelf: 0 }],
  ['an empty level', { names: ['total'], levels: [[0, 5, 5, 0], []], total: 5, maxSelf: 5 }],
  ['unicode, quotes, control characters', { names: ['total', 'ö"\\\n\u0001😀', ''], levels: [[0, 3, 0, 0], [0, 2, 2, 1, 0, 1, 1, 2]], total: 3, maxSelf: 2 }],
  ['values past 2^53 and past int64', { names: ['total', 'a'], levels: [[0, 2 ** 60, 0, 0], [0, 2 ** 70, 2 ** 53 + 2, 1]], total: 2 ** 64, maxSelf: 2 ** 63 }],
  ['go cpu (8,192 nodes)', graphOf('go/cpu.pb.gz', 8192)],
  ['java (64 nodes)', graphOf('java/profile_java', 64)],
  ['nodejs heap', graphOf('nodejs/nodejs-heap.pb.gz', 1 << 20)],
];

describe('FlameGraph encoder', () => {
  it.each(cases)('%s: bytes equal protobuf-es toBinary, JSON equals toJson', (_name, data) => {
    const reference = referenceMessage(data);
    expect(Buffer.from(flameGraphResponseBytes(data)).equals(Buffer.from(toBinary(SelectMergeStacktracesResponseSchema, reference)))).toBe(true);
    expect(JSON.parse(flameGraphResponseJson(data))).toEqual(toJson(SelectMergeStacktracesResponseSchema, reference));
  });

  it('refuses a value that is not a number rather than writing garbage', () => {
    expect(() => flameGraphResponseBytes({ names: ['total'], levels: [[0, Number.NaN, 0, 0]], total: 1, maxSelf: 0 })).toThrow(/int64/);
    expect(() => flameGraphResponseJson({ names: ['total'], levels: [[0, 1, 0, 0]], total: Number.POSITIVE_INFINITY, maxSelf: 0 })).toThrow(/int64/);
  });
});
