/**
 * The paced server-side delta (cumulativeDeltaPaced, what Push runs) answers exactly what the
 * one-go cumulativeDelta answers, on real heap profiles and on one big enough to be paced.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePprof, type Profile } from '@cinder/core';
import { cumulativeDelta, cumulativeDeltaPaced } from '../src/ingest/delta.js';
import { testdataDir } from './helpers/startServer.js';
import { withLoopTurns } from './helpers/loopTurns.js';

function load(file: string): Profile {
  const raw = readFileSync(path.join(testdataDir, file));
  return decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw);
}

/** `profile` with every value grown by 1 + (s % 5) and every third stack labelled. */
function grown(profile: Profile): Profile {
  return {
    ...profile,
    values: profile.values.map((column) => Float64Array.from(column, (value, s) => value + 1 + (s % 5))),
    sampleLabels: profile.sampleLabels.map((labels, s) => (s % 3 === 0 ? ([['thread', String(s % 7)]] as [string, string][]) : labels)),
  };
}

/** A synthetic profile of `count` (< 1e6) distinct stacks, 12 frames deep. */
function wide(count: number): Profile {
  const base = load('go/heap.pb.gz');
  const names = Array.from({ length: 1000 }, (_, i) => `pkg.f${i}`);
  // The last two frames spell s, so every stack is distinct.
  const stacks = Array.from({ length: count }, (_, s) => Uint32Array.from({ length: 12 }, (_, d) => (d === 10 ? Math.floor(s / 1000) % 1000 : d === 11 ? s % 1000 : (s * 7 + d * 131) % 1000)));
  return { ...base, names, stacks, sampleLabels: stacks.map(() => null), values: base.sampleTypes.map((_, t) => Float64Array.from(stacks, (_, s) => 10 + ((s * (t + 3)) % 97))) };
}

describe('cumulativeDeltaPaced', () => {
  const isCumulative = (t: number): boolean => t % 2 === 0;
  for (const file of ['go/heap.pb.gz', 'nodejs/nodejs-heap.pb.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz']) {
    it(`${file}: equals cumulativeDelta`, async () => {
      const previous = load(file);
      const current = grown(previous);
      const paced = await cumulativeDeltaPaced(current, previous, isCumulative);
      expect(paced.map((column) => [...column])).toEqual(cumulativeDelta(current, previous, isCumulative).map((column) => [...column]));
      expect(await cumulativeDeltaPaced(current, null, isCumulative)).toEqual(cumulativeDelta(current, null, isCumulative));
    });
  }

  it('gives the event loop turns on a big profile and answers the same columns', async () => {
    const previous = wide(150_000);
    const current = grown(previous);
    const { result: paced, turns } = await withLoopTurns(() => cumulativeDeltaPaced(current, previous, isCumulative));
    expect(turns).toBeGreaterThan(2);
    const once = cumulativeDelta(current, previous, isCumulative);
    expect(paced.map((column) => [...column])).toEqual(once.map((column) => [...column]));
    // Labelled stacks have no match in the previous snapshot; the rest are the growth only.
    expect(paced[0]![1]).toBe(1 + (1 % 5));
    expect(paced[0]![3]).toBe(current.values[0]![3]);
  });
});
