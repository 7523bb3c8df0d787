import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesLabels, parseSelector } from '@cinder/core';
import { makeProfile, runStoreSuite } from './conformance.js';
import { dropDatabases, freshDatabaseName, startClickHouse } from './clickhouseServer.js';
import { openClickHouseStore, parseClickHouseStoreUrl } from '../../src/storage/clickhouse/store.js';
import { sqlString, tsvField, tsvRows, unescapeTsv } from '../../src/storage/clickhouse/sql.js';
import { ClickHouseDb } from '../../src/storage/clickhouse/db.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
let url = '';
/** One database per data folder the suite hands out: a reopen with the same folder sees the same data. */
const databases = new Map<string, string>();

beforeAll(() => {
  url = startClickHouse();
});

afterAll(async () => {
  if (url) await dropDatabases(url, databases.values());
});

runStoreSuite('clickhouse', async (options) => {
  let database = databases.get(options.dataDir);
  if (!database) {
    database = freshDatabaseName('cinder_conf');
    databases.set(options.dataDir, database);
  }
  return openClickHouseStore({ ...options, url, database });
});

describe('clickhouse store specifics', () => {
  const HOUR_MS = 3_600_000;
  const NOW_MS = Date.UTC(2026, 0, 15, 12);

  it('round-trips any string through TSV and SQL literals', async () => {
    const db = new ClickHouseDb({ url, database: 'default' });
    try {
      const nasty = ["a'b", 'tab\there', 'new\nline', 'back\\slash', 'nul\u0000x', 'cr\rx', 'ünï😀', "\\'", ''];
      for (const value of nasty) {
        const [[out]] = (await db.rows(`SELECT ${sqlString(value)}`)) as [[string]];
        expect(unescapeTsv(out)).toBe(value);
        expect(tsvRows(`${tsvField(value)}\tx`)[0]!.map(unescapeTsv)).toEqual([value, 'x']);
      }
      const [[max]] = (await db.rows(`SELECT toUInt64('18446744073709551615')`)) as [[string]];
      expect(BigInt(max)).toBe(2n ** 64n - 1n);
    } finally {
      await db.close();
    }
  });

  it('parses clickhouse:// store URLs', () => {
    expect(parseClickHouseStoreUrl('clickhouse://alice:s%40cret@db.example:8123/profiles')).toEqual({
      url: 'http://db.example:8123',
      database: 'profiles',
      username: 'alice',
      password: 's@cret',
    });
    expect(parseClickHouseStoreUrl('clickhouse://127.0.0.1/x').url).toBe('http://127.0.0.1:8123');
    expect(() => parseClickHouseStoreUrl('http://x/y')).toThrow(/clickhouse:\/\//);
  });

  it('keeps label names and values with quotes, tabs and newlines; regexes as core matches them', async () => {
    const database = freshDatabaseName('cinder_labels');
    databases.set(`labels-${database}`, database);
    const store = await openClickHouseStore({ url, database, retentionMs: 7 * 24 * HOUR_MS, rollupRetentionMs: 30 * 24 * HOUR_MS, now: () => NOW_MS });
    try {
      const odd = "it's\ta\nvalue\\";
      await store.append([
        makeProfile({ timeMs: NOW_MS - 1000, labels: { region: odd }, stacks: { "f'n;g\th": 3 } }),
        makeProfile({ timeMs: NOW_MS - 1000, labels: { region: 'a\nb' }, stacks: { x: 1 } }),
      ]);
      expect(await store.labelValues('', 'region', [], NOW_MS - HOUR_MS, NOW_MS)).toEqual(['a\nb', odd].sort());
      const q = (selector: string) => ({ tenant: '', profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', selector: parseSelector(selector), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS });
      expect(await store.profileCount(q(`{region=${JSON.stringify(odd)}}`))).toBe(1);
      // Differential against core's matchesLabels (anchored RE2; ClickHouse's match() is unanchored).
      for (const selector of ['{region=~"a.b"}', '{region=~"a"}', '{region=~"it.*"}', '{region!~"a.*"}', '{region=~"(?i)A.B"}', '{region!="a\\nb"}']) {
        const expected = [odd, 'a\nb'].filter((value) => matchesLabels(parseSelector(selector), new Map([['region', value]]))).length;
        expect(await store.profileCount(q(selector)), selector).toBe(expected);
      }
      const table = await store.mergeStacks(q(`{region=${JSON.stringify(odd)}}`));
      expect(table.names.sort()).toEqual(["f'n", 'g\th']);
    } finally {
      await store.close();
    }
  });

  it('drops a day with its symbols at retention', async () => {
    const database = freshDatabaseName('cinder_ret');
    databases.set(`ret-${database}`, database);
    const clockMs = NOW_MS;
    const store = await openClickHouseStore({ url, database, retentionMs: 2 * 24 * HOUR_MS, rollupRetentionMs: 3 * 24 * HOUR_MS, now: () => clockMs });
    try {
      await store.append([makeProfile({ timeMs: NOW_MS - 5 * 24 * HOUR_MS, stacks: { 'old;only': 1 } })]);
      await store.append([makeProfile({ timeMs: NOW_MS - 1000, stacks: { 'new;only': 1 } })]);
      const before = await store.symbolCounts();
      expect(before.stacks).toBe(2);
      const result = await store.maintain(clockMs);
      expect(result.rawRowsDeleted).toBe(2);
      const after = await store.symbolCounts();
      expect(after).toEqual({ names: 2, stacks: 1, series: 2 });
      expect((await store.stats('')).oldestProfileMs).toBe(NOW_MS - 1000);
    } finally {
      await store.close();
    }
  });

  it('degrades while ClickHouse is down (503 STORE_UNAVAILABLE, health says why) and recovers by itself', async () => {
    // A second, private server (own folder and ports) that this test stops and starts again.
    const dir = mkdtempSync(path.join(tmpdir(), 'cinder-ch-down-'));
    const env = { ...process.env, CINDER_CLICKHOUSE_HTTP_PORT: '18133', CINDER_CLICKHOUSE_TCP_PORT: '19013' };
    const script = path.join(repoRoot, 'scripts/clickhouse.sh');
    const run = (command: string): string => execFileSync('bash', [script, command, dir], { env, encoding: 'utf8', timeout: 120_000 });
    const privateUrl = run('start').trim().split('\n').pop()!;
    const store = await openClickHouseStore({ url: privateUrl, database: 'cinder_down', retentionMs: 7 * 24 * HOUR_MS, rollupRetentionMs: 30 * 24 * HOUR_MS, now: () => NOW_MS, requestTimeoutMs: 5000 });
    try {
      await store.append([makeProfile({ timeMs: NOW_MS - 1000, stacks: { before: 1 } })]);
      run('stop');
      await expect(store.append([makeProfile({ timeMs: NOW_MS - 900, stacks: { during: 1 } })])).rejects.toMatchObject({ code: 'CINDER_STORE_UNAVAILABLE' });
      expect(store.health()).toMatch(/ClickHouse at http:\/\/127\.0\.0\.1:18133/);
      // Fails fast while degraded, and reads say unavailable instead of crashing.
      await expect(store.append([makeProfile({ timeMs: NOW_MS - 800, stacks: { during: 1 } })])).rejects.toMatchObject({ code: 'CINDER_STORE_UNAVAILABLE' });
      await expect(store.profileTypes('', NOW_MS - HOUR_MS, NOW_MS)).rejects.toMatchObject({ code: 'CINDER_STORE_UNAVAILABLE' });
      run('start');
      const deadline = Date.now() + 15_000;
      while (store.health() !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.health()).toBeNull();
      await store.append([makeProfile({ timeMs: NOW_MS - 700, stacks: { after: 1 } })]);
      const q = { tenant: '', profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', selector: parseSelector('{}'), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS };
      expect(await store.profileCount(q)).toBe(2);
    } finally {
      await store.close();
      run('stop');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers STORE_UNAVAILABLE (not a crash) when ClickHouse cannot be reached', async () => {
    await expect(
      openClickHouseStore({ url: 'http://127.0.0.1:1', database: 'x', retentionMs: 1, rollupRetentionMs: 1, requestTimeoutMs: 2000 }),
    ).rejects.toMatchObject({ code: 'CINDER_STORE_UNAVAILABLE' });
  });
});
