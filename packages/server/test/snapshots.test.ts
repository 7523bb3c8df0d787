import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, multipartBody, readFixture } from './helpers/client.js';

/** Snapshots: a frozen query result that outlives the data it was computed from. */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('snapshots', () => {
  let server: StartedServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('are created from a query, listed, read back, survive deletion of the profile data, and can be deleted', async () => {
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    expect((await ingest(server.baseUrl, { name: 'shop', from: String(Math.floor(Date.now() / 1000) - 60) }, body, contentType)).status).toBe(200);
    const created = await fetch(`${server.baseUrl}/api/v1/snapshots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `${CPU}{service_name="shop"}`, from: 'now-1h', until: 'now', title: 'slow checkout', viewUrl: '/pyroscope?service=shop' }),
    });
    expect(created.status).toBe(201);
    const meta = (await created.json()) as { id: string; url: string; title: string };
    expect(meta.id).toMatch(/^[0-9a-f]{20}$/);
    expect(meta.url).toBe(`/snapshots/${meta.id}`);
    const list = (await (await fetch(`${server.baseUrl}/api/v1/snapshots`)).json()) as { snapshots: { id: string; title: string }[] };
    expect(list.snapshots.map((s) => s.title)).toEqual(['slow checkout']);

    // Delete every profile: stop, remove the store, start again on the same folder.
    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    for (const name of readdirSync(dataDir)) if (name.startsWith('cinder.duckdb')) rmSync(path.join(dataDir, name));
    server = await startServer({ dataDir });
    const live = await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query: `${CPU}{service_name="shop"}` })}`);
    expect(((await live.json()) as { flamegraph: { total: number } }).flamegraph.total).toBe(0);
    const frozen = (await (await fetch(`${server.baseUrl}/api/v1/snapshots/${meta.id}`)).json()) as { result: { flamegraph: { total: number }; top: unknown[] }; viewUrl: string };
    expect(frozen.result.flamegraph.total).toBe(470_000_000);
    expect(frozen.result.top.length).toBeGreaterThan(0);
    expect(frozen.viewUrl).toBe('/pyroscope?service=shop');

    expect((await fetch(`${server.baseUrl}/api/v1/snapshots/${meta.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${server.baseUrl}/api/v1/snapshots/${meta.id}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { message: string }).message).toMatch(/no snapshot/);
    const malformed = await fetch(`${server.baseUrl}/api/v1/snapshots/..%2F..%2Fetc`);
    expect(malformed.status).toBe(404);
    const bad = await fetch(`${server.baseUrl}/api/v1/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ""}' });
    expect(bad.status).toBe(400);
    // Only our own folder survived a restart; the server is still fine.
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
  });
});
