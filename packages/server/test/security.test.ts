import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { connectJson, ingest, multipartBody, readFixture } from './helpers/client.js';

/** Tokens and tenants on a real server: nobody reads or writes without the right token, and tenants never see each other. */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('tokens and tenants', () => {
  let server: StartedServer;
  const ingestAuth = { authorization: 'Bearer ingest-secret' };
  const queryAuth = { authorization: 'Bearer query-secret' };
  const range = () => ({ start: String(Date.now() - 3_600_000), end: String(Date.now() + 60_000) });

  beforeAll(async () => {
    server = await startServer({ args: ['--multitenancy', '--ingest-token', 'ingest-secret', '--query-token', 'query-secret'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const upload = (headers: Record<string, string>, service = 'secret-app') => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    return ingest(server.baseUrl, { name: service }, body, contentType, headers);
  };

  it('ingest needs the ingest token and a tenant', async () => {
    const noToken = await upload({ 'x-scope-orgid': 'team-a' });
    expect(noToken.status).toBe(401);
    expect(noToken.json().reason).toBe('CINDER_AUTH_MISSING_TOKEN');
    const wrongToken = await upload({ ...queryAuth, 'x-scope-orgid': 'team-a' });
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.json().reason).toBe('CINDER_AUTH_INVALID_TOKEN');
    const noTenant = await upload(ingestAuth);
    expect(noTenant.status).toBe(401);
    expect(noTenant.json().reason).toBe('CINDER_TENANT_MISSING');
    const badTenant = await upload({ ...ingestAuth, 'x-scope-orgid': 'a|b' });
    expect(badTenant.status).toBe(400);
    const ok = await upload({ ...ingestAuth, 'x-scope-orgid': 'team-a' });
    expect(ok.status, ok.text).toBe(200);
  });

  it('queries need the query token; Grafana basic auth with the token as password works', async () => {
    const anonymous = await connectJson(server.baseUrl, 'querier.v1.QuerierService/ProfileTypes', range(), { 'x-scope-orgid': 'team-a' });
    expect(anonymous.status).toBe(401);
    const basic = { authorization: `Basic ${Buffer.from('grafana:query-secret').toString('base64')}`, 'x-scope-orgid': 'team-a' };
    const viaBasic = await connectJson<{ profileTypes: { ID: string }[] }>(server.baseUrl, 'querier.v1.QuerierService/ProfileTypes', range(), basic);
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body.profileTypes.map((t) => t.ID)).toContain(CPU);
    const http = await fetch(`${server.baseUrl}/api/v1/services`, { headers: { 'x-scope-orgid': 'team-a' } });
    expect(http.status).toBe(401);
  });

  it('a tenant never sees another tenant’s data, on any query surface', async () => {
    const teamB = { ...queryAuth, 'x-scope-orgid': 'team-b' };
    const teamA = { ...queryAuth, 'x-scope-orgid': 'team-a' };
    const types = await connectJson<{ profileTypes: unknown[] }>(server.baseUrl, 'querier.v1.QuerierService/ProfileTypes', range(), teamB);
    expect(types.body.profileTypes ?? []).toEqual([]);
    const values = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', { name: 'service_name', matchers: [], ...range() }, teamB);
    expect(values.body.names ?? []).toEqual([]);
    const merged = await connectJson<{ flamegraph?: { total?: string } }>(
      server.baseUrl,
      'querier.v1.QuerierService/SelectMergeStacktraces',
      { profileTypeID: CPU, labelSelector: '{}', ...range() },
      teamB,
    );
    expect(Number(merged.body.flamegraph?.total ?? 0)).toBe(0);
    const services = (await (await fetch(`${server.baseUrl}/api/v1/services`, { headers: teamB })).json()) as { services: unknown[] };
    expect(services.services).toEqual([]);
    const stats = await connectJson<{ dataIngested?: boolean }>(server.baseUrl, 'querier.v1.QuerierService/GetProfileStats', {}, teamB);
    expect(stats.body.dataIngested ?? false).toBe(false);
    // And the owner does see it.
    const own = await connectJson<{ flamegraph: { total: string } }>(
      server.baseUrl,
      'querier.v1.QuerierService/SelectMergeStacktraces',
      { profileTypeID: CPU, labelSelector: '{service_name="secret-app"}', ...range() },
      teamA,
    );
    expect(Number(own.body.flamegraph.total)).toBe(470_000_000);
  });

  it('operations endpoints stay open and report the store', async () => {
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/cinder_ingested_profiles_total \d+/);
    expect(metrics).toMatch(/cinder_rejected_profiles_total\{reason="CINDER_AUTH_MISSING_TOKEN"\}|cinder_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/cinder_store_series [1-9]/);
    // Memory by part: DuckDB's own buffers (data was written and read) and the caches' budgets.
    expect(metrics).toMatch(/cinder_store_memory_bytes\{part="duckdb_[a-z_]+"\} [1-9]/);
    expect(metrics).toMatch(/cinder_store_memory_bytes\{part="symbol_cache"\} [1-9]/);
    const build = (await (await fetch(`${server.baseUrl}/api/v1/status/buildinfo`)).json()) as { status: string; data: { version: string } };
    expect(build.status).toBe('success');
    expect(build.data.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
