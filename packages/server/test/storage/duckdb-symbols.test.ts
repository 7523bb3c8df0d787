/**
 * DuckDB specifics of content-addressed symbols: the in-memory symbol cache stays within its
 * budget however many distinct nodes arrive, merges stay exact while it forgets (a miss only
 * writes a duplicate row), and retention empties both the symbol tables and the cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callTreeFromStackTable, collapsedFromTree, parseSelector, type StackNodeTable } from '@cinder/core';
import { openDuckDbStore, type DuckDbStore } from '../../src/storage/duckdb/store.js';
import { makeProfile } from './conformance.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const dirs: string[] = [];
const stores: DuckDbStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(extra: { symbolCacheBytes?: number; now?: () => number; mergeCacheBytes?: number } = {}): Promise<{ store: DuckDbStore; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cinder-symbols-'));
  dirs.push(dataDir);
  const store = await openDuckDbStore({ dataDir, retentionMs: DAY_MS, rollupRetentionMs: 2 * DAY_MS, now: () => NOW_MS, ...extra });
  stores.push(store);
  return { store, dataDir };
}

const mergedText = async (store: DuckDbStore, fromMs: number, toMs: number): Promise<string> =>
  collapsedFromTree(callTreeFromStackTable(await store.mergeStacks({ tenant: '', profileTypeId: CPU, selector: parseSelector('{}'), fromMs, toMs })));

describe('duckdb symbol cache', () => {
  it('stays within its budget and keeps merges exact while it forgets', async () => {
    // 64 KiB: a few thousand ids, far fewer than the nodes written below.
    const { store } = await open({ symbolCacheBytes: 64 * 1024 });
    const expected = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const profiles = [];
      for (let p = 0; p < 40; p++) {
        const stacks: Record<string, number> = {};
        // Stacks shared across rounds (re-sent after the cache forgot them) and new ones.
        for (let k = 0; k < 150; k++) {
          const stack = `main;svc_${p % 5};fn_${k % 30};leaf_${(p * 150 + k + round * 1000) % 9000}`;
          stacks[stack] = (stacks[stack] ?? 0) + 1;
          expected.set(stack, (expected.get(stack) ?? 0) + 1);
        }
        profiles.push(makeProfile({ timeMs: NOW_MS - 30 * MINUTE_MS + round * MINUTE_MS + p, stacks }));
      }
      await store.append(profiles);
      const counts = await store.symbolCounts();
      expect(counts.cachedIds).toBeLessThanOrEqual(64 * 1024 / 24);
    }
    const want = [...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([stack, value]) => `${stack} ${value}`).join('\n');
    expect(await mergedText(store, NOW_MS - HOUR_MS, NOW_MS)).toBe(want);
  });

  it('learns a batch after acknowledging it, before the next batch is planned: back-to-back sends write symbols once', async () => {
    const { store } = await open();
    const stacks = { 'main;a;b': 3, 'main;a;c': 2, 'main;d': 1 };
    await store.append([makeProfile({ timeMs: NOW_MS - 2 * MINUTE_MS, stacks })]);
    // At once, as an SDK's next upload would: the cache's lesson from the first is still pending.
    await store.append([makeProfile({ timeMs: NOW_MS - MINUTE_MS, stacks })]);
    await Promise.all([store.append([makeProfile({ timeMs: NOW_MS - 30_000, stacks })]), store.append([makeProfile({ timeMs: NOW_MS - 20_000, stacks })])]);
    const counts = await store.symbolCounts();
    // main, a, b, c, d: 5 nodes and 5 names, each written once.
    expect({ names: counts.names, stacks: counts.stacks }).toEqual({ names: 5, stacks: 5 });
    // Every stored symbol is cached (once), so the next send of the same stacks writes none.
    expect(counts.cachedIds).toBe(counts.names + counts.stacks + counts.series);
    expect(await mergedText(store, NOW_MS - HOUR_MS, NOW_MS)).toBe('main;a;b 12\nmain;a;c 8\nmain;d 4');
  });

  it('frees symbol rows and cached ids of dropped days', async () => {
    let clockMs = NOW_MS;
    const { store } = await open({ now: () => clockMs });
    const profiles = [];
    for (let i = 0; i < 50; i++) profiles.push(makeProfile({ timeMs: NOW_MS - 3 * DAY_MS + i * MINUTE_MS, stacks: { [`main;old_${i}`]: 1 } }));
    await store.append(profiles);
    const before = await store.symbolCounts();
    expect(before.stacks).toBeGreaterThan(50);
    expect(before.cachedIds).toBeGreaterThan(50);
    clockMs = NOW_MS + DAY_MS;
    await store.maintain(clockMs);
    const after = await store.symbolCounts();
    expect(after).toEqual({ names: 0, stacks: 0, series: 0, cachedIds: 0 });
  });

  it('lays out merges in a content-only order (depth, parent, name; names sorted) on both paths', async () => {
    for (const mergeCacheBytes of [0, 64 * 1024 * 1024]) {
      const { store } = await open({ mergeCacheBytes });
      await store.append([makeProfile({ timeMs: NOW_MS - 1000, stacks: { 'main;b': 1, other: 3, 'main;a': 2 } })]);
      const table = await store.mergeStacks({ tenant: '', profileTypeId: CPU, selector: parseSelector('{}'), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS });
      expect(table.names).toEqual(['a', 'b', 'main', 'other']);
      expect([...table.parent]).toEqual([-1, -1, 0, 0]);
      expect([...table.nameIndex]).toEqual([2, 3, 0, 1]);
      expect([...table.self]).toEqual([0, 3, 2, 1]);
    }
  });

  it('merges the same with the walk in SQL as with the scan in JS', async () => {
    const profiles = [
      makeProfile({ timeMs: NOW_MS - 2 * DAY_MS, stacks: { main: 3, 'main;a': 2, 'main;a;b': 1 } }),
      makeProfile({ timeMs: NOW_MS - DAY_MS, stacks: { 'main;a;b': 4, 'main;c': 5, 'other;a': 6 } }),
      makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: { 'main;a;b;d': 7, main: 1 } }),
    ];
    const answers: string[] = [];
    for (const mergeCacheBytes of [0, 64 * 1024 * 1024]) {
      const { store } = await open({ mergeCacheBytes });
      await store.append(profiles);
      answers.push(await mergedText(store, NOW_MS - 3 * DAY_MS, NOW_MS));
      answers.push(await mergedText(store, NOW_MS - DAY_MS - 1, NOW_MS - DAY_MS + 1));
    }
    expect(answers[0]).toBe('main 4\nmain;a 2\nmain;a;b 5\nmain;a;b;d 7\nmain;c 5\nother;a 6');
    expect(answers[1]).toBe('main;a;b 4\nmain;c 5\nother;a 6');
    expect(answers[2]).toBe(answers[0]);
    expect(answers[3]).toBe(answers[1]);
  });
});

describe('duckdb merge cache (day partitions in memory)', () => {
  // Each round writes new stacks into days the cache already loaded, and queries while writes
  // are in flight: the answer must equal the SQL walk's and an independent sum every time.
  it('learns what the writer commits after a day was loaded, and evicts within its budget', async () => {
    for (const mergeCacheBytes of [64 * 1024 * 1024, 48 * 1024]) {
      const { store } = await open({ mergeCacheBytes });
      const { store: reference } = await open({ mergeCacheBytes: 0 });
      const expected = new Map<string, number>();
      for (let round = 0; round < 6; round++) {
        const profiles = [];
        for (let p = 0; p < 10; p++) {
          const stacks: Record<string, number> = {};
          for (let k = 0; k < 40; k++) {
            // Shared prefixes, new leaves each round, on today and on two earlier days.
            const stack = `main;mod_${k % 4};fn_${(k + p) % 13};leaf_${round}_${p}_${k % 7}`;
            stacks[stack] = (stacks[stack] ?? 0) + 1;
            expected.set(stack, (expected.get(stack) ?? 0) + 1);
          }
          profiles.push(makeProfile({ timeMs: NOW_MS - (p % 3) * DAY_MS - 1000 * (round + 1), stacks }));
        }
        const writing = Promise.all([store.append(profiles), reference.append(profiles)]);
        const during = mergedText(store, NOW_MS - 3 * DAY_MS, NOW_MS);
        await writing;
        await during;
        const want = [...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([stack, value]) => `${stack} ${value}`).join('\n');
        expect(await mergedText(store, NOW_MS - 3 * DAY_MS, NOW_MS)).toBe(want);
        expect(await mergedText(reference, NOW_MS - 3 * DAY_MS, NOW_MS)).toBe(want);
      }
      // A range of years loads only the days that hold symbols (the fuzzer's 3-year render took
      // one statement per empty day: > 10 s).
      const loadsBefore = store.mergeCacheStats().dayLoads;
      const years = await mergedText(store, NOW_MS - 1100 * DAY_MS, NOW_MS);
      expect(years.split('\n').length).toBe(expected.size);
      expect(store.mergeCacheStats().dayLoads - loadsBefore).toBeLessThanOrEqual(3);
      const stats = store.mergeCacheStats();
      expect(reference.mergeCacheStats()).toMatchObject({ inMemory: 0, days: 0 });
      expect(stats.bytes).toBeLessThanOrEqual(mergeCacheBytes);
      if (mergeCacheBytes > 1024 * 1024) {
        // Loaded once per day (the first query, maybe its retry), then kept current by the writer.
        expect(stats.dayLoads).toBeLessThanOrEqual(2 * 4);
        expect(stats.inMemory).toBeGreaterThanOrEqual(10);
      } else {
        expect(stats.bySql).toBeGreaterThan(0);
      }
    }
  });
});

describe('duckdb SQL literals', () => {
  it('stores and selects label values with NUL characters and quotes (DuckDB ends a statement at NUL)', async () => {
    const { store } = await open();
    await store.append([makeProfile({ timeMs: NOW_MS - 1000, labels: { odd: "a\u0000b'c" }, stacks: { x: 1 } })]);
    const select = (selector: string): Promise<StackNodeTable> =>
      store.mergeStacks({ tenant: '', profileTypeId: CPU, selector: parseSelector(selector), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS });
    expect((await select(`{odd="a\\x00b'c"}`)).parent.length).toBe(1);
    expect((await select('{odd="a\\x00"}')).parent.length).toBe(0);
    expect((await select('{odd!="a\\x00"}')).parent.length).toBe(1);
    expect(await store.labelValues('', 'odd', parseSelector('{odd=~"a.b.c"}'), NOW_MS - HOUR_MS, NOW_MS)).toEqual(["a\u0000b'c"]);
  });
});
