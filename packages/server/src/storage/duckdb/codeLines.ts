/**
 * The embedded store's code tables (see ../codeLines.ts for what they hold and why): created at
 * open when missing (no schema version bump: an older Cinder opening the file ignores them),
 * written in batches by the recorder on the writer connection, partitioned by `day` and deleted
 * with the symbols of a day at retention.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CodeLines } from '@cinder/core';
import { CodeLinesCollector, dayOfMs, type CodeBatch } from '../codeLines.js';
import { Pacer } from '../pace.js';
import { ChunkAppender } from './chunks.js';
import { sqlString } from './schema.js';

export const CODE_TABLES = ['code_functions', 'code_calls'] as const;

const DDL = [
  `CREATE TABLE IF NOT EXISTS code_functions (day INTEGER, tenant VARCHAR, service VARCHAR, name VARCHAR, file VARCHAR, start_line INTEGER, seen_ms BIGINT)`,
  `CREATE TABLE IF NOT EXISTS code_calls (day INTEGER, tenant VARCHAR, service VARCHAR, caller VARCHAR, callee VARCHAR, line INTEGER, seen_ms BIGINT)`,
];

/** Rows appended per turn of the store's write lock. */
const ROWS_PER_TURN = 4_000;
/** Rows a read returns at most per table (a range of a huge tenant reads the newest rows' worth). */
const MAX_READ_ROWS = 2_000_000;

/**
 * Creates the tables when missing. Only reads when they exist, so a store on a full disk still
 * opens; if creating them fails the store works without them (false: code is neither kept nor read).
 */
export async function ensureCodeTables(connection: DuckDBConnection): Promise<boolean> {
  const found = await connection.runAndReadAll(
    `SELECT count(*) FROM information_schema.tables WHERE table_name IN (${CODE_TABLES.map((t) => `'${t}'`).join(', ')})`,
  );
  if (Number(found.getRows()[0]?.[0] ?? 0) === CODE_TABLES.length) return true;
  try {
    for (const statement of DDL) await connection.run(statement);
    return true;
  } catch {
    return false;
  }
}

/**
 * In a transaction: the appender's close then only hands rows to it, and the commit (the WAL
 * write and sync) runs asynchronously; an appender closed outside one commits synchronously and
 * blocked the event loop (~20 ms a turn under load).
 */
async function inTransaction(connection: DuckDBConnection, task: () => Promise<void>): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await task();
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Appends a batch, ROWS_PER_TURN rows per turn of the write lock (`locked` runs a task on the
 * writer connection under it), so group commits of ingest interleave with a big first batch
 * instead of waiting behind it. Rows go a data chunk at a time (./chunks.ts: the row-at-a-time
 * appender's native call per value cost ~3 µs a row). Each turn is one transaction: rows of a
 * failed turn are not stored and the error goes to the recorder (which relearns them).
 */
export async function writeCodeRows(batch: CodeBatch, locked: (task: (connection: DuckDBConnection) => Promise<void>) => Promise<void>): Promise<void> {
  await appendInTurns('code_functions', batch.functions, (r) => [r.day, r.tenant, r.service, r.name, r.file, r.startLine, r.seenMs], locked);
  await appendInTurns('code_calls', batch.calls, (r) => [r.day, r.tenant, r.service, r.caller, r.callee, r.line, r.seenMs], locked);
}

/** Both code tables' rows: (day, tenant, service, text, text, int, seen_ms). */
type CodeRowValues = [day: number, tenant: string, service: string, first: string, second: string, line: number, seenMs: number];

async function appendInTurns<Row>(
  table: 'code_functions' | 'code_calls',
  allRows: readonly Row[],
  valuesOf: (row: Row) => CodeRowValues,
  locked: (task: (connection: DuckDBConnection) => Promise<void>) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < allRows.length; i += ROWS_PER_TURN) {
    const rows = allRows.slice(i, i + ROWS_PER_TURN);
    await locked((connection) =>
      inTransaction(connection, async () => {
        const chunks = new ChunkAppender(await connection.createAppender(table), ['i32', 'str', 'str', 'str', 'str', 'i32', 'i64'], rows.length);
        try {
          for (const row of rows) {
            const [day, tenant, service, first, second, line, seenMs] = valuesOf(row);
            const at = chunks.row();
            chunks.i32[0]![at] = day;
            chunks.str[1]![at] = tenant;
            chunks.str[2]![at] = service;
            chunks.str[3]![at] = first;
            chunks.str[4]![at] = second;
            chunks.i32[5]![at] = line;
            chunks.setI64(6, at, Math.floor(seenMs));
          }
          chunks.flush();
        } finally {
          chunks.appender.closeSync();
        }
      }),
    );
  }
}

/**
 * service null: every service of the tenant. Rows are streamed a chunk at a time and the loop
 * yields between slices: a tenant's code tables can hold 100k+ rows, and reading them whole in one
 * turn blocked the event loop ~100 ms per pprof export (issue 10's fuzz).
 */
export async function readCodeLines(connection: DuckDBConnection, tenant: string, service: string | null, fromMs: number, toMs: number): Promise<CodeLines> {
  const where = `tenant = ${sqlString(tenant)}${service === null ? '' : ` AND service = ${sqlString(service)}`} AND day BETWEEN ${dayOfMs(fromMs)} AND ${dayOfMs(toMs)}`;
  const collector = new CodeLinesCollector();
  const pacer = new Pacer(15, 1);
  // Both tables are (text, text, line, day, seen_ms) rows, streamed a chunk at a time.
  const readTable = async (sql: string, add: (a: string, b: string, line: number, day: number, seenMs: number) => void): Promise<void> => {
    const result = await connection.stream(sql);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const [first, second, line, day, seenMs] = [0, 1, 2, 3, 4].map((i) => chunk.getColumnVector(i));
      for (let i = 0; i < chunk.rowCount; i++) add(String(first!.getItem(i)), String(second!.getItem(i)), Number(line!.getItem(i)), Number(day!.getItem(i)), Number(seenMs!.getItem(i)));
      const pause = pacer.tick();
      if (pause) await pause;
    }
  };
  // Duplicates (cache misses, two writers' first sightings) collapse here; the choice is the collector's.
  await readTable(`SELECT name, file, start_line, day, min(seen_ms)::DOUBLE FROM code_functions WHERE ${where} GROUP BY ALL ORDER BY day DESC LIMIT ${MAX_READ_ROWS}`, (name, file, startLine, day, seenMs) =>
    collector.addFunction(name, file, startLine, day, seenMs),
  );
  await readTable(`SELECT caller, callee, line, day, min(seen_ms)::DOUBLE FROM code_calls WHERE ${where} GROUP BY ALL ORDER BY day DESC LIMIT ${MAX_READ_ROWS}`, (caller, callee, line, day, seenMs) =>
    collector.addCall(caller, callee, line, day, seenMs),
  );
  return collector.result();
}

/** Retention: the days symbols are deleted for. */
export async function deleteCodeBefore(connection: DuckDBConnection, firstKeptDay: number): Promise<void> {
  for (const table of CODE_TABLES) await connection.run(`DELETE FROM ${table} WHERE day < ${firstKeptDay}`);
}
