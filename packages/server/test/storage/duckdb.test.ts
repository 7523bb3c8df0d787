import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStoreSuite } from './conformance.js';
import { openDuckDbStore } from '../../src/storage/duckdb/store.js';

runStoreSuite('duckdb', (options) => openDuckDbStore(options));

describe('duckdb store specifics', () => {
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
