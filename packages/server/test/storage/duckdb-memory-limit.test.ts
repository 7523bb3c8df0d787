/**
 * DuckDB's memory limit (storage/duckdb/memoryLimit.ts): low while idle so the buffer pool stays
 * small, raised for big statements, and a statement that ran out of memory under the idle limit
 * runs again with room instead of failing the request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_MEMORY_LIMIT, MemoryLimit, ROOMY_MEMORY_LIMIT, bytesOfSetting, isOutOfMemory } from '../../src/storage/duckdb/memoryLimit.js';
import { DUCKDB_SETTINGS, openDuckDbStore, type DuckDbStore } from '../../src/storage/duckdb/store.js';
import { makeProfile } from './conformance.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A list aggregate of 12M doubles (~100 MB) cannot spill: it needs more than the idle limit. */
const BIG_SQL = 'SELECT sum(len(l)) FROM (SELECT list(i::DOUBLE) AS l FROM range(12000000) t(i))';

const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function limitOf(connection: DuckDBConnection): Promise<number> {
  const result = await connection.runAndReadAll(`SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'`);
  return bytesOfSetting(String(result.getRows()[0]![0]));
}

describe('DuckDB memory limit', () => {
  it('is low when idle, raised while a task runs with room, and a statement that ran out of memory is run again with room', async () => {
    const instance = await DuckDBInstance.create(':memory:', { ...DUCKDB_SETTINGS });
    const [user, settings] = [await instance.connect(), await instance.connect()];
    cleanups.push(() => {
      user.closeSync();
      settings.closeSync();
      instance.closeSync();
    });
    const memory = new MemoryLimit(settings);
    const idleBytes = await limitOf(user);
    expect(idleBytes).toBeLessThanOrEqual(70e6);
    // Without room the statement fails: this is what the retry exists for.
    const failure = await user.runAndReadAll(BIG_SQL).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isOutOfMemory(failure)).toBe(true);
    let limitInside = 0;
    const rows = await memory.retryWithRoom(async () => {
      limitInside = await limitOf(user);
      return (await user.runAndReadAll(BIG_SQL)).getRows();
    });
    expect(Number(rows[0]![0])).toBe(12_000_000);
    expect(limitInside).toBeGreaterThan(400e6);
    expect(memory.raises).toBe(1);
    expect(await limitOf(user)).toBe(idleBytes);
    // Overlapping tasks keep the room until the last one ends.
    let release!: () => void;
    const held = memory.withRoom(() => new Promise<void>((resolve) => (release = resolve)));
    await memory.withRoom(async () => expect(await limitOf(user)).toBeGreaterThan(400e6));
    expect(await limitOf(user)).toBeGreaterThan(400e6);
    release();
    await held;
    expect(await limitOf(user)).toBe(idleBytes);
    // Errors other than running out of memory are not retried.
    let calls = 0;
    await expect(
      memory.retryWithRoom(async () => {
        calls++;
        throw new Error('Binder Error: no such column');
      }),
    ).rejects.toThrow(/Binder/);
    expect(calls).toBe(1);
    expect([IDLE_MEMORY_LIMIT, ROOMY_MEMORY_LIMIT]).toEqual(['64MB', '512MB']);
  });

  it('the store idles at the low limit, and rollups plus retention leave it there', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cinder-memlimit-'));
    dirs.push(dataDir);
    const nowMs = Date.UTC(2026, 0, 15, 12, 0, 0);
    const store: DuckDbStore = await openDuckDbStore({ dataDir, retentionMs: DAY_MS, rollupRetentionMs: 2 * DAY_MS, now: () => nowMs });
    cleanups.push(() => store.close());
    const idleBytes = await store.memoryLimitBytes();
    expect(idleBytes).toBeLessThanOrEqual(70e6);
    for (let minute = 0; minute < 30; minute++) {
      await store.append([makeProfile({ timeMs: nowMs - (40 - minute) * MINUTE_MS, stacks: { [`main;work;f${minute}`]: 10 } })]);
    }
    const result = await store.maintain(nowMs);
    expect(result.rolledUpRows).toBeGreaterThan(0);
    expect(await store.memoryLimitBytes()).toBe(idleBytes);
  });
});
