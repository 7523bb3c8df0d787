/**
 * Scale-out on one ClickHouse database: two stores (two Cinder servers' worth of state) ingest at
 * once and each answers everything either acknowledged; a writer killed with kill -9 mid-ingest
 * loses nothing it acknowledged.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTreeFromStackTable, collapsedFromTree, parseSelector } from '@cinder/core';
import { makeProfile } from './conformance.js';
import { dropDatabases, freshDatabaseName, startClickHouse } from './clickhouseServer.js';
import { openClickHouseStore, type ClickHouseStore } from '../../src/storage/clickhouse/store.js';
import { startServer, type StartedServer } from '../helpers/startServer.js';
import { ingest, mergedTotal } from '../helpers/client.js';
import type { SelectQuery } from '../../src/storage/store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOW_MS = Date.UTC(2026, 0, 15, 12);
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const here = path.dirname(fileURLToPath(import.meta.url));

let url = '';
const databases: string[] = [];

beforeAll(() => {
  url = startClickHouse();
});

afterAll(async () => {
  if (url) await dropDatabases(url, databases);
});

function open(database: string): Promise<ClickHouseStore> {
  return openClickHouseStore({ url, database, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => NOW_MS });
}

function query(selector: string, extra: Partial<SelectQuery> = {}): SelectQuery {
  return { tenant: '', profileTypeId: CPU, selector: parseSelector(selector), fromMs: NOW_MS - HOUR_MS, toMs: NOW_MS, ...extra };
}

async function collapsed(store: ClickHouseStore, q: SelectQuery): Promise<string> {
  return collapsedFromTree(callTreeFromStackTable(await store.mergeStacks(q)));
}

describe('clickhouse scale-out', () => {
  it('two stores on one database both ingest (different and the same services) and both answer everything', async () => {
    const database = freshDatabaseName('cinder_scale');
    databases.push(database);
    const [a, b] = await Promise.all([open(database), open(database)]);
    try {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) {
        const timeMs = NOW_MS - 1000 * (i + 1);
        // Same stacks from both writers: the same content-addressed symbol rows, written twice.
        writes.push(a.append([makeProfile({ timeMs, labels: { service_name: 'alpha' }, stacks: { 'main;alpha': 1, 'main;common': 2 } })]));
        writes.push(b.append([makeProfile({ timeMs, labels: { service_name: 'beta' }, stacks: { 'main;beta': 3, 'main;common': 2 } })]));
        writes.push(a.append([makeProfile({ timeMs, labels: { service_name: 'shared', pod: 'a' }, stacks: { 'main;s': 1, [`main;a${i % 4}`]: 1 } })]));
        writes.push(b.append([makeProfile({ timeMs, labels: { service_name: 'shared', pod: 'b' }, stacks: { 'main;s': 1, [`main;b${i % 4}`]: 1 } })]));
      }
      await Promise.all(writes);
      for (const store of [a, b]) {
        expect(await store.labelValues('', 'service_name', [], NOW_MS - HOUR_MS, NOW_MS)).toEqual(['alpha', 'beta', 'shared']);
        expect(await store.profileCount(query('{}'))).toBe(240);
        expect(await collapsed(store, query('{service_name=~"alpha|beta"}'))).toBe('main;alpha 60\nmain;beta 180\nmain;common 240');
        expect(await collapsed(store, query('{service_name="shared"}'))).toBe(
          ['main;a0 15', 'main;a1 15', 'main;a2 15', 'main;a3 15', 'main;b0 15', 'main;b1 15', 'main;b2 15', 'main;b3 15', 'main;s 120'].join('\n'),
        );
        const buckets = await store.seriesBuckets(query('{service_name="shared"}'), HOUR_MS, 2);
        expect(buckets.labelSets).toHaveLength(2);
        expect(buckets.count.reduce((x, y) => x + y, 0)).toBe(120);
      }
      // A new series and stack written by one server is answered by the other at once (nothing cached to refresh).
      await b.append([makeProfile({ timeMs: NOW_MS - 1, labels: { service_name: 'late', pod: 'z' }, stacks: { 'main;brand;new': 7 } })]);
      expect(await collapsed(a, query('{service_name="late"}'))).toBe('main;brand;new 7');
      expect((await a.stats(null)).seriesCount).toBe((await b.stats(null)).seriesCount);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a writer killed with kill -9 mid-ingest loses nothing it acknowledged', { timeout: 180_000 }, async () => {
    const database = freshDatabaseName('cinder_kill');
    databases.push(database);
    // Create the schema first so the child starts appending at once.
    await (await open(database)).close();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'clickhouseWriterChild.ts'), url, database, String(NOW_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let stderr = '';
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    while (acked.length < 100 && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acked.length, `the writer acknowledged too little before the deadline:\n${stderr}`).toBeGreaterThanOrEqual(100);
    child.kill('SIGKILL');
    await exited;
    // Killed mid-ingest, not finished.
    expect(child.signalCode).toBe('SIGKILL');
    // Lines printed before the kill but not yet read by this process are acknowledged too.
    if (buffered.startsWith('ack ')) acked.push(buffered.slice(4));
    const reader = await open(database);
    try {
      const q = query('{service_name="killed"}', { profileIds: acked });
      expect(await reader.profileCount(q)).toBe(acked.length);
      const lines = new Set((await collapsed(reader, q)).split('\n'));
      for (const id of acked) {
        const i = Number(id.slice('child-'.length));
        expect(lines.has(`main;child;f${i} ${i + 1}`), id).toBe(true);
      }
    } finally {
      await reader.close();
    }
  });

  it('two cinder servers on one database: both ingest, both answer everything; kill -9 of one loses nothing it acknowledged', { timeout: 180_000 }, async () => {
    const database = freshDatabaseName('cinder_servers');
    databases.push(database);
    const store = `clickhouse://default@${url.replace(/^http:\/\//, '')}/${database}`;
    const servers: StartedServer[] = [];
    try {
      const [a, b] = await Promise.all([startServer({ args: ['--store', store] }), startServer({ args: ['--store', store] })]);
      servers.push(a!, b!);
      const send = (server: StartedServer, name: string, i: number) =>
        ingest(server.baseUrl, { name: `${name}.cpu{writer=${server === a ? 'a' : 'b'}}`, format: 'folded', sampleRate: '100' }, `main;work;step${i % 7} 3\nmain;idle 1\n`, 'text/plain');
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => [send(a!, 'alpha', i), send(b!, 'beta', i), send(a!, 'shared', i), send(b!, 'shared', i)]).flat(),
      );
      for (const response of responses) expect(response.status, response.text).toBe(200);
      const perProfile = 4 * 10_000_000;
      for (const server of [a!, b!]) {
        expect(await mergedTotal(server.baseUrl, CPU, '{service_name="alpha"}')).toBe(20 * perProfile);
        expect(await mergedTotal(server.baseUrl, CPU, '{service_name="beta"}')).toBe(20 * perProfile);
        expect(await mergedTotal(server.baseUrl, CPU, '{service_name="shared"}')).toBe(40 * perProfile);
      }
      // a is killed while requests are in flight; b answers every profile a acknowledged.
      let acknowledged = 0;
      let sent = 0;
      let stop = false;
      const load = Array.from({ length: 8 }, async () => {
        while (!stop && sent < 5000) {
          sent++;
          const response = await send(a!, 'killed', sent).catch(() => null);
          if (response?.status === 200) acknowledged++;
        }
      });
      const deadline = Date.now() + 90_000;
      while (acknowledged < 100 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await a!.kill();
      stop = true;
      await Promise.all(load);
      expect(acknowledged).toBeGreaterThanOrEqual(100);
      const total = await mergedTotal(b!.baseUrl, CPU, '{service_name="killed"}');
      // Every acknowledged profile is there; requests cut off by the kill may or may not be.
      expect(total).toBeGreaterThanOrEqual(acknowledged * perProfile);
      expect(total).toBeLessThanOrEqual(sent * perProfile);
    } finally {
      for (const server of servers) await server.stop().catch(() => undefined);
    }
  });
});
