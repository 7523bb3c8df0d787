/**
 * The merge cache's day layouts (storage/duckdb/reader.ts, daySymbols.ts): a layout stays right for
 * the rows it covers while the writer appends to its day, and recent days are loaded and laid out
 * in the background after a start and after a big write — within the cache's budget — so the
 * first query of the day does not load them. Every answer is checked against an independent sum.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callTreeFromStackTable, collapsedFromTree, parseSelector } from '@cinder/core';
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

async function open(dataDir: string, mergeCacheBytes = 64 * 1024 * 1024): Promise<DuckDbStore> {
  const store = await openDuckDbStore({ dataDir, retentionMs: DAY_MS, rollupRetentionMs: 2 * DAY_MS, now: () => NOW_MS, mergeCacheBytes });
  stores.push(store);
  return store;
}

function newDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cinder-warmup-'));
  dirs.push(dir);
  return dir;
}

async function closeStore(store: DuckDbStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}

const mergedText = async (store: DuckDbStore, fromMs: number, toMs: number): Promise<string> =>
  collapsedFromTree(callTreeFromStackTable(await store.mergeStacks({ tenant: '', profileTypeId: CPU, selector: parseSelector('{}'), fromMs, toMs })));

function textOf(...stackSets: Array<Record<string, number>>): string {
  const sums = new Map<string, number>();
  for (const stacks of stackSets) for (const [stack, value] of Object.entries(stacks)) sums.set(stack, (sums.get(stack) ?? 0) + value);
  return [...sums]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([stack, value]) => `${stack} ${value}`)
    .join('\n');
}

/** `count` stacks under a few shared frames, each ending in `depth` frames of its own: ~count · depth + 70 nodes. */
function wideStacks(count: number, prefix: string, depth = 1): Record<string, number> {
  const stacks: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const own = Array.from({ length: depth }, (_, d) => `${prefix}_leaf_${i}_${d}`).join(';');
    stacks[`main;${prefix}_mod_${i % 7};${prefix}_fn_${i % 61};${own}`] = 1 + (i % 5);
  }
  return stacks;
}

/** Polls `done` every 20 ms for at most `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return done();
}

describe('duckdb day layouts', () => {
  it('a layout stays right for the rows it covers while new nodes and names are appended to its day', async () => {
    const store = await open(newDir());
    const first = wideStacks(3000, 'm');
    await store.append([makeProfile({ timeMs: NOW_MS - 2 * HOUR_MS, stacks: first })]);
    // A query over the whole day lays the day out.
    expect(await mergedText(store, NOW_MS - 3 * HOUR_MS, NOW_MS)).toBe(textOf(first));
    // New nodes whose names sort before every earlier one (ranks of the old names all move).
    const second = { ...wideStacks(500, 'a'), 'main;m_mod_1;m_fn_1;aaa_new_leaf': 7 };
    await store.append([makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: second })]);
    const inMemoryBefore = store.mergeCacheStats().inMemory;
    // Only the old profile: its leaves all predate the appends, the old layout answers.
    expect(await mergedText(store, NOW_MS - 3 * HOUR_MS, NOW_MS - 90 * MINUTE_MS)).toBe(textOf(first));
    // Both, and only the new one: leaves past the old layout, laid out again.
    expect(await mergedText(store, NOW_MS - 3 * HOUR_MS, NOW_MS)).toBe(textOf(first, second));
    expect(await mergedText(store, NOW_MS - 90 * MINUTE_MS, NOW_MS)).toBe(textOf(second));
    expect(store.mergeCacheStats().inMemory - inMemoryBefore).toBe(3);
    expect(store.mergeCacheStats().bySql).toBe(0);
  });
});

describe('duckdb merge cache warm-up', () => {
  it('after a start, loads and lays out the newest day before anyone asks; the first query then loads nothing', async () => {
    const dataDir = newDir();
    const today = wideStacks(4000, 't');
    const yesterday = wideStacks(300, 'y');
    let store = await open(dataDir);
    await store.append([makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: today }), makeProfile({ timeMs: NOW_MS - DAY_MS, stacks: yesterday })]);
    await closeStore(store);
    store = await open(dataDir);
    expect(await waitFor(() => store.mergeCacheStats().warmLayouts >= 2, 30_000)).toBe(true);
    const warmed = store.mergeCacheStats();
    expect(warmed).toMatchObject({ warmLoads: 2, dayLoads: 2, days: 2 });
    expect(await mergedText(store, NOW_MS - 2 * HOUR_MS, NOW_MS)).toBe(textOf(today));
    expect(store.mergeCacheStats()).toMatchObject({ dayLoads: 2, inMemory: 1, bySql: 0 });
  });

  it('a big write warms its day (and a small one does not)', async () => {
    const store = await open(newDir());
    // The warm-up after the start has found nothing to warm by then.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await store.append([makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: wideStacks(200, 's') })]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(store.mergeCacheStats()).toMatchObject({ warmLoads: 0, dayLoads: 0 });
    const big = wideStacks(4000, 'b', 15);
    await store.append([makeProfile({ timeMs: NOW_MS - 30 * MINUTE_MS, stacks: big })]);
    expect(await waitFor(() => store.mergeCacheStats().warmLayouts >= 1, 60_000)).toBe(true);
    expect(store.mergeCacheStats()).toMatchObject({ warmLoads: 1, dayLoads: 1 });
    expect(await mergedText(store, NOW_MS - 45 * MINUTE_MS, NOW_MS)).toBe(textOf(big));
    expect(store.mergeCacheStats()).toMatchObject({ dayLoads: 1, bySql: 0 });
  }, 120_000);

  it('stays within the budget: a day that does not fit free room is not loaded; no budget, no warm-up', async () => {
    const dataDir = newDir();
    let store = await open(dataDir);
    await store.append([makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: wideStacks(4000, 't') })]);
    await closeStore(store);
    for (const budget of [48 * 1024, 0]) {
      store = await open(dataDir, budget);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(store.mergeCacheStats()).toMatchObject({ warmLoads: 0, dayLoads: 0, days: 0 });
      await closeStore(store);
    }
  });

  it('closing while a warm-up runs ends it cleanly', async () => {
    const dataDir = newDir();
    let store = await open(dataDir);
    await store.append([makeProfile({ timeMs: NOW_MS - HOUR_MS, stacks: wideStacks(2000, 't', 10) })]);
    await closeStore(store);
    for (const waitMs of [0, 150, 250, 400]) {
      store = await open(dataDir);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      await closeStore(store);
    }
    store = await open(dataDir);
    expect(await mergedText(store, NOW_MS - 2 * HOUR_MS, NOW_MS)).toBe(textOf(wideStacks(2000, 't', 10)));
  }, 120_000);
});
