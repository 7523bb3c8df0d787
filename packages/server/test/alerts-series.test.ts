/**
 * GET /api/v1/rules/:id/series on a real server with a real profile (Linux perf on a Rust program,
 * testdata/collapsed): profiles with the watched package scaled ×1, ×2, ×3 are ingested into known
 * one-minute buckets (one exactly on a bucket edge), and each point must equal the value computed
 * here from the folded text alone: Σ over the bucket's profiles of the watched samples × 10 ms
 * (100 Hz) ÷ 60 s. Buckets below minProfiles are null, empty ones absent.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleSeriesResponse, RuleView } from '@cinder/core';
import { defaultConfig } from '../src/config.js';
import { startCinder, type RunningServer } from '../src/main.js';
import { testdataDir } from './helpers/startServer.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WATCHED = 'term::stdout::';
const SAMPLE_RATE_HZ = 100;
const NS_PER_SAMPLE = 1e9 / SAMPLE_RATE_HZ;
const STEP_MS = 60_000;
const lines = readFileSync(path.join(testdataDir, 'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const at = line.lastIndexOf(' ');
    return { stack: line.slice(0, at), count: Number(line.slice(at + 1)) };
  });
const isWatched = (stack: string): boolean => stack.split(';').some((frame) => frame.startsWith(WATCHED));

/** The fixture with every watched stack's count × factor. */
function profileText(factor: number): string {
  return lines.map(({ stack, count }) => `${stack} ${isWatched(stack) ? count * factor : count}`).join('\n');
}
/** Independent of the server: the watched package's total (ns) and the whole profile's total in one profile. */
function expectedNs(factor: number): { watched: number; total: number } {
  let watched = 0;
  let total = 0;
  for (const { stack, count } of lines) {
    const value = isWatched(stack) ? count * factor : count;
    total += value;
    if (isWatched(stack)) watched += value;
  }
  return { watched: watched * NS_PER_SAMPLE, total: total * NS_PER_SAMPLE };
}

describe('recording rule series', () => {
  let dataDir: string;
  let server: RunningServer;
  const untilMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  const fromMs = untilMs - 10 * STEP_MS;
  /** Profiles per bucket end: [offset before the end in ms, watched-package factor]. */
  const plan = new Map<number, [number, number][]>([
    [untilMs - 8 * STEP_MS, [[50_000, 1], [30_000, 1], [10_000, 2]]],
    // One profile exactly on the edge belongs to the bucket it ends, not the next one.
    [untilMs - 5 * STEP_MS, [[0, 3], [20_000, 1], [40_000, 2], [59_000, 3]]],
    [untilMs - 4 * STEP_MS, [[30_000, 2], [50_000, 1]]],
    [untilMs - 2 * STEP_MS, [[15_000, 2]]],
    [untilMs, [[5_000, 1], [25_000, 3], [45_000, 1]]],
  ]);
  const api = async <T,>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.address}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-rule-series-'));
    server = await startCinder({ ...defaultConfig(), host: '127.0.0.1', port: 0, dataDir, selfProfiling: false, logLevel: 'silent', alertTickMs: 60_000 });
    for (const [endMs, profiles] of plan) {
      for (const [beforeMs, factor] of profiles) {
        const atS = (endMs - beforeMs) / 1000;
        const query = new URLSearchParams({ name: 'series-svc.cpu{}', from: String(atS), until: String(atS + 10), format: 'folded', sampleRate: String(SAMPLE_RATE_HZ) });
        const response = await fetch(`${server.address}/ingest?${query}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gzipSync(profileText(factor)) });
        expect(response.status, await response.text()).toBe(200);
      }
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createRule = async (name: string, watch: unknown): Promise<string> => {
    const created = await api<RuleView>('POST', '/api/v1/rules', {
      name,
      kind: 'recording',
      query: `${CPU}{service_name="series-svc"}`,
      watch,
      window: '1m',
      interval: '1m',
      thresholds: { minProfiles: 2 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.rule.id;
  };

  for (const [name, watch, pick] of [
    ['series-package', { package: WATCHED, value: 'total' }, (e: ReturnType<typeof expectedNs>) => e.watched],
    ['series-total', 'total', (e: ReturnType<typeof expectedNs>) => e.total],
  ] as const) {
    it(`${name}: each point equals the value computed from the folded text`, async () => {
      const id = await createRule(name, watch);
      const answer = await api<RuleSeriesResponse>('GET', `/api/v1/rules/${id}/series?from=${fromMs}&until=${untilMs}&points=10`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.stepMs).toBe(STEP_MS);
      expect(answer.body.unit).toBe('nanoseconds');
      expect(answer.body.untilMs).toBe(untilMs);
      const expected = [...plan.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([endMs, profiles]) => ({
          timeMs: endMs,
          profiles: profiles.length,
          valuePerSecond: profiles.length < 2 ? null : profiles.reduce((sum, [, factor]) => sum + pick(expectedNs(factor)), 0) / (STEP_MS / 1000),
        }));
      expect(answer.body.points.map((p) => ({ timeMs: p.timeMs, profiles: p.profiles }))).toEqual(expected.map((p) => ({ timeMs: p.timeMs, profiles: p.profiles })));
      for (const [index, point] of answer.body.points.entries()) {
        const want = expected[index]!.valuePerSecond;
        if (want === null) expect(point.valuePerSecond).toBeNull();
        else expect(point.valuePerSecond!).toBeCloseTo(want, 0);
      }
      // The package is a real share of the profile, not all or nothing.
      if (name === 'series-package') expect(expectedNs(1).watched / expectedNs(1).total).toBeGreaterThan(0.01);
    });
  }

  it('refuses a bad point count with a 400 and an unknown rule with a 404', async () => {
    const id = (await api<{ rules: RuleView[] }>('GET', '/api/v1/rules')).body.rules[0]!.rule.id;
    for (const points of ['1', '100000', 'x']) {
      const answer = await api<{ reason: string }>('GET', `/api/v1/rules/${id}/series?points=${points}`);
      expect(answer.status, points).toBe(400);
      expect(answer.body.reason).toBe('CINDER_QUERY_INVALID_ARGUMENT');
    }
    expect((await api<{ reason: string }>('GET', `/api/v1/rules/0123456789abcdef/series`)).status).toBe(404);
    expect((await api<{ reason: string }>('GET', `/api/v1/rules/${id}/series?from=now&until=now-1h`)).status).toBe(400);
  });
});
