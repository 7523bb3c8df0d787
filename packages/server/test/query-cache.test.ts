/**
 * The merged-tree cache of the query layer (query/treeCache.ts) on the embedded store: hits,
 * eviction by size, invalidation by a write into the range (not by one outside it), tenant
 * isolation, and the in-flight rule (a merge overlapping a write is not stored).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collapsedFromTree } from '@cinder/core';
import { openDuckDbStore, type DuckDbStore } from '../src/storage/duckdb/store.js';
import { QueryService, type Selection } from '../src/query/service.js';
import { QueryCache, callTreeBytes } from '../src/query/treeCache.js';
import type { ProfileReader } from '../src/storage/store.js';
import { makeProfile } from './storage/conformance.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const NOW_MS = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR_MS = 3_600_000;

describe('merged-tree cache', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setup(queryCacheBytes = 64 * 1024 * 1024): Promise<{ store: DuckDbStore; query: QueryService }> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cinder-query-cache-'));
    const store = await openDuckDbStore({ dataDir, retentionMs: 15 * 24 * HOUR_MS, rollupRetentionMs: 31 * 24 * HOUR_MS, now: () => NOW_MS });
    cleanups.push(async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { store, query: new QueryService(store, { maxNodesDefault: 8192, maxNodesMax: 1 << 20, queryCacheBytes }, () => NOW_MS) };
  }

  const lastHour = (overrides: Partial<Selection> = {}): Selection => ({ profileTypeId: CPU, labelSelector: '{service_name="api"}', fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS, ...overrides });

  it('answers a repeated selection from the cache with the same tree, and counts alike', async () => {
    const { store, query } = await setup();
    await store.append([makeProfile({ timeMs: NOW_MS - 60_000, stacks: { 'main;a': 30, 'main;b': 10 } })]);
    const first = await query.mergedTree('', lastHour());
    const misses = query.cache!.counts.misses;
    const second = await query.mergedTree('', lastHour());
    expect(second).toBe(first);
    expect(query.cache!.counts.misses).toBe(misses);
    expect(query.cache!.counts.hits).toBeGreaterThanOrEqual(1);
    expect(await query.profileCount('', lastHour())).toBe(1);
    expect(await query.profileCount('', lastHour())).toBe(1);
    // `now-1h` asked again a moment later (another ms) selects the same profiles: the same tree.
    expect(await query.mergedTree('', lastHour({ fromMs: NOW_MS - HOUR_MS + 5, toMs: NOW_MS - 1 }))).toBe(first);
    // Another selector is another entry; a range holding another profile too is another entry.
    expect(await query.mergedTree('', lastHour({ labelSelector: '{service_name="api",pod=""}' }))).not.toBe(first);
    await store.append([makeProfile({ timeMs: NOW_MS - 90 * 60_000, stacks: { 'main;c': 1 } })]);
    const wider = await query.mergedTree('', lastHour({ fromMs: NOW_MS - 100 * 60_000 }));
    expect(wider).not.toBe(first);
    expect(wider.total[0]).toBe(41);
    expect(await query.mergedTree('', lastHour())).toBe(first);
  });

  it('a write into the range invalidates (before it is acknowledged); a write outside it does not', async () => {
    const { store, query } = await setup();
    await store.append([makeProfile({ timeMs: NOW_MS - 60_000, stacks: { 'main;a': 30 } })]);
    const before = await query.mergedTree('', lastHour());
    expect(before.total[0]).toBe(30);
    // Outside the range (two hours ago): still cached.
    await store.append([makeProfile({ timeMs: NOW_MS - 2 * HOUR_MS, stacks: { 'main;old': 5 } })]);
    expect(await query.mergedTree('', lastHour())).toBe(before);
    // Inside: the next answer has the new data at once.
    await store.append([makeProfile({ timeMs: NOW_MS - 30_000, stacks: { 'main;b': 12 } })]);
    const after = await query.mergedTree('', lastHour());
    expect(after).not.toBe(before);
    expect(after.total[0]).toBe(42);
    expect(collapsedFromTree(after)).toBe('main;a 30\nmain;b 12');
    expect(await query.profileCount('', lastHour())).toBe(2);
  });

  it('keeps tenants apart: same selection, other tenant, other entry; a write of one tenant keeps the other cached', async () => {
    const { store, query } = await setup();
    await store.append([makeProfile({ tenant: 'team-a', timeMs: NOW_MS - 60_000, stacks: { 'main;a': 7 } })]);
    await store.append([makeProfile({ tenant: 'team-b', timeMs: NOW_MS - 60_000, stacks: { 'main;b': 9 } })]);
    const a = await query.mergedTree('team-a', lastHour());
    const b = await query.mergedTree('team-b', lastHour());
    expect(collapsedFromTree(a)).toBe('main;a 7');
    expect(collapsedFromTree(b)).toBe('main;b 9');
    await store.append([makeProfile({ tenant: 'team-a', timeMs: NOW_MS - 10_000, stacks: { 'main;c': 1 } })]);
    expect(await query.mergedTree('team-b', lastHour())).toBe(b);
    expect(collapsedFromTree(await query.mergedTree('team-a', lastHour()))).toBe('main;a 7\nmain;c 1');
  });

  it('evicts least recently used entries to stay within its size', async () => {
    const { store, query } = await setup();
    const stacks: Record<string, number> = {};
    for (let i = 0; i < 200; i++) stacks[`main;f${i};g${i}`] = i + 1;
    // One profile per hour back, so each of the ranges below selects a different set.
    for (let hour = 0; hour < 6; hour++) await store.append([makeProfile({ timeMs: NOW_MS - hour * HOUR_MS - 30 * 60_000, stacks })]);
    const one = await query.mergedTree('', lastHour());
    const bytes = callTreeBytes(one) + 256;
    // A cache holding four such trees.
    const small = new QueryService(store, { maxNodesDefault: 8192, maxNodesMax: 1 << 20, queryCacheBytes: bytes * 4 + 100 }, () => NOW_MS);
    const ranges = [1, 2, 3, 4, 5, 6].map((hours) => lastHour({ fromMs: NOW_MS - hours * HOUR_MS + 1 }));
    for (const range of ranges) await small.mergedTree('', range);
    expect(small.cache!.bytes).toBeLessThanOrEqual(small.cache!.maxBytes);
    expect(small.cache!.size).toBe(4);
    expect(small.cache!.counts.evictions).toBe(2);
    // The newest are kept, the oldest went.
    const misses = small.cache!.counts.misses;
    await small.mergedTree('', ranges[5]!);
    expect(small.cache!.counts.misses).toBe(misses);
    await small.mergedTree('', ranges[0]!);
    expect(small.cache!.counts.misses).toBe(misses + 1);
  });

  it('keeps nothing larger than the whole cache', async () => {
    const cache = new QueryCache(1000);
    await cache.getOrLoad('big', { tenant: '', fromMs: 0, toMs: 1 }, async () => 'x', () => 2000);
    expect(cache.size).toBe(0);
    await cache.getOrLoad('fits', { tenant: '', fromMs: 0, toMs: 1 }, async () => 'x', () => 700);
    expect(cache.size).toBe(1);
  });

  it('does not store a merge that a write into its range overlapped', async () => {
    const cache = new QueryCache(1 << 20);
    const scope = { tenant: '', fromMs: 0, toMs: 100 };
    let release!: () => void;
    const loading = cache.getOrLoad('k', scope, () => new Promise<string>((resolve) => (release = () => resolve('old'))), () => 10);
    cache.invalidate({ tenant: '', fromMs: 50, toMs: 50 });
    release();
    expect(await loading).toBe('old');
    expect(cache.size).toBe(0);
    // A write elsewhere (other tenant, other range) does not stop storing.
    const other = cache.getOrLoad('k2', scope, async () => 'v', () => 10);
    cache.invalidate({ tenant: 'x', fromMs: 50, toMs: 50 });
    cache.invalidate({ tenant: '', fromMs: 200, toMs: 300 });
    await other;
    expect(cache.size).toBe(1);
  });

  it('a write between reading the key (the selection version) and the merge keeps the value out', async () => {
    const cache = new QueryCache(1 << 20);
    const scope = { tenant: '', fromMs: 0, toMs: 100 };
    const since = cache.generationNow;
    cache.invalidate({ tenant: '', fromMs: 10, toMs: 10 });
    await cache.getOrLoad('v1', scope, async () => 'merged after the write', () => 10, since);
    expect(cache.size).toBe(0);
    await cache.getOrLoad('v1', scope, async () => 'merged', () => 10, cache.generationNow);
    expect(cache.size).toBe(1);
  });

  it('is off without a store that reports writes (ClickHouse) and with size 0', async () => {
    const { store } = await setup();
    const withoutHook: ProfileReader = new Proxy(store, { get: (target, key) => (key === 'onDataChange' ? undefined : Reflect.get(target, key, target)) });
    expect(new QueryService(withoutHook, { maxNodesDefault: 1, maxNodesMax: 1 }, () => NOW_MS).cache).toBeNull();
    expect(new QueryService(store, { maxNodesDefault: 1, maxNodesMax: 1, queryCacheBytes: 0 }, () => NOW_MS).cache).toBeNull();
  });
});
