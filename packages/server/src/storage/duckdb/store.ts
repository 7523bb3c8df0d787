/**
 * The embedded default store: one DuckDB file in the data folder.
 *
 * Schema (see README "Storage"):
 * - names(id, name), stacks(id, parent, name_id): deduplicated functions and the global stack
 *   prefix tree; a sample points at its leaf stack node.
 * - series(id, tenant, profile_type, labels): tenant × profile type × label set.
 * - profiles(pid, series_id, time_ms, profile_id, total): one row per stored profile and type,
 *   kept as long as rollups (timelines read it).
 * - samples(series_id, time_ms, pid, stack_id, value, span_id, trace_id): raw rows, kept for the
 *   raw retention window.
 * - rollup_1m / rollup_1h(series_id, bucket_ms, stack_id, value): per-minute and per-hour sums that
 *   long ranges read, kept for the rollup retention window.
 *
 * Writes are group-committed: concurrent appends queue up and the next flush writes all of them
 * in one transaction; a promise resolves only after COMMIT (DuckDB syncs its WAL), so an
 * acknowledged profile survives kill -9.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { CinderError, ErrorCodes, matchesLabels, type LabelPairs, type Selector, type StackNodeTable } from '@cinder/core';
import type { MaintenanceResult, SelectQuery, SeriesTotals, Store, StoreStats, ValidatedProfile } from '../store.js';
import { Catalog, type SeriesEntry } from './catalog.js';

/** 1: initial; 2: profiles.period (sampling period, in the profile type's period unit). */
export const SCHEMA_VERSION = 2;
export const STORE_FILE_NAME = 'cinder.duckdb';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Rollups trail real time so a bucket is complete before it is summed. */
const ROLLUP_DELAY_MS = 2 * MINUTE_MS;

export interface DuckDbStoreOptions {
  dataDir: string;
  retentionMs: number;
  rollupRetentionMs: number;
  now?: () => number;
  maxSeriesPerTenant?: number;
  /** Ranges at least this long read per-minute rollups (per-hour from 48× this). */
  rollupMinRangeMs?: number;
}

interface PendingRows {
  seriesId: number[];
  timeMs: number[];
  pid: number[];
  stackId: number[];
  value: number[];
  spanId: (string | null)[];
  traceId: (string | null)[];
  profiles: { pid: number; seriesId: number; timeMs: number; profileId: string; total: number; period: number }[];
}

function emptyRows(): PendingRows {
  return { seriesId: [], timeMs: [], pid: [], stackId: [], value: [], spanId: [], traceId: [], profiles: [] };
}

interface QueuedAppend {
  rows: PendingRows;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS names (id INTEGER, name VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS stacks (id INTEGER, parent INTEGER, name_id INTEGER)`,
  `CREATE TABLE IF NOT EXISTS series (id INTEGER, tenant VARCHAR, profile_type VARCHAR, labels VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS profiles (pid BIGINT, series_id INTEGER, time_ms BIGINT, profile_id VARCHAR, total DOUBLE, period DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS samples (series_id INTEGER, time_ms BIGINT, pid BIGINT, stack_id INTEGER, value DOUBLE, span_id VARCHAR, trace_id VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS rollup_1m (series_id INTEGER, bucket_ms BIGINT, stack_id INTEGER, value DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS rollup_1h (series_id INTEGER, bucket_ms BIGINT, stack_id INTEGER, value DOUBLE)`,
];

function isLockError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /lock/i.test(message) && /(conflict|could not set|in use)/i.test(message);
}

export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, STORE_FILE_NAME);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, { threads: '2' });
  } catch (error) {
    if (isLockError(error)) {
      const detail = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
      throw new CinderError(
        ErrorCodes.STORE_IN_USE,
        `data folder ${path.resolve(options.dataDir)} is in use by another Cinder process; stop it or pass a different --data-dir (${detail})`,
      );
    }
    throw error;
  }
  const store = new DuckDbStore(instance, file, options);
  try {
    await store.init();
  } catch (error) {
    store.closeSync();
    throw error;
  }
  return store;
}

/** A tiny FIFO mutex: writes, rollups and catalogue persistence never interleave. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function idList(ids: Iterable<number>): string {
  return [...ids].join(',');
}

export class DuckDbStore implements Store {
  private writer!: DuckDBConnection;
  private maintenance!: DuckDBConnection;
  private readers: DuckDBConnection[] = [];
  private nextReader = 0;
  private readonly catalog = new Catalog();
  private nextPid = 1;
  private rollupUntil1m = 0;
  private rollupUntil1h = 0;
  private readonly writeLock = new Mutex();
  private queue: QueuedAppend[] = [];
  private flushing = false;
  private closed = false;
  private readonly now: () => number;
  private readonly maxSeriesPerTenant: number;
  private readonly rollupMinRangeMs: number;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly file: string,
    private readonly options: DuckDbStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxSeriesPerTenant = options.maxSeriesPerTenant ?? Number.POSITIVE_INFINITY;
    this.rollupMinRangeMs = options.rollupMinRangeMs ?? 2 * HOUR_MS;
  }

  async init(): Promise<void> {
    this.writer = await this.instance.connect();
    this.maintenance = await this.instance.connect();
    this.readers = [await this.instance.connect(), await this.instance.connect()];
    const existing = await this.writer.runAndReadAll(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'`);
    if (Number(existing.getRows()[0]![0]) > 0) {
      const version = await this.writer.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
      const found = Number(version.getRows()[0]?.[0] ?? 0);
      if (found > SCHEMA_VERSION) {
        throw new CinderError(
          ErrorCodes.STORE_NEWER_SCHEMA,
          `the data in ${path.dirname(this.file)} was written by a newer Cinder (store schema ${found}, this build reads up to ${SCHEMA_VERSION}); upgrade Cinder or use another --data-dir`,
        );
      }
    }
    for (const statement of SCHEMA) await this.writer.run(statement);
    // Schema 1 → 2: the sampling period per profile (older rows: unknown).
    await this.writer.run(`ALTER TABLE profiles ADD COLUMN IF NOT EXISTS period DOUBLE`);
    await this.writer.run(`INSERT OR REPLACE INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    await this.load();
  }

  private async load(): Promise<void> {
    const names = await this.writer.runAndReadAll(`SELECT name FROM names ORDER BY id`);
    for (const [name] of names.getRows()) this.catalog.nameId(String(name));
    this.catalog.persistedNames = this.catalog.names.length;
    const stacks = await this.writer.runAndReadAll(`SELECT parent, name_id FROM stacks ORDER BY id`);
    for (const [parent, nameId] of stacks.getRows()) this.catalog.stackId(Number(parent), Number(nameId));
    this.catalog.persistedStacks = this.catalog.stackCount;
    const series = await this.writer.runAndReadAll(`SELECT tenant, profile_type, labels FROM series ORDER BY id`);
    for (const [tenant, profileType, labels] of series.getRows()) {
      this.catalog.addSeries(String(tenant), String(profileType), JSON.parse(String(labels)) as LabelPairs);
    }
    this.catalog.persistedSeries = this.catalog.series.length;
    const pid = await this.writer.runAndReadAll(`SELECT coalesce(max(pid), 0) FROM profiles`);
    this.nextPid = Number(pid.getRows()[0]![0]) + 1;
    const marks = await this.writer.runAndReadAll(`SELECT key, value FROM meta WHERE key LIKE 'rollup_%'`);
    for (const [key, value] of marks.getRows()) {
      if (key === 'rollup_1m_until') this.rollupUntil1m = Number(value);
      if (key === 'rollup_1h_until') this.rollupUntil1h = Number(value);
    }
  }

  // ---------------------------------------------------------------- writes

  append(profiles: readonly ValidatedProfile[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (profiles.length === 0) return Promise.resolve();
    let rows: PendingRows;
    try {
      rows = this.toRows(profiles);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /** Resolves catalogue ids (synchronously, so concurrent appends agree) and lays out rows. */
  private toRows(profiles: readonly ValidatedProfile[]): PendingRows {
    // Series limit first, so a rejected request adds nothing to the catalogue.
    const newSeries = new Map<string, number>();
    for (const validated of profiles) {
      for (const typeId of validated.profileTypeIds) {
        if (this.catalog.findSeries(validated.tenant, typeId, validated.seriesLabels) === undefined) {
          newSeries.set(validated.tenant, (newSeries.get(validated.tenant) ?? 0) + 1);
        }
      }
    }
    for (const [tenant, added] of newSeries) {
      if (this.catalog.seriesCountOf(tenant) + added > this.maxSeriesPerTenant) {
        throw new CinderError(
          ErrorCodes.INGEST_SERIES_LIMIT,
          `tenant "${tenant}" would exceed its limit of ${this.maxSeriesPerTenant} series; reduce label cardinality or raise --max-series`,
        );
      }
    }
    const rows = emptyRows();
    for (const validated of profiles) {
      const profile = validated.profile;
      const nameIds = profile.names.map((name) => this.catalog.nameId(name));
      const leaf = new Int32Array(profile.stacks.length);
      for (let s = 0; s < profile.stacks.length; s++) {
        const stack = profile.stacks[s]!;
        let node = -1;
        for (let i = 0; i < stack.length; i++) node = this.catalog.stackId(node, nameIds[stack[i]!]!);
        leaf[s] = node;
      }
      validated.profileTypeIds.forEach((typeId, t) => {
        const values = profile.values[t]!;
        // One row per distinct (stack, span, trace) of this profile.
        const merged = new Map<string, number>();
        const keyParts = new Map<string, [number, string | null, string | null]>();
        let total = 0;
        for (let s = 0; s < values.length; s++) {
          const value = values[s]!;
          // Stack id -1 = a sample with no frames (kept: it is part of the profile's total).
          if (value === 0) continue;
          total += value;
          let spanId: string | null = null;
          let traceId: string | null = null;
          const labels = profile.sampleLabels[s];
          if (labels) {
            for (const [name, labelValue] of labels) {
              if (name === 'span_id') spanId = labelValue;
              else if (name === 'trace_id') traceId = labelValue.toLowerCase();
            }
          }
          const key = spanId === null && traceId === null ? String(leaf[s]) : `${leaf[s]}\u0000${spanId ?? ''}\u0000${traceId ?? ''}`;
          const previous = merged.get(key);
          if (previous === undefined) {
            merged.set(key, value);
            keyParts.set(key, [leaf[s]!, spanId, traceId]);
          } else merged.set(key, previous + value);
        }
        // A sample type with nothing in it (e.g. a cumulative delta that did not move) is not stored.
        if (merged.size === 0) return;
        let seriesId = this.catalog.findSeries(validated.tenant, typeId, validated.seriesLabels);
        if (seriesId === undefined) seriesId = this.catalog.addSeries(validated.tenant, typeId, validated.seriesLabels);
        const pid = this.nextPid++;
        for (const [key, value] of merged) {
          const [stackId, spanId, traceId] = keyParts.get(key)!;
          rows.seriesId.push(seriesId);
          rows.timeMs.push(validated.timeMs);
          rows.pid.push(pid);
          rows.stackId.push(stackId);
          rows.value.push(value);
          rows.spanId.push(spanId);
          rows.traceId.push(traceId);
        }
        rows.profiles.push({ pid, seriesId, timeMs: validated.timeMs, profileId: validated.profileId, total, period: profile.period });
      });
    }
    return rows;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.writeLock.run(() => this.writeBatch(batch.map((entry) => entry.rows)));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batches: PendingRows[]): Promise<void> {
    const connection = this.writer;
    const catalog = this.catalog;
    const namesTo = catalog.names.length;
    const stacksTo = catalog.stackCount;
    const seriesTo = catalog.series.length;
    await connection.run('BEGIN TRANSACTION');
    try {
      if (namesTo > catalog.persistedNames) {
        const appender = await connection.createAppender('names');
        for (let id = catalog.persistedNames; id < namesTo; id++) {
          appender.appendInteger(id);
          appender.appendVarchar(catalog.names[id]!);
          appender.endRow();
        }
        appender.closeSync();
      }
      if (stacksTo > catalog.persistedStacks) {
        const appender = await connection.createAppender('stacks');
        for (let id = catalog.persistedStacks; id < stacksTo; id++) {
          appender.appendInteger(id);
          appender.appendInteger(catalog.stackParent[id]!);
          appender.appendInteger(catalog.stackName[id]!);
          appender.endRow();
        }
        appender.closeSync();
      }
      if (seriesTo > catalog.persistedSeries) {
        const appender = await connection.createAppender('series');
        for (let id = catalog.persistedSeries; id < seriesTo; id++) {
          const entry = catalog.series[id]!;
          appender.appendInteger(id);
          appender.appendVarchar(entry.tenant);
          appender.appendVarchar(entry.profileTypeId);
          appender.appendVarchar(JSON.stringify(entry.storedLabels));
          appender.endRow();
        }
        appender.closeSync();
      }
      const samples = await connection.createAppender('samples');
      const profiles = await connection.createAppender('profiles');
      const late1m: number[][] = [];
      const late1h: number[][] = [];
      for (const rows of batches) {
        for (let i = 0; i < rows.seriesId.length; i++) {
          samples.appendInteger(rows.seriesId[i]!);
          samples.appendBigInt(BigInt(rows.timeMs[i]!));
          samples.appendBigInt(BigInt(rows.pid[i]!));
          samples.appendInteger(rows.stackId[i]!);
          samples.appendDouble(rows.value[i]!);
          const span = rows.spanId[i];
          if (span == null) samples.appendNull();
          else samples.appendVarchar(span);
          const trace = rows.traceId[i];
          if (trace == null) samples.appendNull();
          else samples.appendVarchar(trace);
          samples.endRow();
          // Rows older than a rollup watermark go straight into that rollup (late data).
          const timeMs = rows.timeMs[i]!;
          if (timeMs < this.rollupUntil1m) late1m.push([rows.seriesId[i]!, timeMs - (timeMs % MINUTE_MS), rows.stackId[i]!, rows.value[i]!]);
          if (timeMs < this.rollupUntil1h) late1h.push([rows.seriesId[i]!, timeMs - (timeMs % HOUR_MS), rows.stackId[i]!, rows.value[i]!]);
        }
        for (const profile of rows.profiles) {
          profiles.appendBigInt(BigInt(profile.pid));
          profiles.appendInteger(profile.seriesId);
          profiles.appendBigInt(BigInt(profile.timeMs));
          profiles.appendVarchar(profile.profileId);
          profiles.appendDouble(profile.total);
          if (profile.period > 0) profiles.appendDouble(profile.period);
          else profiles.appendNull();
          profiles.endRow();
        }
      }
      samples.closeSync();
      profiles.closeSync();
      for (const [table, late] of [
        ['rollup_1m', late1m],
        ['rollup_1h', late1h],
      ] as const) {
        if (late.length === 0) continue;
        const appender = await connection.createAppender(table);
        for (const [seriesId, bucketMs, stackId, value] of late) {
          appender.appendInteger(seriesId!);
          appender.appendBigInt(BigInt(bucketMs!));
          appender.appendInteger(stackId!);
          appender.appendDouble(value!);
          appender.endRow();
        }
        appender.closeSync();
      }
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    catalog.persistedNames = namesTo;
    catalog.persistedStacks = stacksTo;
    catalog.persistedSeries = seriesTo;
  }

  // ---------------------------------------------------------------- maintenance

  /** Rolls complete minutes/hours up, then removes data past the retention windows. */
  async maintain(nowMs: number): Promise<MaintenanceResult> {
    const rolledUpRows = await this.writeLock.run(() => this.rollUp(nowMs));
    const retention = await this.enforceRetention(nowMs);
    return { ...retention, rolledUpRows };
  }

  private async rollUp(nowMs: number): Promise<number> {
    let rows = 0;
    const target1m = Math.floor((nowMs - ROLLUP_DELAY_MS) / MINUTE_MS) * MINUTE_MS;
    const connection = this.writer;
    if (target1m > this.rollupUntil1m) {
      await connection.run('BEGIN TRANSACTION');
      try {
        const result = await connection.run(
          `INSERT INTO rollup_1m SELECT series_id, time_ms - (time_ms % ${MINUTE_MS}) AS bucket, stack_id, sum(value)
           FROM samples WHERE time_ms >= ${this.rollupUntil1m} AND time_ms < ${target1m} GROUP BY ALL`,
        );
        rows += Number(result.rowsChanged);
        await connection.run(`INSERT OR REPLACE INTO meta VALUES ('rollup_1m_until', '${target1m}')`);
        await connection.run('COMMIT');
        this.rollupUntil1m = target1m;
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    const target1h = Math.floor(this.rollupUntil1m / HOUR_MS) * HOUR_MS;
    if (target1h > this.rollupUntil1h) {
      await connection.run('BEGIN TRANSACTION');
      try {
        const result = await connection.run(
          `INSERT INTO rollup_1h SELECT series_id, bucket_ms - (bucket_ms % ${HOUR_MS}) AS bucket, stack_id, sum(value)
           FROM rollup_1m WHERE bucket_ms >= ${this.rollupUntil1h} AND bucket_ms < ${target1h} GROUP BY ALL`,
        );
        rows += Number(result.rowsChanged);
        await connection.run(`INSERT OR REPLACE INTO meta VALUES ('rollup_1h_until', '${target1h}')`);
        await connection.run('COMMIT');
        this.rollupUntil1h = target1h;
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    return rows;
  }

  /**
   * Deletes on their own connection, outside the write lock: DuckDB's MVCC lets appends to the
   * same tables commit meanwhile, so retention never stalls ingest.
   */
  async enforceRetention(nowMs: number): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }> {
    const rawCutoff = nowMs - this.options.retentionMs;
    const rollupCutoff = nowMs - this.options.rollupRetentionMs;
    const connection = this.maintenance;
    const raw = await connection.run(`DELETE FROM samples WHERE time_ms < ${rawCutoff}`);
    let rollupRowsDeleted = 0;
    // Rollups may only be dropped once they are older than the rollup window, and raw rows only
    // once rolled up (a store that was down longer than the window rolls up before deleting).
    for (const table of ['rollup_1m', 'rollup_1h']) {
      const result = await connection.run(`DELETE FROM ${table} WHERE bucket_ms < ${rollupCutoff}`);
      rollupRowsDeleted += Number(result.rowsChanged);
    }
    await connection.run(`DELETE FROM profiles WHERE time_ms < ${rollupCutoff}`);
    return { rawRowsDeleted: Number(raw.rowsChanged), rollupRowsDeleted };
  }

  // ---------------------------------------------------------------- reads

  private reader(): DuckDBConnection {
    const connection = this.readers[this.nextReader % this.readers.length]!;
    this.nextReader++;
    return connection;
  }

  private matchingSeries(tenant: string, selector: Selector, profileTypeId?: string): SeriesEntry[] {
    const out: SeriesEntry[] = [];
    for (const entry of this.catalog.series) {
      if (entry.tenant !== tenant) continue;
      if (profileTypeId !== undefined && entry.profileTypeId !== profileTypeId) continue;
      if (!matchesLabels(selector, entry.labelMap)) continue;
      out.push(entry);
    }
    return out;
  }

  /** Only series with at least one stored profile in [fromMs, toMs] (committed rows only). */
  private async withData(entries: SeriesEntry[], fromMs: number, toMs: number): Promise<SeriesEntry[]> {
    const committed = entries.filter((entry) => entry.id < this.catalog.persistedSeries);
    if (committed.length === 0) return [];
    const result = await this.reader().runAndReadAll(
      `SELECT DISTINCT series_id FROM profiles WHERE time_ms BETWEEN ${Math.floor(fromMs)} AND ${Math.floor(toMs)} AND series_id IN (${idList(committed.map((e) => e.id))})`,
    );
    const found = new Set(result.getRows().map((row) => Number(row[0])));
    return committed.filter((entry) => found.has(entry.id));
  }

  async profileTypes(tenant: string, fromMs: number, toMs: number): Promise<string[]> {
    const entries = await this.withData(this.matchingSeries(tenant, []), fromMs, toMs);
    return [...new Set(entries.map((entry) => entry.profileTypeId))].sort();
  }

  async labelNames(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    const entries = await this.withData(this.matchingSeries(tenant, selector), fromMs, toMs);
    const names = new Set<string>();
    for (const entry of entries) for (const [name] of entry.labels) names.add(name);
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    const entries = await this.withData(this.matchingSeries(tenant, selector), fromMs, toMs);
    const values = new Set<string>();
    for (const entry of entries) {
      const value = entry.labelMap.get(name);
      if (value !== undefined && value !== '') values.add(value);
    }
    return [...values].sort();
  }

  async series(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<LabelPairs[]> {
    const entries = await this.withData(this.matchingSeries(tenant, selector), fromMs, toMs);
    return entries.map((entry) => entry.labels);
  }

  private sampleFilters(query: SelectQuery): string {
    let sql = '';
    if (query.spanIds && query.spanIds.length > 0) sql += ` AND span_id IN (${query.spanIds.map(sqlString).join(',')})`;
    if (query.traceIds && query.traceIds.length > 0) sql += ` AND trace_id IN (${query.traceIds.map(sqlString).join(',')})`;
    if (query.profileIds && query.profileIds.length > 0) {
      sql += ` AND pid IN (SELECT pid FROM profiles WHERE profile_id IN (${query.profileIds.map(sqlString).join(',')}))`;
    }
    return sql;
  }

  /**
   * The query plan for a merge: raw rows for short ranges and for the ragged edges of long ones;
   * whole rolled-up buckets in between (per minute, or per hour for ranges of days). Data older
   * than the raw window exists only in rollups, so there the plan rounds out to whole buckets.
   */
  planMerge(query: SelectQuery, seriesIds: string): string {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const rawSql = (from: number, to: number): string =>
      `SELECT stack_id, value FROM samples WHERE series_id IN (${seriesIds}) AND time_ms BETWEEN ${from} AND ${to}${this.sampleFilters(query)}`;
    const selective = (query.spanIds?.length ?? 0) > 0 || (query.traceIds?.length ?? 0) > 0 || (query.profileIds?.length ?? 0) > 0;
    const rawCutoff = this.now() - this.options.retentionMs;
    const lengthMs = toMs - fromMs;
    if (selective || (lengthMs < this.rollupMinRangeMs && fromMs >= rawCutoff)) return rawSql(fromMs, toMs);
    const useHours = lengthMs >= 48 * this.rollupMinRangeMs && this.rollupUntil1h > 0;
    const bucketMs = useHours ? HOUR_MS : MINUTE_MS;
    const table = useHours ? 'rollup_1h' : 'rollup_1m';
    const until = useHours ? this.rollupUntil1h : this.rollupUntil1m;
    let first = Math.ceil(fromMs / bucketMs) * bucketMs;
    if (fromMs < rawCutoff) first = Math.floor(fromMs / bucketMs) * bucketMs;
    const end = Math.min(Math.floor((toMs + 1) / bucketMs) * bucketMs, until);
    if (first >= end) return rawSql(fromMs, toMs);
    const parts = [`SELECT stack_id, value FROM ${table} WHERE series_id IN (${seriesIds}) AND bucket_ms >= ${first} AND bucket_ms < ${end}`];
    if (fromMs < first) parts.push(rawSql(fromMs, first - 1));
    if (end <= toMs) parts.push(rawSql(end, toMs));
    return parts.join(' UNION ALL ');
  }

  async mergeStacks(query: SelectQuery): Promise<StackNodeTable> {
    const entries = this.matchingSeries(query.tenant, query.selector, query.profileTypeId).filter((e) => e.id < this.catalog.persistedSeries);
    if (entries.length === 0) return { names: [], parent: new Int32Array(0), nameIndex: new Int32Array(0), self: new Float64Array(0) };
    const sql = `SELECT stack_id, sum(value) FROM (${this.planMerge(query, idList(entries.map((e) => e.id)))}) GROUP BY stack_id`;
    const result = await this.reader().runAndReadAll(sql);
    const columns = result.getColumns();
    const stackIds = (columns[0] ?? []).map(Number);
    const sums = (columns[1] ?? []).map(Number);
    return this.stackTable(stackIds, sums);
  }

  /** The touched part of the prefix tree, ancestors included, parents before children. */
  private stackTable(stackIds: number[], values: number[]): StackNodeTable {
    const catalog = this.catalog;
    const included = new Set<number>();
    let rootSelf = 0;
    for (let i = 0; i < stackIds.length; i++) {
      const id = stackIds[i]!;
      if (id < 0) rootSelf += values[i]!;
      for (let node = id; node >= 0 && !included.has(node); node = catalog.stackParent[node]!) included.add(node);
    }
    const order = Int32Array.from(included).sort();
    const rowOf = new Map<number, number>();
    order.forEach((id, row) => rowOf.set(id, row));
    const nameRow = new Map<number, number>();
    const names: string[] = [];
    const parent = new Int32Array(order.length);
    const nameIndex = new Int32Array(order.length);
    const self = new Float64Array(order.length);
    order.forEach((id, row) => {
      const stackParent = catalog.stackParent[id]!;
      parent[row] = stackParent < 0 ? -1 : rowOf.get(stackParent)!;
      const nameId = catalog.stackName[id]!;
      let index = nameRow.get(nameId);
      if (index === undefined) {
        index = names.length;
        names.push(catalog.names[nameId]!);
        nameRow.set(nameId, index);
      }
      nameIndex[row] = index;
    });
    for (let i = 0; i < stackIds.length; i++) if (stackIds[i]! >= 0) self[rowOf.get(stackIds[i]!)!]! += values[i]!;
    return { names, parent, nameIndex, self, ...(rootSelf !== 0 ? { rootSelf } : {}) };
  }

  async seriesTotals(query: SelectQuery): Promise<SeriesTotals> {
    const entries = this.matchingSeries(query.tenant, query.selector, query.profileTypeId).filter((e) => e.id < this.catalog.persistedSeries);
    if (entries.length === 0) return { labelSets: [], points: [] };
    const ids = idList(entries.map((e) => e.id));
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const sampleLevel = (query.spanIds?.length ?? 0) > 0 || (query.traceIds?.length ?? 0) > 0;
    const sql = sampleLevel
      ? `SELECT series_id, time_ms, sum(value) FROM samples WHERE series_id IN (${ids}) AND time_ms BETWEEN ${fromMs} AND ${toMs}${this.sampleFilters(query)} GROUP BY pid, series_id, time_ms ORDER BY time_ms`
      : `SELECT series_id, time_ms, total FROM profiles WHERE series_id IN (${ids}) AND time_ms BETWEEN ${fromMs} AND ${toMs}${
          query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : ''
        } ORDER BY time_ms`;
    const result = await this.reader().runAndReadAll(sql);
    const indexOf = new Map<number, number>();
    const labelSets: LabelPairs[] = [];
    const points: SeriesTotals['points'] = [];
    for (const [seriesId, timeMs, total] of result.getRows()) {
      const id = Number(seriesId);
      let index = indexOf.get(id);
      if (index === undefined) {
        index = labelSets.length;
        labelSets.push(this.catalog.series[id]!.labels);
        indexOf.set(id, index);
      }
      points.push({ seriesIndex: index, timeMs: Number(timeMs), total: Number(total) });
    }
    return { labelSets, points };
  }

  async serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    const entries = this.matchingSeries(tenant, []).filter((e) => e.id < this.catalog.persistedSeries);
    const lastSeen = new Map<string, number>();
    if (entries.length === 0) return lastSeen;
    const result = await this.reader().runAndReadAll(
      `SELECT series_id, max(time_ms) FROM profiles WHERE time_ms BETWEEN ${Math.floor(fromMs)} AND ${Math.floor(toMs)} AND series_id IN (${idList(entries.map((e) => e.id))}) GROUP BY series_id`,
    );
    for (const [seriesId, timeMs] of result.getRows()) {
      const service = this.catalog.series[Number(seriesId)]!.labelMap.get('service_name') ?? '';
      lastSeen.set(service, Math.max(lastSeen.get(service) ?? 0, Number(timeMs)));
    }
    return lastSeen;
  }

  /** Mean sampling period of the profiles a selection covers (profile type's period unit), or null. */
  async meanPeriod(query: SelectQuery): Promise<number | null> {
    const entries = this.matchingSeries(query.tenant, query.selector, query.profileTypeId).filter((e) => e.id < this.catalog.persistedSeries);
    if (entries.length === 0) return null;
    const result = await this.reader().runAndReadAll(
      `SELECT avg(period) FROM profiles WHERE period > 0 AND series_id IN (${idList(entries.map((e) => e.id))}) AND time_ms BETWEEN ${Math.floor(query.fromMs)} AND ${Math.floor(query.toMs)}`,
    );
    const value = result.getRows()[0]?.[0];
    return value === null || value === undefined ? null : Number(value);
  }

  async stats(tenant: string | null): Promise<StoreStats> {
    const entries = (tenant === null ? this.catalog.series : this.matchingSeries(tenant, [])).filter((e) => e.id < this.catalog.persistedSeries);
    let bytesOnDisk = 0;
    try {
      bytesOnDisk = statSync(this.file).size;
    } catch {
      bytesOnDisk = 0;
    }
    if (entries.length === 0) {
      return { dataIngested: false, oldestProfileMs: 0, newestProfileMs: 0, seriesCount: 0, sampleRows: 0, bytesOnDisk };
    }
    const ids = idList(entries.map((e) => e.id));
    const profiles = await this.reader().runAndReadAll(`SELECT count(*), coalesce(min(time_ms), 0), coalesce(max(time_ms), 0) FROM profiles WHERE series_id IN (${ids})`);
    const [count, oldest, newest] = profiles.getRows()[0]!;
    const samples = await this.reader().runAndReadAll(`SELECT count(*) FROM samples WHERE series_id IN (${ids})`);
    return {
      dataIngested: Number(count) > 0,
      oldestProfileMs: Number(oldest),
      newestProfileMs: Number(newest),
      seriesCount: entries.length,
      sampleRows: Number(samples.getRows()[0]![0]),
      bytesOnDisk,
    };
  }

  // ---------------------------------------------------------------- lifecycle

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued appends finish: they were (or are about to be) acknowledged.
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.writeLock.run(async () => {
      await this.writer.run('CHECKPOINT').catch(() => undefined);
    });
    this.closeSync();
  }

  closeSync(): void {
    for (const connection of [this.writer, this.maintenance, ...this.readers]) {
      try {
        connection?.closeSync();
      } catch {
        // already closed
      }
    }
    this.instance.closeSync();
  }
}
