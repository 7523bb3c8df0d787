/** What the store's parts (reader, writer, rollups) share: a way to read, the clock, windows and marks. */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Mutable marks kept in `meta` and mirrored here. */
export interface StoreState {
  /** Samples before this time are in rollup_1m (0 = nothing rolled up yet). */
  rollupUntil1m: number;
  /** rollup_1m rows before this time are in rollup_1h. */
  rollupUntil1h: number;
  /** The day partition holding the symbols of data upgraded from schema 2 (null = none). */
  legacySymbolsDay: number | null;
}

export interface StoreContext {
  /** One statement on a reader connection (waits out a reopen; disk failures → STORE_UNAVAILABLE). */
  read(sql: string): Promise<DuckDBResultReader>;
  /** Several statements on one reader connection (same failure handling as read). */
  withReader<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Runs `task` with DuckDB's memory limit raised, for statements known to be big. */
  withRoom<T>(task: () => Promise<T>): Promise<T>;
  readonly now: () => number;
  readonly retentionMs: number;
  readonly rollupRetentionMs: number;
  /** Ranges at least this long read per-minute rollups (per-hour from 48× this). */
  readonly rollupMinRangeMs: number;
  readonly state: StoreState;
}
