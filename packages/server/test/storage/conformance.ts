/**
 * The storage conformance suite: every backend passes the same behaviours. A backend's test file
 * calls runStoreSuite with a factory; the suite owns the data folders and the clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CinderError, ProfileBuilder, callTreeFromStackTable, collapsedFromTree, matchesLabels, parseSelector, type LabelPairs } from '@cinder/core';
import type { SelectQuery, Store, ValidatedProfile } from '../../src/storage/store.js';

export interface StoreFactoryOptions {
  dataDir: string;
  retentionMs: number;
  rollupRetentionMs: number;
  now: () => number;
  maxSeriesPerTenant?: number;
  /** The series limit counts series with data in this window (default 1 h). */
  activeSeriesWindowMs?: number;
}

/** What a backend exposes for the symbol tests: rows in its symbol tables. */
interface SymbolCounts {
  names: number;
  stacks: number;
  series: number;
}

function symbolCountsOf(store: Store): Promise<SymbolCounts> {
  const hook = (store as Store & { symbolCounts?: () => Promise<SymbolCounts> }).symbolCounts;
  if (typeof hook !== 'function') throw new Error('the store under test must expose symbolCounts() for the conformance suite');
  return hook.call(store);
}

/**
 * A profile built directly (no ProfileBuilder: the 3 M node test makes thousands): profile `p`'s
 * stack k is main;p{p};a{k % 100};b{⌊k / 100⌋} with value 1 + (p + k) % 7 (one sample type).
 */
function syntheticProfile(p: number, stackCount: number, timeMs: number): ValidatedProfile {
  const names = ['main', `p${p}`];
  for (let j = 0; j < 100; j++) names.push(`a${j}`);
  const bases = Math.ceil(stackCount / 100);
  for (let m = 0; m < bases; m++) names.push(`b${m}`);
  const stacks: Uint32Array[] = [];
  const values = new Float64Array(stackCount);
  for (let k = 0; k < stackCount; k++) {
    stacks.push(Uint32Array.of(0, 1, 2 + (k % 100), 102 + Math.floor(k / 100)));
    values[k] = 1 + ((p + k) % 7);
  }
  return {
    kind: 'ValidatedProfile',
    tenant: '',
    seriesLabels: [
      ['__name__', 'process_cpu'],
      ['service_name', `svc-${p % 4}`],
    ],
    profileTypeIds: [CPU],
    timeMs,
    profileId: `synthetic-${p}-${++nextProfileId}`,
    profile: {
      sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }],
      periodType: { type: 'cpu', unit: 'nanoseconds' },
      period: 10_000_000,
      timeMs,
      durationNs: 0,
      names,
      stacks,
      values: [values],
      sampleLabels: stacks.map(() => null),
    },
  };
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
      expect(await store.profileCount(query({}))).toBe(200);
      const buckets = await store.seriesBuckets(query({}), HOUR_MS, 2);
      expect(buckets.count.reduce((sum, n) => sum + n, 0)).toBe(200);
      expect(buckets.sum.reduce((sum, n) => sum + n, 0)).toBe(800);
    });

    it('answers concurrent reads each with its own exact result (no read ends another one)', async () => {
      const { store } = await start();
      const services = ['api', 'worker', 'batch', 'web', 'cron', 'db'];
      await store.append(
        services.flatMap((service, s) =>
          Array.from({ length: 5 }, (_, i) => makeProfile({ timeMs: NOW_MS - i * 1000, labels: { service_name: service }, stacks: { [`main;${service};f${i}`]: s + 1, main: 1 } })),
        ),
      );
      const sequential: string[] = [];
      for (const service of services) sequential.push(await merged(store, query({ selector: `{service_name="${service}"}` })));
      expect(sequential.every((text) => text.includes(';'))).toBe(true);
      // Merges, counts, buckets and label reads all at once, several rounds.
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          services.flatMap((service) => [
            merged(store, query({ selector: `{service_name="${service}"}` })),
            store.profileCount(query({ selector: `{service_name="${service}"}` })).then(String),
            store.labelValues('', 'service_name', [], NOW_MS - HOUR_MS, NOW_MS).then((values) => values.join(',')),
          ]),
        );
        services.forEach((service, s) => {
          expect(results[3 * s], service).toBe(sequential[s]);
          expect(results[3 * s + 1], service).toBe('5');
          expect(results[3 * s + 2]).toBe([...services].sort().join(','));
        });
      }
    });

    it('buckets series totals in the backend exactly as a JS bucketing of the raw points', async () => {
      const { store } = await start();
      // Three series, irregular times (some on bucket edges), two tenants, a span-labelled sample.
      const raw: { pod: string; timeMs: number; total: number; profile: ValidatedProfile }[] = [];
      for (let i = 0; i < 120; i++) {
        const pod = `p${i % 3}`;
        const timeMs = NOW_MS - HOUR_MS + ((i * 7919) % (HOUR_MS / 1000)) * 1000 + (i % 4 === 0 ? 0 : 1);
        const total = 1 + ((i * 31) % 17);
        const profile = makeProfile({
          timeMs,
          labels: { pod },
          stacks: { 'main;a': total * 2, [`main;b${i % 5}`]: total },
          spanIds: i % 10 === 0 ? { 'main;a': '00000000000000bb' } : {},
        });
        raw.push({ pod, timeMs, total: total * 3, profile });
      }
      await store.append(raw.map((r) => r.profile));
      await store.append([makeProfile({ tenant: 'other', timeMs: NOW_MS - 1000, labels: { pod: 'p0' }, stacks: { x: 5 } })]);
      const cases: { fromMs: number; toMs: number; stepMs: number; selector?: string }[] = [
        { fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS, stepMs: 60_000 },
        { fromMs: NOW_MS - HOUR_MS + 12_345, toMs: NOW_MS - 1, stepMs: 7_000 },
        { fromMs: NOW_MS - 30 * MINUTE_MS, toMs: NOW_MS - 29 * MINUTE_MS - 1, stepMs: 10_000 },
        { fromMs: NOW_MS - 2 * HOUR_MS, toMs: NOW_MS, stepMs: 15 * MINUTE_MS, selector: '{pod=~"p[01]"}' },
        { fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS, stepMs: 1_000, selector: '{pod!="p1"}' },
        // Fewer buckets than the range holds: points past the last bucket are left out.
        { fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS - HOUR_MS + 25 * MINUTE_MS + 500, stepMs: 10 * MINUTE_MS },
      ];
      for (const c of cases) {
        const bucketCount = Math.floor((c.toMs - c.fromMs) / c.stepMs) + 1;
        const q = query({ fromMs: c.fromMs, toMs: c.toMs, ...(c.selector ? { selector: c.selector } : {}) });
        const matcher = parseSelector(c.selector ?? '{}');
        const expected = new Map<string, { sum: number; count: number }>();
        for (const r of raw) {
          if (!matchesLabels(matcher, new Map([['pod', r.pod]]))) continue;
          if (r.timeMs <= c.fromMs - c.stepMs || r.timeMs > c.toMs) continue;
          const k = Math.max(0, Math.ceil((r.timeMs - c.fromMs) / c.stepMs));
          if (k >= bucketCount) continue;
          const key = `${r.pod}/${k}`;
          const cell = expected.get(key) ?? { sum: 0, count: 0 };
          cell.sum += r.total;
          cell.count++;
          expected.set(key, cell);
        }
        const got = await store.seriesBuckets(q, c.stepMs, bucketCount);
        const actual = new Map<string, { sum: number; count: number }>();
        for (let cell = 0; cell < got.sum.length; cell++) {
          const labels = new Map(got.labelSets[got.seriesIndex[cell]!]!);
          expect(labels.get('__profile_type__')).toBe(CPU);
          expect(got.bucketIndex[cell]).toBeLessThan(bucketCount);
          const key = `${labels.get('pod')}/${got.bucketIndex[cell]}`;
          expect(actual.has(key)).toBe(false);
          actual.set(key, { sum: got.sum[cell]!, count: got.count[cell]! });
        }
        expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
        // Every returned series has a point.
        expect(new Set(got.seriesIndex).size).toBe(got.labelSets.length);
      }
      // Selected by span: the matching samples' sums, one count per profile. One bucket: (now - 2 h, now].
      const spans = await store.seriesBuckets(query({ fromMs: NOW_MS, toMs: NOW_MS, spanIds: ['00000000000000bb'] }), 2 * HOUR_MS, 1);
      const spanProfiles = raw.filter((_, i) => i % 10 === 0);
      expect(spans.count.reduce((a, b) => a + b, 0)).toBe(spanProfiles.length);
      expect(spans.sum.reduce((a, b) => a + b, 0)).toBe(spanProfiles.reduce((a, r) => a + (r.total / 3) * 2, 0));
    });

    it('counts the profiles a selection merges', async () => {
      const { store } = await start();
      const first = makeProfile({ timeMs: NOW_MS - 3000, labels: { pod: 'a' }, stacks: { x: 1 }, spanIds: { x: '00000000000000cc' } });
      const second = makeProfile({ timeMs: NOW_MS - 2000, labels: { pod: 'b' }, stacks: { y: 1 } });
      const third = makeProfile({ timeMs: NOW_MS - 1000, labels: { pod: 'b' }, stacks: { y: 1, z: 2 } });
      await store.append([first, second, third]);
      expect(await store.profileCount(query({}))).toBe(3);
      expect(await store.profileCount(query({ selector: '{pod="b"}' }))).toBe(2);
      expect(await store.profileCount(query({ selector: '{pod=~"c|d"}' }))).toBe(0);
      expect(await store.profileCount(query({ fromMs: NOW_MS - 2000, toMs: NOW_MS - 1000 }))).toBe(2);
      expect(await store.profileCount(query({ fromMs: NOW_MS - 1999, toMs: NOW_MS - 1001 }))).toBe(0);
      expect(await store.profileCount(query({ profileIds: [first.profileId, third.profileId] }))).toBe(2);
      expect(await store.profileCount(query({ spanIds: ['00000000000000cc'] }))).toBe(1);
      expect(await store.profileCount(query({ tenant: 'nobody' }))).toBe(0);
    });

    it('lists the profiles of a selection one by one (heatmap points), oldest first, within a limit', async () => {
      const { store } = await start();
      const first = makeProfile({ timeMs: NOW_MS - 3000, labels: { pod: 'a' }, stacks: { x: 10, 'x;y': 5 }, spanIds: { x: '00000000000000dd' } });
      const second = makeProfile({ timeMs: NOW_MS - 2000, labels: { pod: 'b' }, stacks: { y: 7 } });
      const third = makeProfile({ timeMs: NOW_MS - 1000, labels: { pod: 'b' }, stacks: { y: 1, z: 2 } });
      await store.append([third, first, second]);
      const listed = async (overrides: Parameters<typeof query>[0], limit = 100): Promise<string[]> => {
        const got = await store.profilePoints(query(overrides), limit);
        return got.points.map((p) => `${p.timeMs - NOW_MS} ${p.value} ${p.profileId} ${got.labelSets[p.seriesIndex]!.find(([n]) => n === 'pod')?.[1]}`);
      };
      expect(await listed({})).toEqual([`-3000 15 ${first.profileId} a`, `-2000 7 ${second.profileId} b`, `-1000 3 ${third.profileId} b`]);
      expect(await listed({}, 2)).toEqual([`-3000 15 ${first.profileId} a`, `-2000 7 ${second.profileId} b`]);
      expect(await listed({ selector: '{pod=~"b"}' })).toEqual([`-2000 7 ${second.profileId} b`, `-1000 3 ${third.profileId} b`]);
      expect(await listed({ fromMs: NOW_MS - 2500, toMs: NOW_MS - 1500 })).toEqual([`-2000 7 ${second.profileId} b`]);
      // By span: the profile's value is what its selected samples hold.
      expect(await listed({ spanIds: ['00000000000000dd'] })).toEqual([`-3000 10 ${first.profileId} a`]);
      expect(await listed({ tenant: 'nobody' })).toEqual([]);
      expect(await listed({}, 0)).toEqual([]);
    });

    it('keeps more than 3 million distinct stack nodes exact: every path and every total', { timeout: 240_000 }, async () => {
      const { store } = await start();
      const profiles = 3_000;
      const stacksPerProfile = 1_000;
      const batch = 100;
      for (let first = 0; first < profiles; first += batch) {
        const writes: Promise<void>[] = [];
        // Two appends in flight: group commit batches them as concurrent ingest would.
        for (let half = 0; half < 2; half++) {
          const chunk: ValidatedProfile[] = [];
          for (let p = first + half * (batch / 2); p < first + (half + 1) * (batch / 2); p++) chunk.push(syntheticProfile(p, stacksPerProfile, NOW_MS - HOUR_MS + p * 1000));
          writes.push(store.append(chunk));
        }
        await Promise.all(writes);
      }
      const table = await store.mergeStacks(query({ fromMs: NOW_MS - 2 * HOUR_MS, toMs: NOW_MS }));
      // main + per profile: p, 100 a-nodes, 1,000 b-leaves.
      const expectedNodes = 1 + profiles * (1 + 100 + stacksPerProfile);
      expect(expectedNodes).toBeGreaterThan(3_000_000);
      expect(table.parent.length).toBe(expectedNodes);
      const depth = new Int32Array(table.parent.length);
      const profileOf = new Int32Array(table.parent.length).fill(-1);
      const aOf = new Int32Array(table.parent.length).fill(-1);
      const seen = new Uint8Array(profiles * stacksPerProfile);
      let leaves = 0;
      let total = 0;
      let problems = 0;
      for (let i = 0; i < table.parent.length; i++) {
        const parent = table.parent[i]!;
        if (parent >= i) problems++;
        const name = table.names[table.nameIndex[i]!]!;
        const d = parent < 0 ? 1 : depth[parent]! + 1;
        depth[i] = d;
        const self = table.self[i]!;
        total += self;
        if (d === 1) {
          if (name !== 'main' || self !== 0) problems++;
        } else if (d === 2) {
          profileOf[i] = Number(name.slice(1));
          if (name[0] !== 'p' || self !== 0) problems++;
        } else if (d === 3) {
          profileOf[i] = profileOf[parent]!;
          aOf[i] = Number(name.slice(1));
          if (name[0] !== 'a' || self !== 0) problems++;
        } else if (d === 4) {
          const p = profileOf[parent]!;
          const k = aOf[parent]! + 100 * Number(name.slice(1));
          const index = p * stacksPerProfile + k;
          if (name[0] !== 'b' || seen[index] === 1 || self !== 1 + ((p + k) % 7)) problems++;
          seen[index] = 1;
          leaves++;
        } else problems++;
      }
      expect(problems).toBe(0);
      expect(leaves).toBe(profiles * stacksPerProfile);
      let expectedTotal = 0;
      for (let p = 0; p < profiles; p++) for (let k = 0; k < stacksPerProfile; k++) expectedTotal += 1 + ((p + k) % 7);
      expect(total).toBe(expectedTotal);
    });

    it('drops the symbols of expired data at retention', async () => {
      const { store } = await start(undefined, { retentionMs: DAY_MS, rollupRetentionMs: 2 * DAY_MS });
      const old: ValidatedProfile[] = [];
      for (let i = 0; i < 20; i++) old.push(makeProfile({ timeMs: NOW_MS - 5 * DAY_MS + i * MINUTE_MS, labels: { pod: `old-${i}` }, stacks: { [`main;old_${i};leaf_${i}`]: 1 } }));
      await store.append(old);
      await store.append([makeProfile({ timeMs: NOW_MS - MINUTE_MS, labels: { pod: 'fresh' }, stacks: { 'main;fresh': 1 } })]);
      const before = await symbolCountsOf(store);
      await store.maintain(NOW_MS);
      const after = await symbolCountsOf(store);
      // What is left is the fresh profile's: main, fresh and their names; its series (two types).
      expect(after.stacks).toBeLessThan(before.stacks);
      expect(after.names).toBeLessThan(before.names);
      expect(after.series).toBeLessThan(before.series);
      expect(after.stacks).toBeLessThanOrEqual(2 * 2);
      expect(after.names).toBeLessThanOrEqual(2 * 2);
      expect(await merged(store, query({ fromMs: NOW_MS - 6 * DAY_MS, toMs: NOW_MS }))).toBe('main;fresh 1');
      expect(await store.labelValues('', 'pod', [], NOW_MS - 6 * DAY_MS, NOW_MS)).toEqual(['fresh']);
      // The same stacks written again later are stored again (and found).
      await store.append([makeProfile({ timeMs: NOW_MS - 1000, labels: { pod: 'old-3' }, stacks: { 'main;old_3;leaf_3': 2 } })]);
      expect(await merged(store, query({}))).toBe('main;fresh 1\nmain;old_3;leaf_3 2');
    });

    it('limits active series, and the limit recovers once series go quiet (also across a restart)', async () => {
      // Two profile types per pod: 4 series = 2 pods.
      const options = { maxSeriesPerTenant: 4, activeSeriesWindowMs: HOUR_MS };
      const first = await start(undefined, options);
      const pod = (name: string): ValidatedProfile => makeProfile({ timeMs: clockMs - 1000, labels: { pod: name }, stacks: { [`work;${name}`]: 1 } });
      await first.store.append([pod('a')]);
      await first.store.append([pod('b')]);
      await expect(first.store.append([pod('c')])).rejects.toBeInstanceOf(CinderError);
      // Known series keep being accepted at the limit.
      await first.store.append([pod('a')]);
      clockMs = NOW_MS + 2 * HOUR_MS;
      // a and b have had no data for over an hour: they no longer count.
      await first.store.append([pod('c')]);
      await first.store.append([pod('d')]);
      await expect(first.store.append([pod('e')])).rejects.toBeInstanceOf(CinderError);
      await first.store.close();
      open.splice(open.indexOf(first.store), 1);
      const second = await start(first.dataDir, options);
      // After a restart, c and d still count (they had data in the last hour).
      await expect(second.store.append([pod('e')])).rejects.toBeInstanceOf(CinderError);
      clockMs = NOW_MS + 4 * HOUR_MS;
      await second.store.append([pod('e')]);
      expect(await second.store.labelValues('', 'pod', [], NOW_MS - HOUR_MS, clockMs)).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('opens in about the same time with 1 day or 30 days of history', { timeout: 240_000 }, async () => {
      const fill = async (days: number): Promise<string> => {
        const { store, dataDir } = await start();
        for (let d = 0; d < days; d++) {
          const profiles: ValidatedProfile[] = [];
          // Every day new stacks (as deploys bring), 10 profiles × 500 distinct stacks.
          for (let p = 0; p < 10; p++) profiles.push(syntheticProfile(d * 10 + p, 500, NOW_MS - (days - d) * DAY_MS + HOUR_MS + p * MINUTE_MS));
          await store.append(profiles);
        }
        await store.close();
        open.splice(open.indexOf(store), 1);
        return dataDir;
      };
      const openTimeMs = async (dataDir: string): Promise<number> => {
        const times: number[] = [];
        for (let round = 0; round < 3; round++) {
          const started = performance.now();
          const { store } = await start(dataDir, { retentionMs: 40 * DAY_MS, rollupRetentionMs: 40 * DAY_MS });
          times.push(performance.now() - started);
          await store.close();
          open.splice(open.indexOf(store), 1);
        }
        return times.sort((a, b) => a - b)[1]!;
      };
      const oneDay = await openTimeMs(await fill(1));
      const thirtyDays = await openTimeMs(await fill(30));
      console.log(`open time: 1 day of history ${oneDay.toFixed(0)} ms, 30 days ${thirtyDays.toFixed(0)} ms`);
      // Within 2× (plus a little for timer noise on a busy machine); 30× the history must not show.
      expect(thirtyDays).toBeLessThan(2 * oneDay + 100);
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
