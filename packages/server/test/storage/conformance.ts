/**
 * The storage conformance suite: every backend passes the same behaviours. A backend's test file
 * calls runStoreSuite with a factory; the suite owns the data folders and the clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CinderError, ProfileBuilder, callTreeFromStackTable, collapsedFromTree, parseSelector, type LabelPairs } from '@cinder/core';
import type { SelectQuery, Store, ValidatedProfile } from '../../src/storage/store.js';

export interface StoreFactoryOptions {
  dataDir: string;
  retentionMs: number;
  rollupRetentionMs: number;
  now: () => number;
  maxSeriesPerTenant?: number;
}

export type StoreFactory = (options: StoreFactoryOptions) => Promise<Store>;

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const SAMPLES = 'process_cpu:samples:count:cpu:nanoseconds';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A fixed "now": 2026-01-15T12:00:00Z. */
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

let nextProfileId = 0;

/** `stacks`: "main;a;b" → [cpu value, samples value]. */
export function makeProfile(options: {
  tenant?: string;
  labels?: Record<string, string>;
  timeMs: number;
  stacks: Record<string, number>;
  spanIds?: Record<string, string>;
}): ValidatedProfile {
  const builder = new ProfileBuilder([
    { type: 'samples', unit: 'count' },
    { type: 'cpu', unit: 'nanoseconds' },
  ]);
  for (const [stack, value] of Object.entries(options.stacks)) {
    const span = options.spanIds?.[stack];
    builder.addSample(stack.split(';'), [value / 10_000_000, value], span ? [['span_id', span]] : null);
  }
  const labels = new Map<string, string>([['__name__', 'process_cpu'], ['service_name', 'api'], ...Object.entries(options.labels ?? {})]);
  const seriesLabels: LabelPairs = [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    kind: 'ValidatedProfile',
    tenant: options.tenant ?? '',
    seriesLabels,
    profileTypeIds: [SAMPLES, CPU],
    timeMs: options.timeMs,
    profileId: `profile-${++nextProfileId}`,
    profile: builder.build(),
  };
}

function query(overrides: Partial<Omit<SelectQuery, 'selector'>> & { selector?: string }): SelectQuery {
  const { selector, ...rest } = overrides;
  return {
    tenant: '',
    profileTypeId: CPU,
    selector: parseSelector(selector ?? '{}'),
    fromMs: NOW_MS - HOUR_MS,
    toMs: NOW_MS,
    ...rest,
  };
}

export function runStoreSuite(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    const dirs: string[] = [];
    const open: Store[] = [];
    let clockMs = NOW_MS;
    const start = async (dataDir?: string, extra: Partial<StoreFactoryOptions> = {}): Promise<{ store: Store; dataDir: string }> => {
      const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'cinder-store-'));
      if (!dataDir) dirs.push(dir);
      const store = await factory({ dataDir: dir, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => clockMs, ...extra });
      open.push(store);
      return { store, dataDir: dir };
    };
    const merged = async (store: Store, q: SelectQuery): Promise<string> => collapsedFromTree(callTreeFromStackTable(await store.mergeStacks(q)));

    afterEach(async () => {
      clockMs = NOW_MS;
      for (const store of open.splice(0)) await store.close().catch(() => undefined);
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it('writes and reads back a merged tree per profile type', async () => {
      const { store } = await start();
      await store.append([makeProfile({ timeMs: NOW_MS - 1000, stacks: { 'main;a': 30_000_000, 'main;b': 10_000_000, main: 10_000_000 } })]);
      expect(await merged(store, query({}))).toBe('main 10000000\nmain;a 30000000\nmain;b 10000000');
      expect(await merged(store, query({ profileTypeId: SAMPLES }))).toBe('main 1\nmain;a 3\nmain;b 1');
      expect(await store.profileTypes('', NOW_MS - HOUR_MS, NOW_MS)).toEqual([CPU, SAMPLES].sort());
    });

    it('matches labels with =, !=, =~ and !~ and lists names and values', async () => {
      const { store } = await start();
      await store.append([
        makeProfile({ timeMs: NOW_MS - 5000, labels: { region: 'eu-west', service_name: 'api' }, stacks: { a: 1 } }),
        makeProfile({ timeMs: NOW_MS - 5000, labels: { region: 'us-east', service_name: 'api' }, stacks: { b: 2 } }),
        makeProfile({ timeMs: NOW_MS - 5000, labels: { service_name: 'worker' }, stacks: { c: 4 } }),
      ]);
      expect(await merged(store, query({ selector: '{region="eu-west"}' }))).toBe('a 1');
      expect(await merged(store, query({ selector: '{region!="eu-west"}' }))).toBe('b 2\nc 4');
      expect(await merged(store, query({ selector: '{region=~"eu-.*|us-east"}' }))).toBe('a 1\nb 2');
      expect(await merged(store, query({ selector: '{region!~"eu.*", service_name="api"}' }))).toBe('b 2');
      expect(await store.labelValues('', 'service_name', [], NOW_MS - HOUR_MS, NOW_MS)).toEqual(['api', 'worker']);
      const names = await store.labelNames('', parseSelector('{service_name="worker"}'), NOW_MS - HOUR_MS, NOW_MS);
      expect(names).toContain('__profile_type__');
      expect(names).not.toContain('region');
    });

    it('selects by time with inclusive edges', async () => {
      const { store } = await start();
      await store.append([
        makeProfile({ timeMs: NOW_MS - 2000, stacks: { early: 1 } }),
        makeProfile({ timeMs: NOW_MS - 1000, stacks: { middle: 1 } }),
        makeProfile({ timeMs: NOW_MS, stacks: { late: 1 } }),
      ]);
      expect(await merged(store, query({ fromMs: NOW_MS - 1000, toMs: NOW_MS }))).toBe('late 1\nmiddle 1');
      expect(await merged(store, query({ fromMs: NOW_MS - 2000, toMs: NOW_MS - 1000 }))).toBe('early 1\nmiddle 1');
      expect(await merged(store, query({ fromMs: NOW_MS - 1999, toMs: NOW_MS - 1001 }))).toBe('');
      expect(await store.labelValues('', 'service_name', [], NOW_MS - 10 * HOUR_MS, NOW_MS - 2 * HOUR_MS)).toEqual([]);
    });

    it('merges many profiles, including concurrent appends, into exact sums', async () => {
      const { store } = await start();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        writes.push(store.append([makeProfile({ timeMs: NOW_MS - i * 1000, stacks: { 'main;work': 3, [`main;f${i % 7}`]: 1 } })]));
      }
      await Promise.all(writes);
      const text = await merged(store, query({}));
      expect(text.split('\n')).toContain('main;work 600');
      const totals = await store.seriesTotals(query({}));
      expect(totals.points).toHaveLength(200);
      expect(totals.points.reduce((sum, p) => sum + p.total, 0)).toBe(800);
    });

    it('keeps tenants apart', async () => {
      const { store } = await start();
      await store.append([makeProfile({ tenant: 'team-a', timeMs: NOW_MS - 1, stacks: { secret: 5 } })]);
      expect(await merged(store, query({ tenant: 'team-b' }))).toBe('');
      expect(await store.labelValues('team-b', 'service_name', [], NOW_MS - HOUR_MS, NOW_MS)).toEqual([]);
      expect(await merged(store, query({ tenant: 'team-a' }))).toBe('secret 5');
    });

    it('selects samples by span id and profiles by id', async () => {
      const { store } = await start();
      const profile = makeProfile({ timeMs: NOW_MS - 1, stacks: { 'main;handler': 7, 'main;idle': 2 }, spanIds: { 'main;handler': '00000000000000aa' } });
      await store.append([profile, makeProfile({ timeMs: NOW_MS - 2, stacks: { other: 1 } })]);
      expect(await merged(store, query({ spanIds: ['00000000000000aa'] }))).toBe('main;handler 7');
      expect(await merged(store, query({ profileIds: [profile.profileId] }))).toBe('main;handler 7\nmain;idle 2');
    });

    it('survives a restart with everything acknowledged', async () => {
      const first = await start();
      await first.store.append([makeProfile({ timeMs: NOW_MS - 10, labels: { pod: 'p1' }, stacks: { 'main;a': 4 } })]);
      await first.store.close();
      open.splice(open.indexOf(first.store), 1);
      const second = await start(first.dataDir);
      expect(await merged(second.store, query({}))).toBe('main;a 4');
      // New stacks and series after reopening extend the catalogues instead of clashing.
      await second.store.append([makeProfile({ timeMs: NOW_MS - 5, labels: { pod: 'p2' }, stacks: { 'main;b': 1, 'main;a': 1 } })]);
      expect(await merged(second.store, query({}))).toBe('main;a 5\nmain;b 1');
      expect(await second.store.labelValues('', 'pod', [], NOW_MS - HOUR_MS, NOW_MS)).toEqual(['p1', 'p2']);
    });

    it('enforces retention: raw rows go, rollups keep long ranges answerable', async () => {
      const { store } = await start();
      const old = NOW_MS - 10 * DAY_MS;
      await store.append([
        makeProfile({ timeMs: old + 5 * MINUTE_MS, stacks: { 'old;x': 2 } }),
        makeProfile({ timeMs: old + 65 * MINUTE_MS, stacks: { 'old;x': 3 } }),
        makeProfile({ timeMs: NOW_MS - MINUTE_MS, stacks: { fresh: 1 } }),
      ]);
      const result = await store.maintain(NOW_MS);
      // Two old profiles × two sample types, one stack each.
      expect(result.rawRowsDeleted).toBe(4);
      expect(result.rolledUpRows).toBeGreaterThan(0);
      // Raw detail is gone, but a range over the old day is answered from rollups.
      expect(await merged(store, query({ fromMs: old, toMs: old + 2 * HOUR_MS }))).toBe('old;x 5');
      expect(await merged(store, query({ fromMs: NOW_MS - 12 * DAY_MS, toMs: NOW_MS }))).toBe('fresh 1\nold;x 5');
      // Past the rollup window nothing is left.
      clockMs = NOW_MS + 25 * DAY_MS;
      const later = await store.maintain(clockMs);
      expect(later.rollupRowsDeleted).toBeGreaterThan(0);
      expect(await merged(store, query({ fromMs: old - DAY_MS, toMs: old + DAY_MS }))).toBe('');
    });

    it('answers long ranges from rollups with the same totals as raw data', async () => {
      const { store } = await start();
      const profiles = [];
      for (let i = 0; i < 6 * 60; i += 7) profiles.push(makeProfile({ timeMs: NOW_MS - 6 * HOUR_MS + i * MINUTE_MS + 13_000, stacks: { 'main;a': 2, 'main;b': i } }));
      await store.append(profiles);
      const rawAnswer = await merged(store, query({ fromMs: NOW_MS - 7 * HOUR_MS, toMs: NOW_MS }));
      await store.maintain(NOW_MS);
      // Unaligned edges: raw at the edges, rollups in the middle.
      const afterRollup = await merged(store, query({ fromMs: NOW_MS - 7 * HOUR_MS + 1234, toMs: NOW_MS - 1 }));
      expect(afterRollup).toBe(rawAnswer);
      // Late data for an already rolled-up minute is not lost.
      await store.append([makeProfile({ timeMs: NOW_MS - 5 * HOUR_MS + 1, stacks: { late: 9 } })]);
      expect(await merged(store, query({ fromMs: NOW_MS - 7 * HOUR_MS, toMs: NOW_MS }))).toContain('late 9');
    });

    it('rejects new series past the per-tenant limit without storing anything', async () => {
      const { store } = await start(undefined, { maxSeriesPerTenant: 2 });
      await store.append([makeProfile({ timeMs: NOW_MS - 1, labels: { pod: 'a' }, stacks: { x: 1 } })]);
      await expect(store.append([makeProfile({ timeMs: NOW_MS - 1, labels: { pod: 'b' }, stacks: { y: 1 } })])).rejects.toBeInstanceOf(CinderError);
      await store.append([makeProfile({ timeMs: NOW_MS - 1, labels: { pod: 'a' }, stacks: { z: 1 } })]);
      expect(await merged(store, query({}))).toBe('x 1\nz 1');
    });
  });
}
