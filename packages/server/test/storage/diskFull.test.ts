/**
 * The DuckDB store on a disk that fills up (issue 10 item 7): writes fail whole batches with
 * STORE_UNAVAILABLE, reads keep answering (also after DuckDB invalidates its instance), health()
 * says why, and the store recovers by itself once space returns, with every acknowledged profile
 * kept and no rejected one stored.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CinderError, ErrorCodes, parseSelector } from '@cinder/core';
import { openDuckDbStore, PROBE_INTERVAL_MS, type DuckDbStore } from '../../src/storage/duckdb/store.js';
import type { ValidatedProfile } from '../../src/storage/store.js';
import { makeProfile } from './conformance.js';
import { mountSmallDisk, type SmallDisk } from './smallDisk.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR_MS = 3_600_000;
const STACKS_PER_PROFILE = 300;

/** A profile with many distinct frames, so the WAL grows quickly. */
function bigProfile(i: number): ValidatedProfile {
  const stacks: Record<string, number> = {};
  for (let k = 0; k < STACKS_PER_PROFILE; k++) stacks[`main;handler_${i}_${k};compute_${k % 17};leaf_${i}_${k}`] = 10_000_000;
  return makeProfile({ timeMs: NOW_MS - 60_000 + (i % 50_000), labels: { run: 'disk-full' }, stacks });
}

async function profileCount(store: DuckDbStore, profileIds?: string[]): Promise<number> {
  return store.profileCount({
    tenant: '',
    profileTypeId: CPU,
    selector: parseSelector('{run="disk-full"}'),
    fromMs: NOW_MS - HOUR_MS,
    toMs: NOW_MS,
    ...(profileIds ? { profileIds } : {}),
  });
}

function expectUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(CinderError);
  expect((error as CinderError).code).toBe(ErrorCodes.STORE_UNAVAILABLE);
  expect((error as CinderError).message).toMatch(/the store cannot write: no space left on device at \//);
}

describe('duckdb store on a full disk', () => {
  let disk: SmallDisk;
  beforeAll(() => {
    disk = mountSmallDisk(24);
  });
  afterAll(() => {
    disk?.unmount();
  });

  it('answers STORE_UNAVAILABLE per batch, keeps reading, and recovers by itself when space returns', async () => {
    const dataDir = path.join(disk.dir, 'data');
    const options = { dataDir, retentionMs: 7 * 24 * HOUR_MS, rollupRetentionMs: 30 * 24 * HOUR_MS, now: () => NOW_MS };
    let store = await openDuckDbStore(options);
    const acknowledged: string[] = [];
    const rejected: string[] = [];
    let next = 0;
    try {
      for (; next < 5; next++) {
        const profile = bigProfile(next);
        await store.append([profile]);
        acknowledged.push(profile.profileId);
      }
      expect(store.health()).toBeNull();

      disk.fill(512 * 1024);
      // Concurrent appends are group-committed; push until the disk refuses one (bounded).
      for (let round = 0; round < 100 && rejected.length === 0; round++) {
        const profiles = Array.from({ length: 4 }, () => bigProfile(next++));
        const results = await Promise.allSettled(profiles.map((profile) => store.append([profile])));
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') acknowledged.push(profiles[i]!.profileId);
          else {
            expectUnavailable(result.reason);
            rejected.push(profiles[i]!.profileId);
          }
        });
      }
      expect(rejected.length, 'the full disk never refused a write').toBeGreaterThan(0);
      expect(store.health()).toMatch(/^the store cannot write: no space left on device at \/.* until it can/);

      // Reads answer with exactly what was acknowledged; nothing of a rejected batch is there.
      expect(await profileCount(store)).toBe(acknowledged.length);
      expect(await profileCount(store, rejected)).toBe(0);
      // While degraded, appends fail fast with the same code.
      await store.append([bigProfile(next++)]).then(
        () => expect.fail('append succeeded on a full disk'),
        (error: unknown) => expectUnavailable(error),
      );

      // A checkpoint on the full disk invalidates DuckDB's instance (every statement would fail
      // until a reopen); reads must still answer.
      const writer = (store as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer;
      await expect(writer.run('CHECKPOINT')).rejects.toThrow(/No space left on device/);
      expect(await profileCount(store)).toBe(acknowledged.length);
      expect((await store.stats(null)).seriesCount).toBeGreaterThan(0);
      expect(store.health()).not.toBeNull();

      disk.free();
      const freedAtMs = Date.now();
      while (store.health() !== null && Date.now() - freedAtMs < 30_000) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.health(), 'the store did not recover within 30 s of space returning').toBeNull();
      expect(Date.now() - freedAtMs).toBeLessThan(10 * PROBE_INTERVAL_MS);
      const after = bigProfile(next++);
      await store.append([after]);
      acknowledged.push(after.profileId);
      expect(await profileCount(store)).toBe(acknowledged.length);
    } finally {
      await store.close();
    }

    store = await openDuckDbStore(options);
    try {
      expect(await profileCount(store)).toBe(acknowledged.length);
      expect(await profileCount(store, rejected)).toBe(0);
      // Catalogue rows of rejected batches were written again with later ones: new stacks still resolve.
      const merged = await store.mergeStacks({
        tenant: '',
        profileTypeId: CPU,
        selector: parseSelector('{run="disk-full"}'),
        fromMs: NOW_MS - HOUR_MS,
        toMs: NOW_MS,
      });
      const total = Array.from(merged.self).reduce((sum, value) => sum + value, 0);
      expect(total).toBe(acknowledged.length * STACKS_PER_PROFILE * 10_000_000);
    } finally {
      await store.close();
    }
  });

  it('acknowledges a batch DuckDB committed before its autocheckpoint failed, and reopens the instance', async () => {
    const dataDir = path.join(disk.dir, 'data-checkpoint');
    const options = { dataDir, retentionMs: 7 * 24 * HOUR_MS, rollupRetentionMs: 30 * 24 * HOUR_MS, now: () => NOW_MS };
    let store = await openDuckDbStore(options);
    const acknowledged: string[] = [];
    const rejected: string[] = [];
    let acknowledgedAsItDegraded = 0;
    try {
      // Every commit checkpoints, so a full disk fails the checkpoint after the WAL write succeeded.
      const writer = (store as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer;
      await writer.run(`SET checkpoint_threshold = '1KB'`);
      disk.fill(160 * 1024);
      for (let i = 0; i < 200 && rejected.length === 0; i++) {
        const profile = bigProfile(100_000 + i);
        try {
          const healthyBefore = store.health() === null;
          await store.append([profile]);
          acknowledged.push(profile.profileId);
          if (healthyBefore && store.health() !== null) acknowledgedAsItDegraded++;
        } catch (error) {
          expectUnavailable(error);
          rejected.push(profile.profileId);
        }
      }
      expect(rejected.length, 'the full disk never refused a write').toBeGreaterThan(0);
      expect(acknowledgedAsItDegraded, 'no commit reached the WAL with its checkpoint failing').toBe(1);
      expect(store.health()).not.toBeNull();
      // The reopened instance answers with every acknowledged profile, including the one whose
      // COMMIT reached the WAL when the checkpoint after it failed.
      expect(await profileCount(store)).toBe(acknowledged.length);
      disk.free();
      const freedAtMs = Date.now();
      while (store.health() !== null && Date.now() - freedAtMs < 30_000) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.health(), 'the store did not recover within 30 s of space returning').toBeNull();
    } finally {
      disk.free();
      await store.close();
    }
    store = await openDuckDbStore(options);
    try {
      expect(await profileCount(store)).toBe(acknowledged.length);
      expect(await profileCount(store, rejected)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
