import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { Profile as PprofProfile } from 'pprof-format';
import { callTreeFromProfile, collapsedFromTree, decodePprof, topTable } from '@cinder/core';
import { QuerierService, ProfileFormat } from '../src/gen/querier/v1/querier_pb.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { connectJson, ingest, maybeGunzipFile, multipartBody, readFixture } from './helpers/client.js';

/**
 * The query API against a real server with real fixtures: the Connect methods Grafana's data source
 * calls (JSON and proto), the legacy HTTP routes, Cinder's /api/v1 and bad queries.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HEAP_INUSE = 'memory:inuse_space:bytes:space:bytes';

describe('query API', () => {
  let server: StartedServer;
  let baseUrl: string;
  const fromMs = Date.now() - 30 * 60_000;
  const profileMs = Date.now() - 10 * 60_000;
  const untilMs = Date.now() + 60_000;

  const ingestFile = async (file: string, name: string, extra: Record<string, string> = {}): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(baseUrl, { name, spyName: 'gospy', from: String(Math.floor(profileMs / 1000)), ...extra }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  /** The input profile's collapsed stacks for one sample type, as decoded by core. */
  const inputCollapsed = (file: string, sampleType: string): string => {
    const profile = decodePprof(maybeGunzipFile(readFixture(testdataDir, file)));
    const index = profile.sampleTypes.findIndex((st) => st.type === sampleType);
    return collapsedFromTree(callTreeFromProfile(profile, index));
  };

  beforeAll(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
    await ingestFile('go/cpu.pb.gz', 'checkout{region=eu}');
    await ingestFile('go/go.cpu.labels.pprof', 'cart{region=us}');
    await ingestFile('go/heap.pb.gz', 'cart{region=us}');
    await ingestFile('java/profile_java', 'billing');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const range = { start: String(fromMs), end: String(untilMs) };

  describe('Connect JSON, as Grafana sends it', () => {
    it('ProfileTypes lists every stored type sorted by ID', async () => {
      const { status, body } = await connectJson<{ profileTypes: { ID: string; name: string; sampleType: string }[] }>(
        baseUrl,
        'querier.v1.QuerierService/ProfileTypes',
        range,
      );
      expect(status).toBe(200);
      const ids = body.profileTypes.map((t) => t.ID);
      expect(ids).toEqual([...ids].sort());
      expect(ids).toContain(CPU);
      expect(ids).toContain(HEAP_INUSE);
      expect(body.profileTypes.find((t) => t.ID === CPU)).toMatchObject({ name: 'process_cpu', sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds' });
    });

    it('Grafana health check (start=1000,end=4000) answers 200', async () => {
      const { status } = await connectJson(baseUrl, 'querier.v1.QuerierService/ProfileTypes', { start: '1000', end: '4000' });
      expect(status).toBe(200);
    });

    it('LabelNames and LabelValues follow the matchers', async () => {
      const names = await connectJson<{ names: string[] }>(baseUrl, 'querier.v1.QuerierService/LabelNames', { matchers: ['{service_name="cart"}'], ...range });
      expect(names.status).toBe(200);
      expect(names.body.names).toEqual(expect.arrayContaining(['__profile_type__', 'region', 'service_name']));
      expect(names.body.names).toEqual([...names.body.names].sort());
      const values = await connectJson<{ names: string[] }>(baseUrl, 'querier.v1.QuerierService/LabelValues', { name: 'service_name', matchers: ['{}'], ...range });
      expect(values.body.names).toEqual(['billing', 'cart', 'checkout']);
      const eu = await connectJson<{ names: string[] }>(baseUrl, 'querier.v1.QuerierService/LabelValues', { name: 'service_name', matchers: ['{region=~"e.*"}'], ...range });
      expect(eu.body.names).toEqual(['checkout']);
    });

    it('Series projects label sets as Drilldown asks', async () => {
      const { status, body } = await connectJson<{ labelsSet: { labels: { name: string; value: string }[] }[] }>(baseUrl, 'querier.v1.QuerierService/Series', {
        start: fromMs,
        end: untilMs,
        labelNames: ['service_name', '__profile_type__'],
        matchers: [],
      });
      expect(status).toBe(200);
      const pairs = body.labelsSet.map((set) => set.labels.map((l) => `${l.name}=${l.value}`).join(','));
      expect(pairs).toContain(`__profile_type__=${CPU},service_name=checkout`);
    });

    it('SelectMergeStacktraces totals equal the input (expected.json)', async () => {
      const { status, body } = await connectJson<{ flamegraph: { names: string[]; levels: { values: string[] }[]; total: string; maxSelf: string } }>(
        baseUrl,
        'querier.v1.QuerierService/SelectMergeStacktraces',
        { profileTypeID: CPU, labelSelector: '{service_name="checkout"}', ...range, maxNodes: '16384' },
      );
      expect(status).toBe(200);
      const profile = decodePprof(maybeGunzipFile(readFixture(testdataDir, 'go/cpu.pb.gz')));
      const cpuIndex = profile.sampleTypes.findIndex((st) => st.type === 'cpu');
      expect(Number(body.flamegraph.total)).toBe(profile.values[cpuIndex]!.reduce((a, b) => a + b, 0));
      expect(body.flamegraph.names[0]).toBe('total');
      expect(body.flamegraph.levels[0]!.values).toEqual(['0', body.flamegraph.total, '0', '0']);
    });

    it('SelectSeries buckets profile totals by step and group_by', async () => {
      const { status, body } = await connectJson<{ series: { labels: { name: string; value: string }[]; points: { value: number; timestamp: string }[] }[] }>(
        baseUrl,
        'querier.v1.QuerierService/SelectSeries',
        { profileTypeID: CPU, labelSelector: '{}', ...range, step: 15, groupBy: ['service_name'], exemplarType: 'EXEMPLAR_TYPE_NONE' },
      );
      expect(status).toBe(200);
      const services = body.series.map((s) => s.labels.find((l) => l.name === 'service_name')?.value);
      expect(services.sort()).toEqual(['billing', 'cart', 'checkout']);
      for (const series of body.series) {
        expect(series.points).toHaveLength(1);
        const timestampMs = Number(series.points[0]!.timestamp);
        // Bucket (T_k - step, T_k] with T_k = start + k·step.
        expect((timestampMs - fromMs) % 15_000).toBe(0);
        expect(timestampMs - profileMs).toBeGreaterThanOrEqual(0);
        expect(timestampMs - profileMs).toBeLessThan(15_000);
      }
      // Sorted by descending sum.
      const sums = body.series.map((s) => s.points.reduce((a, p) => a + p.value, 0));
      expect(sums).toEqual([...sums].sort((a, b) => b - a));
      const limited = await connectJson<{ series: unknown[] }>(baseUrl, 'querier.v1.QuerierService/SelectSeries', {
        profileTypeID: CPU,
        labelSelector: '{}',
        ...range,
        step: 15,
        groupBy: ['service_name'],
        limit: '1',
      });
      expect(limited.body.series).toHaveLength(1);
    });

    it('Diff aligns two selections', async () => {
      const left = { profileTypeID: CPU, labelSelector: '{service_name="checkout"}', ...range };
      const right = { profileTypeID: CPU, labelSelector: '{service_name="cart"}', ...range };
      const { status, body } = await connectJson<{ flamegraph: { levels: { values: string[] }[]; leftTicks: string; rightTicks: string; total: string } }>(
        baseUrl,
        'querier.v1.QuerierService/Diff',
        { left, right },
      );
      expect(status).toBe(200);
      expect(body.flamegraph.levels[0]!.values).toHaveLength(7);
      expect(Number(body.flamegraph.total)).toBe(Number(body.flamegraph.leftTicks) + Number(body.flamegraph.rightTicks));
    });

    it('GetProfileStats reports ingested data', async () => {
      const { status, body } = await connectJson<{ dataIngested: boolean; oldestProfileTime: string }>(baseUrl, 'querier.v1.QuerierService/GetProfileStats', {});
      expect(status).toBe(200);
      expect(body.dataIngested).toBe(true);
      expect(Number(body.oldestProfileTime)).toBeGreaterThan(0);
    });
  });

  describe('Connect proto (application/proto)', () => {
    const client = () => createClient(QuerierService, createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }));

    it('SelectMergeProfile returns a real pprof with the same stacks as the input', async () => {
      for (const [file, service, typeId, sampleType] of [
        ['go/cpu.pb.gz', 'checkout', CPU, 'cpu'],
        ['go/heap.pb.gz', 'cart', HEAP_INUSE, 'inuse_space'],
        ['java/profile_java', 'billing', CPU, 'cpu'],
      ] as const) {
        const merged = await client().selectMergeProfile({ profileTypeID: typeId, labelSelector: `{service_name="${service}"}`, start: BigInt(fromMs), end: BigInt(untilMs) });
        expect(merged.sampleType).toHaveLength(1);
        expect(merged.stringTable[Number(merged.sampleType[0]!.type)]).toBe(sampleType);
        // Re-decode with the independent pprof-format codec → core's decoder for stacks.
        const { toBinary } = await import('@bufbuild/protobuf');
        const { ProfileSchema } = await import('../src/gen/google/v1/profile_pb.js');
        const bytes = toBinary(ProfileSchema, merged);
        expect(() => PprofProfile.decode(bytes)).not.toThrow();
        const roundTrip = collapsedFromTree(callTreeFromProfile(decodePprof(bytes), 0));
        expect(roundTrip).toBe(inputCollapsed(file, sampleType));
      }
    });

    it('every MUST method answers in proto with the shapes Grafana decodes', async () => {
      const c = client();
      const start = BigInt(fromMs);
      const end = BigInt(untilMs);
      const types = await c.profileTypes({ start, end });
      expect(types.profileTypes.map((t) => t.ID)).toContain(CPU);
      const names = await c.labelNames({ matchers: ['{service_name="cart"}'], start, end });
      expect(names.names).toContain('service_name');
      const series = await c.series({ matchers: ['{}'], labelNames: ['service_name'], start, end });
      expect(series.labelsSet.map((set) => set.labels[0]!.value).sort()).toEqual(['billing', 'cart', 'checkout']);
      const timeline = await c.selectSeries({ profileTypeID: CPU, labelSelector: '{}', start, end, step: 60, groupBy: [] });
      expect(timeline.series).toHaveLength(1);
      expect(timeline.series[0]!.points[0]!.timestamp).toBeTypeOf('bigint');
      const spans = await c.selectMergeSpanProfile({ profileTypeID: CPU, labelSelector: '{}', spanSelector: ['00000000000000ff'], start, end });
      expect(spans.flamegraph?.total ?? 0n).toBe(0n);
      const diff = await c.diff({
        left: { profileTypeID: CPU, labelSelector: '{service_name="checkout"}', start, end },
        right: { profileTypeID: CPU, labelSelector: '{service_name="billing"}', start, end },
      });
      expect(diff.flamegraph!.leftTicks + diff.flamegraph!.rightTicks).toBe(diff.flamegraph!.total);
      const stats = await c.getProfileStats({});
      expect(stats.dataIngested).toBe(true);
      await expect(c.selectMergeStacktraces({ profileTypeID: 'nope', labelSelector: '{}', start, end })).rejects.toThrow(/profile type/);
    });

    it('SelectMergeStacktraces as tree bytes and flame graph agree', async () => {
      const request = { profileTypeID: CPU, labelSelector: '{service_name="cart"}', start: BigInt(fromMs), end: BigInt(untilMs) };
      const flame = await client().selectMergeStacktraces({ ...request, format: ProfileFormat.FLAMEGRAPH });
      const tree = await client().selectMergeStacktraces({ ...request, format: ProfileFormat.TREE });
      expect(tree.tree.length).toBeGreaterThan(0);
      expect(Number(flame.flamegraph!.total)).toBe(sumSelf(tree.tree));
      // PPROF (answered by the fast path in binary, by Connect in JSON): the same profile either way.
      const pprof = await client().selectMergeStacktraces({ ...request, format: ProfileFormat.PPROF });
      const samples = pprof.pprof!.profile!.sample;
      expect(samples.reduce((sum, sample) => sum + Number(sample.value[0]), 0)).toBe(Number(flame.flamegraph!.total));
      const viaJson = await connectJson<{ pprof: { profile: { sample: { value: string[] }[] } } }>(baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: '{service_name="cart"}',
        start: String(fromMs),
        end: String(untilMs),
        format: 'PROFILE_FORMAT_PPROF',
      });
      expect(viaJson.body.pprof.profile.sample.map((sample) => Number(sample.value[0]))).toEqual(samples.map((sample) => Number(sample.value[0])));
      // TREE over JSON (written by the fast path): the same bytes as over protobuf, base64 as proto3 JSON has it.
      const treeJson = await connectJson<{ tree: string }>(baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: '{service_name="cart"}',
        start: String(fromMs),
        end: String(untilMs),
        format: 'PROFILE_FORMAT_TREE',
      });
      expect(Buffer.from(treeJson.body.tree, 'base64').equals(Buffer.from(tree.tree))).toBe(true);
      const labels = await client().labelValues({ name: 'region', matchers: ['{}'], start: BigInt(fromMs), end: BigInt(untilMs) });
      expect(labels.names).toEqual(['eu', 'us']);
    });
  });

  describe('legacy HTTP and /api/v1', () => {
    it('/pyroscope/render agrees with SelectMergeStacktraces and has a timeline', async () => {
      const query = `${CPU}{service_name="checkout"}`;
      const response = await fetch(`${baseUrl}/pyroscope/render?${new URLSearchParams({ query, from: String(fromMs), until: String(untilMs) })}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { flamebearer: { numTicks: number; levels: number[][] }; metadata: Record<string, unknown>; timeline: { samples: number[]; durationDelta: number } };
      const connect = await connectJson<{ flamegraph: { total: string; levels: { values: string[] }[] } }>(baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: '{service_name="checkout"}',
        ...range,
      });
      expect(body.flamebearer.numTicks).toBe(Number(connect.body.flamegraph.total));
      expect(body.flamebearer.levels).toEqual(connect.body.flamegraph.levels.map((l) => l.values.map(Number)));
      expect(body.metadata).toMatchObject({ format: 'single', units: 'samples', name: 'cpu', sampleRate: 1_000_000_000 });
      expect(body.timeline.samples.reduce((a, b) => a + b, 0)).toBe(body.flamebearer.numTicks);
    });

    it('SelectMergeStacktraces, /pyroscope/render and /api/v1/flamegraph return the same tree for the same selection', async () => {
      for (const [typeId, selector, maxNodes] of [
        [CPU, '{service_name="checkout"}', 16],
        [CPU, '{service_name=~"c.*"}', 4096],
        [HEAP_INUSE, '{service_name="cart"}', 64],
      ] as const) {
        const query = `${typeId}${selector}`;
        const params = { query, from: String(fromMs), until: String(untilMs), maxNodes: String(maxNodes) };
        const connect = await connectJson<{ flamegraph: { names: string[]; total: string; levels: { values: string[] }[] } }>(baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
          profileTypeID: typeId,
          labelSelector: selector,
          maxNodes: String(maxNodes),
          ...range,
        });
        const render = (await (await fetch(`${baseUrl}/pyroscope/render?${new URLSearchParams(params)}`)).json()) as { flamebearer: { names: string[]; numTicks: number; levels: number[][] } };
        const api = (await (await fetch(`${baseUrl}/api/v1/flamegraph?${new URLSearchParams(params)}`)).json()) as { flamegraph: { names: string[]; total: number; levels: number[][] } };
        const fromConnect = { names: connect.body.flamegraph.names, total: Number(connect.body.flamegraph.total), levels: connect.body.flamegraph.levels.map((l) => l.values.map(Number)) };
        expect(fromConnect.total, query).toBeGreaterThan(0);
        expect({ names: render.flamebearer.names, total: render.flamebearer.numTicks, levels: render.flamebearer.levels }, query).toEqual(fromConnect);
        expect({ names: api.flamegraph.names, total: api.flamegraph.total, levels: api.flamegraph.levels }, query).toEqual(fromConnect);
      }
    });

    it('render accepts now-1h style times and collapsed output', async () => {
      const response = await fetch(`${baseUrl}/pyroscope/render?${new URLSearchParams({ query: `${CPU}{service_name="checkout"}`, from: 'now-1h', until: 'now', format: 'collapsed' })}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(inputCollapsed('go/cpu.pb.gz', 'cpu'));
    });

    it('/pyroscope/label-values and labels', async () => {
      const types = (await (await fetch(`${baseUrl}/pyroscope/label-values?label=__name__`)).json()) as string[];
      expect(types).toContain(CPU);
      const services = (await (await fetch(`${baseUrl}/pyroscope/label-values?label=service_name`)).json()) as string[];
      expect(services).toEqual(['billing', 'cart', 'checkout']);
      expect((await fetch(`${baseUrl}/pyroscope/label-values`)).status).toBe(400);
    });

    it('/api/v1/flamegraph truncates honestly: total kept, hidden nodes reported, top table untruncated', async () => {
      const query = `${HEAP_INUSE}{service_name="cart"}`;
      const get = async (maxNodes: number) =>
        (await (await fetch(`${baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query, from: String(fromMs), until: String(untilMs), maxNodes: String(maxNodes) })}`)).json()) as {
          flamegraph: { total: number; names: string[]; levels: number[][] };
          truncation: { hiddenNodes: number; hiddenValue: number; otherNodes: number };
          top: { name: string; self: number; total: number }[];
        };
      const full = await get(1_000_000);
      const small = await get(20);
      expect(full.truncation.hiddenNodes).toBe(0);
      expect(small.flamegraph.total).toBe(full.flamegraph.total);
      expect(small.truncation.hiddenNodes).toBeGreaterThan(0);
      expect(small.truncation.otherNodes).toBeGreaterThan(0);
      expect(small.flamegraph.names).toContain('other');
      expect(small.top).toEqual(full.top);
      // Every level of the truncated graph still sums to the parent totals: the root level equals total.
      expect(small.flamegraph.levels[1]!.filter((_, i) => i % 4 === 1).reduce((a, b) => a + b, 0)).toBe(small.flamegraph.total);
      // And the top table matches one computed independently from the input profile.
      const profile = decodePprof(maybeGunzipFile(readFixture(testdataDir, 'go/heap.pb.gz')));
      const expectedTop = topTable(callTreeFromProfile(profile, profile.sampleTypes.findIndex((st) => st.type === 'inuse_space')), 500);
      expect(full.top).toEqual(expectedTop);
    });

    it('/api/v1/flamegraph focus re-roots at a stack prefix', async () => {
      const query = `${CPU}{service_name="cart"}`;
      const base = (await (await fetch(`${baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query, from: String(fromMs), until: String(untilMs) })}`)).json()) as {
        flamegraph: { names: string[]; levels: number[][] };
      };
      const firstChild = base.flamegraph.names[base.flamegraph.levels[1]![3]!]!;
      const focused = (await (await fetch(`${baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query, from: String(fromMs), until: String(untilMs), focus: firstChild })}`)).json()) as {
        flamegraph: { total: number; levels: number[][] };
      };
      expect(focused.flamegraph.total).toBe(base.flamegraph.levels[1]![1]);
    });

    it('/api/v1/services lists services with their types and last-seen time', async () => {
      const body = (await (await fetch(`${baseUrl}/api/v1/services?from=${fromMs}&until=${untilMs}`)).json()) as {
        services: { serviceName: string; lastSeenMs: number; profileTypes: { id: string }[] }[];
      };
      expect(body.services.map((s) => s.serviceName)).toEqual(['billing', 'cart', 'checkout']);
      const cart = body.services.find((s) => s.serviceName === 'cart')!;
      expect(cart.profileTypes.map((t) => t.id)).toEqual(expect.arrayContaining([CPU, HEAP_INUSE]));
      expect(Math.abs(cart.lastSeenMs - Math.floor(profileMs / 1000) * 1000)).toBeLessThan(1000);
    });

    it('/api/v1/diff compares two selections by function, with the normalisation it applied', async () => {
      const params = (extra: Record<string, string>) =>
        new URLSearchParams({
          baseline: `${CPU}{service_name="checkout"}`,
          baselineFrom: String(fromMs),
          baselineUntil: String(untilMs),
          comparison: `${CPU}{service_name="cart"}`,
          comparisonFrom: String(fromMs),
          comparisonUntil: String(untilMs),
          ...extra,
        });
      const body = (await (await fetch(`${baseUrl}/api/v1/diff?${params({})}`)).json()) as {
        mode: string;
        normalization: { kind: string; baselineScale: number };
        flamegraph: { leftTicks: number; rightTicks: number; levels: number[][] };
        table: { name: string; status: string; baselineTotal: number; comparisonTotal: number }[];
        baselineTotal: number;
        comparisonTotal: number;
      };
      expect(body.mode).toBe('absolute');
      expect(body.normalization).toMatchObject({ kind: 'none', baselineScale: 1 });
      expect(body.flamegraph.leftTicks).toBe(body.baselineTotal);
      expect(body.flamegraph.rightTicks).toBe(body.comparisonTotal);
      expect(body.baselineTotal).toBe(470_000_000);
      expect(body.flamegraph.levels[0]).toHaveLength(7);
      const statuses = new Set(body.table.map((r) => r.status));
      expect(statuses.has('new') || statuses.has('grew')).toBe(true);
      const relative = (await (await fetch(`${baseUrl}/api/v1/diff?${params({ mode: 'relative' })}`)).json()) as { table: { baselineTotal: number }[] };
      for (const row of relative.table) expect(row.baselineTotal).toBeLessThanOrEqual(1);
      // A longer comparison range: the baseline is scaled to it.
      const scaled = (await (await fetch(`${baseUrl}/api/v1/diff?${params({ baselineFrom: String(untilMs - 600_000) })}`)).json()) as { normalization: { kind: string; baselineScale: number } };
      expect(scaled.normalization.kind).toBe('duration');
      expect(scaled.normalization.baselineScale).toBeCloseTo((untilMs - fromMs) / 600_000);
      const mismatch = await fetch(`${baseUrl}/api/v1/diff?${params({ comparison: `${HEAP_INUSE}{service_name="cart"}` })}`);
      expect(mismatch.status).toBe(400);
    });

    it('/api/v1/sandwich is computed from the full tree', async () => {
      const profile = decodePprof(maybeGunzipFile(readFixture(testdataDir, 'go/heap.pb.gz')));
      const tree = callTreeFromProfile(profile, profile.sampleTypes.findIndex((st) => st.type === 'inuse_space'));
      const fn = topTable(tree, 1)[0]!;
      const response = await fetch(
        `${baseUrl}/api/v1/sandwich?${new URLSearchParams({ query: `${HEAP_INUSE}{service_name="cart"}`, from: String(fromMs), until: String(untilMs), function: fn.name, maxNodes: '5' })}`,
      );
      const body = (await response.json()) as { self: number; total: number; callers: { total: number } };
      expect(body.self).toBe(fn.self);
      expect(body.total).toBe(fn.total);
      expect(body.callers.total).toBe(fn.total);
    });
  });

  describe('bad queries get clear 4xx answers', () => {
    it.each([
      ['reversed range', { profileTypeID: CPU, labelSelector: '{}', start: String(untilMs), end: String(fromMs) }, 'invalid_argument'],
      ['missing range', { profileTypeID: CPU, labelSelector: '{}' }, 'invalid_argument'],
      ['malformed profile type', { profileTypeID: 'process_cpu:cpu', labelSelector: '{}', ...range }, 'invalid_argument'],
      ['huge max_nodes', { profileTypeID: CPU, labelSelector: '{}', ...range, maxNodes: '99999999' }, 'invalid_argument'],
      ['bad selector', { profileTypeID: CPU, labelSelector: '{service_name=}', ...range }, 'invalid_argument'],
      ['bad regex', { profileTypeID: CPU, labelSelector: '{service_name=~"("}', ...range }, 'invalid_argument'],
    ])('%s', async (_name, request, code) => {
      const { status, body } = await connectJson<{ code: string; message: string }>(baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', request);
      expect(status).toBe(400);
      expect(body.code).toBe(code);
      expect(body.message.length).toBeGreaterThan(10);
    });

    it('malformed JSON and proto bodies', async () => {
      const json = await fetch(`${baseUrl}/querier.v1.QuerierService/ProfileTypes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"start": ' });
      expect(json.status).toBe(400);
      const proto = await fetch(`${baseUrl}/querier.v1.QuerierService/ProfileTypes`, { method: 'POST', headers: { 'content-type': 'application/proto' }, body: new Uint8Array([0xff, 0xff, 0xff]) });
      expect(proto.status).toBe(400);
      const render = await fetch(`${baseUrl}/pyroscope/render?query=&from=now-1h`);
      expect(render.status).toBe(400);
      expect(((await render.json()) as { message: string }).message).toMatch(/profile-type selection/);
      // The server is still serving.
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
    });
  });
});

/** Sum of self values in §3.5 tree bytes. */
function sumSelf(bytes: Uint8Array): number {
  let offset = 0;
  const uvarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  let total = 0;
  let pending = 1;
  while (pending > 0) {
    pending--;
    const nameLength = uvarint();
    offset += nameLength;
    total += uvarint();
    pending += uvarint();
  }
  return total;
}

