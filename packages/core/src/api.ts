/**
 * Cinder's own JSON API (/api/v1/*), typed once here for the server and the web UI.
 * Times are ms since the Unix epoch unless a name says otherwise. Documented in docs/api.md.
 */

/** GET /api/v1/config */
export interface AppConfig {
  /** As configured (may be relative like "/grafana", absolute, or empty → "/grafana"). */
  grafana_url: string;
  /** The public base URL of this Cinder server ("" = same origin as the page). */
  public_url: string;
  retention_ms: number;
  rollup_retention_ms: number;
  version: string;
}

export interface ProfileTypeInfo {
  id: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
}

/** GET /api/v1/services?from=&until= → { services: ServiceInfo[] } */
export interface ServiceInfo {
  serviceName: string;
  profileTypes: ProfileTypeInfo[];
  lastSeenMs: number;
}

export interface FlameGraphData {
  names: string[];
  /** Pyroscope level encoding: per level, groups of [x_delta, total, self, name_index]. */
  levels: number[][];
  total: number;
  maxSelf: number;
}

export interface TruncationInfo {
  /** Real nodes that were folded into "other" nodes. */
  hiddenNodes: number;
  /** Value those hidden nodes carried. */
  hiddenValue: number;
  /** How many synthetic "other" nodes the graph contains. */
  otherNodes: number;
}

export interface TopRow {
  name: string;
  self: number;
  total: number;
}

/**
 * GET /api/v1/flamegraph?query=<profileTypeId>{selector}&from=&until=&maxNodes=&focus=<a;b;c>
 * focus re-roots the tree at that stack prefix before truncation (re-query on zoom).
 */
export interface FlameGraphResponse {
  profileTypeId: string;
  unit: string;
  flamegraph: FlameGraphData;
  truncation: TruncationInfo;
  /** From the untruncated tree. */
  top: TopRow[];
  /** Number of stored profiles merged. */
  profileCount: number;
  /**
   * `average`: a gauge (in-use memory, goroutines), every value is the mean over `profileCount`
   * profiles; `sum`: cumulative, values are the sum. Absent in answers saved before this field.
   */
  aggregation?: 'sum' | 'average';
  fromMs: number;
  untilMs: number;
}

/** GET /api/v1/timeline?query=&from=&until=&step=<seconds>&groupBy=<label> */
export interface TimelineResponse {
  stepMs: number;
  series: { labels: Record<string, string>; points: [timeMs: number, value: number][] }[];
}

/** GET /api/v1/heatmap?query=&from=&until=&step=<seconds>&groupBy=&limit= */
export interface HeatmapResponse {
  stepMs: number;
  series: {
    labels: Record<string, string>;
    /** Slot (timeMs − stepMs, timeMs]; counts[r] profiles with a total in [yMin[r], yMin[r+1]) (the last row includes its top). */
    slots: { timeMs: number; yMin: number[]; counts: number[]; exemplars: { timeMs: number; profileId: string; value: number; labels: Record<string, string> }[] }[];
  }[];
}

/** GET /api/v1/heatmap/profiles?query=&from=&until=[&step=&slot=<timeMs>&row=] */
export interface HeatmapProfilesResponse {
  /** Every matching profile (the cell count); `profiles` holds at most `limit` of them, largest first. */
  total: number;
  profiles: { profileId: string; timeMs: number; value: number; labels: Record<string, string> }[];
}

/** GET /api/v1/sandwich?query=&from=&until=&function=<name> */
export interface SandwichResponse {
  functionName: string;
  callers: FlameGraphData;
  callees: FlameGraphData;
  self: number;
  total: number;
}

/** Every error body of /api/v1, /pyroscope/* and /ingest (docs/errors.md). */
export interface ApiErrorBody {
  /** The Connect code name Pyroscope clients read, e.g. `invalid_argument`. */
  code: string;
  /** What went wrong and what to do, safe to show. */
  message: string;
  /** Cinder's stable error code, e.g. `CINDER_QUERY_INVALID_SELECTOR`. */
  reason: string;
}

/**
 * GET /api/v1/diff?baseline=<query>&baselineFrom=&baselineUntil=&comparison=<query>&comparisonFrom=&comparisonUntil=&mode=absolute|relative&normalize=duration|none&maxNodes=
 * Both queries must name the same profile type. The table is per function, from the untruncated trees.
 */
export interface DiffResponse {
  profileTypeId: string;
  unit: string;
  mode: 'absolute' | 'relative';
  /** What was done to make the sides comparable, in words a person can read. */
  normalization: { kind: 'none' | 'duration' | 'duration+rate'; baselineScale: number; description: string };
  /** §3.4 encoding: per level, groups of [xL, totalL, selfL, xR, totalR, selfR, name]. */
  flamegraph: { names: string[]; levels: number[][]; total: number; maxSelf: number; leftTicks: number; rightTicks: number };
  table: {
    name: string;
    baselineSelf: number;
    comparisonSelf: number;
    baselineTotal: number;
    comparisonTotal: number;
    change: number;
    changeRatio: number | null;
    status: 'new' | 'removed' | 'grew' | 'shrank' | 'unchanged';
  }[];
  baselineTotal: number;
  comparisonTotal: number;
}

/** POST /api/v1/snapshots {query, from, until, focus?, title?, viewUrl} → 201 SnapshotMeta & {url}; GET /api/v1/snapshots → {snapshots}; GET|DELETE /api/v1/snapshots/:id */
export interface SnapshotMeta {
  id: string;
  title: string;
  createdMs: number;
  viewUrl: string;
  profileTypeId: string;
  fromMs: number;
  untilMs: number;
}

export interface Snapshot extends SnapshotMeta {
  result: FlameGraphResponse;
  /**
   * Alert snapshots (alertRules.ts): baseline vs current frozen at firing time; `result` is then the
   * current side, so a viewer that knows only flame graphs still shows something true.
   */
  diff?: DiffResponse;
}

/** A link into this app: one leading `/`, not `//host` or `/\\host` (browsers read both as another site). */
export function isSameOriginPath(url: string): boolean {
  return /^\/(?![/\\])/.test(url) && !/[\u0000-\u001f\u007f\\]/.test(url);
}
