import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePprof, type Profile } from '@cinder/core';
import { cumulativeDelta } from '../src/ingest/delta.js';
import { testdataDir } from './helpers/startServer.js';

/**
 * The delta of two cumulative snapshots, against a reference that matches stacks by the plain
 * string of their frame names and labels (what the integer path numbering replaced).
 */
function reference(current: Profile, previous: Profile, isCumulative: (t: number) => boolean): Float64Array[] {
  const key = (profile: Profile, s: number): string =>
    Array.from(profile.stacks[s]!, (frame) => profile.names[frame]).join('\u0000') + '\u0001' + [...(profile.sampleLabels[s] ?? [])].map(([n, v]) => `${n}=${v}`).sort().join('\u0002');
  const remaining = new Map<string, number[]>();
  previous.stacks.forEach((_, s) => {
    const sums = remaining.get(key(previous, s)) ?? current.sampleTypes.map(() => 0);
    current.sampleTypes.forEach((st, t) => {
      const pt = previous.sampleTypes.findIndex((p) => p.type === st.type && p.unit === st.unit);
      if (pt >= 0) sums[t]! += previous.values[pt]![s]!;
    });
    remaining.set(key(previous, s), sums);
  });
  const columns = current.values.map((column) => Float64Array.from(column));
  current.stacks.forEach((_, s) => {
    const sums = remaining.get(key(current, s));
    if (!sums) return;
    columns.forEach((column, t) => {
      if (!isCumulative(t)) return;
      const subtract = Math.min(column[s]!, sums[t]!);
      column[s] = column[s]! - subtract;
      sums[t]! -= subtract;
    });
  });
  return columns;
}

function load(file: string): Profile {
  const raw = readFileSync(path.join(testdataDir, file));
  return decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw);
}

/** A later snapshot: the same stacks (reordered, some labelled, some new) with grown values. */
function later(profile: Profile, seed: number): Profile {
  let state = seed;
  const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const order = profile.stacks.map((_, s) => s).sort(() => random() - 0.5);
  const names = [...profile.names, 'brand_new_frame'];
  const stacks = order.map((s) => (random() < 0.05 ? Uint32Array.from([...profile.stacks[s]!, names.length - 1]) : profile.stacks[s]!));
  const sampleLabels = order.map((s) => (random() < 0.2 ? ([['thread', String(s % 3)]] as [string, string][]) : profile.sampleLabels[s] ?? null));
  const values = profile.values.map((column) => Float64Array.from(order, (s) => Math.round(column[s]! * (random() < 0.1 ? 0.5 : 1 + random()))));
  return { ...profile, names, stacks, sampleLabels, values };
}

describe('cumulativeDelta', () => {
  for (const file of ['go/heap.pb.gz', 'nodejs/nodejs-heap.pb.gz', 'go/cpu.pb.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz']) {
    it(`${file}: equals the string-keyed reference`, () => {
      const previous = load(file);
      for (const seed of [1, 2, 3]) {
        const current = later(previous, seed);
        const isCumulative = (t: number): boolean => t % 2 === 0;
        const got = cumulativeDelta(current, previous, isCumulative);
        expect(got.map((column) => [...column])).toEqual(reference(current, previous, isCumulative).map((column) => [...column]));
        // Not a no-op: cumulative columns shrank somewhere.
        expect(got[0]!.some((value, s) => value !== current.values[0]![s])).toBe(true);
      }
    });
  }
});
