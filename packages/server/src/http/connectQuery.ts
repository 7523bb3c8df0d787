/**
 * querier.v1.QuerierService over Connect (proto and JSON): what Grafana's Pyroscope data source,
 * Profiles Drilldown and profilecli call. Thin: arguments → QueryService → wire shapes.
 */
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  diffFlameGraph,
  emptyFlameGraph,
  flameGraphFromTree,
  focusTree,
  treeBytes,
  truncateTree,
  validateProfileTypeId,
  type CallTree,
  type FlameGraphData,
} from '@cinder/core';
import {
  FlameGraphDiffSchema,
  FlameGraphSchema,
  ProfileFormat,
  QuerierService,
  type SelectMergeStacktracesRequest,
} from '../gen/querier/v1/querier_pb.js';
import { TimeSeriesAggregationType, type StackTraceSelector } from '../gen/types/v1/types_pb.js';
import type { QueryService, Selection } from '../query/service.js';
import { pprofFromTree } from '../query/pprofExport.js';
import { tenantOf } from './connectIngest.js';
import { toConnectError } from './errors.js';

/** Connect's JSON int64s arrive as bigint; ms timestamps fit a double. */
function ms(value: bigint | undefined): number {
  return value === undefined ? 0 : Number(value);
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
  return /allow-utf8-labelnames=true/i.test(context.requestHeader.get('accept') ?? '');
}

function flameGraphMessage(data: FlameGraphData) {
  return create(FlameGraphSchema, {
    names: data.names,
    levels: data.levels.map((values) => ({ values: values.map((v) => BigInt(Math.round(v))) })),
    total: BigInt(Math.round(data.total)),
    maxSelf: BigInt(Math.round(data.maxSelf)),
  });
}

/** stack_trace_selector.call_site: keep only stacks under that root-first prefix. */
function applyCallSite(tree: CallTree, selector: StackTraceSelector | undefined): CallTree {
  const path = selector?.callSite.map((location) => location.name) ?? [];
  if (path.length === 0) return tree;
  return focusTree(tree, path, { keepPrefix: true });
}

function selectionOf(request: {
  profileTypeID: string;
  labelSelector: string;
  start: bigint;
  end: bigint;
  spanSelector?: string[];
  traceIdSelector?: string[];
  profileIdSelector?: string[];
}): Selection {
  return {
    profileTypeId: request.profileTypeID,
    labelSelector: request.labelSelector,
    startMs: ms(request.start),
    endMs: ms(request.end),
    ...(request.spanSelector?.length ? { spanIds: request.spanSelector } : {}),
    ...(request.traceIdSelector?.length ? { traceIds: request.traceIdSelector } : {}),
    ...(request.profileIdSelector?.length ? { profileIds: request.profileIdSelector } : {}),
  };
}

export function registerQuerierService(router: ConnectRouter, query: QueryService): void {
  const mergedTree = async (tenant: string, request: SelectMergeStacktracesRequest): Promise<CallTree> =>
    applyCallSite(await query.mergedTree(tenant, selectionOf(request)), request.stackTraceSelector);

  router.service(QuerierService, {
    profileTypes: guarded(async (request, context) => {
      const types = await query.profileTypes(tenantOf(context), ms(request.start), ms(request.end));
      return { profileTypes: types };
    }),

    labelNames: guarded(async (request, context) => ({
      names: await query.labelNames(tenantOf(context), request.matchers, ms(request.start), ms(request.end), allowUtf8LabelNames(context)),
    })),

    labelValues: guarded(async (request, context) => ({
      names: await query.labelValues(tenantOf(context), request.name, request.matchers, ms(request.start), ms(request.end)),
    })),

    series: guarded(async (request, context) => {
      const sets = await query.series(tenantOf(context), request.matchers, request.labelNames, ms(request.start), ms(request.end), allowUtf8LabelNames(context));
      return { labelsSet: sets.map((labels) => ({ labels: labels.map(([name, value]) => ({ name, value })) })) };
    }),

    selectMergeStacktraces: guarded(async (request, context) => {
      const maxNodes = query.maxNodes(request.maxNodes === undefined ? undefined : Number(request.maxNodes));
      const tree = await mergedTree(tenantOf(context), request);
      if (request.format === ProfileFormat.TREE) return { tree: treeBytes(tree, maxNodes) };
      if (request.format === ProfileFormat.PPROF) {
        const parts = validateProfileTypeId(request.profileTypeID);
        return {
          pprof: {
            profile: pprofFromTree(tree, { ...parts, timeNanos: BigInt(ms(request.end)) * 1_000_000n }),
          },
        };
      }
      if (request.format === ProfileFormat.DOT) {
        throw new ConnectError('format DOT is not supported; use FLAMEGRAPH, TREE or PPROF', Code.Unimplemented);
      }
      const flamegraph = tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes).flamegraph : emptyFlameGraph();
      return { flamegraph: flameGraphMessage(flamegraph) };
    }),

    selectMergeSpanProfile: guarded(async (request, context) => {
      const maxNodes = query.maxNodes(request.maxNodes === undefined ? undefined : Number(request.maxNodes));
      const tree = await query.mergedTree(tenantOf(context), selectionOf(request));
      if (request.format === ProfileFormat.TREE) return { tree: treeBytes(tree, maxNodes) };
      const flamegraph = tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes).flamegraph : emptyFlameGraph();
      return { flamegraph: flameGraphMessage(flamegraph) };
    }),

    selectMergeProfile: guarded(async (request, context) => {
      const parts = validateProfileTypeId(request.profileTypeID);
      // Full profile unless a positive max_nodes asks for truncation (spec §3.2.7).
      let tree = applyCallSite(await query.mergedTree(tenantOf(context), selectionOf(request)), request.stackTraceSelector);
      const requested = request.maxNodes === undefined ? 0 : Number(request.maxNodes);
      if (requested > 0) tree = truncateTree(tree, query.maxNodes(requested));
      return pprofFromTree(tree, { ...parts, timeNanos: BigInt(ms(request.end)) * 1_000_000n });
    }),

    selectSeries: guarded(async (request, context) => {
      const series = await query.selectSeries(tenantOf(context), {
        ...selectionOf(request),
        groupBy: request.groupBy,
        stepSec: request.step,
        aggregation: request.aggregation === TimeSeriesAggregationType.AVERAGE ? 'average' : 'sum',
        limit: request.limit === undefined ? 0 : Number(request.limit),
      });
      return {
        series: series.map((entry) => ({
          labels: entry.labels.map(([name, value]) => ({ name, value })),
          points: entry.points.map((point) => ({ value: point.value, timestamp: BigInt(point.timestampMs) })),
        })),
      };
    }),

    selectHeatmap: guarded(async () => {
      throw new ConnectError('SelectHeatmap is not implemented by Cinder yet', Code.Unimplemented);
    }),

    diff: guarded(async (request, context) => {
      if (!request.left || !request.right) {
        throw new ConnectError('diff needs both "left" and "right" selections', Code.InvalidArgument);
      }
      const maxNodes = Math.max(
        query.maxNodes(request.left.maxNodes === undefined ? undefined : Number(request.left.maxNodes)),
        query.maxNodes(request.right.maxNodes === undefined ? undefined : Number(request.right.maxNodes)),
      );
      const tenant = tenantOf(context);
      const [left, right] = await Promise.all([mergedTree(tenant, request.left), mergedTree(tenant, request.right)]);
      const diff = diffFlameGraph(left, right, maxNodes);
      return {
        flamegraph: create(FlameGraphDiffSchema, {
          names: diff.names,
          levels: diff.levels.map((values) => ({ values: values.map((v) => BigInt(Math.round(v))) })),
          total: BigInt(Math.round(diff.total)),
          maxSelf: BigInt(Math.round(diff.maxSelf)),
          leftTicks: BigInt(Math.round(diff.leftTicks)),
          rightTicks: BigInt(Math.round(diff.rightTicks)),
        }),
      };
    }),

    getProfileStats: guarded(async (_request, context) => {
      const stats = await query.stats(tenantOf(context));
      return {
        dataIngested: stats.dataIngested,
        oldestProfileTime: BigInt(stats.oldestProfileMs),
        newestProfileTime: BigInt(stats.newestProfileMs),
      };
    }),

    analyzeQuery: guarded(async () => ({ queryScopes: [] })),
  });
}
