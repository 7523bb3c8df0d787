import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBuilder, encodePprof } from '@cinder/core';
import { startServer, type StartedServer } from './helpers/startServer.js';
import { connectJson } from './helpers/client.js';

/**
 * Traces → profiles: samples carrying span_id / trace_id labels (as span-profiling SDKs add them)
 * pushed through the Push RPC, then selected by span (SelectMergeSpanProfile, Grafana's call) and
 * by trace (SelectMergeStacktraces trace_id_selector, /api/v1/flamegraph?traceId=).
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const SPAN_A = '00000000000000a1';
const SPAN_B = '00000000000000b2';
const TRACE = '0123456789abcdef0123456789abcdef';

describe('span and trace selection', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const range = { start: String(nowMs - 600_000), end: String(nowMs + 60_000) };

  beforeAll(async () => {
    server = await startServer();
    const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }, 10_000_000);
    builder.addSample(['main', 'handle', 'query'], [30_000_000], [['span_id', SPAN_A], ['trace_id', TRACE]]);
    builder.addSample(['main', 'handle', 'render'], [20_000_000], [['span_id', SPAN_B]]);
    builder.addSample(['main', 'gc'], [50_000_000]);
    const profile = builder.build();
    profile.timeMs = nowMs - 30_000;
    const rawProfile = Buffer.from(encodePprof(profile)).toString('base64');
    const push = await connectJson(server.baseUrl, 'push.v1.PusherService/Push', {
      series: [
        {
          labels: [
            { name: '__name__', value: 'process_cpu' },
            { name: 'service_name', value: 'traced' },
          ],
          samples: [{ rawProfile, ID: 'profile-with-spans' }],
        },
      ],
    });
    expect(push.status, JSON.stringify(push.body)).toBe(200);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('SelectMergeSpanProfile keeps only the samples of the selected spans', async () => {
    const { status, body } = await connectJson<{ flamegraph: { total: string; names: string[] } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeSpanProfile', {
      profileTypeID: CPU,
      labelSelector: '{service_name="traced"}',
      spanSelector: [SPAN_A],
      ...range,
    });
    expect(status).toBe(200);
    expect(Number(body.flamegraph.total)).toBe(30_000_000);
    expect(body.flamegraph.names).toContain('query');
    expect(body.flamegraph.names).not.toContain('gc');
    const both = await connectJson<{ flamegraph: { total: string } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeSpanProfile', {
      profileTypeID: CPU,
      labelSelector: '{service_name="traced"}',
      spanSelector: [SPAN_A, SPAN_B],
      ...range,
    });
    expect(Number(both.body.flamegraph.total)).toBe(50_000_000);
  });

  it('span ids stay sample-level, not series labels', async () => {
    const names = await connectJson<{ names: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelNames', { matchers: ['{service_name="traced"}'], ...range });
    expect(names.body.names).not.toContain('span_id');
  });

  it('selects by trace id and by profile id', async () => {
    const byTrace = await connectJson<{ flamegraph: { total: string } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: CPU,
      labelSelector: '{}',
      traceIdSelector: [TRACE.toUpperCase()],
      ...range,
    });
    expect(Number(byTrace.body.flamegraph.total)).toBe(30_000_000);
    const byProfile = await connectJson<{ flamegraph: { total: string } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: CPU,
      labelSelector: '{}',
      profileIdSelector: ['profile-with-spans'],
      ...range,
    });
    expect(Number(byProfile.body.flamegraph.total)).toBe(100_000_000);
    const http = (await (
      await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query: `${CPU}{service_name="traced"}`, from: range.start, until: range.end, traceId: TRACE })}`)
    ).json()) as { flamegraph: { total: number } };
    expect(http.flamegraph.total).toBe(30_000_000);
  });

  it('rejects malformed ids and mixing spans with traces', async () => {
    const bad = await connectJson<{ code: string; message: string }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeSpanProfile', {
      profileTypeID: CPU,
      labelSelector: '{}',
      spanSelector: ['not-hex'],
      ...range,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/16 hex/);
    const mixed = await connectJson(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: CPU,
      labelSelector: '{}',
      spanSelector: [SPAN_A],
      traceIdSelector: [TRACE],
      ...range,
    });
    expect(mixed.status).toBe(400);
  });
});

describe('diff normalisation by sampling rate', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const push = async (timeMs: number, periodNs: number, count: number, service: string) => {
    const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }], { type: 'cpu', unit: 'nanoseconds' }, periodNs);
    builder.addSample(['main', 'work'], [count]);
    const profile = builder.build();
    profile.timeMs = timeMs;
    const response = await connectJson(server.baseUrl, 'push.v1.PusherService/Push', {
      series: [{ labels: [{ name: '__name__', value: 'process_cpu' }, { name: 'service_name', value: service }], samples: [{ rawProfile: Buffer.from(encodePprof(profile)).toString('base64') }] }],
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    server = await startServer();
    // The same 1 s of CPU, sampled at 100 Hz in the baseline and at 1 kHz now.
    await push(nowMs - 20 * 60_000, 10_000_000, 100, 'rates');
    await push(nowMs - 5 * 60_000, 1_000_000, 1000, 'rates');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('scales counted samples by the two sides’ sampling periods and says so', async () => {
    const type = 'process_cpu:samples:count:cpu:nanoseconds';
    const params = (normalize: string) =>
      new URLSearchParams({
        baseline: `${type}{service_name="rates"}`,
        baselineFrom: String(nowMs - 25 * 60_000),
        baselineUntil: String(nowMs - 15 * 60_000),
        comparison: `${type}{service_name="rates"}`,
        comparisonFrom: String(nowMs - 10 * 60_000),
        comparisonUntil: String(nowMs),
        normalize,
      });
    const normalised = (await (await fetch(`${server.baseUrl}/api/v1/diff?${params('duration')}`)).json()) as {
      normalization: { kind: string; baselineScale: number; description: string };
      table: { name: string; status: string; baselineTotal: number; comparisonTotal: number }[];
    };
    expect(normalised.normalization.kind).toBe('duration+rate');
    expect(normalised.normalization.baselineScale).toBeCloseTo(10);
    expect(normalised.normalization.description).toMatch(/sampling rate/);
    expect(normalised.table.find((r) => r.name === 'work')).toMatchObject({ baselineTotal: 1000, comparisonTotal: 1000, status: 'unchanged' });
    const raw = (await (await fetch(`${server.baseUrl}/api/v1/diff?${params('none')}`)).json()) as { table: { name: string; status: string }[] };
    expect(raw.table.find((r) => r.name === 'work')!.status).toBe('grew');
  });
});
