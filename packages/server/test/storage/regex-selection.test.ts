/**
 * Regex matchers run once per distinct label value and go back to the database as a value set
 * (storage/duckdb/reader.ts selectionWhere, storage/clickhouse/reader.ts matchingSeries). These
 * cases hold every read that selects series to core's matchesLabels over the same label sets:
 * sets past the inline-list size, missing labels (read as ''), derived labels, quotes, newlines
 * (`.` matches one) and values a regex must not half-match (anchoring).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CinderError, ErrorCodes, callTreeFromStackTable, collapsedFromTree, matchesLabels, parseSelector, type LabelPairs } from '@cinder/core';
import { makeProfile } from './conformance.js';
import { dropDatabases, freshDatabaseName, startClickHouse } from './clickhouseServer.js';
import { openDuckDbStore } from '../../src/storage/duckdb/store.js';
import { openClickHouseStore } from '../../src/storage/clickhouse/store.js';
import type { SelectQuery, Store } from '../../src/storage/store.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Series i: pod "pod-i", region for most, a few odd values; stack "main;s{i}" with value i + 1. */
function seriesLabels(i: number): Record<string, string> {
  const labels: Record<string, string> = { pod: `pod-${i}` };
  if (i % 5 !== 0) labels.region = i % 2 === 0 ? 'eu-west' : 'us-east';
  if (i === 7) labels.note = "it's\nmultiline";
  if (i === 8) labels.note = 'x-eu-west-y';
  if (i % 20 === 3) labels.service_name = 'worker';
  return labels;
}

const SERIES = 70;

const SELECTORS = [
  '{pod=~"pod-[1-3].*"}', // 33 values: past the inline IN list
  '{pod!~"pod-1.*"}',
  '{pod=~".*"}',
  '{pod=~"pod-4"}',
  '{pod=~"pod-"}', // anchored: matches nothing
  '{region=~""}', // only series without region
  '{region!~".+"}',
  '{region=~"eu.*", pod=~"pod-[0-9]*[02468]"}',
  '{region=~"eu-west|us-east", service_name="worker"}',
  '{note=~"it.s.multiline"}', // `.` matches the newline and the quote
  '{note=~".*eu-west.*"}',
  '{note!~".*eu.*"}',
  '{__profile_type__=~"process_cpu:cpu:.*"}',
  '{__service_name__=~"work.*"}',
  '{__type__=~"cpu", __unit__!~"count", __period_type__=~"cpu", __period_unit__=~"nano.*"}',
  '{__name__=~"process_.*", pod=~"pod-(12|13|14)"}',
  '{region=~"nomatch.*"}',
];

function storeCases(name: string, open: (dataDir: string) => Promise<Store>): void {
  describe(`regex selection: ${name}`, () => {
    let store: Store;
    let dir: string;
    const labelSets = new Map<string, LabelPairs>();

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'cinder-regex-'));
      store = await open(dir);
      const profiles = Array.from({ length: SERIES }, (_, i) => makeProfile({ timeMs: NOW_MS - 1000 - i, labels: seriesLabels(i), stacks: { [`main;s${i}`]: i + 1 } }));
      await store.append(profiles);
      for (const labels of await store.series('', [], NOW_MS - HOUR_MS, NOW_MS)) labelSets.set(JSON.stringify(labels), labels);
    }, 120_000);

    afterAll(async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const query = (selector: string): SelectQuery => ({ tenant: '', profileTypeId: CPU, selector: parseSelector(selector), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS });
    /** What every read must agree with: core's matchesLabels over the stored label sets. */
    const expected = (selector: string): LabelPairs[] => [...labelSets.values()].filter((labels) => matchesLabels(parseSelector(selector), labels));
    const cpuStacks = (sets: LabelPairs[]): string =>
      sets
        .filter((labels) => labels.some(([n, v]) => n === '__profile_type__' && v === CPU))
        .map((labels) => Number(labels.find(([n]) => n === 'pod')![1].slice(4)))
        .sort((a, b) => a - b)
        .map((i) => `main;s${i} ${i + 1}`)
        .sort()
        .join('\n');

    it('stores two profile types for each series', () => {
      expect(labelSets.size).toBe(2 * SERIES);
    });

    for (const selector of SELECTORS) {
      it(`selects ${selector} as core's matchesLabels does`, async () => {
        const want = expected(selector);
        const sortSets = (sets: LabelPairs[]): string[] => sets.map((labels) => JSON.stringify(labels)).sort();
        expect(sortSets(await store.series('', parseSelector(selector), NOW_MS - HOUR_MS, NOW_MS))).toEqual(sortSets(want));
        expect(collapsedFromTree(callTreeFromStackTable(await store.mergeStacks(query(selector))))).toBe(cpuStacks(want));
        const cpuSets = want.filter((labels) => labels.some(([n, v]) => n === '__profile_type__' && v === CPU));
        expect(await store.profileCount(query(selector))).toBe(cpuSets.length);
        const names = [...new Set(want.flatMap((labels) => labels.map(([n]) => n)))].sort();
        expect(await store.labelNames('', parseSelector(selector), NOW_MS - HOUR_MS, NOW_MS)).toEqual(names);
        for (const label of ['pod', 'region', 'note', '__profile_type__']) {
          const values = [...new Set(want.map((labels) => labels.find(([n]) => n === label)?.[1] ?? '').filter((v) => v !== ''))].sort();
          expect(await store.labelValues('', label, parseSelector(selector), NOW_MS - HOUR_MS, NOW_MS)).toEqual(values);
        }
        const buckets = await store.seriesBuckets(query(selector), HOUR_MS, 2);
        expect(buckets.labelSets.map((labels) => JSON.stringify(labels)).sort()).toEqual(sortSets(cpuSets));
        const points = await store.profilePoints(query(selector), 1000);
        expect(points.points.length).toBe(cpuSets.length);
        expect(new Set(points.points.map((p) => JSON.stringify(points.labelSets[p.seriesIndex])))).toEqual(new Set(cpuSets.map((labels) => JSON.stringify(labels))));
      });
    }

    it('lists profile types of every series', async () => {
      expect(await store.profileTypes('', NOW_MS - HOUR_MS, NOW_MS)).toEqual([...new Set([...labelSets.values()].map((labels) => labels.find(([n]) => n === '__profile_type__')![1]))].sort());
    });

    it('refuses an invalid regex with a 400 code even where no series exists', async () => {
      // Built by hand: parseSelector would refuse it first.
      const read = store.labelNames('', [{ name: 'pod', op: '=~', value: '(unclosed' }], NOW_MS - 10 * DAY_MS, NOW_MS - 9 * DAY_MS);
      await expect(read).rejects.toBeInstanceOf(CinderError);
      await expect(read).rejects.toMatchObject({ code: ErrorCodes.QUERY_INVALID_SELECTOR });
    });
  });
}

storeCases('duckdb', (dataDir) => openDuckDbStore({ dataDir, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => NOW_MS }));

describe('clickhouse', () => {
  let url = '';
  const databases: string[] = [];
  beforeAll(() => {
    url = startClickHouse();
  }, 300_000);
  afterAll(async () => {
    if (url) await dropDatabases(url, databases);
  });
  // The data folder the cases make is unused here: a ClickHouse store keeps everything in its database.
  storeCases('clickhouse', () => {
    const database = freshDatabaseName('cinder_regex');
    databases.push(database);
    return openClickHouseStore({ retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => NOW_MS, url, database });
  });
});
