import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, multipartBody, readFixture } from './helpers/client.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

/**
 * /api/v1/heatmap and /api/v1/heatmap/profiles: every cell's count is the number of profiles the
 * cell opens, and `profileId=` on /api/v1/flamegraph merges exactly those profiles.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('/api/v1/heatmap', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const fromMs = nowMs - 30 * 60_000;
  const untilMs = nowMs;
  const uploads: [string, number][] = [
    ['go/cpu.pb.gz', 20],
    ['java/profile_java', 15],
    ['go/cpu.pb.gz', 10],
    ['java/profile_java', 12],
    ['go/cpu.pb.gz', 5],
  ];

  beforeAll(async () => {
    server = await startServer();
    for (const [file, minutesAgo] of uploads) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
      const response = await ingest(server.baseUrl, { name: 'shop', spyName: 'gospy', from: String(Math.floor((nowMs - minutesAgo * 60_000) / 1000)) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const get = async <T>(path: string, params: Record<string, string>): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.baseUrl}${path}?${new URLSearchParams(params).toString()}`);
    return { status: response.status, body: (await response.json()) as T };
  };
  const base = { query: `${CPU}{service_name="shop"}`, from: String(fromMs), until: String(untilMs), step: '300' };

  it('each cell opens exactly its count of profiles, and their merge has that many profiles', async () => {
    const { status, body } = await get<{ stepMs: number; series: { slots: { timeMs: number; counts: number[] }[] }[] }>('/api/v1/heatmap', base);
    expect(status).toBe(200);
    expect(body.stepMs).toBe(300_000);
    const cells = body.series.flatMap((s) => s.slots.flatMap((slot) => slot.counts.map((count, row) => ({ timeMs: slot.timeMs, row, count })).filter((c) => c.count > 0)));
    expect(cells.reduce((sum, c) => sum + c.count, 0)).toBe(uploads.length);
    for (const cell of cells) {
      const profiles = await get<{ total: number; profiles: { profileId: string }[] }>('/api/v1/heatmap/profiles', { ...base, slot: String(cell.timeMs), row: String(cell.row) });
      expect(profiles.status).toBe(200);
      expect(profiles.body.total).toBe(cell.count);
      expect(profiles.body.profiles).toHaveLength(cell.count);
      const flame = await get<{ profileCount: number }>('/api/v1/flamegraph', { ...base, profileId: profiles.body.profiles.map((p) => p.profileId).join(',') });
      expect(flame.status).toBe(200);
      expect(flame.body.profileCount).toBe(cell.count);
    }
  });

  it('one profile id merges that profile alone (a timeline exemplar)', async () => {
    const all = await get<{ total: number; profiles: { profileId: string; value: number }[] }>('/api/v1/heatmap/profiles', base);
    expect(all.body.total).toBe(uploads.length);
    const one = all.body.profiles[0]!;
    const flame = await get<{ profileCount: number; flamegraph: { total: number } }>('/api/v1/flamegraph', { ...base, profileId: one.profileId });
    expect(flame.body.profileCount).toBe(1);
    expect(flame.body.flamegraph.total).toBe(one.value);
  });

  it('an upload split into series by its labels gives each series its own profile id', async () => {
    // go.cpu.labels.pprof: samples carry pprof labels, so one upload is several series.
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/go.cpu.labels.pprof') }]);
    const response = await ingest(server.baseUrl, { name: 'labelled', spyName: 'gospy', from: String(Math.floor((nowMs - 7 * 60_000) / 1000)) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    const labelled = { ...base, query: `${CPU}{service_name="labelled"}` };
    const all = await get<{ total: number; profiles: { profileId: string; value: number }[] }>('/api/v1/heatmap/profiles', labelled);
    expect(all.body.total).toBeGreaterThan(1);
    expect(new Set(all.body.profiles.map((p) => p.profileId)).size).toBe(all.body.profiles.length);
    for (const one of all.body.profiles) {
      const flame = await get<{ profileCount: number; flamegraph: { total: number } }>('/api/v1/flamegraph', { ...labelled, profileId: one.profileId });
      expect(flame.body.profileCount).toBe(1);
      expect(flame.body.flamegraph.total).toBe(one.value);
    }
  });

  it('bad parameters are a 400 with a stable code', async () => {
    const tooMany = await get<{ reason: string }>('/api/v1/flamegraph', { ...base, profileId: Array.from({ length: 201 }, (_, i) => `p${i}`).join(',') });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.reason).toBe('CINDER_QUERY_INVALID_ARGUMENT');
    const badRow = await get<{ reason: string }>('/api/v1/heatmap/profiles', { ...base, row: '20' });
    expect(badRow.status).toBe(400);
    const badStep = await get<{ reason: string }>('/api/v1/heatmap', { ...base, step: 'x' });
    expect(badStep.status).toBe(400);
  });
});
