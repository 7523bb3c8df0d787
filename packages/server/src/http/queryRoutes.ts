/**
 * Plain-HTTP query routes: Cinder's own /api/v1 (typed in core/api.ts, documented in docs/api.md)
 * and Pyroscope's legacy /pyroscope/render, render-diff, label-values and labels.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CinderError,
  ErrorCodes,
  collapsedFromTree,
  diffFlameGraph,
  emptyFlameGraph,
  flameGraphFromTree,
  focusTree,
  parseTimeParam,
  sandwich,
  topTable,
  validateProfileTypeId,
  isSameOriginPath,
  diffTable,
  durationScale,
  type AppConfig,
  type CallTree,
  type DiffResponse,
  type FlameGraphResponse,
  type SandwichResponse,
  type ServiceInfo,
  type TimelineResponse,
} from '@cinder/core';
import { toBinary } from '@bufbuild/protobuf';
import { ProfileSchema } from '../gen/google/v1/profile_pb.js';
import type { ServerDeps } from './server.js';
import { pprofFromTree } from '../query/pprofExport.js';
import { CINDER_VERSION } from '../version.js';
import { SnapshotStore } from '../snapshots/snapshotStore.js';

const HOUR_MS = 3_600_000;

type Query = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

/**
 * A Content-Disposition for a download: an ASCII fallback name with nothing that could end the
 * quoted string or the header, and the exact name as RFC 5987 `filename*`.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  const encoded = encodeURIComponent(fileName.slice(0, 200)).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** `from`/`until` in any form the spec allows (§2.1.2); defaults: the last hour. */
export function timeRange(query: Query, nowMs: number, fromKey = 'from', untilKey = 'until'): { fromMs: number; untilMs: number } {
  const parse = (key: string, fallback: number): number => {
    const text = first(query[key]);
    if (text === undefined || text === '') return fallback;
    const value = parseTimeParam(text, nowMs);
    if (!Number.isFinite(value)) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `"${key}=${text}" is not a time: use ms since the epoch, unix seconds, RFC 3339 or now-1h`);
    }
    return value;
  };
  const untilMs = parse(untilKey, nowMs);
  const fromMs = parse(fromKey, untilMs - HOUR_MS);
  if (fromMs > untilMs) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `"${fromKey}" (${new Date(fromMs).toISOString()}) is after "${untilKey}" (${new Date(untilMs).toISOString()})`);
  }
  return { fromMs, untilMs };
}

/** `<profileTypeId>{selector}` → parts; the type is required. */
export function splitQuery(text: string | undefined): { profileTypeId: string; labelSelector: string } {
  const trimmed = (text ?? '').trim();
  const brace = trimmed.indexOf('{');
  const profileTypeId = (brace < 0 ? trimmed : trimmed.slice(0, brace)).trim();
  if (profileTypeId === '') {
    throw new CinderError(ErrorCodes.QUERY_INVALID_PROFILE_TYPE, '"query" must contain a profile-type selection, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}');
  }
  validateProfileTypeId(profileTypeId);
  return { profileTypeId, labelSelector: brace < 0 ? '{}' : trimmed.slice(brace) };
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"${name}" must be a non-negative integer, got "${text}"`);
  return value;
}

/** Pyroscope's CalcPointInterval (§3.6.4), in seconds. */
export function calcPointIntervalSec(fromMs: number, untilMs: number): number {
  const rawMs = (untilMs - fromMs) / 1500;
  if (rawMs < 15_000) return 15;
  const table: Array<[number, number]> = [
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [bound, step] of table) if (rawMs <= bound) return step / 1000;
  return 31_536_000;
}

function flamebearerMetadata(profileTypeId: string): { format: string; spyName: string; sampleRate: number; units: string; name: string } {
  const parts = validateProfileTypeId(profileTypeId);
  let units = parts.sampleUnit;
  if (['inuse_objects', 'alloc_objects', 'goroutine', 'samples'].includes(parts.sampleType)) units = 'objects';
  if (parts.sampleType === 'cpu') units = 'samples';
  return { format: 'single', spyName: '', sampleRate: parts.sampleType === 'cpu' ? 1_000_000_000 : 100, units, name: parts.sampleType };
}

export function registerQueryRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { query, config } = deps;
  const now = (): number => Date.now();

  app.get('/api/v1/config', async (): Promise<AppConfig> => ({
    grafana_url: config.grafanaUrl,
    public_url: config.publicUrl,
    retention_ms: config.retentionMs,
    rollup_retention_ms: config.rollupRetentionMs,
    version: CINDER_VERSION,
  }));

  app.get('/api/v1/services', async (request): Promise<{ services: ServiceInfo[] }> => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const sets = await query.series(request.tenant, [], ['service_name', '__profile_type__'], fromMs, untilMs, true);
    const byService = new Map<string, Set<string>>();
    for (const labels of sets) {
      const map = new Map(labels);
      const service = map.get('service_name');
      const type = map.get('__profile_type__');
      if (service === undefined || type === undefined) continue;
      if (!byService.has(service)) byService.set(service, new Set());
      byService.get(service)!.add(type);
    }
    const lastSeen = await query.lastSeenByService(request.tenant, fromMs, untilMs);
    const services: ServiceInfo[] = [...byService.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([serviceName, types]) => ({
        serviceName,
        lastSeenMs: lastSeen.get(serviceName) ?? 0,
        profileTypes: [...types].sort().map((id) => {
          const parts = validateProfileTypeId(id);
          return { id, name: parts.name, sampleType: parts.sampleType, sampleUnit: parts.sampleUnit, periodType: parts.periodType, periodUnit: parts.periodUnit };
        }),
      }));
    return { services };
  });

  /** The /api/v1/flamegraph answer for a set of query parameters (also what a snapshot freezes). */
  const flameGraphResponse = async (tenant: string, q: Query): Promise<{ response: FlameGraphResponse; tree: CallTree; profileTypeId: string; untilMs: number }> => {
    const { fromMs, untilMs } = timeRange(q, now());
    const { profileTypeId, labelSelector } = splitQuery(first(q.query));
    const maxNodes = query.maxNodes(positiveInt(first(q.maxNodes), 'maxNodes'));
    const selection = { profileTypeId, labelSelector, startMs: fromMs, endMs: untilMs, ...spanFilters(q) };
    const [full, profileCount] = await Promise.all([query.mergedTree(tenant, selection), query.profileCount(tenant, selection)]);
    const focus = first(q.focus);
    const tree = focus ? focusTree(full, focus.split(';'), { keepPrefix: true }) : full;
    const rendered = tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes) : { flamegraph: emptyFlameGraph(), truncation: { hiddenNodes: 0, hiddenValue: 0, otherNodes: 0 } };
    const response: FlameGraphResponse = {
      profileTypeId,
      unit: validateProfileTypeId(profileTypeId).sampleUnit,
      flamegraph: rendered.flamegraph,
      truncation: rendered.truncation,
      top: topTable(tree, positiveInt(first(q.topLimit), 'topLimit') ?? 500),
      profileCount,
      fromMs,
      untilMs,
    };
    return { response, tree, profileTypeId, untilMs };
  };

  app.get('/api/v1/flamegraph', async (request, reply) => {
    const q = request.query as Query;
    const { response, tree, profileTypeId, untilMs } = await flameGraphResponse(request.tenant, q);
    const format = first(q.format);
    if (format === 'collapsed' || format === 'folded') {
      return reply.type('text/plain; charset=utf-8').send(collapsedFromTree(tree));
    }
    if (format === 'pprof') {
      const parts = validateProfileTypeId(profileTypeId);
      const message = pprofFromTree(tree, { ...parts, timeNanos: BigInt(untilMs) * 1_000_000n });
      return reply
        .type('application/octet-stream')
        .header('content-disposition', attachmentDisposition(`cinder-${parts.name}.pb`))
        .send(Buffer.from(toBinary(ProfileSchema, message)));
    }
    return response;
  });

  const snapshots = new SnapshotStore(path.join(config.dataDir, 'snapshots'));
  app.post('/api/v1/snapshots', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : typeof body[key] === 'number' ? String(body[key]) : undefined);
    const q: Query = { query: text('query'), from: text('from'), until: text('until'), maxNodes: text('maxNodes'), focus: text('focus') };
    const { response } = await flameGraphResponse(request.tenant, q);
    const title = (text('title') ?? '').slice(0, 200) || `${response.profileTypeId} ${new Date(response.fromMs).toISOString()}`;
    const viewUrl = isSameOriginPath(text('viewUrl') ?? '') ? text('viewUrl')!.slice(0, 2000) : '';
    const meta = await snapshots.create(request.tenant, { title, viewUrl, profileTypeId: response.profileTypeId, fromMs: response.fromMs, untilMs: response.untilMs, result: response });
    return reply.status(201).send({ ...meta, url: `/snapshots/${meta.id}` });
  });
  app.get('/api/v1/snapshots', async (request) => ({ snapshots: await snapshots.list(request.tenant) }));
  app.get('/api/v1/snapshots/:id', async (request) => snapshots.get(request.tenant, (request.params as { id: string }).id));
  app.delete('/api/v1/snapshots/:id', async (request, reply) => {
    await snapshots.delete(request.tenant, (request.params as { id: string }).id);
    return reply.status(204).send();
  });

  app.get('/api/v1/timeline', async (request): Promise<TimelineResponse> => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const { profileTypeId, labelSelector } = splitQuery(first(q.query));
    const stepText = first(q.step);
    const stepSec = stepText ? Number(stepText) : calcPointIntervalSec(fromMs, untilMs);
    const groupBy = all(q.groupBy);
    const series = await query.selectSeries(request.tenant, {
      profileTypeId,
      labelSelector,
      startMs: fromMs,
      endMs: untilMs,
      groupBy,
      stepSec,
      aggregation: first(q.aggregation) === 'avg' || first(q.aggregation) === 'average' ? 'average' : 'sum',
      limit: positiveInt(first(q.limit), 'limit') ?? 0,
      ...spanFilters(q),
    });
    return {
      stepMs: Math.max(1, Math.floor(stepSec * 1000)),
      series: series.map((entry) => ({ labels: Object.fromEntries(entry.labels), points: entry.points.map((p) => [p.timestampMs, p.value] as [number, number]) })),
    };
  });

  app.get('/api/v1/sandwich', async (request): Promise<SandwichResponse> => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const { profileTypeId, labelSelector } = splitQuery(first(q.query));
    const functionName = first(q.function);
    if (!functionName) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, '"function" (the frame name to put in the middle) is required');
    const maxNodes = query.maxNodes(positiveInt(first(q.maxNodes), 'maxNodes'));
    const tree = await query.mergedTree(request.tenant, { profileTypeId, labelSelector, startMs: fromMs, endMs: untilMs, ...spanFilters(q) });
    const result = sandwich(tree, functionName);
    return {
      functionName,
      callers: result.callers.nodeCount > 1 ? flameGraphFromTree(result.callers, maxNodes).flamegraph : emptyFlameGraph(),
      callees: result.callees.nodeCount > 1 ? flameGraphFromTree(result.callees, maxNodes).flamegraph : emptyFlameGraph(),
      self: result.self,
      total: result.total,
    };
  });

  app.get('/api/v1/diff', async (request): Promise<DiffResponse> => {
    const q = request.query as Query;
    const baseline = splitQuery(first(q.baseline));
    const comparison = splitQuery(first(q.comparison));
    if (baseline.profileTypeId !== comparison.profileTypeId) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `baseline and comparison must be the same profile type (got ${baseline.profileTypeId} and ${comparison.profileTypeId})`);
    }
    const baselineRange = timeRange(q, now(), 'baselineFrom', 'baselineUntil');
    const comparisonRange = timeRange(q, now(), 'comparisonFrom', 'comparisonUntil');
    const mode = first(q.mode) === 'relative' ? 'relative' : 'absolute';
    const normalize = first(q.normalize) === 'none' ? 'none' : 'duration';
    const maxNodes = query.maxNodes(positiveInt(first(q.maxNodes), 'maxNodes'));
    const [left, right] = await Promise.all([
      query.mergedTree(request.tenant, { ...baseline, startMs: baselineRange.fromMs, endMs: baselineRange.untilMs }),
      query.mergedTree(request.tenant, { ...comparison, startMs: comparisonRange.fromMs, endMs: comparisonRange.untilMs }),
    ]);
    const baselineMs = baselineRange.untilMs - baselineRange.fromMs;
    const comparisonMs = comparisonRange.untilMs - comparisonRange.fromMs;
    const lengthScale = mode === 'absolute' && normalize === 'duration' ? durationScale(baselineMs, comparisonMs) : 1;
    // Counted samples (not time) also depend on the sampling rate: 100 samples at 100 Hz are the
    // same work as 1,000 at 1 kHz. Scale the baseline's counts to the comparison's rate.
    let rateScale = 1;
    if (mode === 'absolute' && normalize === 'duration' && validateProfileTypeId(baseline.profileTypeId).sampleUnit === 'count') {
      const [baselinePeriod, comparisonPeriod] = await Promise.all([
        query.meanPeriod(request.tenant, { ...baseline, startMs: baselineRange.fromMs, endMs: baselineRange.untilMs }),
        query.meanPeriod(request.tenant, { ...comparison, startMs: comparisonRange.fromMs, endMs: comparisonRange.untilMs }),
      ]);
      if (baselinePeriod && comparisonPeriod && Math.abs(baselinePeriod / comparisonPeriod - 1) > 0.01) rateScale = baselinePeriod / comparisonPeriod;
    }
    const baselineScale = lengthScale * rateScale;
    const reasons = [
      ...(lengthScale !== 1 ? [`×${lengthScale.toPrecision(3)} for the comparison’s range length`] : []),
      ...(rateScale !== 1 ? [`×${rateScale.toPrecision(3)} for the comparison’s sampling rate`] : []),
    ];
    const description =
      mode === 'relative'
        ? 'relative: each function as a share of its own side’s total'
        : reasons.length === 0
          ? 'absolute: values as measured (same range length and sampling rate)'
          : `absolute: baseline scaled ${reasons.join(' and ')}`;
    const rows = diffTable(left, right, { mode, baselineScale });
    return {
      profileTypeId: baseline.profileTypeId,
      unit: validateProfileTypeId(baseline.profileTypeId).sampleUnit,
      mode,
      normalization: { kind: baselineScale === 1 ? 'none' : rateScale !== 1 ? 'duration+rate' : 'duration', baselineScale, description },
      flamegraph: diffFlameGraph(left, right, maxNodes),
      table: rows.slice(0, positiveInt(first(q.topLimit), 'topLimit') ?? 500).map((r) => ({ ...r, changeRatio: Number.isFinite(r.changeRatio) ? r.changeRatio : null })),
      baselineTotal: left.total[0] ?? 0,
      comparisonTotal: right.total[0] ?? 0,
    };
  });

  app.get('/api/v1/labels', async (request) => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const matchers = selectorMatchers(first(q.query));
    return { names: await query.labelNames(request.tenant, matchers, fromMs, untilMs, true) };
  });

  app.get('/api/v1/label-values', async (request) => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const name = first(q.name);
    if (!name) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, '"name" (the label whose values to list) is required');
    return { values: await query.labelValues(request.tenant, name, selectorMatchers(first(q.query)), fromMs, untilMs) };
  });

  // ------------------------------------------------------------ legacy Pyroscope HTTP

  const render = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    const { profileTypeId, labelSelector } = splitQuery(first(q.query));
    const maxNodesParam = positiveInt(first(q.maxNodes), 'maxNodes') || positiveInt(first(q['max-nodes']), 'max-nodes');
    const maxNodes = query.maxNodes(maxNodesParam || undefined);
    const selection = { profileTypeId, labelSelector, startMs: fromMs, endMs: untilMs };
    const tree = await query.mergedTree(request.tenant, selection);
    const format = first(q.format);
    if (format === 'collapsed' || format === 'folded') return reply.type('text/plain; charset=utf-8').send(collapsedFromTree(tree));
    if (format === 'dot') throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'format=dot is not supported by Cinder; use format=collapsed or the pprof export');
    const flamegraph = tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes).flamegraph : emptyFlameGraph();
    const stepSec = calcPointIntervalSec(fromMs, untilMs);
    const groupBy = all(q.groupBy);
    const aggregation = first(q.aggregation) === 'avg' ? 'average' : 'sum';
    const series = await query.selectSeries(request.tenant, { ...selection, groupBy: groupBy.slice(0, 1), stepSec, aggregation, limit: 0 });
    const timelineOf = (points: { timestampMs: number; value: number }[]) => legacyTimeline(points, fromMs, untilMs, stepSec);
    const merged = new Map<number, number>();
    for (const entry of series) for (const point of entry.points) merged.set(point.timestampMs, (merged.get(point.timestampMs) ?? 0) + point.value);
    let groups: Record<string, unknown> | null = null;
    if (groupBy.length > 0) {
      groups = {};
      for (const entry of series) {
        const value = entry.labels.find(([name]) => name === groupBy[0])?.[1] ?? '*';
        groups[value] = timelineOf(entry.points);
      }
    }
    return {
      version: 1,
      flamebearer: { names: flamegraph.names, levels: flamegraph.levels, numTicks: flamegraph.total, maxSelf: flamegraph.maxSelf },
      metadata: flamebearerMetadata(profileTypeId),
      timeline: timelineOf([...merged.entries()].map(([timestampMs, value]) => ({ timestampMs, value }))),
      groups,
      heatmap: null,
    };
  };
  app.get('/pyroscope/render', render);
  app.get('/render', render);

  app.get('/pyroscope/render-diff', async (request) => {
    const q = request.query as Query;
    const left = splitQuery(first(q.leftQuery));
    const right = splitQuery(first(q.rightQuery));
    if (left.profileTypeId !== right.profileTypeId) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'profile types must match');
    const leftRange = timeRange(q, now(), 'leftFrom', 'leftUntil');
    const rightRange = timeRange(q, now(), 'rightFrom', 'rightUntil');
    const maxNodesParam = positiveInt(first(q.maxNodes), 'maxNodes') || positiveInt(first(q['max-nodes']), 'max-nodes');
    const maxNodes = query.maxNodes(maxNodesParam || undefined);
    const [leftTree, rightTree] = await Promise.all([
      query.mergedTree(request.tenant, { ...left, startMs: leftRange.fromMs, endMs: leftRange.untilMs }),
      query.mergedTree(request.tenant, { ...right, startMs: rightRange.fromMs, endMs: rightRange.untilMs }),
    ]);
    const diff = diffFlameGraph(leftTree, rightTree, maxNodes);
    return {
      version: 1,
      flamebearer: { names: diff.names, levels: diff.levels, numTicks: diff.total, maxSelf: diff.maxSelf },
      metadata: { ...flamebearerMetadata(left.profileTypeId), format: 'double' },
      leftTicks: diff.leftTicks,
      rightTicks: diff.rightTicks,
      timeline: null,
      groups: null,
      heatmap: null,
    };
  });

  app.get('/pyroscope/label-values', async (request) => {
    const q = request.query as Query;
    const label = first(q.label);
    if (!label) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, '"label" is required');
    const { fromMs, untilMs } = timeRange(q, now());
    if (label === '__name__') return (await query.profileTypes(request.tenant, fromMs, untilMs)).map((t) => t.ID);
    return query.labelValues(request.tenant, label, selectorMatchers(first(q.query)), fromMs, untilMs);
  });

  app.get('/pyroscope/labels', async (request) => {
    const q = request.query as Query;
    const { fromMs, untilMs } = timeRange(q, now());
    return query.labelNames(request.tenant, selectorMatchers(first(q.query)), fromMs, untilMs, false);
  });
}

/** The selector part of an optional `<type>{selector}` query, as a matchers list. */
function selectorMatchers(text: string | undefined): string[] {
  if (!text) return [];
  const brace = text.indexOf('{');
  if (brace < 0) return [];
  const typeId = text.slice(0, brace).trim();
  const selector = text.slice(brace);
  return typeId === '' ? [selector] : [selector, `{__profile_type__="${typeId}"}`];
}

function spanFilters(q: Query): { spanIds?: string[]; traceIds?: string[] } {
  const spanIds = all(q.spanId).flatMap((s) => s.split(','));
  const traceIds = all(q.traceId).flatMap((s) => s.split(','));
  return { ...(spanIds.length ? { spanIds } : {}), ...(traceIds.length ? { traceIds } : {}) };
}

/** §3.6.4 legacy timeline: seconds, zero-filled, sums not rates. */
export function legacyTimeline(points: { timestampMs: number; value: number }[], fromMs: number, untilMs: number, stepSec: number) {
  const stepMs = stepSec * 1000;
  const a = Math.floor(fromMs / stepMs) * stepMs;
  const b = Math.floor(untilMs / stepMs) * stepMs;
  const count = a >= b ? 0 : Math.floor((b / 1000 - a / 1000) / stepSec);
  const samples = new Array<number>(count).fill(0);
  for (const point of points) {
    if (point.timestampMs < a || point.timestampMs >= b) continue;
    const index = Math.floor((Math.floor(point.timestampMs / 1000) - a / 1000) / stepSec);
    if (index >= 0 && index < count) samples[index] = Math.max(0, Math.floor(point.value));
  }
  return { startTime: a / 1000, samples, durationDelta: stepSec, watermarks: null };
}
