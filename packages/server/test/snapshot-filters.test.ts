import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, multipartBody, readFixture } from './helpers/client.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

/**
 * A snapshot freezes what the user sees: POST /api/v1/snapshots takes the frame filters (`filter`)
 * and the opened profiles (`profileId`) exactly as /api/v1/flamegraph does, as a string or a list.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
type Result = { flamegraph: { names: string[]; total: number }; top: { name: string }[]; profileCount: number };

describe('snapshots with frame filters and profile ids', () => {
  let server: StartedServer;
  const query = `${CPU}{service_name="shop"}`;

  beforeAll(async () => {
    server = await startServer();
    // Three uploads, so one profile's total is a third of the range's.
    for (const [file, ageSec] of [
      ['go/cpu.pb.gz', 180],
      ['go/cpu.pb.gz', 120],
      ['go/cpu.pb.gz', 60],
    ] as const) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
      const response = await ingest(server.baseUrl, { name: 'shop', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const snapshot = async (body: Record<string, unknown>): Promise<{ status: number; result?: Result; reason?: string }> => {
    const created = await fetch(`${server.baseUrl}/api/v1/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, from: 'now-1h', until: 'now', viewUrl: '/', ...body }) });
    if (created.status !== 201) return { status: created.status, reason: ((await created.json()) as { reason: string }).reason };
    const { id } = (await created.json()) as { id: string };
    return { status: 201, result: ((await (await fetch(`${server.baseUrl}/api/v1/snapshots/${id}`)).json()) as { result: Result }).result };
  };
  const live = async (params: [string, string][]): Promise<Result> =>
    (await (await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams([['query', query], ['from', 'now-1h'], ['until', 'now'], ...params]).toString()}`)).json()) as Result;

  it('a frame filter freezes the filtered graph (no runtime frames, same as the live answer)', async () => {
    const unfiltered = await snapshot({});
    expect(unfiltered.result!.flamegraph.names.some((name) => name.startsWith('runtime.'))).toBe(true);
    const filtered = await snapshot({ filter: ['preset:go-runtime'] });
    expect(filtered.status).toBe(201);
    expect(filtered.result!.flamegraph.names.filter((name) => name.startsWith('runtime.'))).toEqual([]);
    expect(filtered.result!.flamegraph.total).toBe((await live([['filter', 'preset:go-runtime']])).flamegraph.total);
    // A single string works like a one-element list.
    expect((await snapshot({ filter: 'preset:go-runtime' })).result!.flamegraph.names).toEqual(filtered.result!.flamegraph.names);
  });

  it('profile ids freeze just those profiles', async () => {
    const listed = (await (await fetch(`${server.baseUrl}/api/v1/heatmap/profiles?${new URLSearchParams({ query, from: 'now-1h', until: 'now' }).toString()}`)).json()) as {
      profiles: { profileId: string; value: number }[];
    };
    expect(listed.profiles).toHaveLength(3);
    const [one, two] = listed.profiles;
    expect(one!.profileId).not.toBe(two!.profileId);
    expect((await snapshot({})).result!.flamegraph.total).toBe(3 * one!.value);
    const frozen = await snapshot({ profileId: [one!.profileId] });
    expect(frozen.result!.profileCount).toBe(1);
    expect(frozen.result!.flamegraph.total).toBe(one!.value);
    const both = await snapshot({ profileId: `${one!.profileId},${two!.profileId}` });
    expect(both.result!.flamegraph.total).toBe(one!.value + two!.value);
    expect(both.result!.profileCount).toBe(2);
  });

  it('rejects filters and ids that are not strings, and bad filters, with a 400', async () => {
    expect(await snapshot({ filter: [{ hide: 'runtime' }] })).toMatchObject({ status: 400, reason: 'CINDER_QUERY_INVALID_ARGUMENT' });
    expect(await snapshot({ profileId: 42 })).toMatchObject({ status: 400, reason: 'CINDER_QUERY_INVALID_ARGUMENT' });
    expect((await snapshot({ filter: ['nonsense:x'] })).status).toBe(400);
  });
});
