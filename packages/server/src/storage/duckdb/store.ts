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
 *
 * Failure (see README "Storage" and docs/errors.md CINDER_STORE_UNAVAILABLE): a write the disk
 * refuses fails the whole batch with STORE_UNAVAILABLE and puts the store in a degraded state
 * (health() says why). DuckDB keeps working after a failed WAL write, but a failed checkpoint
 * "invalidates" the database: every statement on that instance fails until it is reopened. So the
 * store then reopens the file (read-write, which works even on a full disk because opening only
 * replays the WAL; read-only if that fails) so queries keep answering, and a probe retries a
 * tiny write every PROBE_INTERVAL_MS until the disk takes writes again.
 */
import { mkdirSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
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

/**
 * DuckDB settings for every instance the store opens. DuckDB's defaults suit an analytics
 * session, not a long-running server sharing a box: memory_limit defaults to 80 % of RAM, and its
 * buffer cache keeps every block it ever read until that limit, so RSS grew with history under a
 * steady load (issue 10). The limit bounds DuckDB's buffer pool (cached blocks and query
 * intermediates; big aggregations spill to <data>/cinder.duckdb.tmp rather than fail);
 * preserve_insertion_order=false lets scans and appends stream without holding rows back for
 * ordering (every query that cares has an ORDER BY); two threads are plenty for our GROUP BYs and
 * leave the event loop a core.
 */
export const DUCKDB_SETTINGS: Readonly<Record<string, string>> = {
  threads: '2',
  memory_limit: '128MB',
  preserve_insertion_order: 'false',
};
/** While degraded, how often the store tries to write again. */
export const PROBE_INTERVAL_MS = 1_000;
/**
 * Free bytes the data folder needs before a probe tries to write again: without a margin the
 * probe's tiny write fits in the last free page and ingest flaps between 200 and 503.
 */
export const PROBE_MIN_FREE_BYTES = 4 * 1024 * 1024;
/** How long a reopen waits for running statements on the old instance before closing it. */
const REOPEN_DRAIN_MS = 10_000;

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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isLockError(error: unknown): boolean {
  const message = messageOf(error);
  return /lock/i.test(message) && /(conflict|could not set|in use)/i.test(message);
}

/** The instance is unusable until reopened (DuckDB "invalidated" it after a failed checkpoint). */
function isInvalidated(error: unknown): boolean {
  return /FATAL Error|database has been invalidated/i.test(messageOf(error));
}

/** DuckDB's own words when the commit reached the WAL but the autocheckpoint after it failed. */
function committedDespite(error: unknown): boolean {
  return /COMMIT succeeded and is durable/i.test(messageOf(error));
}

/** The disk (not the statement) failed: out of space, I/O error, read-only file system, … */
function isStorageFailure(error: unknown): boolean {
  return (
    isInvalidated(error) ||
    /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT|Could not write file|Could not (?:truncate|sync|fsync)|Input\/output error|I\/O Error|EIO\b|Read-only file system|EROFS/i.test(
      messageOf(error),
    )
  );
}

/** Free bytes for an unprivileged writer in `dir`, or null when the file system cannot say. */
export function freeBytesAt(dir: string): number | null {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** One line a human can act on: what failed, where, and what DuckDB said. */
function storageFailureReason(error: unknown, dataDir: string): string {
  const message = messageOf(error);
  const where = path.resolve(dataDir);
  const first = message.split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
  if (/No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/i.test(message)) {
    const free = freeBytesAt(dataDir);
    return `no space left on device at ${where}${free === null ? '' : ` (${formatBytes(free)} free)`}`;
  }
  if (/Read-only file system|EROFS/i.test(message)) return `the file system of ${where} is read-only`;
  return `cannot write to ${where}: ${first}`;
}

/** The DuckDB instance and its connections; replaced as a whole when the store reopens. */
interface Handle {
  instance: DuckDBInstance;
  /** null when opened read-only. */
  writer: DuckDBConnection | null;
  maintenance: DuckDBConnection | null;
  readers: DuckDBConnection[];
  readOnly: boolean;
  /** Statements running on this handle; a reopen waits for them before closing it. */
  inflight: number;
  invalidated: boolean;
}

async function openHandle(file: string, readOnly: boolean): Promise<Handle> {
  const instance = await DuckDBInstance.create(file, { ...DUCKDB_SETTINGS, ...(readOnly ? { access_mode: 'READ_ONLY' } : {}) });
  const connections: DuckDBConnection[] = [];
  try {
    for (let i = 0; i < (readOnly ? 2 : 4); i++) connections.push(await instance.connect());
  } catch (error) {
    closeHandle({ instance, writer: null, maintenance: null, readers: connections, readOnly, inflight: 0, invalidated: true });
    throw error;
  }
  if (readOnly) return { instance, writer: null, maintenance: null, readers: connections, readOnly, inflight: 0, invalidated: false };
  const [writer, maintenance, ...readers] = connections;
  return { instance, writer: writer!, maintenance: maintenance!, readers, readOnly, inflight: 0, invalidated: false };
}

function closeHandle(handle: Handle): void {
  for (const connection of [handle.writer, handle.maintenance, ...handle.readers]) {
    try {
      connection?.closeSync();
    } catch {
      // already closed
    }
  }
  try {
    handle.instance.closeSync();
  } catch {
    // already closed
  }
}

export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, STORE_FILE_NAME);
  let handle: Handle;
  try {
    handle = await openHandle(file, false);
  } catch (error) {
    if (isLockError(error)) {
      const detail = messageOf(error).replace(/\s+/g, ' ');
      throw new CinderError(
        ErrorCodes.STORE_IN_USE,
        `data folder ${path.resolve(options.dataDir)} is in use by another Cinder process; stop it or pass a different --data-dir (${detail})`,
      );
    }
    throw error;
  }
  const store = new DuckDbStore(handle, file, options);
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
  /** null while a reopen is under way (statements wait for `reopening`) or when nothing could be opened. */
  private handle: Handle | null;
  private reopening: Promise<void> | null = null;
  private nextReader = 0;
  private readonly catalog = new Catalog();
  private nextPid = 1;
  private rollupUntil1m = 0;
  private rollupUntil1h = 0;
  private readonly writeLock = new Mutex();
  private queue: QueuedAppend[] = [];
  private flushing = false;
  private closed = false;
  /** Why the store cannot write (null = it can). */
  private degradedReason: string | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private probing = false;
  /** Figures of the last stats(null) that read the database, for /metrics while it cannot. */
  private lastStats: StoreStats | null = null;
  private readonly now: () => number;
  private readonly maxSeriesPerTenant: number;
  private readonly rollupMinRangeMs: number;

  constructor(
    handle: Handle,
    private readonly file: string,
    private readonly options: DuckDbStoreOptions,
  ) {
    this.handle = handle;
    this.now = options.now ?? Date.now;
    this.maxSeriesPerTenant = options.maxSeriesPerTenant ?? Number.POSITIVE_INFINITY;
    this.rollupMinRangeMs = options.rollupMinRangeMs ?? 2 * HOUR_MS;
  }

  /** The writer connection of the open handle (tests reach in through it). */
  private get writer(): DuckDBConnection {
    const writer = this.handle?.writer;
    if (!writer) throw this.unavailable();
    return writer;
  }

  async init(): Promise<void> {
    const writer = this.writer;
    const existing = await writer.runAndReadAll(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'`);
    let found = 0;
    if (Number(existing.getRows()[0]![0]) > 0) {
      const version = await writer.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
      found = Number(version.getRows()[0]?.[0] ?? 0);
      if (found > SCHEMA_VERSION) {
        throw new CinderError(
          ErrorCodes.STORE_NEWER_SCHEMA,
          `the data in ${path.dirname(this.file)} was written by a newer Cinder (store schema ${found}, this build reads up to ${SCHEMA_VERSION}); upgrade Cinder or use another --data-dir`,
        );
      }
    }
    // A current store is opened without writing anything, so Cinder starts (and serves queries)
    // on a full disk too; writes then answer STORE_UNAVAILABLE until space returns.
    if (found !== SCHEMA_VERSION) {
      for (const statement of SCHEMA) await writer.run(statement);
      // Schema 1 → 2: the sampling period per profile (older rows: unknown).
      await writer.run(`ALTER TABLE profiles ADD COLUMN IF NOT EXISTS period DOUBLE`);
      await writer.run(`INSERT OR REPLACE INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    }
    await this.load(writer);
  }

  private async load(connection: DuckDBConnection): Promise<void> {
    // Streamed chunk by chunk (not getRows(), which boxes every value first): the catalogues are
    // the bulk of startup time once history has millions of stack nodes.
    const names = await connection.run(`SELECT name FROM names ORDER BY id`);
    for (let chunk = await names.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await names.fetchChunk()) {
      const column = chunk.getColumnVector(0);
      for (let i = 0; i < chunk.rowCount; i++) this.catalog.nameId(String(column.getItem(i)));
    }
    this.catalog.persistedNames = this.catalog.names.length;
    const stackCount = await connection.runAndReadAll(`SELECT count(*) FROM stacks`);
    const expectedStacks = Number(stackCount.getRows()[0]![0]);
    const parents = new Int32Array(expectedStacks);
    const nameIds = new Int32Array(expectedStacks);
    let loaded = 0;
    const stacks = await connection.run(`SELECT parent, name_id FROM stacks ORDER BY id`);
    for (let chunk = await stacks.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await stacks.fetchChunk()) {
      const parentColumn = chunk.getColumnVector(0);
      const nameColumn = chunk.getColumnVector(1);
      for (let i = 0; i < chunk.rowCount && loaded < expectedStacks; i++, loaded++) {
        parents[loaded] = Number(parentColumn.getItem(i));
        nameIds[loaded] = Number(nameColumn.getItem(i));
      }
    }
    this.catalog.loadStacks(parents, nameIds, loaded);
    this.catalog.persistedStacks = this.catalog.stackCount;
    const series = await connection.runAndReadAll(`SELECT tenant, profile_type, labels FROM series ORDER BY id`);
    for (const [tenant, profileType, labels] of series.getRows()) {
      this.catalog.addSeries(String(tenant), String(profileType), JSON.parse(String(labels)) as LabelPairs);
    }
    this.catalog.persistedSeries = this.catalog.series.length;
    const pid = await connection.runAndReadAll(`SELECT coalesce(max(pid), 0) FROM profiles`);
    this.nextPid = Number(pid.getRows()[0]![0]) + 1;
    const marks = await connection.runAndReadAll(`SELECT key, value FROM meta WHERE key LIKE 'rollup_%'`);
    for (const [key, value] of marks.getRows()) {
      if (key === 'rollup_1m_until') this.rollupUntil1m = Number(value);
      if (key === 'rollup_1h_until') this.rollupUntil1h = Number(value);
    }
  }

  // ---------------------------------------------------------------- health and recovery

  health(): string | null {
    if (this.degradedReason === null) return null;
    return `the store cannot write: ${this.degradedReason}; ingest answers 503 ${ErrorCodes.STORE_UNAVAILABLE} until it can (retrying every ${PROBE_INTERVAL_MS / 1000} s)`;
  }

  private unavailable(cause?: unknown): CinderError {
    const reason = this.degradedReason ?? (cause === undefined ? 'the database is not open' : storageFailureReason(cause, this.options.dataDir));
    return new CinderError(
      ErrorCodes.STORE_UNAVAILABLE,
      `the store cannot write: ${reason}; nothing of this request was stored, retry later (Cinder recovers by itself once the disk takes writes again)`,
    );
  }

  /** Records a disk failure: degraded until a probe writes again; reopens an invalidated instance. */
  private onStorageFailure(error: unknown, handle: Handle | null): void {
    this.degradedReason = storageFailureReason(error, this.options.dataDir);
    if (handle && isInvalidated(error)) handle.invalidated = true;
    if (this.probeTimer === null && !this.closed) {
      this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
    }
    if (handle?.invalidated) void this.reopen().catch(() => undefined);
  }

  /**
   * Closes the current instance (after its running statements) and opens the file again:
   * read-write if possible, else read-only so queries keep answering. Runs under the write lock
   * so no batch is mid-flight on the connection being closed.
   */
  private reopen(): Promise<void> {
    if (this.reopening) return this.reopening;
    const task = this.writeLock.run(async () => {
      if (this.closed) return;
      const old = this.handle;
      if (old && !old.invalidated && !old.readOnly) return;
      this.handle = null;
      if (old) {
        const deadline = Date.now() + REOPEN_DRAIN_MS;
        while (old.inflight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        closeHandle(old);
      }
      let next: Handle | null = null;
      try {
        next = await openHandle(this.file, false);
      } catch {
        next = await openHandle(this.file, true).catch(() => null);
      }
      if (next) {
        try {
          await this.reconcile(next);
        } catch {
          closeHandle(next);
          next = null;
        }
      }
      this.handle = next;
    });
    this.reopening = task.finally(() => {
      this.reopening = null;
    });
    return this.reopening;
  }

  /**
   * After a failure whose outcome DuckDB did not state, the file decides what was persisted: the
   * catalogues only grow and are written in id order, so the row counts say which ids are on disk
   * (ids past them are written again with the next batch).
   */
  private async reconcile(handle: Handle): Promise<void> {
    const connection = handle.readers[0]!;
    const result = await connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM names), (SELECT count(*) FROM stacks), (SELECT count(*) FROM series), (SELECT coalesce(max(pid), 0) FROM profiles)`,
    );
    const [names, stacks, series, maxPid] = result.getRows()[0]!.map(Number) as [number, number, number, number];
    const catalog = this.catalog;
    if (names > catalog.names.length || stacks > catalog.stackCount || series > catalog.series.length) {
      throw new Error(`the store file holds more catalogue rows than this process knows of (names ${names}, stacks ${stacks}, series ${series})`);
    }
    catalog.persistedNames = names;
    catalog.persistedStacks = stacks;
    catalog.persistedSeries = series;
    this.nextPid = Math.max(this.nextPid, maxPid + 1);
  }

  /** While degraded: reopen if needed, then try a tiny write; success ends the degraded state. */
  private async probe(): Promise<void> {
    if (this.probing || this.closed || this.degradedReason === null) return;
    this.probing = true;
    try {
      const free = freeBytesAt(this.options.dataDir);
      if (free !== null && free < PROBE_MIN_FREE_BYTES) {
        this.degradedReason = `no space left on device at ${path.resolve(this.options.dataDir)} (${formatBytes(free)} free)`;
        return;
      }
      if (!this.handle || this.handle.readOnly || this.handle.invalidated) {
        await this.reopen();
        if (!this.handle || this.handle.readOnly) return;
      }
      await this.writeLock.run(async () => {
        const handle = this.handle;
        if (!handle?.writer || handle.invalidated) return;
        handle.inflight++;
        try {
          await handle.writer.run(`INSERT OR REPLACE INTO meta VALUES ('last_write_probe_ms', '${this.now()}')`);
          this.degradedReason = null;
        } catch (error) {
          if (!isStorageFailure(error)) throw error;
          this.degradedReason = storageFailureReason(error, this.options.dataDir);
          if (isInvalidated(error)) handle.invalidated = true;
        } finally {
          handle.inflight--;
        }
      });
      if (this.degradedReason === null && this.probeTimer !== null) {
        clearInterval(this.probeTimer);
        this.probeTimer = null;
      }
    } catch {
      // The next tick tries again.
    } finally {
      this.probing = false;
    }
  }

  /** A connection of the open handle for one statement: waits out a reopen; a dead instance is reopened once. */
  private async read(sql: string): Promise<DuckDBResultReader> {
    for (let attempt = 0; ; attempt++) {
      if (this.reopening) await this.reopening;
      const handle = this.handle;
      if (!handle) throw this.unavailable();
      const connection = handle.readers[this.nextReader++ % handle.readers.length]!;
      handle.inflight++;
      try {
        return await connection.runAndReadAll(sql);
      } catch (error) {
        if (!isStorageFailure(error)) throw error;
        if (isInvalidated(error)) {
          this.onStorageFailure(error, handle);
          if (attempt === 0) continue;
        }
        throw this.unavailable(error);
      } finally {
        handle.inflight--;
      }
    }
  }

  // ---------------------------------------------------------------- writes

  append(profiles: readonly ValidatedProfile[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (profiles.length === 0) return Promise.resolve();
    // Fail fast while degraded: the probe, not each request, finds out when the disk recovers.
    if (this.degradedReason !== null) return Promise.reject(this.unavailable());
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
        // All or nothing per batch: every request in it gets the same answer.
        if (this.degradedReason !== null) {
          const error = this.unavailable();
          for (const entry of batch) entry.reject(error);
          continue;
        }
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

  /** Writes queued batches in one transaction; a disk failure becomes STORE_UNAVAILABLE. */
  private async writeBatch(batches: PendingRows[]): Promise<void> {
    if (this.reopening) await this.reopening.catch(() => undefined);
    const handle = this.handle;
    if (!handle?.writer || handle.invalidated) throw this.unavailable();
    handle.inflight++;
    try {
      await this.writeBatchOn(handle.writer, batches);
    } catch (error) {
      if (committedDespite(error)) {
        // DuckDB states the COMMIT is in the WAL (only the checkpoint after it failed): the batch is
        // acknowledged, and the instance is reopened before anything else uses it.
        this.onStorageFailure(error, handle);
        return;
      }
      if (!isStorageFailure(error)) throw error;
      this.onStorageFailure(error, handle);
      throw this.unavailable(error);
    } finally {
      handle.inflight--;
    }
  }

  private async writeBatchOn(connection: DuckDBConnection, batches: PendingRows[]): Promise<void> {
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
      if (committedDespite(error)) {
        catalog.persistedNames = namesTo;
        catalog.persistedStacks = stacksTo;
        catalog.persistedSeries = seriesTo;
      } else await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    catalog.persistedNames = namesTo;
    catalog.persistedStacks = stacksTo;
    catalog.persistedSeries = seriesTo;
  }

  // ---------------------------------------------------------------- maintenance

  /** Rolls complete minutes/hours up, then removes data past the retention windows. */
  async maintain(nowMs: number): Promise<MaintenanceResult> {
    // Rollups and deletes write too; while degraded they wait for the probe to succeed.
    if (this.degradedReason !== null) return { rawRowsDeleted: 0, rollupRowsDeleted: 0, rolledUpRows: 0 };
    const rolledUpRows = await this.writeLock.run(() => this.withWriteHandle((handle) => this.rollUp(nowMs, handle.writer!)));
    const retention = await this.enforceRetention(nowMs);
    return { ...retention, rolledUpRows };
  }

  /** Runs a write task on the open read-write handle; disk failures degrade the store. */
  private async withWriteHandle<T>(task: (handle: Handle) => Promise<T>): Promise<T> {
    if (this.reopening) await this.reopening.catch(() => undefined);
    const handle = this.handle;
    if (!handle?.writer || handle.invalidated || this.degradedReason !== null) throw this.unavailable();
    handle.inflight++;
    try {
      return await task(handle);
    } catch (error) {
      if (!isStorageFailure(error)) throw error;
      this.onStorageFailure(error, handle);
      throw this.unavailable(error);
    } finally {
      handle.inflight--;
    }
  }

  private async rollUp(nowMs: number, connection: DuckDBConnection): Promise<number> {
    let rows = 0;
    const target1m = Math.floor((nowMs - ROLLUP_DELAY_MS) / MINUTE_MS) * MINUTE_MS;
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
  enforceRetention(nowMs: number): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }> {
    return this.withWriteHandle((handle) => this.deleteExpired(nowMs, handle.maintenance!));
  }

  private async deleteExpired(nowMs: number, connection: DuckDBConnection): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }> {
    const rawCutoff = nowMs - this.options.retentionMs;
    const rollupCutoff = nowMs - this.options.rollupRetentionMs;
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
    const result = await this.read(
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
    const result = await this.read(sql);
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
    const result = await this.read(sql);
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
    const result = await this.read(
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
    const result = await this.read(
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
    // Every tenant (each /metrics scrape): no id list to build and parse.
    const where = tenant === null ? '' : ` WHERE series_id IN (${idList(entries.map((e) => e.id))})`;
    try {
      const profiles = await this.read(`SELECT count(*), coalesce(min(time_ms), 0), coalesce(max(time_ms), 0) FROM profiles${where}`);
      const [count, oldest, newest] = profiles.getRows()[0]!;
      const samples = await this.read(`SELECT count(*) FROM samples${where}`);
      const stats = {
        dataIngested: Number(count) > 0,
        oldestProfileMs: Number(oldest),
        newestProfileMs: Number(newest),
        seriesCount: entries.length,
        sampleRows: Number(samples.getRows()[0]![0]),
        bytesOnDisk,
      };
      if (tenant === null) this.lastStats = stats;
      return stats;
    } catch (error) {
      // /metrics keeps answering while nothing can be read: the last figures read, sizes as of now.
      if (tenant !== null || !(error instanceof CinderError) || error.code !== ErrorCodes.STORE_UNAVAILABLE) throw error;
      const last = this.lastStats ?? { dataIngested: true, oldestProfileMs: 0, newestProfileMs: 0, sampleRows: 0 };
      return { ...last, seriesCount: entries.length, bytesOnDisk };
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    // Let queued appends finish: they were (or are about to be) acknowledged.
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.reopening) await this.reopening.catch(() => undefined);
    await this.writeLock.run(async () => {
      const handle = this.handle;
      // A checkpoint on a disk that refuses writes would only fail; the WAL is replayed at the next open.
      if (handle?.writer && !handle.invalidated && this.degradedReason === null) await handle.writer.run('CHECKPOINT').catch(() => undefined);
    });
    this.closeSync();
  }

  closeSync(): void {
    if (this.handle) closeHandle(this.handle);
    this.handle = null;
  }
}
