import type { CodeLines, LabelPairs, PprofCode, Profile, StackNodeTable } from '@cinder/core';
import type { Selector } from '@cinder/core';

/**
 * A profile that passed validation (ingest/validate.ts is the only producer). Storage accepts
 * nothing else.
 *
 * - `seriesLabels`: sorted by name, unique, including `__name__` and `service_name`; no control
 *   labels (`__delta__` etc.). Sample labels other than span_id/trace_id were promoted here.
 * - `profileTypeIds[t]` is the ID for `profile.values[t]` (`name:type:unit:ptype:punit`).
 * - `profile.sampleLabels` holds at most `span_id` and `trace_id` per sample.
 */
export interface ValidatedProfile {
  readonly kind: 'ValidatedProfile';
  readonly tenant: string;
  readonly seriesLabels: LabelPairs;
  readonly profileTypeIds: readonly string[];
  readonly timeMs: number;
  readonly profileId: string;
  readonly profile: Profile;
}

/** What ingest needs from storage. */
export interface ProfileSink {
  /** Resolves once every profile is durable (survives kill -9). */
  append(profiles: readonly ValidatedProfile[]): Promise<void>;
  /**
   * Code metadata (file, start line, call-site lines; storage/codeLines.ts). `codeWanted` says
   * whether to extract it from this upload (rate-limited per tenant and service); `recordCode` takes
   * it, buffered: it never blocks or fails ingest. Absent: the store keeps none.
   */
  codeWanted?(tenant: string, service: string, nowMs: number): boolean;
  recordCode?(entry: CodeEntry): void;
}

/** One upload's code for ProfileSink.recordCode. */
export interface CodeEntry {
  tenant: string;
  /** As passed to codeWanted (the ingest app name): the extraction back-off's key. */
  service: string;
  /** The stored service_name label: the rows' key. */
  serviceName: string;
  /** Profile time (picks the day partition). */
  timeMs: number;
  nowMs: number;
  /** The profile's names as stored (after validation). */
  names: readonly string[];
  code: PprofCode;
}

export interface SelectQuery {
  tenant: string;
  profileTypeId: string;
  selector: Selector;
  /** inclusive, ms since the Unix epoch */
  fromMs: number;
  /** inclusive, ms since the Unix epoch */
  toMs: number;
  spanIds?: readonly string[];
  traceIds?: readonly string[];
  profileIds?: readonly string[];
}

/**
 * Per-series sums and profile counts in time buckets (see ProfileReader.seriesBuckets), one entry
 * per non-empty (series, bucket) cell, as parallel arrays so a wide timeline costs no object per cell.
 */
export interface ProfilePoints {
  /** One per series that has a point (incl. __profile_type__). */
  labelSets: LabelPairs[];
  points: { seriesIndex: number; timeMs: number; value: number; profileId: string }[];
}

export interface SeriesBuckets {
  /** Labels (incl. __profile_type__) of each returned series. */
  labelSets: LabelPairs[];
  /** Per cell: index into labelSets. */
  seriesIndex: Uint32Array;
  /** Per cell: bucket k, 0 ≤ k < bucketCount. */
  bucketIndex: Uint32Array;
  /** Per cell: sum of the totals of the profiles in it. */
  sum: Float64Array;
  /** Per cell: number of profiles in it. */
  count: Uint32Array;
}

export interface StoreStats {
  dataIngested: boolean;
  oldestProfileMs: number;
  newestProfileMs: number;
  seriesCount: number;
  sampleRows: number;
  bytesOnDisk: number;
}

/** What a committed write changed: a tenant's time range, or everything (retention deletes). */
export type DataChange = { tenant: string; fromMs: number; toMs: number } | { all: true };

/** What the query layer needs from storage. */
export interface ProfileReader {
  /**
   * Calls `listener` after every commit with what it changed, before the write is acknowledged, so
   * the query layer may cache merged trees. Backends where other processes write too (ClickHouse)
   * do not offer it, and their queries are not cached.
   */
  onDataChange?(listener: (change: DataChange) => void): void;
  /**
   * A string equal for two selections exactly when a merge of them reads the same rows (e.g. the
   * same profiles of a raw-rows range); null when not known. Lets the query cache share a tree
   * between `now-1h` asked a few seconds apart.
   */
  selectionVersion?(query: SelectQuery): Promise<string | null>;
  profileTypes(tenant: string, fromMs: number, toMs: number): Promise<string[]>;
  labelNames(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]>;
  labelValues(tenant: string, name: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]>;
  /** Label sets (incl. __profile_type__) of series with data in range. */
  series(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<LabelPairs[]>;
  mergeStacks(query: SelectQuery): Promise<StackNodeTable>;
  /**
   * Per-series sums and profile counts in time buckets, computed by the backend (SQL GROUP BY).
   * Bucket k (0 ≤ k < bucketCount) holds points with fromMs + (k-1)·stepMs < t ≤ fromMs + k·stepMs;
   * bucket 0 also holds t in (fromMs - stepMs, fromMs]. I.e. k = max(0, ceil((t - fromMs) / stepMs)).
   * Points past toMs or in bucket ≥ bucketCount are not counted. Only series with at least one
   * point are returned. With span or trace ids, a profile's total is the sum of its matching samples.
   */
  seriesBuckets(query: SelectQuery, stepMs: number, bucketCount: number): Promise<SeriesBuckets>;
  /** Number of stored profiles a selection merges (what "N profiles" in the UI says). */
  profileCount(query: SelectQuery): Promise<number>;
  /**
   * The stored profiles of a selection one by one (series, time, total, id), oldest first, at most
   * `limit` of them: what a heatmap distributes and what its exemplars link to.
   */
  profilePoints(query: SelectQuery, limit: number): Promise<ProfilePoints>;
  /** null = every tenant (operations metrics). */
  stats(tenant: string | null): Promise<StoreStats>;
  /** Mean sampling period (in the profile type's period unit) of the selected profiles; null when unknown. */
  meanPeriod(query: SelectQuery): Promise<number | null>;
  /** Newest profile time (ms) per service_name with data in range. */
  serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>>;
  /**
   * Code metadata recorded for a tenant's days in range (storage/codeLines.ts), of one service
   * (the ingest app name, = service_name) or of all (null); absent = none kept.
   */
  codeLines?(tenant: string, service: string | null, fromMs: number, toMs: number): Promise<CodeLines>;
}

export interface MaintenanceResult {
  rawRowsDeleted: number;
  rollupRowsDeleted: number;
  /** Rows written into the per-minute/per-hour rollups by this run. */
  rolledUpRows: number;
}

export interface Store extends ProfileSink, ProfileReader {
  /**
   * null while the store can write; otherwise why it cannot (e.g. "no space left on device at
   * /var/lib/cinder"), for /ready. While it is not null, append rejects with STORE_UNAVAILABLE,
   * reads answer from what is readable, and the store probes by itself until it can write again.
   */
  health(): string | null;
  /** Removes raw rows older than the raw window and rollups older than the rollup window. */
  enforceRetention(nowMs: number): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }>;
  /** The background job: rolls up complete buckets, then enforces retention. */
  maintain(nowMs: number): Promise<MaintenanceResult>;
  /**
   * Bytes the store holds in memory by part (database buffers by kind, symbol and merge caches), for
   * /metrics: RSS alone cannot tell a cache filling to its budget from a leak.
   */
  memoryUsage?(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
