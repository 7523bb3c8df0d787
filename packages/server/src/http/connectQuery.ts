/**
 * querier.v1.QuerierService over Connect (proto and JSON): what Grafana's Pyroscope data source,
 * Profiles Drilldown and profilecli call. Thin: arguments → the read path → wire shapes.
 */
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { treeBytes, truncateTree, validateProfileTypeId, type FlameGraphData, type LabelPairs } from '@cinder/core';
import {
  FlameGraphDiffSchema,
  FlameGraphSchema,
  ProfileFormat,
  QuerierService,
  SelectHeatmapResponseSchema,
  type SelectSeriesRequest,
} from '../gen/querier/v1/querier_pb.js';
import { ExemplarType, TimeSeriesAggregationType, type StackTraceSelector } from '../gen/types/v1/types_pb.js';
import type { TreeRequest, ReadPath } from '../query/readPath.js';
import type { HeatmapResult, SeriesResult } from '../query/service.js';
import { pprofFromTree } from '../query/pprofExport.js';
import { int64Of } from '../query/heatmapExport.js';
import { tenantOf } from './connectIngest.js';
import { toConnectError } from './errors.js';

/**
 * Connect's int64s arrive as bigint. A value beyond ±2^53 cannot be an ms timestamp: it maps to
 * NaN, which the read path refuses as an invalid time range.
 */
function ms(value: bigint | undefined): number {
  if (value === undefined) return 0;
  return value > 9_007_199_254_740_991n || value < -9_007_199_254_740_991n ? Number.NaN : Number(value);
}

export function optionalCount(value: bigint | number | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function guarded<Req, Res>(handler: (request: Req, context: HandlerContext) => Promise<Res>) {
  return async (request: Req, context: HandlerContext): Promise<Res> => {
    try {
      return await handler(request, context);
    } catch (error) {
      throw toConnectError(error);
    }
  };
}

function allowUtf8LabelNames(context: HandlerContext): boolean {
  return allowUtf8InAccept(context.requestHeader.get('accept') ?? '');
}

function allowUtf8InAccept(accept: string): boolean {
  return /allow-utf8-labelnames=true/i.test(accept);
}

/** Series' read, shared by the Connect handler and the fast path (http/fastPath.ts) that encodes its answer. */
export function readSeries(read: ReadPath, tenant: string, request: { matchers: string[]; labelNames: string[]; start: bigint; end: bigint }, accept: string): Promise<LabelPairs[]> {
  return read.series(tenant, request.matchers, request.labelNames, ms(request.start), ms(request.end), allowUtf8InAccept(accept));
}

/** SelectSeries' read, shared like readSeries. */
export function readSelectSeries(read: ReadPath, tenant: string, request: SelectSeriesRequest): Promise<SeriesResult[]> {
  return read.timeline(tenant, {
    ...selectionOf(request),
    groupBy: request.groupBy,
    stepSec: request.step,
    aggregation: request.aggregation === TimeSeriesAggregationType.AVERAGE ? 'average' : 'sum',
    limit: optionalCount(request.limit) ?? 0,
  });
}

function flameGraphMessage(data: FlameGraphData) {
  return create(FlameGraphSchema, {
    names: data.names,
    levels: data.levels.map((values) => ({ values: values.map(int64Of) })),
    total: int64Of(data.total),
    maxSelf: int64Of(data.maxSelf),
  });
}

/** stack_trace_selector.call_site: keep only stacks under that root-first prefix. */
/**
 * SelectHeatmapResponse as a message, for the Connect handler (gRPC clients); Connect unary proto and
 * JSON are written directly by query/heatmapExport.ts, which its test checks against this.
 */
export function heatmapMessage(series: readonly HeatmapResult[], withExemplars: boolean) {
  const pairs = (labels: LabelPairs) => labels.map(([name, value]) => ({ name, value }));
  return create(SelectHeatmapResponseSchema, {
    series: series.map((entry) => ({
      labels: pairs(entry.labels),
      slots: entry.slots.map((slot) => ({
        timestamp: BigInt(slot.timestampMs),
        yMin: slot.yMin,
        counts: slot.counts,
        exemplars: withExemplars ? slot.exemplars.map((exemplar) => ({ timestamp: BigInt(exemplar.timestampMs), profileId: exemplar.profileId, value: int64Of(exemplar.value), labels: pairs(exemplar.labels) })) : [],
      })),
    })),
  });
}

function callSitePath(selector: StackTraceSelector | undefined): string[] {
  return selector?.callSite.map((location) => location.name) ?? [];
}

export function selectionOf(request: {
  profileTypeID: string;
  labelSelector: string;
  start: bigint;
  end: bigint;
  spanSelector?: string[];
  traceIdSelector?: string[];
  profileIdSelector?: string[];
  stackTraceSelector?: StackTraceSelector;
}): TreeRequest {
  return {
    profileTypeId: request.profileTypeID,
    labelSelector: request.labelSelector,
    fromMs: ms(request.start),
    toMs: ms(request.end),
    focusPath: callSitePath(request.stackTraceSelector),
    ...(request.spanSelector?.length ? { spanIds: request.spanSelector } : {}),
    ...(request.traceIdSelector?.length ? { traceIds: request.traceIdSelector } : {}),
    ...(request.profileIdSelector?.length ? { profileIds: request.profileIdSelector } : {}),
  };
}

export function registerQuerierService(router: ConnectRouter, read: ReadPath): void {
  router.service(QuerierService, {
    profileTypes: guarded(async (request, context) => ({
      profileTypes: await read.profileTypes(tenantOf(context), ms(request.start), ms(request.end)),
    })),

    labelNames: guarded(async (request, context) => ({
      names: await read.labelNames(tenantOf(context), request.matchers, ms(request.start), ms(request.end), allowUtf8LabelNames(context)),
    })),

    labelValues: guarded(async (request, context) => ({
      names: await read.labelValues(tenantOf(context), request.name, request.matchers, ms(request.start), ms(request.end)),
    })),

    series: guarded(async (request, context) => {
      const sets = await readSeries(read, tenantOf(context), request, context.requestHeader.get('accept') ?? '');
      return { labelsSet: sets.map((labels) => ({ labels: labels.map(([name, value]) => ({ name, value })) })) };
    }),

    selectMergeStacktraces: guarded(async (request, context) => {
      const selection = { ...selectionOf(request), maxNodes: optionalCount(request.maxNodes) };
      if (request.format === ProfileFormat.DOT) throw new ConnectError('format DOT is not supported; use FLAMEGRAPH, TREE or PPROF', Code.Unimplemented);
      if (request.format === ProfileFormat.TREE || request.format === ProfileFormat.PPROF) {
        const maxNodes = read.maxNodes(selection.maxNodes);
        const tree = await read.mergedTree(tenantOf(context), selection);
        if (request.format === ProfileFormat.TREE) return { tree: treeBytes(tree, maxNodes) };
        return { pprof: { profile: pprofFromTree(tree, { ...validateProfileTypeId(request.profileTypeID), timeNanos: BigInt(selection.toMs) * 1_000_000n }) } };
      }
      return { flamegraph: flameGraphMessage((await read.flameGraph(tenantOf(context), selection)).flamegraph) };
    }),

    selectMergeSpanProfile: guarded(async (request, context) => {
      const selection = { ...selectionOf(request), maxNodes: optionalCount(request.maxNodes) };
      if (request.format === ProfileFormat.TREE) return { tree: treeBytes(await read.mergedTree(tenantOf(context), selection), read.maxNodes(selection.maxNodes)) };
      return { flamegraph: flameGraphMessage((await read.flameGraph(tenantOf(context), selection)).flamegraph) };
    }),

    selectMergeProfile: guarded(async (request, context) => {
      const parts = validateProfileTypeId(request.profileTypeID);
      const selection = selectionOf(request);
      // Full profile unless a positive max_nodes asks for truncation (spec §3.2.7).
      let tree = await read.mergedTree(tenantOf(context), selection);
      const requested = optionalCount(request.maxNodes) ?? 0;
      if (requested > 0) tree = truncateTree(tree, read.maxNodes(requested));
      return pprofFromTree(tree, { ...parts, timeNanos: BigInt(selection.toMs) * 1_000_000n });
    }),

    selectSeries: guarded(async (request, context) => {
      const series = await readSelectSeries(read, tenantOf(context), request);
      return {
        series: series.map((entry) => ({
          labels: entry.labels.map(([name, value]) => ({ name, value })),
          points: entry.points.map((point) => ({ value: point.value, timestamp: BigInt(point.timestampMs) })),
        })),
      };
    }),

    selectHeatmap: guarded(async (request, context) => {
      const series = await read.heatmap(tenantOf(context), { ...selectionOf(request), groupBy: request.groupBy, stepSec: request.step, limit: optionalCount(request.limit) ?? 0 });
      // Exemplars unless the caller asked for none (span exemplars: profiles are the finest grain kept).
      return heatmapMessage(series, request.exemplarType !== ExemplarType.NONE);
    }),

    diff: guarded(async (request, context) => {
      if (!request.left || !request.right) throw new ConnectError('diff needs both "left" and "right" selections', Code.InvalidArgument);
      const maxNodes = Math.max(read.maxNodes(optionalCount(request.left.maxNodes)), read.maxNodes(optionalCount(request.right.maxNodes)));
      const baseline = selectionOf(request.left);
      const comparison = selectionOf(request.right);
      const { flamegraph } = await read.diff(tenantOf(context), { baseline, comparison, maxNodes, mode: 'absolute', normalize: 'none' });
      return {
        flamegraph: create(FlameGraphDiffSchema, {
          names: flamegraph.names,
          levels: flamegraph.levels.map((values) => ({ values: values.map(int64Of) })),
          total: int64Of(flamegraph.total),
          maxSelf: int64Of(flamegraph.maxSelf),
          leftTicks: int64Of(flamegraph.leftTicks),
          rightTicks: int64Of(flamegraph.rightTicks),
        }),
      };
    }),

    getProfileStats: guarded(async (_request, context) => {
      const stats = await read.stats(tenantOf(context));
      return {
        dataIngested: stats.dataIngested,
        oldestProfileTime: BigInt(stats.oldestProfileMs),
        newestProfileTime: BigInt(stats.newestProfileMs),
      };
    }),

    analyzeQuery: guarded(async () => ({ queryScopes: [] })),
  });
}
