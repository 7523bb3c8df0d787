/**
 * Rollups and retention of the embedded store.
 *
 * Rollups: complete minutes of raw samples are summed into rollup_1m, complete hours of rollup_1m
 * into rollup_1h — one code path (rollUpLevel) for both. Each level has a watermark in `meta`; the
 * writer sends rows older than a watermark straight into that rollup (late data).
 *
 * Retention: raw samples go after the raw window; rollups and profile rows after the rollup
 * window; symbols (names, stacks, series) by whole day partitions once the day is entirely past
 * the rollup window (the longest one), so what retention frees includes the catalogue.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { HOUR_MS, MINUTE_MS, type StoreState } from './context.js';
import { dayOf } from './schema.js';

/** Rollups trail real time so a bucket is complete before it is summed. */
const ROLLUP_DELAY_MS = 2 * MINUTE_MS;

interface Level {
  table: 'rollup_1m' | 'rollup_1h';
  source: string;
  timeColumn: string;
  bucketMs: number;
  mark: 'rollupUntil1m' | 'rollupUntil1h';
  metaKey: string;
}

const LEVELS: readonly Level[] = [
  { table: 'rollup_1m', source: 'samples', timeColumn: 'time_ms', bucketMs: MINUTE_MS, mark: 'rollupUntil1m', metaKey: 'rollup_1m_until' },
  { table: 'rollup_1h', source: 'rollup_1m', timeColumn: 'bucket_ms', bucketMs: HOUR_MS, mark: 'rollupUntil1h', metaKey: 'rollup_1h_until' },
];

/** Sums [state[mark], target) of `source` into `table`, in one transaction with its watermark. */
async function rollUpLevel(connection: DuckDBConnection, state: StoreState, level: Level, targetMs: number): Promise<number> {
  if (targetMs <= state[level.mark]) return 0;
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await connection.run(
      `INSERT INTO ${level.table} SELECT series_id, ${level.timeColumn} - (${level.timeColumn} % ${level.bucketMs}) AS bucket, stack_id, sum(value)
       FROM ${level.source} WHERE ${level.timeColumn} >= ${state[level.mark]} AND ${level.timeColumn} < ${targetMs} GROUP BY ALL`,
    );
    await connection.run(`INSERT OR REPLACE INTO meta VALUES ('${level.metaKey}', '${targetMs}')`);
    await connection.run('COMMIT');
    state[level.mark] = targetMs;
    return Number(result.rowsChanged);
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Rolls complete minutes, then the complete hours of those minutes, up. */
export async function rollUp(connection: DuckDBConnection, state: StoreState, nowMs: number): Promise<number> {
  const minutes = await rollUpLevel(connection, state, LEVELS[0]!, Math.floor((nowMs - ROLLUP_DELAY_MS) / MINUTE_MS) * MINUTE_MS);
  const hours = await rollUpLevel(connection, state, LEVELS[1]!, Math.floor(state.rollupUntil1m / HOUR_MS) * HOUR_MS);
  return minutes + hours;
}

export interface RetentionResult {
  rawRowsDeleted: number;
  rollupRowsDeleted: number;
  /** Symbol rows (names, stack nodes, series) of dropped day partitions. */
  symbolRowsDeleted: number;
  /** Day partitions before this one are gone. */
  firstKeptDay: number;
}

/**
 * Deletes on their own connection, outside the write lock: DuckDB's MVCC lets appends to the same
 * tables commit meanwhile, so retention never stalls ingest. Rollups are dropped only once older
 * than the rollup window, and raw rows only once rolled up (maintain rolls up first).
 */
export async function deleteExpired(connection: DuckDBConnection, state: StoreState, nowMs: number, retentionMs: number, rollupRetentionMs: number): Promise<RetentionResult> {
  const rawCutoff = nowMs - retentionMs;
  const rollupCutoff = nowMs - Math.max(rollupRetentionMs, retentionMs);
  const raw = await connection.run(`DELETE FROM samples WHERE time_ms < ${rawCutoff}`);
  let rollupRowsDeleted = 0;
  for (const level of LEVELS) {
    const result = await connection.run(`DELETE FROM ${level.table} WHERE bucket_ms < ${rollupCutoff}`);
    rollupRowsDeleted += Number(result.rowsChanged);
  }
  await connection.run(`DELETE FROM profiles WHERE time_ms < ${rollupCutoff}`);
  // A day's symbols go once the whole day is past the longest window: no kept row can use them.
  const firstKeptDay = dayOf(rollupCutoff);
  let symbolRowsDeleted = 0;
  for (const table of ['names', 'stacks', 'series']) {
    const result = await connection.run(`DELETE FROM ${table} WHERE day < ${firstKeptDay}`);
    symbolRowsDeleted += Number(result.rowsChanged);
  }
  if (state.legacySymbolsDay !== null && state.legacySymbolsDay < firstKeptDay) {
    await connection.run(`DELETE FROM meta WHERE key = 'legacy_symbols_day'`);
    state.legacySymbolsDay = null;
  }
  return { rawRowsDeleted: Number(raw.rowsChanged), rollupRowsDeleted, symbolRowsDeleted, firstKeptDay };
}
