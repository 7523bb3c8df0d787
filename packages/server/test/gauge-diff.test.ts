import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, multipartBody, readFixture } from './helpers/client.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

/**
 * Gauges in /api/v1/diff: each side is the mean of its own snapshots (2 in the baseline, 3 in the
 * comparison, over ranges of different lengths), so neither the snapshot count nor the range length
 * shows up as a change; cumulative types keep their duration-normalised sums.
 */
const INUSE = 'memory:inuse_space:bytes:space:bytes';
const ALLOC = 'memory:alloc_space:bytes:space:bytes';

type Diff = {
  normalization: { kind: string; baselineScale: number; description: string };
  flamegraph: { levels: number[][]; total: number; leftTicks: number; rightTicks: number };
  table: { name: string; baselineTotal: number; comparisonTotal: number; change: number; changeRatio: number | null; status: string }[];
  baselineTotal: number;
  comparisonTotal: number;
};
type Flame = { flamegraph: { total: number }; top: { name: string; total: number }[]; profileCount: number };

describe('gauge averaging in /api/v1/diff', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const atMs = (minutesAgo: number): number => Math.floor((nowMs - minutesAgo * 60_000) / 1000) * 1000;
  // Two different heap profiles (a = heap.pb.gz, b = heap): baseline a, b; comparison b, a, a.
  const baselineUploads: [string, number][] = [
    ['go/heap.pb.gz', 55],
    ['go/heap', 50],
  ];
  const comparisonUploads: [string, number][] = [
    ['go/heap', 20],
    ['go/heap.pb.gz', 15],
    ['go/heap.pb.gz', 10],
  ];
  // 30 minutes against 25: a duration normalisation would scale the baseline by 25/30.
  const baselineRange = { from: atMs(60), until: atMs(30) };
  const comparisonRange = { from: atMs(25), until: atMs(0) };

  beforeAll(async () => {
    server = await startServer();
    for (const [file, minutesAgo] of [...baselineUploads, ...comparisonUploads]) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
      const at = String(atMs(minutesAgo) / 1000);
      const response = await ingest(server.baseUrl, { name: 'mem', spyName: 'gospy', from: at, until: at }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const flame = async (type: string, fromMs: number, untilMs: number): Promise<Flame> => {
    const params = new URLSearchParams({ query: `${type}{service_name="mem"}`, from: String(fromMs), until: String(untilMs) });
    const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${params.toString()}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Flame;
  };
  const single = async (type: string, minutesAgo: number): Promise<number> => (await flame(type, atMs(minutesAgo) - 500, atMs(minutesAgo) + 500)).flamegraph.total;
  const diff = async (type: string, extra: Record<string, string> = {}): Promise<Diff> => {
    const query = `${type}{service_name="mem"}`;
    const params = new URLSearchParams({
      baseline: query,
      comparison: query,
      baselineFrom: String(baselineRange.from),
      baselineUntil: String(baselineRange.until),
      comparisonFrom: String(comparisonRange.from),
      comparisonUntil: String(comparisonRange.until),
      ...extra,
    });
    const response = await fetch(`${server.baseUrl}/api/v1/diff?${params.toString()}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Diff;
  };
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  it('in-use bytes: each side is the mean of its snapshots, in totals, flame graph and table', async () => {
    const baselineSingles = await Promise.all(baselineUploads.map(([, m]) => single(INUSE, m)));
    const comparisonSingles = await Promise.all(comparisonUploads.map(([, m]) => single(INUSE, m)));
    expect(baselineSingles[0]).not.toBe(baselineSingles[1]);
    const answer = await diff(INUSE);
    expect(answer.baselineTotal).toBeCloseTo(mean(baselineSingles), 3);
    expect(answer.comparisonTotal).toBeCloseTo(mean(comparisonSingles), 3);
    // Sums would differ by the snapshot count (2 vs 3); means are comparable.
    expect(answer.comparisonTotal).toBeLessThan(1.5 * answer.baselineTotal);
    expect(answer.normalization).toMatchObject({ kind: 'none', baselineScale: 1 });
    expect(answer.normalization.description).toContain('averaged');
    expect(answer.flamegraph.leftTicks).toBeCloseTo(answer.baselineTotal, 3);
    expect(answer.flamegraph.rightTicks).toBeCloseTo(answer.comparisonTotal, 3);
    expect(answer.flamegraph.levels[0]![1]).toBeCloseTo(answer.baselineTotal, 3);
    expect(answer.flamegraph.levels[0]![4]).toBeCloseTo(answer.comparisonTotal, 3);
    // Each row equals the same function in each side's own (averaged) top table.
    const [baselineFlame, comparisonFlame] = await Promise.all([flame(INUSE, baselineRange.from, baselineRange.until), flame(INUSE, comparisonRange.from, comparisonRange.until)]);
    expect(baselineFlame.profileCount).toBe(2);
    expect(comparisonFlame.profileCount).toBe(3);
    const baselineByName = new Map(baselineFlame.top.map((row) => [row.name, row.total]));
    const comparisonByName = new Map(comparisonFlame.top.map((row) => [row.name, row.total]));
    const checked = answer.table.slice(0, 20);
    expect(checked.length).toBeGreaterThan(5);
    for (const row of checked) {
      expect(row.baselineTotal).toBeCloseTo(baselineByName.get(row.name) ?? 0, 3);
      expect(row.comparisonTotal).toBeCloseTo(comparisonByName.get(row.name) ?? 0, 3);
      expect(row.change).toBeCloseTo(row.comparisonTotal - row.baselineTotal, 3);
    }
    // Sorted by the size of the change, as for every diff.
    for (let i = 1; i < checked.length; i++) expect(Math.abs(checked[i - 1]!.change)).toBeGreaterThanOrEqual(Math.abs(checked[i]!.change) - 1e-6);
  });

  it('the same snapshots on both sides compare as unchanged whatever their counts', async () => {
    // Baseline a (one snapshot, 55 min ago) against comparison a, a (15 and 10 min ago): sums would say "doubled".
    const query = `${INUSE}{service_name="mem"}`;
    const params = new URLSearchParams({
      baseline: query,
      comparison: query,
      baselineFrom: String(atMs(56)),
      baselineUntil: String(atMs(54)),
      comparisonFrom: String(atMs(16)),
      comparisonUntil: String(atMs(9)),
    });
    const answer = (await (await fetch(`${server.baseUrl}/api/v1/diff?${params.toString()}`)).json()) as Diff;
    expect(answer.comparisonTotal).toBeCloseTo(answer.baselineTotal, 3);
    expect(answer.table.length).toBeGreaterThan(0);
    for (const row of answer.table) expect(row.status).toBe('unchanged');
  });

  it('relative mode keeps shares and averages the flame graph', async () => {
    const answer = await diff(INUSE, { mode: 'relative' });
    const baselineSingles = await Promise.all(baselineUploads.map(([, m]) => single(INUSE, m)));
    expect(answer.baselineTotal).toBeCloseTo(mean(baselineSingles), 3);
    const rootShare = answer.table.find((row) => row.baselineTotal > 0);
    expect(rootShare!.baselineTotal).toBeLessThanOrEqual(1);
  });

  it('cumulative types (alloc bytes) keep duration-normalised sums', async () => {
    const baselineSingles = await Promise.all(baselineUploads.map(([, m]) => single(ALLOC, m)));
    const answer = await diff(ALLOC);
    expect(answer.normalization.kind).toBe('duration');
    expect(answer.normalization.baselineScale).toBeCloseTo(25 / 30, 6);
    expect(answer.baselineTotal).toBe(baselineSingles[0]! + baselineSingles[1]!);
  });
});
