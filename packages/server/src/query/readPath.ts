/**
 * The read side: one function per answer, used alike by the Connect querier, the legacy
 * `/pyroscope/*` routes and Cinder's `/api/v1`. HTTP adapters parse a request into these types, call
 * one function and encode what it returns; nothing here knows about HTTP.
 */
import {
  applyFrameFilters,
  CinderError,
  ErrorCodes,
  diffFlameGraph,
  diffTable,
  durationScale,
  emptyFlameGraph,
  encodeTreeWire,
  flameGraphFromTree,
  focusTree,
  hasViewIndex,
  profileTypeAggregation,
  searchTotalsOfView,
  selectLodIndexed,
  sandwich,
  topTable,
  topTableOfView,
  topTableWalk,
  ROOT_NODE,
  validateProfileTypeId,
  type CallTree,
  type DiffResponse,
  type FrameFilter,
  type LabelPairs,
  type FlameGraphData,
  type FlameGraphDiffData,
  type SandwichResponse,
  type ServiceInfo,
  type TopRow,
  type TreeSearchQuery,
  type TruncationInfo,
} from '@cinder/core';
import type { StoreStats } from '../storage/store.js';
import type { HeatmapRequest, HeatmapResult, ProfileTypeMessage, QueryService, Selection, SeriesRequest, SeriesResult } from './service.js';

export interface TreeRequest extends Selection {
  /**
   * Keep only stacks under this root-first prefix, prefix included (the UI's zoom re-query and
   * Connect's `stack_trace_selector.call_site` are the same operation).
   */
  focusPath?: readonly string[];
  /**
   * Frame filters (core/tree/filters.ts), applied to the merged tree before focusPath: the UI zooms
   * into paths of the filtered flame graph, which may not exist in the unfiltered one.
   */
  frameFilters?: readonly FrameFilter[];
}

export interface FlameGraphRequest extends TreeRequest {
  /** undefined or 0 = the server's default. */
  maxNodes?: number;
}

/** The level-of-detail answer (`format=tree`, contract in core/flamegraph/treeWire.ts). */
export interface FlameGraphTreeRequest extends TreeRequest {
  widthCssPx: number;
  topLimit: number;
  search?: TreeSearchQuery;
}

export interface FlameGraphAnswer {
  profileTypeId: string;
  /** The sample unit of the profile type (`nanoseconds`, `bytes`, `count`). */
  unit: string;
  /** The merged (and focused) tree, untruncated: top table, exports and search read this. */
  tree: CallTree;
  flamegraph: FlameGraphData;
  truncation: TruncationInfo;
}

export type DiffMode = 'absolute' | 'relative';

export interface DiffRequest {
  baseline: TreeRequest;
  comparison: TreeRequest;
  maxNodes?: number;
  mode: DiffMode;
  /** `duration`: scale the baseline to the comparison's range length (and sampling rate for counts). */
  normalize: 'duration' | 'none';
}

export interface DiffAnswer {
  profileTypeId: string;
  unit: string;
  baselineTree: CallTree;
  comparisonTree: CallTree;
  flamegraph: FlameGraphDiffData;
  normalization: DiffResponse['normalization'];
  /** Per-function rows from the untruncated trees, largest change first. */
  table(limit: number): DiffResponse['table'];
}

/** Top rows per tree (see ReadPath.fullTopTable); weak, so they go with the tree. */
const topRowsOf = new WeakMap<CallTree, TopRow[]>();
/** The first `limit` top rows per tree (see ReadPath.rootTopRows). */
const limitedTopRowsOf = new WeakMap<CallTree, { limit: number; rows: Promise<TopRow[]> }>();
/** Nodes a step of a paced top-table walk covers (~10–20 ms). */
const TOP_TABLE_STEP_NODES = 250_000;

const NO_TRUNCATION: TruncationInfo = { hiddenNodes: 0, hiddenValue: 0, otherNodes: 0 };

export class ReadPath {
  constructor(private readonly query: QueryService) {}

  /** The one merge every flame-graph-shaped answer starts from. */
  async mergedTree(tenant: string, request: TreeRequest): Promise<CallTree> {
    const tree = applyFrameFilters(await this.query.mergedTree(tenant, request), request.frameFilters);
    return request.focusPath && request.focusPath.length > 0 ? focusTree(tree, request.focusPath, { keepPrefix: true }) : tree;
  }

  async flameGraph(tenant: string, request: FlameGraphRequest): Promise<FlameGraphAnswer> {
    const maxNodes = this.query.maxNodes(request.maxNodes);
    const tree = await this.mergedTree(tenant, request);
    const rendered = tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes) : { flamegraph: emptyFlameGraph(), truncation: NO_TRUNCATION };
    return { profileTypeId: request.profileTypeId, unit: unitOf(request.profileTypeId), tree, ...rendered };
  }

  /**
   * The level-of-detail answer's bytes: the nodes at least one CSS pixel wide under the focused
   * node, exact values, cut from the full merged tree (so zooms of one selection share one merge),
   * with the exact top table and search totals of the same (focused) tree the JSON answer uses.
   */
  async flameGraphTree(tenant: string, request: FlameGraphTreeRequest): Promise<Uint8Array> {
    const focusPath = request.focusPath ?? [];
    const [merged, profileCount] = await Promise.all([this.query.mergedTree(tenant, request), this.query.profileCount(tenant, request)]);
    // A big tree's first answer is a few steps of ~50–150 ms each (filters, the view index, the
    // full top table): each gets its own event-loop turn, so other requests are not held up by
    // all of them in a row. An idle loop comes straight back.
    const big = merged.nodeCount >= YIELD_ABOVE_NODES;
    if (big && request.frameFilters && request.frameFilters.length > 0) await yieldToEventLoop();
    const tree = applyFrameFilters(merged, request.frameFilters);
    if (big && !hasViewIndex(tree)) await yieldToEventLoop();
    // The indexed cut and tables read only the sent nodes and V's subtree (core tree/lodQuery.ts):
    // a zoom into a cached 1M-node tree costs what its subtree holds, not a pass over the tree.
    const lod = selectLodIndexed(tree, { widthCssPx: request.widthCssPx, focusPath });
    const view = lod.sourceViewRoot;
    const search = request.search ? { ...request.search, ...searchTotalsOfView(tree, request.search, view) } : undefined;
    return encodeTreeWire(
      {
        profileTypeId: request.profileTypeId,
        unit: unitOf(request.profileTypeId),
        profileCount,
        aggregation: profileTypeAggregation(request.profileTypeId),
        fromMs: request.fromMs,
        untilMs: request.toMs,
        width: request.widthCssPx,
        focusPath: [...focusPath],
        viewRootNode: lod.viewRootNode,
        fullNodeCount: lod.fullNodeCount,
        top: view < 0 ? [] : view === 0 ? await this.rootTopRows(tree, request.topLimit) : topTableOfView(tree, view, focusPath.slice(0, -1), request.topLimit),
        ...(search ? { search } : {}),
      },
      lod.tree,
    );
  }

  /**
   * The first `limit` rows of a tree's (unfocused) top table, remembered per tree. The walk over a
   * big tree (~50–100 ms per 1M nodes) goes in steps with event-loop turns between them, and
   * concurrent first answers of one tree share it.
   */
  private rootTopRows(tree: CallTree, limit: number): Promise<TopRow[]> | TopRow[] {
    const full = topRowsOf.get(tree);
    if (full) return full.slice(0, limit);
    const known = limitedTopRowsOf.get(tree);
    if (known && known.limit >= limit) return known.rows.then((rows) => rows.slice(0, limit));
    const rows = (async () => {
      const walk = topTableWalk(tree, ROOT_NODE, []);
      while (!walk.step(TOP_TABLE_STEP_NODES)) await yieldToEventLoop();
      return walk.rows(limit);
    })();
    limitedTopRowsOf.set(tree, { limit, rows });
    rows.catch(() => limitedTopRowsOf.delete(tree));
    return rows;
  }

  topTable(answer: FlameGraphAnswer, limit: number): TopRow[] {
    return this.fullTopTable(answer.tree).slice(0, limit);
  }

  /** Every row of a tree's top table, once per tree: cached trees serve many answers (JSON, tree, zooms). */
  private fullTopTable(tree: CallTree): TopRow[] {
    let rows = topRowsOf.get(tree);
    if (!rows) {
      rows = topTable(tree);
      topRowsOf.set(tree, rows);
    }
    return rows;
  }

  /** How many stored profiles a selection merges. */
  profileCount(tenant: string, selection: Selection): Promise<number> {
    return this.query.profileCount(tenant, selection);
  }

  async diff(tenant: string, request: DiffRequest): Promise<DiffAnswer> {
    const { baseline, comparison, mode } = request;
    if (baseline.profileTypeId !== comparison.profileTypeId) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `baseline and comparison must be the same profile type (got ${baseline.profileTypeId} and ${comparison.profileTypeId})`);
    }
    const maxNodes = this.query.maxNodes(request.maxNodes);
    const [baselineTree, comparisonTree] = await Promise.all([this.mergedTree(tenant, baseline), this.mergedTree(tenant, comparison)]);
    const normalization = await this.normalization(tenant, request);
    const baselineScale = normalization.baselineScale;
    return {
      profileTypeId: baseline.profileTypeId,
      unit: unitOf(baseline.profileTypeId),
      baselineTree,
      comparisonTree,
      flamegraph: diffFlameGraph(baselineTree, comparisonTree, maxNodes),
      normalization,
      table: (limit) =>
        diffTable(baselineTree, comparisonTree, { mode, baselineScale })
          .slice(0, limit)
          .map((row) => ({ ...row, changeRatio: Number.isFinite(row.changeRatio) ? row.changeRatio : null })),
    };
  }

  /**
   * What makes two sides comparable. Range length always matters in absolute mode; counted samples
   * (not time) also depend on the sampling rate: 100 samples at 100 Hz are the same work as 1,000 at
   * 1 kHz, so the baseline's counts are scaled to the comparison's rate.
   */
  private async normalization(tenant: string, request: DiffRequest): Promise<DiffResponse['normalization']> {
    const { baseline, comparison, mode } = request;
    if (mode === 'relative') {
      return { kind: 'none', baselineScale: 1, description: 'relative: each function as a share of its own side’s total' };
    }
    if (request.normalize === 'none') {
      return { kind: 'none', baselineScale: 1, description: 'absolute: values as measured (no normalisation)' };
    }
    const lengthScale = durationScale(baseline.toMs - baseline.fromMs, comparison.toMs - comparison.fromMs);
    let rateScale = 1;
    if (validateProfileTypeId(baseline.profileTypeId).sampleUnit === 'count') {
      const [baselinePeriod, comparisonPeriod] = await Promise.all([this.query.meanPeriod(tenant, baseline), this.query.meanPeriod(tenant, comparison)]);
      if (baselinePeriod && comparisonPeriod && Math.abs(baselinePeriod / comparisonPeriod - 1) > 0.01) rateScale = baselinePeriod / comparisonPeriod;
    }
    const baselineScale = lengthScale * rateScale;
    const reasons = [
      ...(lengthScale !== 1 ? [`×${lengthScale.toPrecision(3)} for the comparison’s range length`] : []),
      ...(rateScale !== 1 ? [`×${rateScale.toPrecision(3)} for the comparison’s sampling rate`] : []),
    ];
    return {
      kind: baselineScale === 1 ? 'none' : rateScale !== 1 ? 'duration+rate' : 'duration',
      baselineScale,
      description: reasons.length === 0 ? 'absolute: values as measured (same range length and sampling rate)' : `absolute: baseline scaled ${reasons.join(' and ')}`,
    };
  }

  async sandwich(tenant: string, request: FlameGraphRequest, functionName: string): Promise<SandwichResponse> {
    if (functionName === '') throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, '"function" (the frame name to put in the middle) is required');
    const maxNodes = this.query.maxNodes(request.maxNodes);
    const result = sandwich(await this.mergedTree(tenant, request), functionName);
    const render = (tree: CallTree): FlameGraphData => (tree.nodeCount > 1 ? flameGraphFromTree(tree, maxNodes).flamegraph : emptyFlameGraph());
    return { functionName, callers: render(result.callers), callees: render(result.callees), self: result.self, total: result.total };
  }

  timeline(tenant: string, request: SeriesRequest): Promise<SeriesResult[]> {
    return this.query.selectSeries(tenant, request);
  }

  heatmap(tenant: string, request: HeatmapRequest): Promise<HeatmapResult[]> {
    return this.query.heatmap(tenant, request);
  }

  profileTypes(tenant: string, fromMs: number, toMs: number): Promise<ProfileTypeMessage[]> {
    return this.query.profileTypes(tenant, fromMs, toMs);
  }

  /** `allowUtf8`: names outside `[a-zA-Z_][a-zA-Z0-9_]*` too (clients that asked for them). */
  labelNames(tenant: string, matchers: readonly string[], fromMs: number, toMs: number, allowUtf8: boolean): Promise<string[]> {
    return this.query.labelNames(tenant, matchers, fromMs, toMs, allowUtf8);
  }

  labelValues(tenant: string, name: string, matchers: readonly string[], fromMs: number, toMs: number): Promise<string[]> {
    return this.query.labelValues(tenant, name, matchers, fromMs, toMs);
  }

  series(tenant: string, matchers: readonly string[], labelNames: readonly string[], fromMs: number, toMs: number, allowUtf8: boolean): Promise<LabelPairs[]> {
    return this.query.series(tenant, matchers, labelNames, fromMs, toMs, allowUtf8);
  }

  stats(tenant: string): Promise<StoreStats> {
    return this.query.stats(tenant);
  }

  /** 0 or undefined = the server default; otherwise checked against the server's maximum. */
  maxNodes(requested: number | undefined): number {
    return this.query.maxNodes(requested);
  }

  /** Every service with data in range, its profile types and when it last sent one. */
  async services(tenant: string, fromMs: number, toMs: number): Promise<ServiceInfo[]> {
    const [sets, lastSeen] = await Promise.all([
      this.query.series(tenant, [], ['service_name', '__profile_type__'], fromMs, toMs, true),
      this.query.lastSeenByService(tenant, fromMs, toMs),
    ]);
    const typesByService = new Map<string, Set<string>>();
    for (const labels of sets) {
      const map = new Map(labels);
      const service = map.get('service_name');
      const type = map.get('__profile_type__');
      if (service === undefined || type === undefined) continue;
      if (!typesByService.has(service)) typesByService.set(service, new Set());
      typesByService.get(service)!.add(type);
    }
    return [...typesByService.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([serviceName, types]) => ({
        serviceName,
        lastSeenMs: lastSeen.get(serviceName) ?? 0,
        profileTypes: [...types].sort().map((id) => {
          const parts = validateProfileTypeId(id);
          return { id, name: parts.name, sampleType: parts.sampleType, sampleUnit: parts.sampleUnit, periodType: parts.periodType, periodUnit: parts.periodUnit };
        }),
      }));
  }
}

/** Trees this big yield between the steps of an answer (see flameGraphTree). */
const YIELD_ABOVE_NODES = 200_000;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function unitOf(profileTypeId: string): string {
  return validateProfileTypeId(profileTypeId).sampleUnit;
}
