import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { callTreeFromStackTable, collapsedFromTree, parseSelector } from '@cinder/core';
import { makeProfile, runStoreSuite } from './conformance.js';
import { openDuckDbStore, STORE_FILE_NAME } from '../../src/storage/duckdb/store.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

runStoreSuite('duckdb', (options) => openDuckDbStore(options));

describe('duckdb store specifics', () => {
  for (const version of [1, 2]) {
    it(`upgrades a schema ${version} store (integer ids) in place to content-addressed ids`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), `cinder-schema${version}-`));
      const nowMs = Date.UTC(2026, 0, 15, 12, 0, 0);
      const oldMs = nowMs - 10 * DAY_MS;
      try {
        // The tables and rows as schema 1/2 builds wrote them (parents before children, -1 = root).
        const instance = await DuckDBInstance.create(path.join(dir, STORE_FILE_NAME));
        const db = await instance.connect();
        for (const sql of [
          `CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
          `CREATE TABLE names (id INTEGER, name VARCHAR)`,
          `CREATE TABLE stacks (id INTEGER, parent INTEGER, name_id INTEGER)`,
          `CREATE TABLE series (id INTEGER, tenant VARCHAR, profile_type VARCHAR, labels VARCHAR)`,
          `CREATE TABLE profiles (pid BIGINT, series_id INTEGER, time_ms BIGINT, profile_id VARCHAR, total DOUBLE${version >= 2 ? ', period DOUBLE' : ''})`,
          `CREATE TABLE samples (series_id INTEGER, time_ms BIGINT, pid BIGINT, stack_id INTEGER, value DOUBLE, span_id VARCHAR, trace_id VARCHAR)`,
          `CREATE TABLE rollup_1m (series_id INTEGER, bucket_ms BIGINT, stack_id INTEGER, value DOUBLE)`,
          `CREATE TABLE rollup_1h (series_id INTEGER, bucket_ms BIGINT, stack_id INTEGER, value DOUBLE)`,
          `INSERT INTO meta VALUES ('schema_version', '${version}'), ('rollup_1m_until', '${nowMs - 5 * MINUTE_MS}'), ('rollup_1h_until', '${nowMs - 2 * HOUR_MS}')`,
          `INSERT INTO names VALUES (0, 'main'), (1, 'a'), (2, 'b'), (3, 'old')`,
          `INSERT INTO stacks VALUES (0, -1, 0), (1, 0, 1), (2, 0, 2), (3, -1, 3)`,
          `INSERT INTO series VALUES (0, '', '${CPU}', '[["__name__","process_cpu"],["pod","p1"],["service_name","api"]]')`,
          `INSERT INTO profiles VALUES (1, 0, ${nowMs - 60_000}, 'prof-1', 7${version >= 2 ? ', 10000000' : ''}), (2, 0, ${oldMs}, 'prof-old', 4${version >= 2 ? ', NULL' : ''})`,
          `INSERT INTO samples VALUES (0, ${nowMs - 60_000}, 1, 1, 5, '00000000000000aa', NULL), (0, ${nowMs - 60_000}, 1, 2, 1, NULL, NULL), (0, ${nowMs - 60_000}, 1, -1, 1, NULL, NULL)`,
          `INSERT INTO rollup_1m VALUES (0, ${oldMs}, 3, 4)`,
          `INSERT INTO rollup_1h VALUES (0, ${oldMs}, 3, 4)`,
        ]) {
          await db.run(sql);
        }
        db.closeSync();
        instance.closeSync();

        const options = { dataDir: dir, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => nowMs };
        const store = await openDuckDbStore(options);
        const q = { tenant: '', profileTypeId: CPU, selector: parseSelector('{pod="p1"}'), fromMs: nowMs - HOUR_MS, toMs: nowMs };
        const merged = async (query: typeof q): Promise<string> => collapsedFromTree(callTreeFromStackTable(await store.mergeStacks(query)));
        expect(await merged(q)).toBe('main;a 5\nmain;b 1');
        expect((await store.mergeStacks(q)).rootSelf).toBe(1);
        expect(await store.profileCount(q)).toBe(1);
        expect(await store.profileCount({ ...q, spanIds: ['00000000000000aa'] })).toBe(1);
        expect(await store.meanPeriod(q)).toBe(version >= 2 ? 10_000_000 : null);
        // Old data, only in rollups, is still answered (legacy symbols partition).
        expect(await merged({ ...q, fromMs: oldMs - HOUR_MS, toMs: oldMs + HOUR_MS })).toBe('old 4');
        expect(await store.labelValues('', 'pod', [], nowMs - HOUR_MS, nowMs)).toEqual(['p1']);
        // New data for the same stacks and series lands on the same content ids: one node, one series.
        await store.append([makeProfile({ timeMs: nowMs - 1000, labels: { pod: 'p1' }, stacks: { 'main;a': 2 } })]);
        expect(await merged(q)).toBe('main;a 7\nmain;b 1');
        expect(await store.series('', parseSelector('{pod="p1", __profile_type__="' + CPU + '"}'), nowMs - HOUR_MS, nowMs)).toHaveLength(1);
        await store.close();
        // Reopening an upgraded store does not upgrade again.
        const reopened = await openDuckDbStore(options);
        expect(await collapsedFromTree(callTreeFromStackTable(await reopened.mergeStacks(q)))).toBe('main;a 7\nmain;b 1');
        // Once every old row is past the rollup window, the legacy symbols go too.
        await reopened.enforceRetention(nowMs + 31 * DAY_MS);
        expect((await reopened.symbolCounts()).names).toBe(0);
        await reopened.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses a store written by a newer schema', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cinder-schema-'));
    try {
      const store = await openDuckDbStore({ dataDir: dir, retentionMs: 1e9, rollupRetentionMs: 2e9 });
      await (store as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer.run(`UPDATE meta SET value = '999' WHERE key = 'schema_version'`);
      await store.close();
      await expect(openDuckDbStore({ dataDir: dir, retentionMs: 1e9, rollupRetentionMs: 2e9 })).rejects.toThrow(/newer Cinder \(store schema 999/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
