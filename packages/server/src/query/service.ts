import {
  CinderError,
  ErrorCodes,
  MAX_TIME_MS,
  callTreeFromStackTablePaced,
  isValidTimeMs,
  parseProfileTypeId,
  validateProfileTypeId,
  parseSelector,
  type CallTree,
  type LabelPairs,
  type Matcher,
  type ProfileTypeParts,
  type Selector,
} from '@cinder/core';
import type { ProfileReader, SelectQuery, StoreStats } from '../storage/store.js';
import { QueryCache, DEFAULT_QUERY_CACHE_BYTES, callTreeBytes } from './treeCache.js';
import { Pacer } from '../storage/pace.js';

export interface QueryLimits {
  maxNodesDefault: number;
  maxNodesMax: number;
  /** Memory for merged trees of recent selections (--query-cache-size); 0 = no cache. */
  queryCacheBytes?: number;
}

/** A profile-type-and-labels selection over a time range, as every merge/series query has. */
export interface Selection {
  profileTypeId: string;
  labelSelector: string;
  /** Inclusive bounds, ms since the Unix epoch. */
  fromMs: number;
  toMs: number;
  spanIds?: readonly string[];
  traceIds?: readonly string[];
  profileIds?: readonly string[];
}

export interface SeriesRequest extends Selection {
  groupBy: readonly string[];
  stepSec: number;
  aggregation: 'sum' | 'average';
  limit: number;
}

export interface HeatmapRequest extends Selection {
  groupBy: readonly string[];
  stepSec: number;
  /** Most groups returned (by profile count); 0 = all. */
  limit: number;
}

export interface HeatmapExemplar {
  timestampMs: number;
  profileId: string;
  value: number;
  /** The profile's series labels not already in the group's. */
  labels: LabelPairs;
}

export interface HeatmapResult {
  labels: LabelPairs;
  /** Time slots with profiles: slot (t − step, t]; counts[r] profiles with value in [yMin[r], yMin[r+1]). */
  slots: { timestampMs: number; yMin: number[]; counts: number[]; exemplars: HeatmapExemplar[] }[];
}

export interface SeriesResult {
  labels: LabelPairs;
  points: { timestampMs: number; value: number }[];
}

/** A profile type as the Connect API lists it: core's parts plus the ID (wire name `ID`). */
export type ProfileTypeMessage = ProfileTypeParts & { ID: string };

const HOUR_MS = 3_600_000;
/** Value rows of a heatmap (linear between the smallest and largest profile total). */
export const HEATMAP_ROWS = 20;
/**
 * A heatmap's rows and slots, shared with /api/v1/heatmap/profiles (http/heatmapRoute.ts) so the
 * profiles behind a cell are exactly its count: rows split [low, high] of the values in HEATMAP_ROWS,
 * slot s is (from + (s − 1)·step, from + s·step] and a profile at `from` lands in slot 0.
 */
export function heatmapGrid(values: Iterable<number>, fromMs: number, stepMs: number): { yMin: number[]; rowOf: (value: number) => number; slotOf: (timeMs: number) => number } {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const rowHeight = high > low ? (high - low) / HEATMAP_ROWS : 1;
  return {
    yMin: Array.from({ length: HEATMAP_ROWS }, (_, r) => low + r * rowHeight),
    rowOf: (value) => Math.min(HEATMAP_ROWS - 1, Math.floor((value - low) / rowHeight)),
    slotOf: (timeMs) => (timeMs <= fromMs ? 0 : Math.ceil((timeMs - fromMs) / stepMs)),
  };
}
/** Profiles one heatmap distributes: each is a point read from the store. */
export const MAX_HEATMAP_PROFILES = 200_000;
const MAX_STEP_SEC = 366 * 24 * 3600;
/** Points per series in one timeline answer. */
const MAX_TIMELINE_BUCKETS = 100_000;
/**
 * Series × buckets of one timeline answer: the dense per-group arrays cost 12 bytes a cell, so this
 * bounds one request to ~24 MB however many series a selector matches.
 */
export const MAX_TIMELINE_CELLS = 2_000_000;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SPAN_ID = /^[0-9a-fA-F]{16}$/;
const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/**
 * The query layer: validates what every API surface (Connect, legacy HTTP, /api/v1) asks, reads
 * storage, and builds trees in one pass over the stack prefix tree storage returns.
 */
export class QueryService {
  /** null when the store cannot tell us about writes (ClickHouse) or the cache is off. */
  readonly cache: QueryCache | null;

  constructor(
    private readonly reader: ProfileReader,
    private readonly limits: QueryLimits,
    private readonly now: () => number,
  ) {
    const cacheBytes = limits.queryCacheBytes ?? DEFAULT_QUERY_CACHE_BYTES;
    if (reader.onDataChange && cacheBytes > 0) {
      const cache = new QueryCache(cacheBytes);
      reader.onDataChange((change) => cache.invalidate(change));
      this.cache = cache;
    } else this.cache = null;
  }

  /** Bounds in ms. Both 0 = the last hour where upstream allows it (ProfileTypes, label calls). */
  range(fromMs: number, toMs: number, zeroMeansLastHour: boolean): { fromMs: number; toMs: number } {
    if (fromMs === 0 && toMs === 0 && zeroMeansLastHour) {
      const nowMs = this.now();
      return { fromMs: nowMs - HOUR_MS, toMs: nowMs };
    }
    if (fromMs === 0 || toMs === 0) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, 'missing time range: send start and end (milliseconds since the Unix epoch)');
    }
    for (const [name, value] of [['start', fromMs], ['end', toMs]] as const) {
      if (!isValidTimeMs(value)) {
        throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `query ${name} time ${value} is not a time: send milliseconds since the Unix epoch (at most ${MAX_TIME_MS})`);
      }
    }
    if (fromMs > toMs) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `query start time (${fromMs}) is after end time (${toMs})`);
    }
    return { fromMs, toMs };
  }

  selector(text: string | undefined): Selector {
    if (text === undefined || text.trim() === '') return [];
    return parseSelector(text);
  }

  /** Several `matchers` entries are AND-merged into one selector, as the v2 read path does. */
  matchers(texts: readonly string[]): Selector {
    const merged: Matcher[] = [];
    for (const text of texts) merged.push(...this.selector(text));
    return merged;
  }

  maxNodes(requested: number | undefined): number {
    if (requested === undefined || requested === 0) return this.limits.maxNodesDefault;
    if (!Number.isInteger(requested) || requested < 0 || requested > this.limits.maxNodesMax) {
      throw new CinderError(
        ErrorCodes.QUERY_MAX_NODES,
        `max_nodes must be between 0 (server default ${this.limits.maxNodesDefault}) and ${this.limits.maxNodesMax}, got ${requested}`,
      );
    }
    return requested;
  }

  async profileTypes(tenant: string, fromMs: number, toMs: number): Promise<ProfileTypeMessage[]> {
    const range = this.range(fromMs, toMs, true);
    const ids = await this.reader.profileTypes(tenant, range.fromMs, range.toMs);
    return [...new Set(ids)].sort().map((id) => {
      const parts = parseProfileTypeId(id);
      return { ID: id, name: parts.name, sampleType: parts.sampleType, sampleUnit: parts.sampleUnit, periodType: parts.periodType, periodUnit: parts.periodUnit };
    });
  }

  async labelNames(tenant: string, matchers: readonly string[], fromMs: number, toMs: number, allowUtf8: boolean): Promise<string[]> {
    const range = this.range(fromMs, toMs, true);
    const names = await this.reader.labelNames(tenant, this.matchers(matchers), range.fromMs, range.toMs);
    return [...new Set(names)].filter((name) => allowUtf8 || LEGACY_LABEL_NAME.test(name)).sort();
  }

  async labelValues(tenant: string, name: string, matchers: readonly string[], fromMs: number, toMs: number): Promise<string[]> {
    if (name === '') throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'label name is required');
    const range = this.range(fromMs, toMs, true);
    const values = await this.reader.labelValues(tenant, name, this.matchers(matchers), range.fromMs, range.toMs);
    return [...new Set(values)].sort();
  }

  async series(tenant: string, matchers: readonly string[], labelNames: readonly string[], fromMs: number, toMs: number, allowUtf8: boolean): Promise<LabelPairs[]> {
    const range = this.range(fromMs, toMs, true);
    const sets = await this.reader.series(tenant, this.matchers(matchers), range.fromMs, range.toMs);
    const keep = labelNames.length > 0 ? new Set(labelNames) : null;
    const unique = new Map<string, LabelPairs>();
    for (const set of sets) {
      const projected = set.filter(([name]) => (keep === null || keep.has(name)) && (allowUtf8 || LEGACY_LABEL_NAME.test(name)));
      unique.set(projected.map(([n, v]) => `${n}\u0000${v}`).join('\u0001'), projected);
    }
    return [...unique.values()].sort((a, b) => compareLabelPairs(a, b));
  }

  toSelectQuery(tenant: string, selection: Selection): SelectQuery {
    validateProfileTypeId(selection.profileTypeId);
    const { fromMs, toMs } = this.range(selection.fromMs, selection.toMs, false);
    const profileTypeId = selection.profileTypeId.split(':').slice(0, 5).join(':');
    for (const span of selection.spanIds ?? []) {
      if (!SPAN_ID.test(span)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `span id "${span}" is not 16 hex characters`);
    }
    for (const trace of selection.traceIds ?? []) {
      if (!TRACE_ID.test(trace)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `trace id "${trace}" is not 32 hex characters`);
    }
    if ((selection.spanIds?.length ?? 0) > 0 && (selection.traceIds?.length ?? 0) > 0) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'select by span ids or by trace ids, not both');
    }
    return {
      tenant,
      profileTypeId,
      selector: this.selector(selection.labelSelector),
      fromMs,
      toMs,
      ...(selection.spanIds?.length ? { spanIds: selection.spanIds } : {}),
      ...(selection.traceIds?.length ? { traceIds: selection.traceIds.map((t) => t.toLowerCase()) } : {}),
      ...(selection.profileIds?.length ? { profileIds: selection.profileIds } : {}),
    };
  }

  /** The full (untruncated) merged call tree of a selection. */
  async mergedTree(tenant: string, selection: Selection): Promise<CallTree> {
    const query = this.toSelectQuery(tenant, selection);
    // Paced: a 1M-node tree is ~50–150 ms of building, not to be one event-loop block.
    const load = async (): Promise<CallTree> => {
      const pacer = new Pacer(15, 1);
      return callTreeFromStackTablePaced(await this.reader.mergeStacks(query), () => pacer.tick());
    };
    if (!this.cache) return load();
    const since = this.cache.generationNow;
    return this.cache.getOrLoad(await this.cacheKeyOf('tree', query), query, load, callTreeBytes, since);
  }

  /**
   * The exact range, or — when the store can say which rows a selection reads — that instead, so
   * `from=now-1h` asked again a few seconds later (another ms) reuses the tree while no profile
   * entered or left the window. Either way the entry's scope for invalidation is the query's range.
   */
  private async cacheKeyOf(kind: string, query: SelectQuery): Promise<string> {
    const version = this.reader.selectionVersion ? await this.reader.selectionVersion(query) : null;
    return version === null ? cacheKey(kind, query) : cacheKey(`${kind}@${version}`, { ...query, fromMs: 0, toMs: 0 });
  }

  /**
   * Per-profile values over time (SelectHeatmap): each profile's total lands in its time slot and
   * one of HEATMAP_ROWS value rows shared by every slot; the largest profile of each cell is its
   * exemplar, so a cell opens a real profile.
   */
  async heatmap(tenant: string, request: HeatmapRequest): Promise<HeatmapResult[]> {
    const stepMs = this.checkStep(request.stepSec, request.limit);
    const query = this.toSelectQuery(tenant, request);
    const slotCount = Math.floor((query.toMs - query.fromMs) / stepMs) + 1;
    if (slotCount > MAX_TIMELINE_BUCKETS) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `step ${request.stepSec}s gives ${slotCount} slots for this range; use a step of at least ${Math.ceil((query.toMs - query.fromMs) / MAX_TIMELINE_BUCKETS / 1000)}s`);
    }
    const found = await this.reader.profilePoints(query, MAX_HEATMAP_PROFILES + 1);
    if (found.points.length > MAX_HEATMAP_PROFILES) {
      throw new CinderError(ErrorCodes.QUERY_TOO_LARGE, `this heatmap would place more than ${MAX_HEATMAP_PROFILES} profiles; narrow the time range or the selector`);
    }
    const { yMin, rowOf, slotOf } = heatmapGrid(
      found.points.map((point) => point.value),
      query.fromMs,
      stepMs,
    );
    type Cell = { counts: number[]; best: Map<number, (typeof found.points)[number]> };
    const groups = new Map<string, { labels: LabelPairs; total: number; slots: Map<number, Cell> }>();
    const projections = found.labelSets.map((labels) => projectLabels(labels, request.groupBy));
    // Up to MAX_HEATMAP_PROFILES points: ~100–200 ms of grouping at 20k in one go, so paced.
    const pacer = new Pacer(15, 256);
    for (const point of found.points) {
      const pause = pacer.tick();
      if (pause) await pause;
      const { projected, key } = projections[point.seriesIndex]!;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { labels: projected, total: 0, slots: new Map() }));
      group.total++;
      const slot = slotOf(point.timeMs);
      let cell = group.slots.get(slot);
      if (!cell) group.slots.set(slot, (cell = { counts: new Array<number>(HEATMAP_ROWS).fill(0), best: new Map() }));
      const row = rowOf(point.value);
      cell.counts[row]!++;
      const best = cell.best.get(row);
      if (!best || point.value > best.value) cell.best.set(row, point);
    }
    let ordered = [...groups.values()].sort((a, b) => b.total - a.total);
    if (request.limit > 0) ordered = ordered.slice(0, request.limit);
    return ordered.map((group) => {
      const inGroup = new Set(group.labels.map(([name]) => name));
      return {
        labels: group.labels,
        slots: [...group.slots.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([slot, cell]) => ({
            timestampMs: query.fromMs + slot * stepMs,
            yMin,
            counts: cell.counts,
            exemplars: [...cell.best.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([, point]) => ({
                timestampMs: point.timeMs,
                profileId: point.profileId,
                value: point.value,
                labels: found.labelSets[point.seriesIndex]!.filter(([name]) => !inGroup.has(name)),
              })),
          })),
      };
    });
  }

  /** A checked step in ms (SelectSeries and SelectHeatmap share the rules). */
  private checkStep(stepSec: number, limit: number): number {
    if (!(stepSec >= 0.001 && stepSec <= MAX_STEP_SEC)) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `step must be between 0.001 and ${MAX_STEP_SEC} seconds, got ${stepSec}`);
    }
    if (!Number.isInteger(limit)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `limit must be a whole number, got ${limit}`);
    if (limit < 0) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `limit must not be negative, got ${limit}`);
    return Math.max(1, Math.floor(stepSec * 1000));
  }

  async selectSeries(tenant: string, request: SeriesRequest): Promise<SeriesResult[]> {
    const stepMs = this.checkStep(request.stepSec, request.limit);
    const query = this.toSelectQuery(tenant, request);
    const bucketCount = Math.floor((query.toMs - query.fromMs) / stepMs) + 1;
    if (bucketCount > MAX_TIMELINE_BUCKETS) {
      throw new CinderError(
        ErrorCodes.QUERY_INVALID_ARGUMENT,
        `step ${request.stepSec}s gives ${bucketCount} points for this range; use a step of at least ${Math.ceil((query.toMs - query.fromMs) / MAX_TIMELINE_BUCKETS / 1000)}s`,
      );
    }
    // Bucket k covers (T_k - step, T_k] with T_k = start + k·step; T_0 also takes (start - step, start].
    // The store sums per series and bucket; here series are only grouped by the requested labels.
    const buckets = await this.reader.seriesBuckets(query, stepMs, bucketCount);
    const groups = new Map<string, { labels: LabelPairs; sums: Float64Array; counts: Uint32Array }>();
    const groupOfSeries = buckets.labelSets.map((labels) => {
      const { projected, key } = projectLabels(labels, request.groupBy);
      let group = groups.get(key);
      if (!group) {
        if ((groups.size + 1) * bucketCount > MAX_TIMELINE_CELLS) {
          throw new CinderError(
            ErrorCodes.QUERY_TOO_LARGE,
            `this timeline would hold more than ${groups.size} series × ${bucketCount} points (limit ${MAX_TIMELINE_CELLS} values): ` +
              `raise step to at least ${Math.ceil(((query.toMs - query.fromMs) * (groups.size + 1)) / MAX_TIMELINE_CELLS / 1000)}s, group by fewer labels or narrow the selector`,
          );
        }
        group = { labels: projected, sums: new Float64Array(bucketCount), counts: new Uint32Array(bucketCount) };
        groups.set(key, group);
      }
      return group;
    });
    for (let cell = 0; cell < buckets.sum.length; cell++) {
      const bucket = buckets.bucketIndex[cell]!;
      if (bucket >= bucketCount) continue;
      const group = groupOfSeries[buckets.seriesIndex[cell]!]!;
      group.sums[bucket]! += buckets.sum[cell]!;
      group.counts[bucket]! += buckets.count[cell]!;
    }
    const results: { result: SeriesResult; sum: number }[] = [];
    for (const group of groups.values()) {
      const points: { timestampMs: number; value: number }[] = [];
      let sum = 0;
      for (let k = 0; k < bucketCount; k++) {
        if (group.counts[k] === 0) continue;
        const value = request.aggregation === 'average' ? group.sums[k]! / group.counts[k]! : group.sums[k]!;
        points.push({ timestampMs: query.fromMs + k * stepMs, value });
        sum += value;
      }
      if (points.length > 0) results.push({ result: { labels: group.labels, points }, sum });
    }
    results.sort((a, b) => b.sum - a.sum || compareLabelPairs(a.result.labels, b.result.labels));
    const limited = request.limit > 0 ? results.slice(0, request.limit) : results;
    return limited.map((entry) => entry.result);
  }

  /** How many stored profiles a selection merges. */
  async profileCount(tenant: string, selection: Selection): Promise<number> {
    const query = this.toSelectQuery(tenant, selection);
    const load = (): Promise<number> => this.reader.profileCount(query);
    if (!this.cache) return load();
    const since = this.cache.generationNow;
    return this.cache.getOrLoad(await this.cacheKeyOf('count', query), query, load, () => 64, since);
  }

  async meanPeriod(tenant: string, selection: Selection): Promise<number | null> {
    return this.reader.meanPeriod(this.toSelectQuery(tenant, selection));
  }

  async lastSeenByService(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    return this.reader.serviceLastSeen(tenant, fromMs, toMs);
  }

  async stats(tenant: string): Promise<StoreStats> {
    return this.reader.stats(tenant);
  }
}

/** Everything that selects data, so equal keys mean equal answers (for one data version). */
function cacheKey(kind: string, query: SelectQuery): string {
  return JSON.stringify([kind, query.tenant, query.profileTypeId, query.selector, query.fromMs, query.toMs, query.spanIds ?? [], query.traceIds ?? [], query.profileIds ?? []]);
}

export function compareLabelPairs(a: LabelPairs, b: LabelPairs): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const [an, av] = a[i]!;
    const [bn, bv] = b[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return a.length - b.length;
}

/** The group-by labels of a series and a key for them. */
function projectLabels(labels: LabelPairs, groupBy: readonly string[]): { projected: [string, string][]; key: string } {
  const projected: [string, string][] = [];
  for (const name of groupBy) {
    const pair = labels.find(([n]) => n === name);
    if (pair) projected.push([pair[0], pair[1]]);
  }
  return { projected, key: projected.map(([n, v]) => `${n}\u0000${v}`).join('\u0001') };
}
