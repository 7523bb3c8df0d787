/**
 * Cinder's own JSON API, `/api/v1/*` (typed in core/api.ts, documented in docs/api.md). Handlers
 * parse the query string, call one read-path function and shape its answer.
 */
import type { FastifyInstance } from 'fastify';
import {
  CinderError,
  cpuprofileJsonFromTree,
  cpuprofileNanosecondsPerUnit,
  ErrorCodes,
  isSameOriginPath,
  profileTypeAggregation,
  speedscopeFromTree,
  TREE_WIRE_CONTENT_TYPE,
  validateProfileTypeId,
  type AppConfig,
  type DiffResponse,
  type FlameGraphResponse,
  type SandwichResponse,
  type ServiceInfo,
  type TimelineResponse,
} from '@cinder/core';
import { collapsedBody } from '../query/flameGraphExport.js';
import { calcPointIntervalSec } from '../query/legacy.js';
import { exportCodeLines, pprofBytesFromTreePaced } from '../query/pprofExport.js';
import type { FlameGraphRequest } from '../query/readPath.js';
import { CINDER_VERSION } from '../version.js';
import type { ServerDeps } from './deps.js';
import { frameFiltersParam } from './filterParams.js';
import { averageDiffGauges, averageGauges } from './gaugeAverage.js';
import { all, attachmentDisposition, first, focusPath, maxNodesParam, nonNegativeInt, searchParam, selectorMatchers, spanFilters, splitQuery, timeRange, widthParam, type Query } from './params.js';

const DEFAULT_TOP_ROWS = 500;

export function registerApiRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { read, config, snapshots, now } = deps;

  /** `query`, `from`, `until`, `maxNodes`, `focus`, `spanId`, `traceId` → a flame-graph request. */
  const flameGraphRequest = (q: Query): FlameGraphRequest => ({
    ...splitQuery(first(q.query)),
    ...timeRange(q, now()),
    ...spanFilters(q),
    maxNodes: maxNodesParam(q),
    focusPath: focusPath(q),
    frameFilters: frameFiltersParam(q),
  });

  /** The /api/v1/flamegraph answer (also what a snapshot freezes). */
  const flameGraphResponse = async (tenant: string, q: Query) => {
    const request = flameGraphRequest(q);
    const [answer, profileCount] = await Promise.all([read.flameGraph(tenant, request), read.profileCount(tenant, request)]);
    const response: FlameGraphResponse = {
      profileTypeId: answer.profileTypeId,
      unit: answer.unit,
      flamegraph: answer.flamegraph,
      truncation: answer.truncation,
      top: read.topTable(answer, nonNegativeInt(first(q.topLimit), 'topLimit') ?? DEFAULT_TOP_ROWS),
      profileCount,
      fromMs: request.fromMs,
      untilMs: request.toMs,
    };
    // Gauges answer their mean over the profiles (gaugeAverage.ts); the Pyroscope APIs keep sums.
    return { response: averageGauges(response), answer, request };
  };

  app.get('/api/v1/config', async (): Promise<AppConfig> => ({
    grafana_url: config.grafanaUrl,
    public_url: config.publicUrl,
    retention_ms: config.retentionMs,
    rollup_retention_ms: config.rollupRetentionMs,
    version: CINDER_VERSION,
  }));

  app.get('/api/v1/services', async (request): Promise<{ services: ServiceInfo[] }> => {
    const { fromMs, toMs } = timeRange(request.query as Query, now());
    return { services: await read.services(request.tenant, fromMs, toMs) };
  });

  app.get('/api/v1/flamegraph', async (request, reply) => {
    const q = request.query as Query;
    const format = first(q.format);
    if (format === 'tree') {
      // Parameters are checked before the read: a bad width or regex is a 400, not a wasted merge.
      const widthCssPx = widthParam(q);
      const search = searchParam(q);
      const topLimit = nonNegativeInt(first(q.topLimit), 'topLimit') ?? DEFAULT_TOP_ROWS;
      const bytes = await read.flameGraphTree(request.tenant, { ...flameGraphRequest(q), widthCssPx, topLimit, ...(search ? { search } : {}) });
      return reply.type(TREE_WIRE_CONTENT_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    if (format === 'collapsed' || format === 'folded') {
      return reply.type('text/plain; charset=utf-8').send(await collapsedBody(await read.mergedTree(request.tenant, flameGraphRequest(q))));
    }
    if (format === 'pprof') {
      const selection = flameGraphRequest(q);
      const parts = validateProfileTypeId(selection.profileTypeId);
      // Code metadata (file, start and call-site lines) where the store kept it: real offsets for Go
      // PGO. Without it (none kept, or unreadable) the profile is still exact, by name.
      const [tree, code] = await Promise.all([read.mergedTree(request.tenant, selection), exportCodeLines(deps.store, request.tenant, selection)]);
      const bytes = await pprofBytesFromTreePaced(tree, { ...parts, timeNanos: BigInt(selection.toMs) * 1_000_000n, ...(code ? { code } : {}) });
      return reply
        .type('application/octet-stream')
        .header('content-disposition', attachmentDisposition(`cinder-${parts.name}.pb`))
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    if (format === 'speedscope' || format === 'cpuprofile') {
      const selection = flameGraphRequest(q);
      const parts = validateProfileTypeId(selection.profileTypeId);
      // Refused before the read: a .cpuprofile can only hold time.
      if (format === 'cpuprofile') cpuprofileNanosecondsPerUnit(parts.sampleUnit);
      const tree = await read.mergedTree(request.tenant, selection);
      const text =
        format === 'speedscope'
          ? speedscopeFromTree(tree, { name: selection.profileTypeId, unit: parts.sampleUnit })
          : cpuprofileJsonFromTree(tree, { unit: parts.sampleUnit, startTimeUs: selection.fromMs * 1000 });
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', attachmentDisposition(`cinder-${parts.name}.${format === 'speedscope' ? 'speedscope.json' : 'cpuprofile'}`))
        .send(text);
    }
    return (await flameGraphResponse(request.tenant, q)).response;
  });

  app.get('/api/v1/timeline', async (request): Promise<TimelineResponse> => {
    const q = request.query as Query;
    const selection = { ...splitQuery(first(q.query)), ...timeRange(q, now()), ...spanFilters(q) };
    const stepText = first(q.step);
    const stepSec = stepText ? Number(stepText) : calcPointIntervalSec(selection.fromMs, selection.toMs);
    const aggregationParam = first(q.aggregation);
    const aggregation = aggregationParam === 'avg' || aggregationParam === 'average' ? 'average' : aggregationParam === 'sum' ? 'sum' : profileTypeAggregation(selection.profileTypeId);
    const series = await read.timeline(request.tenant, { ...selection, groupBy: all(q.groupBy), stepSec, aggregation, limit: nonNegativeInt(first(q.limit), 'limit') ?? 0 });
    return {
      stepMs: Math.max(1, Math.floor(stepSec * 1000)),
      series: series.map((entry) => ({ labels: Object.fromEntries(entry.labels), points: entry.points.map((p) => [p.timestampMs, p.value] as [number, number]) })),
    };
  });

  app.get('/api/v1/sandwich', async (request): Promise<SandwichResponse> => {
    const q = request.query as Query;
    return read.sandwich(request.tenant, flameGraphRequest(q), first(q.function) ?? '');
  });

  app.get('/api/v1/diff', async (request): Promise<DiffResponse> => {
    const q = request.query as Query;
    const side = (prefix: 'baseline' | 'comparison') => ({ ...splitQuery(first(q[prefix])), ...timeRange(q, now(), `${prefix}From`, `${prefix}Until`) });
    const mode = first(q.mode) === 'relative' ? 'relative' : 'absolute';
    const baseline = side('baseline');
    const comparison = side('comparison');
    const topLimit = nonNegativeInt(first(q.topLimit), 'topLimit') ?? DEFAULT_TOP_ROWS;
    // Gauges compare each side's mean (gaugeAverage.ts), where range-length normalisation has no meaning.
    const gauge = profileTypeAggregation(baseline.profileTypeId) === 'average';
    const normalize = gauge || first(q.normalize) === 'none' ? 'none' : 'duration';
    const [diff, baselineProfileCount, comparisonProfileCount] = await Promise.all([
      read.diff(request.tenant, { baseline, comparison, maxNodes: maxNodesParam(q), mode, normalize }),
      gauge ? read.profileCount(request.tenant, baseline) : 0,
      gauge ? read.profileCount(request.tenant, comparison) : 0,
    ]);
    const averaged = averageDiffGauges({ ...diff, mode, baselineProfileCount, comparisonProfileCount, topLimit });
    if (averaged) return averaged;
    return {
      profileTypeId: diff.profileTypeId,
      unit: diff.unit,
      mode,
      normalization: diff.normalization,
      flamegraph: diff.flamegraph,
      table: diff.table(topLimit),
      baselineTotal: diff.baselineTree.total[0] ?? 0,
      comparisonTotal: diff.comparisonTree.total[0] ?? 0,
    };
  });

  app.get('/api/v1/labels', async (request) => {
    const q = request.query as Query;
    const { fromMs, toMs } = timeRange(q, now());
    return { names: await read.labelNames(request.tenant, selectorMatchersOf(q), fromMs, toMs, true) };
  });

  app.get('/api/v1/label-values', async (request) => {
    const q = request.query as Query;
    const { fromMs, toMs } = timeRange(q, now());
    return { values: await read.labelValues(request.tenant, first(q.name) ?? '', selectorMatchersOf(q), fromMs, toMs) };
  });

  app.post('/api/v1/snapshots', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : typeof body[key] === 'number' ? String(body[key]) : undefined);
    // `filter` and `profileId` as /api/v1/flamegraph takes them (a string or a list), so a snapshot
    // freezes what the user saw: frame filters applied, narrowed to the opened profiles.
    const texts = (key: string): string[] | undefined => {
      const value = body[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value === 'string') return [value];
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"${key}" must be a string or a list of strings`);
    };
    const { response } = await flameGraphResponse(request.tenant, {
      query: text('query'),
      from: text('from'),
      until: text('until'),
      maxNodes: text('maxNodes'),
      focus: text('focus'),
      filter: texts('filter'),
      profileId: texts('profileId'),
    });
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
}

function selectorMatchersOf(q: Query): string[] {
  return selectorMatchers(first(q.query));
}
