/**
 * The ClickHouse store: N stateless Cinder servers on one ClickHouse database. Ids are content
 * hashes (../ids.ts), so writers need no coordination and nothing is loaded at start; the process
 * keeps only a bounded cache of the symbol rows it already wrote.
 *
 * Layout: see ./schema.ts. Writes: ./writer.ts. Reads: ./reader.ts.
 *
 * Acknowledgement and durability: append resolves after ClickHouse acknowledged every INSERT of
 * the batch (symbols first, then the samples INSERT, whose materialized views write profiles and
 * rollups before the INSERT returns). An acknowledged INSERT is a part written to ClickHouse's
 * data folder: it survives kill -9 of Cinder and of clickhouse-server. Whether it survives a power
 * loss is ClickHouse's fsync policy: 18.16 does not fsync inserted parts (the OS page cache holds
 * them for up to its writeback delay, ~30 s by default); servers that have the
 * `fsync_after_insert` MergeTree setting (21.x and newer) get it on every table we create. There
 * is no insert_quorum on a single node; on a replicated cluster use ClickHouse's own settings.
 *
 * Retention drops whole UTC-day partitions: raw samples once the day is entirely older than the
 * raw window; rollups, per-profile totals and that day's symbols once older than the longer of the
 * two windows. A day is kept until its last millisecond expires (at most one day past the window).
 */
import { CinderError, ErrorCodes, type CodeLines, type LabelPairs, type Selector, type StackNodeTable } from '@cinder/core';
import { CodeRecorder } from '../codeLines.js';
import { ensureCodeTables, readCodeLines, writeCodeRows } from './codeLines.js';
import type { CodeEntry, MaintenanceResult, SelectQuery, SeriesBuckets, Store, StoreStats, ValidatedProfile, ProfilePoints } from '../store.js';
import type { Id64 } from '../ids.js';
import { ClickHouseDb, isUnavailable, type ClickHouseConnection } from './db.js';
import { ClickHouseReader } from './reader.js';
import { ensureSchema, LONG_LIVED_TABLES, probeServer, RAW_TABLES, ROLLUP_TABLES, type ServerFeatures } from './schema.js';
import { sqlString } from './sql.js';
import { addProfileRows, emptyRows, mergeRows, rememberWritten, seriesIdsOf, type PendingRows } from './writer.js';
import { DEFAULT_SYMBOL_CACHE_BYTES, SymbolCache } from '../symbolCache.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rollup buckets count as complete (for maintain's report) this long after they end. */
const ROLLUP_DELAY_MS = 2 * MINUTE_MS;
/** While degraded, how often the store checks whether ClickHouse answers again. */
export const PROBE_INTERVAL_MS = 1_000;
/** How long close() waits for queued appends. */
const CLOSE_DRAIN_MS = 120_000;
/** Batches written concurrently (see flushLoop). */
const MAX_INFLIGHT_BATCHES = 2;
/** Sample rows per batch at most (bounds the memory of one INSERT body). */
const MAX_BATCH_ROWS = 250_000;
/** How often the active-series view of a tenant is re-read (other writers add series too). */
const ACTIVE_SERIES_REFRESH_MS = 10_000;

export interface ClickHouseStoreOptions extends ClickHouseConnection {
  retentionMs: number;
  rollupRetentionMs: number;
  now?: () => number;
  /** Active series (with data in the last activeSeriesWindowMs) a tenant may have. */
  maxSeriesPerTenant?: number;
  /** Default 1 h. */
  activeSeriesWindowMs?: number;
  /** Ranges at least this long read per-minute rollups (per-hour from 48× this). Default 2 h. */
  rollupMinRangeMs?: number;
  /** Memory for the ids of symbol rows this process wrote (names, stack nodes, series per day); default 32 MiB. */
  symbolCacheBytes?: number;
}

/**
 * `clickhouse://user:password@host:8123/database` (also `clickhouse+https://…` for TLS) →
 * connection options. The port is the HTTP interface's (default 8123).
 */
export function parseClickHouseStoreUrl(text: string): ClickHouseConnection {
  const url = new URL(text);
  if (url.protocol !== 'clickhouse:' && url.protocol !== 'clickhouse+https:') {
    throw new Error(`a ClickHouse store URL starts with clickhouse:// (got ${url.protocol}//)`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'cinder';
  const scheme = url.protocol === 'clickhouse+https:' ? 'https' : 'http';
  return {
    url: `${scheme}://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port || (scheme === 'https' ? '8443' : '8123')}`,
    database,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
  };
}

interface QueuedAppend {
  rows: PendingRows;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export async function openClickHouseStore(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
  const db = new ClickHouseDb(options);
  try {
    const features = await probeServer(db).catch((error: unknown) => {
      throw new CinderError(
        ErrorCodes.STORE_UNAVAILABLE,
        `cannot reach ClickHouse at ${options.url}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    });
    await ensureSchema(db, options.database, features, (options.now ?? Date.now)());
    await ensureCodeTables(db, features.fsyncAfterInsert);
    return new ClickHouseStore(db, features, options);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

export class ClickHouseStore implements Store {
  readonly features: ServerFeatures;
  private readonly reader: ClickHouseReader;
  private readonly cache: SymbolCache;
  private readonly now: () => number;
  private readonly maxSeriesPerTenant: number;
  private readonly activeWindowMs: number;
  private queue: QueuedAppend[] = [];
  /** Batches being written now. */
  private inflight = 0;
  private closed = false;
  private degradedReason: string | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  /** tenant → (series id → newest profile time) over the active window, and when it was read. */
  private readonly active = new Map<string, { readAtMs: number; lastMs: Map<Id64, number> }>();
  /** maintain's report: rollup buckets before this were reported by an earlier run. */
  private reportedUntilMs = 0;
  /** Code metadata (../codeLines.ts). */
  private readonly code = new CodeRecorder((batch) => writeCodeRows(this.db, batch));

  constructor(
    private readonly db: ClickHouseDb,
    features: ServerFeatures,
    private readonly options: ClickHouseStoreOptions,
  ) {
    this.features = features;
    this.now = options.now ?? Date.now;
    this.maxSeriesPerTenant = options.maxSeriesPerTenant ?? Number.POSITIVE_INFINITY;
    this.activeWindowMs = options.activeSeriesWindowMs ?? HOUR_MS;
    this.cache = new SymbolCache(options.symbolCacheBytes ?? DEFAULT_SYMBOL_CACHE_BYTES);
    this.reader = new ClickHouseReader({
      db,
      database: options.database,
      now: this.now,
      retentionMs: options.retentionMs,
      rollupMinRangeMs: options.rollupMinRangeMs ?? 2 * HOUR_MS,
      partsBytesColumn: features.partsBytesColumn,
    });
  }

  // ---------------------------------------------------------------- health

  health(): string | null {
    if (this.degradedReason === null) return null;
    return `the store cannot write: ${this.degradedReason}; ingest answers 503 ${ErrorCodes.STORE_UNAVAILABLE} until it can (retrying every ${PROBE_INTERVAL_MS / 1000} s)`;
  }

  private unavailable(reason?: string): CinderError {
    return new CinderError(
      ErrorCodes.STORE_UNAVAILABLE,
      `the store cannot write: ${reason ?? this.degradedReason ?? 'ClickHouse is not reachable'}; nothing of this request was acknowledged, retry later`,
    );
  }

  private degrade(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.degradedReason = `ClickHouse at ${this.options.url}: ${message.split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300)}`;
    if (this.probeTimer === null && !this.closed) {
      this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
    }
  }

  private async probe(): Promise<void> {
    try {
      await this.db.rows('SELECT 1');
      this.degradedReason = null;
      if (this.probeTimer !== null) clearInterval(this.probeTimer);
      this.probeTimer = null;
    } catch {
      // Still down; the next tick tries again.
    }
  }

  // ---------------------------------------------------------------- writes

  async append(profiles: readonly ValidatedProfile[]): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (profiles.length === 0) return;
    if (this.degradedReason !== null) throw this.unavailable();
    const ids = profiles.map(seriesIdsOf);
    if (Number.isFinite(this.maxSeriesPerTenant)) await this.checkSeriesLimit(profiles, ids);
    const rows = emptyRows();
    profiles.forEach((profile, i) => addProfileRows(rows, profile, ids[i]!, this.cache));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.flushLoop();
    });
  }

  /**
   * The limit counts active series: with data in the last activeSeriesWindowMs (by profile time),
   * read from ClickHouse (every writer's series) and refreshed every few seconds, plus what this
   * process accepted since. A series that retention or time removed no longer counts.
   */
  private async checkSeriesLimit(profiles: readonly ValidatedProfile[], ids: Id64[][]): Promise<void> {
    const tenants = new Set(profiles.map((p) => p.tenant));
    for (const tenant of tenants) await this.loadActive(tenant);
    // Synchronous from here: concurrent appends see each other's reservations.
    const nowMs = this.now();
    const sinceMs = nowMs - this.activeWindowMs;
    const added = new Map<string, Map<Id64, number>>();
    profiles.forEach((profile, i) => {
      let map = added.get(profile.tenant);
      if (!map) added.set(profile.tenant, (map = new Map()));
      for (const id of ids[i]!) map.set(id, Math.max(map.get(id) ?? 0, profile.timeMs));
    });
    for (const [tenant, newIds] of added) {
      const known = this.active.get(tenant)!.lastMs;
      let count = 0;
      for (const lastMs of known.values()) if (lastMs >= sinceMs) count++;
      for (const id of newIds.keys()) if ((known.get(id) ?? -Infinity) < sinceMs) count++;
      if (count > this.maxSeriesPerTenant) {
        throw new CinderError(
          ErrorCodes.INGEST_SERIES_LIMIT,
          `tenant "${tenant}" would exceed its limit of ${this.maxSeriesPerTenant} active series (with data in the last ${Math.round(this.activeWindowMs / 60_000)} min); reduce label cardinality or raise --max-series`,
        );
      }
    }
    for (const [tenant, newIds] of added) {
      const known = this.active.get(tenant)!.lastMs;
      for (const [id, timeMs] of newIds) known.set(id, Math.max(known.get(id) ?? 0, timeMs, nowMs));
    }
  }

  private async loadActive(tenant: string): Promise<void> {
    const entry = this.active.get(tenant);
    if (entry && Date.now() - entry.readAtMs < ACTIVE_SERIES_REFRESH_MS) return;
    const sinceMs = this.now() - this.activeWindowMs;
    const rows = await this.db.rows(
      `SELECT series_id, max(time_ms) FROM profiles WHERE tenant = ${sqlString(tenant)} AND time_ms >= ${Math.floor(sinceMs)} GROUP BY series_id`,
    );
    const lastMs = new Map<Id64, number>();
    for (const [id, timeMs] of rows) lastMs.set(BigInt(id!), Number(timeMs));
    // Keep this process's reservations (accepted, maybe not yet visible in ClickHouse).
    const current = this.active.get(tenant);
    if (current) for (const [id, timeMs] of current.lastMs) if (timeMs >= sinceMs) lastMs.set(id, Math.max(lastMs.get(id) ?? 0, timeMs));
    this.active.set(tenant, { readAtMs: Date.now(), lastMs });
  }

  /**
   * Group commit with a few batches in flight: an INSERT costs ClickHouse a new part (~20 ms on a
   * small server whatever its size), so appends that arrive meanwhile go into the next batch, and
   * up to MAX_INFLIGHT_BATCHES batches are written at once (concurrent INSERTs are ClickHouse's
   * normal case). Every append is answered only after its own batch was acknowledged.
   */
  private flushLoop(): void {
    while (this.queue.length > 0 && this.inflight < MAX_INFLIGHT_BATCHES) {
      let take = 0;
      let batchRows = 0;
      while (take < this.queue.length && (take === 0 || batchRows + this.queue[take]!.rows.samples.length <= MAX_BATCH_ROWS)) {
        batchRows += this.queue[take]!.rows.samples.length;
        take++;
      }
      const batch = this.queue.splice(0, take);
      if (this.degradedReason !== null) {
        const error = this.unavailable();
        for (const entry of batch) entry.reject(error);
        continue;
      }
      const rows = emptyRows();
      for (const entry of batch) mergeRows(rows, entry.rows);
      this.inflight++;
      void this.writeBatch(rows)
        .then(
          () => {
            for (const entry of batch) entry.resolve();
          },
          (error: unknown) => {
            if (isUnavailable(error)) this.degrade(error);
            const failure =
              error instanceof CinderError ? error : this.unavailable(`ClickHouse refused the insert: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
            for (const entry of batch) entry.reject(failure);
          },
        )
        .finally(() => {
          this.inflight--;
          this.flushLoop();
        });
    }
  }

  /** Symbols first (a reader never sees a sample whose symbols are not written), then the data. */
  private async writeBatch(rows: PendingRows): Promise<void> {
    await Promise.all([
      this.db.insertTsv('names', [...rows.names.values()].join('')),
      this.db.insertTsv('stacks', [...rows.stacks.values()].join('')),
      this.db.insertTsv('series', [...rows.series.values()].join('')),
    ]);
    await this.db.insertTsv('samples', rows.samples.join(''));
    rememberWritten(this.cache, rows.names.keys());
    rememberWritten(this.cache, rows.stacks.keys());
    rememberWritten(this.cache, rows.series.keys());
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Rollups are written by ClickHouse with every insert (materialized views), so there is nothing
   * to roll up here; rolledUpRows reports the per-minute rollup rows of the minutes that became
   * complete since the previous run. Then retention.
   */
  async maintain(nowMs: number): Promise<MaintenanceResult> {
    if (this.degradedReason !== null) return { rawRowsDeleted: 0, rollupRowsDeleted: 0, rolledUpRows: 0 };
    const untilMs = Math.floor((nowMs - ROLLUP_DELAY_MS) / MINUTE_MS) * MINUTE_MS;
    let rolledUpRows = 0;
    if (untilMs > this.reportedUntilMs) {
      const rows = await this.db.rows(`SELECT count() FROM rollup_1m WHERE bucket_ms >= ${this.reportedUntilMs} AND bucket_ms < ${untilMs}`);
      rolledUpRows = Number(rows[0]?.[0] ?? 0);
      this.reportedUntilMs = untilMs;
    }
    return { ...(await this.enforceRetention(nowMs)), rolledUpRows };
  }

  async enforceRetention(nowMs: number): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }> {
    const rawCutoffMs = nowMs - this.options.retentionMs;
    const rollupCutoffMs = nowMs - this.options.rollupRetentionMs;
    // Symbols and per-profile totals serve raw rows and rollups: they go with the later of the two.
    const longCutoffMs = Math.min(rawCutoffMs, rollupCutoffMs);
    const parts = await this.db.rows(
      `SELECT table, partition, sum(rows) FROM system.parts WHERE database = ${sqlString(this.options.database)} AND active GROUP BY table, partition`,
    );
    let rawRowsDeleted = 0;
    let rollupRowsDeleted = 0;
    const cutoffOf = (table: string): number | null => {
      if ((RAW_TABLES as readonly string[]).includes(table)) return rawCutoffMs;
      if ((ROLLUP_TABLES as readonly string[]).includes(table)) return rollupCutoffMs;
      if ((LONG_LIVED_TABLES as readonly string[]).includes(table)) return longCutoffMs;
      return null;
    };
    for (const [table, partition, rowCount] of parts) {
      const cutoffMs = cutoffOf(table!);
      if (cutoffMs === null || !/^\d{8}$/.test(partition!)) continue;
      const dayStartMs = Date.UTC(Number(partition!.slice(0, 4)), Number(partition!.slice(4, 6)) - 1, Number(partition!.slice(6, 8)));
      if (dayStartMs + DAY_MS > cutoffMs) continue;
      // Another server may drop the same partition at the same time: dropping a gone partition is a no-op.
      await this.db.exec(`ALTER TABLE ${table!} DROP PARTITION ${partition!}`);
      if (table === 'samples') rawRowsDeleted += Number(rowCount);
      else if ((ROLLUP_TABLES as readonly string[]).includes(table!)) rollupRowsDeleted += Number(rowCount);
    }
    // Symbol partitions of days before the long cutoff are gone (here or by another server): a late
    // profile for such a day must write its symbols again.
    this.cache.dropBefore(Math.floor(longCutoffMs / DAY_MS));
    for (const [tenant, entry] of this.active) {
      for (const [id, lastMs] of entry.lastMs) if (lastMs < nowMs - this.activeWindowMs) entry.lastMs.delete(id);
      if (entry.lastMs.size === 0) this.active.delete(tenant);
    }
    return { rawRowsDeleted, rollupRowsDeleted };
  }

  // ---------------------------------------------------------------- reads

  profileTypes(tenant: string, fromMs: number, toMs: number): Promise<string[]> {
    return this.reader.profileTypes(tenant, fromMs, toMs);
  }

  labelNames(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    return this.reader.labelNames(tenant, selector, fromMs, toMs);
  }

  labelValues(tenant: string, name: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    return this.reader.labelValues(tenant, name, selector, fromMs, toMs);
  }

  series(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<LabelPairs[]> {
    return this.reader.series(tenant, selector, fromMs, toMs);
  }

  mergeStacks(query: SelectQuery): Promise<StackNodeTable> {
    return this.reader.mergeStacks(query);
  }

  seriesBuckets(query: SelectQuery, stepMs: number, bucketCount: number): Promise<SeriesBuckets> {
    return this.reader.seriesBuckets(query, stepMs, bucketCount);
  }

  profileCount(query: SelectQuery): Promise<number> {
    return this.reader.profileCount(query);
  }

  profilePoints(query: SelectQuery, limit: number): Promise<ProfilePoints> {
    return this.reader.profilePoints(query, limit);
  }

  stats(tenant: string | null): Promise<StoreStats> {
    return this.reader.stats(tenant);
  }

  meanPeriod(query: SelectQuery): Promise<number | null> {
    return this.reader.meanPeriod(query);
  }

  serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    return this.reader.serviceLastSeen(tenant, fromMs, toMs);
  }

  /** Symbol rows per table (distinct ids), for tests: retention must take them away. */
  async symbolCounts(): Promise<{ names: number; stacks: number; series: number }> {
    const [names, stacks, series] = await Promise.all(['names', 'stacks', 'series'].map((table) => this.db.rows(`SELECT uniqExact(tenant, id) FROM ${table}`)));
    return { names: Number(names![0]?.[0] ?? 0), stacks: Number(stacks![0]?.[0] ?? 0), series: Number(series![0]?.[0] ?? 0) };
  }

  codeWanted(tenant: string, service: string, nowMs: number): boolean {
    return this.degradedReason === null && this.code.wanted(tenant, service, nowMs);
  }

  recordCode(entry: CodeEntry): void {
    this.code.record(entry);
  }

  codeLines(tenant: string, service: string | null, fromMs: number, toMs: number): Promise<CodeLines> {
    return readCodeLines(this.db, tenant, service, fromMs, toMs);
  }

  // ---------------------------------------------------------------- lifecycle

  async close(): Promise<void> {
    if (this.closed) return;
    await this.code.close();
    this.closed = true;
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    // Queued appends were promised an answer: let them finish (each INSERT is bounded by the request timeout).
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while ((this.inflight > 0 || this.queue.length > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const entry of this.queue.splice(0)) entry.reject(this.unavailable('the store was closed before this append was written'));
    await this.db.close();
  }
}
