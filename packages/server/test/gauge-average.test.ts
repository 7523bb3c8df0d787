import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, mergedTotal, multipartBody, readFixture } from './helpers/client.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

/**
 * Gauges in Cinder's own API: in-use memory over N snapshots is their mean (flame graph, top table,
 * timeline), while the Pyroscope query API keeps upstream's sum. Two different heap profiles (a, b)
 * are pushed as a, b, a minutes apart, so sum (2a + b) and mean ((2a + b) / 3) differ.
 */
const INUSE = 'memory:inuse_space:bytes:space:bytes';
const ALLOC = 'memory:alloc_space:bytes:space:bytes';

describe('gauge aggregation in /api/v1', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const uploads: [file: string, minutesAgo: number][] = [
    ['go/heap.pb.gz', 20],
    ['go/heap', 15],
    ['go/heap.pb.gz', 10],
  ];
  const atMs = (minutesAgo: number): number => Math.floor((nowMs - minutesAgo * 60_000) / 1000) * 1000;

  beforeAll(async () => {
    server = await startServer();
    for (const [file, minutesAgo] of uploads) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
      const response = await ingest(server.baseUrl, { name: 'mem', spyName: 'gospy', from: String(atMs(minutesAgo) / 1000), until: String(atMs(minutesAgo) / 1000) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const flame = async (type: string, fromMs: number, untilMs: number) => {
    const params = new URLSearchParams({ query: `${type}{service_name="mem"}`, from: String(fromMs), until: String(untilMs) });
    const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${params.toString()}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { flamegraph: { total: number; levels: number[][] }; top: { name: string; self: number; total: number }[]; profileCount: number; aggregation?: string };
  };
  /** One snapshot alone: a one-second range around its time. */
  const single = async (type: string, minutesAgo: number) => flame(type, atMs(minutesAgo) - 500, atMs(minutesAgo) + 500);

  it('in-use bytes over three snapshots equal their mean; the Pyroscope API still sums them', async () => {
    const totals = await Promise.all(uploads.map(async ([, minutesAgo]) => (await single(INUSE, minutesAgo)).flamegraph.total));
    expect(totals[0]).not.toBe(totals[1]);
    const all = await flame(INUSE, nowMs - 3_600_000, nowMs);
    expect(all.profileCount).toBe(3);
    expect(all.aggregation).toBe('average');
    const mean = (totals[0]! + totals[1]! + totals[2]!) / 3;
    expect(all.flamegraph.total).toBeCloseTo(mean, 3);
    // The root node of the levels and the top table are scaled alike.
    expect(all.flamegraph.levels[0]![1]).toBeCloseTo(mean, 3);
    const topSelfSum = all.top.reduce((sum, row) => sum + row.self, 0);
    expect(topSelfSum).toBeLessThanOrEqual(mean * (1 + 1e-9));
    // Upstream semantics for Grafana: the merged sum.
    expect(await mergedTotal(server.baseUrl, INUSE, '{service_name="mem"}')).toBe(totals[0]! + totals[1]! + totals[2]!);
  });

  it('cumulative types (alloc bytes) are summed', async () => {
    const totals = await Promise.all(uploads.map(async ([, minutesAgo]) => (await single(ALLOC, minutesAgo)).flamegraph.total));
    const all = await flame(ALLOC, nowMs - 3_600_000, nowMs);
    expect(all.aggregation).toBe('sum');
    expect(all.flamegraph.total).toBe(totals[0]! + totals[1]! + totals[2]!);
  });

  it('the timeline averages gauges per bucket by default and sums with aggregation=sum', async () => {
    const totals = await Promise.all(uploads.map(async ([, minutesAgo]) => (await single(INUSE, minutesAgo)).flamegraph.total));
    // Bucket 1 is (from, from + step]: all three snapshots (20, 15 and 10 minutes ago).
    const params = new URLSearchParams({ query: `${INUSE}{service_name="mem"}`, from: String(nowMs - 30 * 60_000), until: String(nowMs - 5 * 60_000), step: '1500' });
    const average = (await (await fetch(`${server.baseUrl}/api/v1/timeline?${params.toString()}`)).json()) as { series: { points: [number, number][] }[] };
    const summed = (await (await fetch(`${server.baseUrl}/api/v1/timeline?${params.toString()}&aggregation=sum`)).json()) as { series: { points: [number, number][] }[] };
    const values = average.series.flatMap((s) => s.points.map(([, v]) => v));
    expect(values).toHaveLength(1);
    expect(values[0]).toBeCloseTo((totals[0]! + totals[1]! + totals[2]!) / 3, 3);
    expect(summed.series[0]!.points[0]![1]).toBe(totals[0]! + totals[1]! + totals[2]!);
  });
});
