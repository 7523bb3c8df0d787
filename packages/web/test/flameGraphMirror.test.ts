import { describe, expect, it } from 'vitest';
import { decodeLevels, flameGraphFromStacks, frameName, packageOf, stacksFromCollapsed, type FlameFrames } from '@cinder/core';
import { packageLegend, topFramesUnder } from '../src/components/FlameGraphView.js';

/**
 * The flame graph's screen-reader mirror and package legend run on every new set of frames; their
 * faster forms (row search + bounded top-k; package per distinct name) must equal the plain ones.
 */
function naiveTop(frames: FlameFrames, root: number, limit: number): number[] {
  const start = frames.startValue[root]!;
  const end = start + frames.totalValues[root]!;
  const candidates: number[] = [];
  for (let i = 0; i < frames.count; i++) {
    if (frames.depth[i]! <= frames.depth[root]!) continue;
    if (frames.startValue[i]! >= start && frames.startValue[i]! < end) candidates.push(i);
  }
  candidates.sort((a, b) => frames.totalValues[b]! - frames.totalValues[a]! || frames.depth[a]! - frames.depth[b]!);
  return candidates.slice(0, limit);
}

function naiveLegend(frames: FlameFrames, limit: number): { pkg: string; share: number }[] {
  const byPackage = new Map<string, number>();
  let total = 0;
  for (let i = 1; i < frames.count; i++) {
    const self = frames.selfValues[i]!;
    if (self <= 0) continue;
    const pkg = packageOf(frameName(frames, i));
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + self);
    total += self;
  }
  if (total === 0) return [];
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([pkg, value]) => ({ pkg, share: value / total }));
}

/** Deterministic stacks with many equal values (ties decide the order) and repeated names across depths. */
function randomFrames(seed: number): FlameFrames {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 48271) % 2147483647;
    return state % n;
  };
  const names = ['main', 'net/http.(*conn).serve', 'github.com/acme/a.Run', 'github.com/acme/b.(*T).M', 'runtime.mallocgc', 'java/util/HashMap.get', 'std::vec::Vec::push', 'x'];
  const lines: string[] = [];
  for (let s = 0; s < 120; s++) {
    const depth = 1 + next(7);
    const stack = Array.from({ length: depth }, () => names[next(names.length)]!);
    lines.push(`${stack.join(';')} ${1 + next(3)}`);
  }
  return decodeLevels(flameGraphFromStacks(stacksFromCollapsed(lines.join('\n'))));
}

describe('flame graph mirror and legend', () => {
  it('keeps the widest frames under every root in the plain sort order', () => {
    for (const seed of [1, 7, 42, 1234]) {
      const frames = randomFrames(seed);
      expect(frames.count).toBeGreaterThan(50);
      for (let root = 0; root < frames.count; root++) {
        for (const limit of [1, 3, 40, 10_000]) expect(topFramesUnder(frames, root, limit), `seed ${seed} root ${root} limit ${limit}`).toEqual(naiveTop(frames, root, limit));
      }
    }
  });

  it('sums self per package as the per-frame legend did', () => {
    for (const seed of [3, 99]) {
      const frames = randomFrames(seed);
      expect(packageLegend(frames, 10)).toEqual(naiveLegend(frames, 10));
    }
  });
});
