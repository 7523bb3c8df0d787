import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CinderError, ErrorCodes } from '@cinder/core';
import { repoRoot, testdataDir } from './helpers/startServer.js';
import type { ProfileDecoder, createProfileDecoder as CreateDecoder } from '../src/ingest/decodePool.js';

/**
 * The decode worker pool on the built server code (workers load dist/ingest/decodeWorker.js): every
 * format decodes off the main thread, and a worker that runs out of memory or time is replaced —
 * the request gets a 4xx with a code, the next request is served.
 */
const { createProfileDecoder } = (await import(path.join(repoRoot, 'packages/server/dist/ingest/decodePool.js'))) as { createProfileDecoder: typeof CreateDecoder };

const fixture = (file: string): Uint8Array => readFileSync(path.join(testdataDir, file));
const limits = { maxSamples: 200_000 };

describe('decode worker pool', () => {
  let pool: ProfileDecoder | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('decodes every format on a worker, the same as inline', async () => {
    pool = createProfileDecoder(2, { inlineBelowBytes: 0 });
    const inline = createProfileDecoder(0);
    const cases = [
      { file: 'go/cpu.pb.gz', format: 'pprof' },
      { file: 'collapsed/perf-vertx-stacks-01-collapsed-all.txt', format: 'collapsed' },
      { file: 'speedscope/two-sampled.speedscope.json', format: 'speedscope' },
    ] as const;
    for (const { file, format } of cases) {
      const request = { bytes: fixture(file), format, maxOutputBytes: 64 << 20, what: 'profile', options: { limits } };
      const [onWorker, onMain] = await Promise.all([pool.decode(request), inline.decode(request)]);
      expect(onWorker.length, file).toBe(onMain.length);
      onWorker.forEach((entry, i) => {
        expect(entry.profile.names, file).toEqual(onMain[i]!.profile.names);
        expect(entry.profile.stacks.map((s) => [...s]), file).toEqual(onMain[i]!.profile.stacks.map((s) => [...s]));
        expect([...entry.profile.values[0]!], file).toEqual([...onMain[i]!.profile.values[0]!]);
      });
    }
  });

  it('small bodies decode inline; workers start on demand and exit when idle', async () => {
    pool = createProfileDecoder(2, { idleExitMs: 50 });
    expect(pool.runningWorkers()).toBe(0);
    const small = fixture('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz');
    expect(small.length).toBeLessThan(16 * 1024);
    await pool.decode({ bytes: small, format: 'pprof', maxOutputBytes: 64 << 20, what: 'profile', options: { limits } });
    expect(pool.runningWorkers()).toBe(0);
    const big = { bytes: fixture('go/heap'), format: 'pprof' as const, maxOutputBytes: 64 << 20, what: 'profile', options: { limits } };
    expect(big.bytes.length).toBeGreaterThan(16 * 1024);
    await pool.decode(big);
    expect(pool.runningWorkers()).toBe(1);
    await expect.poll(() => pool!.runningWorkers(), { timeout: 5_000 }).toBe(0);
    expect((await pool.decode(big))[0]!.profile.stacks.length).toBeGreaterThan(0);
    expect(pool.runningWorkers()).toBe(1);
  });

  it('a worker that runs out of memory is replaced; the request gets PROFILE_TOO_COMPLEX', async () => {
    pool = createProfileDecoder(1, { workerHeapMb: 8 });
    const big = { bytes: fixture('go/big/distributors.pb.gz'), format: 'pprof' as const, maxOutputBytes: 64 << 20, what: 'profile', options: { limits } };
    let error: unknown;
    try {
      await pool.decode(big);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CinderError);
    expect((error as CinderError).code).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    expect((error as CinderError).message).toMatch(/more than 8 MiB/);
    const small = await pool.decode({ bytes: fixture('go/cpu.pb.gz'), format: 'pprof', maxOutputBytes: 64 << 20, what: 'profile', options: { limits } });
    expect(small[0]!.profile.stacks.length).toBeGreaterThan(0);
  });

  it('a decode that overruns its time is stopped and its worker replaced', async () => {
    pool = createProfileDecoder(1, { timeoutMs: 1 });
    const big = { bytes: fixture('go/big/distributors.pb.gz'), format: 'pprof' as const, maxOutputBytes: 64 << 20, what: 'profile', options: { limits } };
    await expect(pool.decode(big)).rejects.toThrow(/took longer than/);
    await pool.close();
    pool = createProfileDecoder(1);
    expect((await pool.decode(big))[0]!.profile.stacks.length).toBeGreaterThan(80_000);
  });
});
