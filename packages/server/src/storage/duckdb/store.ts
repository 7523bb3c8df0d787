/**
 * The embedded default store: one DuckDB file in the data folder. This file opens and closes it
 * and keeps it healthy; the jobs live beside it: schema.ts (tables, versions, upgrades), writer.ts
 * (rows, content-addressed ids, group commit), rollups.ts (rollups + retention), reader.ts (every
 * read, planned in SQL).
 *
 * Layout: one database with a `day` column on the symbol tables (names, stacks, series) rather than
 * one file per day: DuckDB writes one attached database per transaction, so a batch spanning
 * midnight (or late data) could not commit atomically across day files, and group commit, kill -9
 * durability and the disk-full recovery below all rely on one WAL. Retention deletes whole day
 * partitions of symbols; DuckDB frees row groups whose rows are all deleted at its next checkpoint
 * and reuses their blocks. Nothing is loaded at open that grows with history: the symbol cache
 * starts empty (a cold cache only writes a few duplicate symbol rows) and the active-series set
 * is read from the last `activeSeriesWindowMs` of profiles.
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
import { CinderError, ErrorCodes, emptyCodeLines, type CodeLines, type LabelPairs, type Selector, type StackNodeTable } from '@cinder/core';
import type { CodeEntry, DataChange, MaintenanceResult, SelectQuery, SeriesBuckets, Store, StoreStats, ValidatedProfile, ProfilePoints } from '../store.js';
import { CodeRecorder } from '../codeLines.js';
import { deleteCodeBefore, ensureCodeTables, readCodeLines, writeCodeRows } from './codeLines.js';
import { HOUR_MS, type StoreContext, type StoreState } from './context.js';
import { DEFAULT_MERGE_CACHE_BYTES } from './daySymbols.js';
import { Reader } from './reader.js';
import { deleteExpired, rollUp } from './rollups.js';
import { IDLE_MEMORY_LIMIT, MemoryLimit, bytesOfSetting } from './memoryLimit.js';
import { dayOf, migrate } from './schema.js';
import {
  ActiveSeries,
  DEFAULT_ACTIVE_SERIES_WINDOW_MS,
  DEFAULT_SYMBOL_CACHE_BYTES,
  GroupCommit,
  RowBuilder,
  releaseAppenders,
  symbolCaches,
  writeRows,
  type PendingRows,
  type SymbolCaches,
} from './writer.js';

export { SCHEMA_VERSION } from './schema.js';
export const STORE_FILE_NAME = 'cinder.duckdb';

/**
 * DuckDB settings for every instance the store opens. DuckDB's defaults suit an analytics
 * session, not a long-running server sharing a box: memory_limit defaults to 80 % of RAM, and its
 * buffer cache keeps every block it ever read until that limit, so RSS grew with history under a
 * steady load (issue 10). The limit bounds DuckDB's buffer pool (cached blocks and query
 * intermediates; big aggregations spill to <data>/cinder.duckdb.tmp), and big statements raise it
 * while they run (memoryLimit.ts);
 * preserve_insertion_order=false lets scans and appends stream without holding rows back for
 * ordering (every query that cares has an ORDER BY); two threads are plenty for our GROUP BYs and
 * leave the event loop a core.
 */
export const DUCKDB_SETTINGS: Readonly<Record<string, string>> = {
  threads: '2',
  memory_limit: IDLE_MEMORY_LIMIT,
  preserve_insertion_order: 'false',
  allocator_flush_threshold: '16MB',
  allocator_background_threads: 'true',
};
/** Code-line reads kept for reuse (each holds one selection's names and call sites). */
const CODE_READS_KEPT = 4;
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
  /** Most series per tenant with data in the last activeSeriesWindowMs. */
  maxSeriesPerTenant?: number;
  /** Default 1 h. */
  activeSeriesWindowMs?: number;
  /** Memory budget of the cache of symbol ids known to be stored (default 32 MiB). */
  symbolCacheBytes?: number;
  /** Ranges at least this long read per-minute rollups (per-hour from 48× this). */
  rollupMinRangeMs?: number;
  /** Memory for the symbols of recently merged days (default 32 MiB; 0 = every merge walks in SQL). */
  mergeCacheBytes?: number;
}

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
  /** Raises DuckDB's memory limit while big statements run (on a connection of its own). */
  memory: MemoryLimit;
  readOnly: boolean;
  /** Statements running on this handle; a reopen waits for them before closing it. */
  inflight: number;
  invalidated: boolean;
}

async function openHandle(file: string, readOnly: boolean): Promise<Handle> {
  const instance = await DuckDBInstance.create(file, { ...DUCKDB_SETTINGS, ...(readOnly ? { access_mode: 'READ_ONLY' } : {}) });
  const connections: DuckDBConnection[] = [];
  try {
    for (let i = 0; i < (readOnly ? 3 : 5); i++) connections.push(await instance.connect());
  } catch (error) {
    for (const connection of connections) connection.closeSync();
    instance.closeSync();
    throw error;
  }
  const memory = new MemoryLimit(connections.pop()!);
  if (readOnly) return { instance, writer: null, maintenance: null, readers: connections, memory, readOnly, inflight: 0, invalidated: false };
  const [writer, maintenance, ...readers] = connections;
  return { instance, writer: writer!, maintenance: maintenance!, readers, memory, readOnly, inflight: 0, invalidated: false };
}

function closeHandle(handle: Handle): void {
  if (handle.writer) releaseAppenders(handle.writer);
  for (const connection of [handle.writer, handle.maintenance, handle.memory.connection, ...handle.readers]) {
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

/** A tiny FIFO mutex: batches, rollups and reopening never interleave. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class DuckDbStore implements Store {
  /** null while a reopen is under way (statements wait for `reopening`) or when nothing could be opened. */
  private handle: Handle | null;
  private reopening: Promise<void> | null = null;
  private nextReader = 0;
  /** Per open handle: each reader connection with the tasks queued on it (see withReader). */
  private readonly lanes = new WeakMap<object, { connection: DuckDBConnection; queued: number; tail: Promise<unknown> }[]>();
  private readonly state: StoreState = { rollupUntil1m: 0, rollupUntil1h: 0, legacySymbolsDay: null };
  private readonly writeLock = new Mutex();
  private readonly caches: SymbolCaches;
  private readonly active: ActiveSeries;
  private readonly rows: RowBuilder;
  private readonly commits: GroupCommit;
  private readonly reader: Reader;
  private closed = false;
  /** Why the store cannot write (null = it can). */
  private degradedReason: string | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private probing = false;
  /** Figures of the last stats(null) that read the database, for /metrics while it cannot. */
  private lastStats: StoreStats | null = null;
  private readonly now: () => number;
  private readonly activeSeriesWindowMs: number;
  /** Code metadata (../codeLines.ts): false when its tables could not be created (disk full at upgrade). */
  private codeTables = false;
  private readonly code = new CodeRecorder(async (batch) => {
    try {
      await writeCodeRows(batch, (task) => this.writeLock.run(() => this.withWriteHandle((handle) => task(handle.writer!))));
    } finally {
      this.codeVersion++;
    }
  });
  /**
   * Code lines of recent reads: pprof exports of the same selection (Grafana's downloads, `cinder
   * pgo`) read the same rows, and rows change only while a service's code is being learned.
   * Keyed by selection; an entry read before the last write or retention is not reused.
   */
  private codeVersion = 0;
  private readonly codeReads = new Map<string, { version: number; lines: Promise<CodeLines> }>();

  constructor(
    handle: Handle,
    private readonly file: string,
    private readonly options: DuckDbStoreOptions,
  ) {
    this.handle = handle;
    this.now = options.now ?? Date.now;
    this.activeSeriesWindowMs = options.activeSeriesWindowMs ?? DEFAULT_ACTIVE_SERIES_WINDOW_MS;
    this.caches = symbolCaches(options.symbolCacheBytes ?? DEFAULT_SYMBOL_CACHE_BYTES);
    this.active = new ActiveSeries(this.activeSeriesWindowMs);
    this.rows = new RowBuilder(this.active, options.maxSeriesPerTenant ?? Number.POSITIVE_INFINITY, this.now);
    this.commits = new GroupCommit(
      (batches) => this.writeLock.run(() => this.writeBatch(batches)),
      () => (this.degradedReason !== null ? this.unavailable() : null),
    );
    const context: StoreContext = {
      read: (sql) => this.read(sql),
      withReader: (task) => this.withReader(task),
      withRoom: (task) => this.withRoom(task),
      now: this.now,
      retentionMs: options.retentionMs,
      rollupRetentionMs: options.rollupRetentionMs,
      rollupMinRangeMs: options.rollupMinRangeMs ?? 2 * HOUR_MS,
      state: this.state,
    };
    this.reader = new Reader(context, options.mergeCacheBytes ?? DEFAULT_MERGE_CACHE_BYTES);
  }

  /** How merges ran and what the merge cache holds (tests and tuning). */
  mergeCacheStats(): { inMemory: number; bySql: number; dayLoads: number; warmLoads: number; warmLayouts: number; days: number; bytes: number } {
    return { ...this.reader.mergeCounts, ...this.reader.mergeCacheSize() };
  }

  /** DuckDB's memory limit in force now, in bytes (tests and tuning; see memoryLimit.ts). */
  async memoryLimitBytes(): Promise<number> {
    const result = await this.read(`SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'`);
    return bytesOfSetting(String(result.getRows()[0]?.[0] ?? ''));
  }

  async memoryUsage(): Promise<Record<string, number>> {
    const usage: Record<string, number> = {
      merge_cache: this.reader.mergeCacheSize().bytes,
      symbol_cache: this.caches.names.bytes + this.caches.stacks.bytes + this.caches.series.bytes,
    };
    try {
      // duckdb_memory(): what DuckDB's buffer manager holds, by tag (base tables, hash tables, metadata…).
      const result = await this.read(`SELECT lower(tag), memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0`);
      for (const [tag, bytes] of result.getRows()) usage[`duckdb_${String(tag)}`] = Number(bytes);
    } catch {
      // Unreadable while degraded: the caches' figures still help.
    }
    return usage;
  }

  /** Reader connections of the open handle (benchmarks run their baseline SQL on them). */
  get readers(): readonly DuckDBConnection[] {
    return this.handle?.readers ?? [];
  }

  /** The writer connection of the open handle (tests reach in through it). */
  private get writer(): DuckDBConnection {
    const writer = this.handle?.writer;
    if (!writer) throw this.unavailable();
    return writer;
  }

  async init(): Promise<void> {
    const writer = this.writer;
    await migrate(writer, path.dirname(this.file));
    this.codeTables = await ensureCodeTables(writer);
    const marks = await writer.runAndReadAll(`SELECT key, value FROM meta WHERE key IN ('rollup_1m_until', 'rollup_1h_until', 'legacy_symbols_day')`);
    for (const [key, value] of marks.getRows()) {
      if (key === 'rollup_1m_until') this.state.rollupUntil1m = Number(value);
      if (key === 'rollup_1h_until') this.state.rollupUntil1h = Number(value);
      if (key === 'legacy_symbols_day') this.state.legacySymbolsDay = Number(value);
    }
    // Only the last window of profiles: what the active-series limit counts after a restart.
    const sinceMs = this.now() - this.activeSeriesWindowMs;
    const active = await writer.runAndReadAll(
      `SELECT s.tenant, p.series_id, max(p.time_ms) FROM profiles p
       JOIN (SELECT DISTINCT id, tenant FROM series WHERE day >= ${dayOf(sinceMs)}) s ON s.id = p.series_id
       WHERE p.time_ms > ${Math.floor(sinceMs)} GROUP BY ALL`,
    );
    for (const [tenant, id, timeMs] of active.getRows()) this.active.touch(String(tenant), BigInt(id as bigint), Number(timeMs));
    // The first query of the day should not pay for loading it (reader.ts warmUpRecent).
    this.reader.warmUpRecent();
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
   * After a failure whose outcome DuckDB did not state, nothing needs reconciling: ids are content
   * hashes and the symbol cache only learned ids of confirmed commits (rows of an uncertain batch
   * are written again, as duplicates readers tolerate). The cache is still dropped, cheaply, so a
   * reopened file is never trusted to hold what this process believed.
   */
  private async reconcile(handle: Handle): Promise<void> {
    await handle.readers[0]!.runAndReadAll('SELECT 1');
    await this.cachesLearned;
    for (const cache of Object.values(this.caches)) cache.clear();
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
  private read(sql: string): Promise<DuckDBResultReader> {
    // One statement, so running it again after "Out of Memory" cannot count anything twice.
    return this.withRoomOnRetry(() => this.withReader((connection) => connection.runAndReadAll(sql)));
  }

  /** Runs `task` with DuckDB's memory limit raised (see memoryLimit.ts); `task` as is when closed. */
  private withRoom<T>(task: () => Promise<T>): Promise<T> {
    return this.handle ? this.handle.memory.withRoom(task) : task();
  }

  /** Runs `task`, and once more with room if DuckDB ran out of memory; only for tasks safe to repeat. */
  private withRoomOnRetry<T>(task: () => Promise<T>): Promise<T> {
    return this.handle ? this.handle.memory.retryWithRoom(task) : task();
  }

  /**
   * Statements on one reader connection, which the task has to itself until it is done: a DuckDB
   * connection holds one pending result, so a second query on it would end the first one's stream
   * (concurrent merges came back empty), and temp tables live per connection. Tasks queue per
   * connection; the least busy one is taken. Retried once on a dead instance.
   */
  private async withReader<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.reopening) await this.reopening;
      const handle = this.handle;
      if (!handle) throw this.unavailable();
      let lanes = this.lanes.get(handle);
      if (!lanes) {
        lanes = handle.readers.map((connection) => ({ connection, queued: 0, tail: Promise.resolve() as Promise<unknown> }));
        this.lanes.set(handle, lanes);
      }
      let lane = lanes[this.nextReader++ % lanes.length]!;
      for (const candidate of lanes) if (candidate.queued < lane.queued) lane = candidate;
      const chosen = lane;
      chosen.queued++;
      handle.inflight++;
      const run = chosen.tail.then(() => task(chosen.connection));
      chosen.tail = run.catch(() => undefined);
      try {
        return await run;
      } catch (error) {
        if (!isStorageFailure(error)) throw error;
        if (isInvalidated(error)) {
          this.onStorageFailure(error, handle);
          if (attempt === 0) continue;
        }
        throw this.unavailable(error);
      } finally {
        chosen.queued--;
        handle.inflight--;
      }
    }
  }


  // ---------------------------------------------------------------- writes

  async append(profiles: readonly ValidatedProfile[]): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (profiles.length === 0) return;
    // Fail fast while degraded: the probe, not each request, finds out when the disk recovers.
    if (this.degradedReason !== null) throw this.unavailable();
    const rows: PendingRows = await this.rows.toRows(profiles);
    try {
      await this.commits.enqueue(rows);
    } finally {
      // Before the write is acknowledged, cached merges of these ranges become stale (after a
      // failure too: whether a commit landed is not always known).
      this.announceWrite(profiles);
    }
  }

  private readonly dataListeners: ((change: DataChange) => void)[] = [];

  onDataChange(listener: (change: DataChange) => void): void {
    this.dataListeners.push(listener);
  }

  private announce(change: DataChange): void {
    for (const listener of this.dataListeners) listener(change);
  }

  /** One change per tenant: the time range its profiles cover. */
  private announceWrite(profiles: readonly ValidatedProfile[]): void {
    if (this.dataListeners.length === 0) return;
    const ranges = new Map<string, { fromMs: number; toMs: number }>();
    for (const profile of profiles) {
      const range = ranges.get(profile.tenant);
      if (!range) ranges.set(profile.tenant, { fromMs: profile.timeMs, toMs: profile.timeMs });
      else {
        range.fromMs = Math.min(range.fromMs, profile.timeMs);
        range.toMs = Math.max(range.toMs, profile.timeMs);
      }
    }
    for (const [tenant, range] of ranges) this.announce({ tenant, ...range });
  }

  /**
   * Resolves when the symbol caches know every committed batch's ids (writeBatch teaches them after
   * acknowledging a batch): the next batch, retention, a reopen and symbolCounts wait for it.
   */
  private cachesLearned: Promise<void> = Promise.resolve();

  /** Writes queued batches in one transaction; a disk failure becomes STORE_UNAVAILABLE. */
  private async writeBatch(batches: PendingRows[]): Promise<void> {
    await this.cachesLearned;
    if (this.reopening) await this.reopening.catch(() => undefined);
    const handle = this.handle;
    if (!handle?.writer || handle.invalidated) throw this.unavailable();
    handle.inflight++;
    try {
      // A failed batch rolls back before its caches learn anything, so it can be written again.
      const learn = await handle.memory.retryWithRoom(() => writeRows(handle.writer!, batches, this.caches, this.state, committedDespite));
      this.reader.symbolsWritten(batches.flatMap((batch) => batch.symbols));
      // The caches learn this batch's ids after its requests are answered (setImmediate: their
      // responses are written first).
      this.cachesLearned = new Promise((resolve) =>
        setImmediate(() => {
          try {
            learn();
          } finally {
            resolve();
          }
        }),
      );
    } catch (error) {
      if (committedDespite(error)) {
        // DuckDB states the COMMIT is in the WAL (only the checkpoint after it failed): the batch is
        // acknowledged, and the instance is reopened before anything else uses it.
        this.reader.symbolsWritten(batches.flatMap((batch) => batch.symbols));
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

  // ---------------------------------------------------------------- maintenance

  /** Rolls complete minutes/hours up, then removes data past the retention windows. */
  async maintain(nowMs: number): Promise<MaintenanceResult> {
    // Rollups and deletes write too; while degraded they wait for the probe to succeed.
    if (this.degradedReason !== null) return { rawRowsDeleted: 0, rollupRowsDeleted: 0, rolledUpRows: 0 };
    // A rollup's GROUP BY over a backlog needs more than the idle limit (each level is one transaction).
    const rolledUpRows = await this.writeLock.run(() => this.withWriteHandle((handle) => handle.memory.withRoom(() => rollUp(handle.writer!, this.state, nowMs))));
    const retention = await this.enforceRetention(nowMs);
    return { ...retention, rolledUpRows };
  }

  async enforceRetention(nowMs: number): Promise<{ rawRowsDeleted: number; rollupRowsDeleted: number }> {
    // Each DELETE commits on its own and deletes nothing twice, so a retry is safe.
    const result = await this.withWriteHandle((handle) =>
      handle.memory.retryWithRoom(() => deleteExpired(handle.maintenance!, this.state, nowMs, this.options.retentionMs, this.options.rollupRetentionMs)),
    );
    if (this.codeTables) {
      await this.withWriteHandle((handle) => deleteCodeBefore(handle.maintenance!, result.firstKeptDay));
      this.codeVersion++;
    }
    await this.cachesLearned;
    for (const cache of Object.values(this.caches)) cache.dropBefore(result.firstKeptDay);
    this.reader.daysDropped(result.firstKeptDay);
    if (result.rawRowsDeleted + result.rollupRowsDeleted > 0) this.announce({ all: true });
    return { rawRowsDeleted: result.rawRowsDeleted, rollupRowsDeleted: result.rollupRowsDeleted };
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

  // ---------------------------------------------------------------- reads (reader.ts)

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

  selectionVersion(query: SelectQuery): Promise<string | null> {
    return this.reader.selectionVersion(query);
  }

  profileCount(query: SelectQuery): Promise<number> {
    return this.reader.profileCount(query);
  }

  profilePoints(query: SelectQuery, limit: number): Promise<ProfilePoints> {
    return this.reader.profilePoints(query, limit);
  }

  serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    return this.reader.serviceLastSeen(tenant, fromMs, toMs);
  }

  meanPeriod(query: SelectQuery): Promise<number | null> {
    return this.reader.meanPeriod(query);
  }

  /** Rows in the symbol tables and ids in the symbol cache (tests: retention must shrink both). */
  async symbolCounts(): Promise<{ names: number; stacks: number; series: number; cachedIds: number }> {
    const counts = await this.reader.symbolCounts();
    await this.cachesLearned;
    return { ...counts, cachedIds: this.caches.names.size + this.caches.stacks.size + this.caches.series.size };
  }

  async stats(tenant: string | null): Promise<StoreStats> {
    let bytesOnDisk = 0;
    try {
      bytesOnDisk = statSync(this.file).size;
    } catch {
      bytesOnDisk = 0;
    }
    try {
      const stats = { ...(await this.reader.stats(tenant)), bytesOnDisk };
      if (tenant === null) this.lastStats = stats;
      return stats;
    } catch (error) {
      // /metrics keeps answering while nothing can be read: the last figures read, sizes as of now.
      if (tenant !== null || !(error instanceof CinderError) || error.code !== ErrorCodes.STORE_UNAVAILABLE) throw error;
      const last = this.lastStats ?? { dataIngested: true, oldestProfileMs: 0, newestProfileMs: 0, sampleRows: 0, seriesCount: 0 };
      return { ...last, bytesOnDisk };
    }
  }

  // ---------------------------------------------------------------- lifecycle

  codeWanted(tenant: string, service: string, nowMs: number): boolean {
    return this.codeTables && this.degradedReason === null && this.code.wanted(tenant, service, nowMs);
  }

  recordCode(entry: CodeEntry): void {
    if (this.codeTables) this.code.record(entry);
  }

  async codeLines(tenant: string, service: string | null, fromMs: number, toMs: number): Promise<CodeLines> {
    if (!this.codeTables) return emptyCodeLines();
    const key = `${tenant}\u0000${service ?? '\u0001'}\u0000${dayOf(fromMs)}\u0000${dayOf(toMs)}`;
    const version = this.codeVersion;
    const cached = this.codeReads.get(key);
    if (cached && cached.version === version) {
      this.codeReads.delete(key);
      this.codeReads.set(key, cached);
      return cached.lines;
    }
    const lines = this.withReader((connection) => readCodeLines(connection, tenant, service, fromMs, toMs));
    this.codeReads.delete(key);
    this.codeReads.set(key, { version, lines });
    lines.catch(() => this.codeReads.delete(key));
    while (this.codeReads.size > CODE_READS_KEPT) this.codeReads.delete(this.codeReads.keys().next().value!);
    return lines;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.code.close();
    this.closed = true;
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    await this.reader.stopWarmUp();
    // Let queued appends finish: they were (or are about to be) acknowledged.
    while (!this.commits.idle) await new Promise((resolve) => setTimeout(resolve, 5));
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
