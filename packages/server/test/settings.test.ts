import { rmSync } from 'node:fs';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingsService } from '../src/gen/settings/v1/setting_pb.js';
import { connectJson } from './helpers/client.js';
import { startServer, type StartedServer } from './helpers/startServer.js';

/**
 * settings.v1.SettingsService (Grafana Profiles Drilldown's settings): set, get and delete over
 * Connect proto and JSON, kept per tenant, surviving a restart, bad input refused.
 */
describe('settings service', () => {
  let server: StartedServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('sets, lists and deletes per tenant over proto and JSON, and keeps them across a restart', async () => {
    server = await startServer({ args: ['--multitenancy'] });
    const dataDir = server.dataDir;
    const client = (tenant: string) =>
      createClient(SettingsService, createConnectTransport({ baseUrl: server!.baseUrl, httpVersion: '1.1', useBinaryFormat: true, interceptors: [(next) => (req) => (req.header.set('X-Scope-OrgID', tenant), next(req))] }));
    const a = client('team-a');
    const set = await a.set({ setting: { name: 'pyroscope.drilldown.settings', value: '{"maxNodes":16384}', modifiedAt: 1_700_000_000_000n } });
    expect(set.setting).toMatchObject({ name: 'pyroscope.drilldown.settings', value: '{"maxNodes":16384}', modifiedAt: 1_700_000_000_000n });
    // No time given: the server's clock.
    const before = Date.now();
    const second = await a.set({ setting: { name: 'other', value: 'x' } });
    expect(Number(second.setting!.modifiedAt)).toBeGreaterThanOrEqual(before);
    // Last writer wins.
    await a.set({ setting: { name: 'other', value: 'y' } });
    expect((await a.get({})).settings.map((s) => [s.name, s.value])).toEqual([['other', 'y'], ['pyroscope.drilldown.settings', '{"maxNodes":16384}']]);
    // Another tenant sees none of them.
    expect((await client('team-b').get({})).settings).toEqual([]);
    const viaJson = await connectJson<{ settings?: { name: string; value: string; modifiedAt: string }[] }>(server.baseUrl, 'settings.v1.SettingsService/Get', {}, { 'X-Scope-OrgID': 'team-a' });
    expect(viaJson.status).toBe(200);
    expect(viaJson.body.settings?.map((s) => s.name)).toEqual(['other', 'pyroscope.drilldown.settings']);

    await server.stop({ keepData: true });
    server = await startServer({ args: ['--multitenancy'], dataDir });
    const again = client('team-a');
    expect((await again.get({})).settings.map((s) => s.name)).toEqual(['other', 'pyroscope.drilldown.settings']);
    await again.delete({ name: 'other' });
    await again.delete({ name: 'never-set' });
    expect((await again.get({})).settings.map((s) => s.name)).toEqual(['pyroscope.drilldown.settings']);

    // A setting without a name, or with a huge value, is refused with invalid_argument.
    for (const setting of [{ name: '', value: 'v' }, { name: 'big', value: 'x'.repeat(70_000) }]) {
      const response = await connectJson(server.baseUrl, 'settings.v1.SettingsService/Set', { setting }, { 'X-Scope-OrgID': 'team-a' });
      expect(response.status).toBe(400);
    }
    await server.stop();
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers `unimplemented` saying what is missing: an unknown method of a served service, or an optional service', async () => {
    server = await startServer();
    const method = await connectJson<{ code: string; message: string }>(server.baseUrl, 'querier.v1.QuerierService/NoSuchMethod', {});
    expect(method.status).toBe(501);
    expect(method.body.code).toBe('unimplemented');
    expect(method.body.message).toMatch(/querier\.v1\.QuerierService has no method "NoSuchMethod"/);
    const optional = await connectJson<{ code: string; message: string }>(server.baseUrl, 'version.v1.Version/Version', {});
    expect(optional.status).toBe(501);
    expect(optional.body.message).toMatch(/optional service/);
    await server.stop();
    server = undefined;
  });
});
