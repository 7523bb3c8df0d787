import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProfile, runStoreSuite } from './conformance.js';
import { openDuckDbStore } from '../../src/storage/duckdb/store.js';

runStoreSuite('duckdb', (options) => openDuckDbStore(options));

describe('duckdb store specifics', () => {
  it('upgrades a schema 1 store (no sampling period column) in place', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cinder-schema1-'));
    try {
      const store = await openDuckDbStore({ dataDir: dir, retentionMs: 1e12, rollupRetentionMs: 2e12 });
      const writer = (store as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer;
      await writer.run(`ALTER TABLE profiles DROP COLUMN period`);
      await writer.run(`UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
      await store.close();
      const upgraded = await openDuckDbStore({ dataDir: dir, retentionMs: 1e12, rollupRetentionMs: 2e12 });
      await upgraded.append([makeProfile({ timeMs: Date.now() - 1000, stacks: { 'main;a': 5 } })]);
      const types = await upgraded.profileTypes('', Date.now() - 60_000, Date.now());
      expect(types.length).toBe(2);
      await upgraded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
