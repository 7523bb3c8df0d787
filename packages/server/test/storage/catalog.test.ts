import { describe, expect, it } from 'vitest';
import { ActiveSeries, SymbolCache } from '../../src/storage/duckdb/writer.js';

describe('symbol cache', () => {
  it('answers exact membership per day and stays within its byte budget (24 B an id)', () => {
    const cache = new SymbolCache(1000 * 24);
    cache.add(1, 42n);
    expect(cache.has(1, 42n)).toBe(true);
    expect(cache.has(2, 42n)).toBe(false);
    expect(cache.has(1, 43n)).toBe(false);
    // Ids past 2^53 stay distinct (a double key would merge them).
    const big = 2n ** 60n;
    cache.add(1, big);
    expect(cache.has(1, big + 1n)).toBe(false);
    for (let i = 0; i < 100_000; i++) {
      cache.add(3, BigInt(i) * 7919n);
      expect(cache.size).toBeLessThanOrEqual(1000);
      expect(cache.bytes).toBeLessThanOrEqual(1000 * 24);
    }
    // The most recent ids are still known; old ones may be forgotten (a miss only rewrites a row).
    expect(cache.has(3, 99_999n * 7919n)).toBe(true);
  });

  it('forgets the days retention dropped', () => {
    const cache = new SymbolCache(100 * 24);
    cache.add(10, 1n);
    cache.add(11, 2n);
    cache.dropBefore(11);
    expect(cache.has(10, 1n)).toBe(false);
    expect(cache.has(11, 2n)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('knows which days it holds anything of (the writer skips lookups of other days), through generations and drops', () => {
    const cache = new SymbolCache(100 * 24);
    expect(cache.holdsDay(5)).toBe(false);
    cache.add(5, 1n);
    expect(cache.holdsDay(5)).toBe(true);
    expect(cache.holdsDay(6)).toBe(false);
    // Enough ids of day 6 to push day 5 out of both generations.
    for (let i = 0; i < 10 * cache.maxEntries; i++) cache.add(6, BigInt(i + 2));
    expect(cache.holdsDay(6)).toBe(true);
    expect(cache.has(5, 1n)).toBe(false);
    expect(cache.holdsDay(5)).toBe(false);
    cache.dropBefore(7);
    expect(cache.holdsDay(6)).toBe(false);
  });
});

describe('active series', () => {
  it('counts a series only while it had data within the window', () => {
    const active = new ActiveSeries(60_000);
    active.touch('t', 1n, 1_000);
    active.touch('t', 2n, 30_000);
    active.touch('u', 3n, 30_000);
    expect(active.count('t', 40_000)).toBe(2);
    expect(active.isActive('t', 1n, 61_000)).toBe(false);
    expect(active.count('t', 61_000)).toBe(1);
    expect(active.count('t', 100_000)).toBe(0);
    expect(active.count('u', 89_999)).toBe(1);
  });
});
