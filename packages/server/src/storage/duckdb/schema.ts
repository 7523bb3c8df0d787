/**
 * Tables, schema versions and in-place upgrades of the embedded store.
 *
 * Schema 3 (this build):
 * - names(day, id, name), stacks(day, id, parent, name_id): function names and stack prefix-tree
 *   nodes, content-addressed (storage/ids.ts) and partitioned by the UTC day of the data that uses
 *   them. Every day's stacks are ancestor-closed (a node is written with its parent unless that
 *   parent is known to be in the same day already), so a read of days [d1, d2] finds every path of
 *   data in those days. Rows may repeat (a cache miss writes a node again); readers use DISTINCT.
 *   Retention deletes a whole day's symbols once the day is past the longest retention window.
 * - series(day, id, tenant, profile_type, labels, label_map): one row per series and day with data;
 *   `labels` is the JSON of the sorted labels incl. derived ones (__profile_type__ …), `label_map` the
 *   same as a MAP so `=`/`!=` selectors run in SQL.
 * - profiles(pid, series_id, time_ms, profile_id, total, period): one row per stored profile and
 *   type, kept as long as rollups (timelines read it). pid is random (no counter to load or share).
 * - samples(series_id, time_ms, pid, stack_id, value, span_id, trace_id): raw rows for the raw
 *   window; stack_id 0 = a sample without frames.
 * - rollup_1m / rollup_1h(series_id, bucket_ms, stack_id, value).
 * - code_functions, code_calls: code metadata by day (./codeLines.ts creates them when missing,
 *   without a schema version bump; ../codeLines.ts says what they hold).
 *
 * History: 1 initial; 2 profiles.period; 3 content-addressed UBIGINT ids and day partitions.
 */
import { CinderError, ErrorCodes, type LabelPairs } from '@cinder/core';
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { ROOT_PARENT_ID, nameId, seriesId, stackNodeId } from '../ids.js';
import { withDerivedLabels } from '../labels.js';

export const SCHEMA_VERSION = 3;
export const DAY_MS = 86_400_000;

export function dayOf(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

const TABLES = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS names (day INTEGER, id UBIGINT, name VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS stacks (day INTEGER, id UBIGINT, parent UBIGINT, name_id UBIGINT)`,
  `CREATE TABLE IF NOT EXISTS series (day INTEGER, id UBIGINT, tenant VARCHAR, profile_type VARCHAR, labels VARCHAR, label_map MAP(VARCHAR, VARCHAR))`,
  `CREATE TABLE IF NOT EXISTS profiles (pid UBIGINT, series_id UBIGINT, time_ms BIGINT, profile_id VARCHAR, total DOUBLE, period DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS samples (series_id UBIGINT, time_ms BIGINT, pid UBIGINT, stack_id UBIGINT, value DOUBLE, span_id VARCHAR, trace_id VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS rollup_1m (series_id UBIGINT, bucket_ms BIGINT, stack_id UBIGINT, value DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS rollup_1h (series_id UBIGINT, bucket_ms BIGINT, stack_id UBIGINT, value DOUBLE)`,
];

/**
 * A SQL string literal. DuckDB's parser ends a statement at a NUL character, so NULs (legal in
 * label values and in selectors: `\x00`) are spliced in with chr(0) instead of written inline.
 */
export function sqlString(value: string): string {
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\u0000') ? `(${quoted.split('\u0000').join("' || chr(0) || '")})` : quoted;
}

/** A series row as SQL VALUES (series rows are few: one per series and day). */
export function seriesRowSql(day: number, id: bigint, tenant: string, profileTypeId: string, labels: LabelPairs): string {
  const map = labels.length === 0 ? 'MAP {}' : `MAP {${labels.map(([n, v]) => `${sqlString(n)}: ${sqlString(v)}`).join(', ')}}`;
  return `(${day}, ${id}::UBIGINT, ${sqlString(tenant)}, ${sqlString(profileTypeId)}, ${sqlString(JSON.stringify(labels))}, ${map})`;
}

async function* streamRows(result: DuckDBResult): AsyncGenerator<unknown[]> {
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const rows = chunk.rowCount;
    const columns = Array.from({ length: chunk.columnCount }, (_, i) => chunk.getColumnVector(i));
    for (let i = 0; i < rows; i++) yield columns.map((column) => column.getItem(i));
  }
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const result = await connection.runAndReadAll(sql);
  return result.getRows()[0]?.[0];
}

/**
 * Brings the file to SCHEMA_VERSION. A current store is opened without writing anything, so
 * Cinder starts (and serves queries) on a full disk too. Refuses a newer schema with what to do.
 */
export async function migrate(connection: DuckDBConnection, dataDir: string): Promise<void> {
  let found = 0;
  if (Number(await scalar(connection, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'`)) > 0) {
    found = Number((await scalar(connection, `SELECT value FROM meta WHERE key = 'schema_version'`)) ?? 0);
  }
  if (found > SCHEMA_VERSION) {
    throw new CinderError(
      ErrorCodes.STORE_NEWER_SCHEMA,
      `the data in ${dataDir} was written by a newer Cinder (store schema ${found}, this build reads up to ${SCHEMA_VERSION}); upgrade Cinder or use another --data-dir`,
    );
  }
  if (found === SCHEMA_VERSION) return;
  const legacy = found > 0 || Number(await scalar(connection, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'stacks'`)) > 0;
  await connection.run('BEGIN TRANSACTION');
  try {
    if (legacy) await upgradeToContentIds(connection);
    for (const statement of TABLES) await connection.run(statement);
    await connection.run(`INSERT OR REPLACE INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw new CinderError(
      ErrorCodes.STORE_UNAVAILABLE,
      `could not upgrade the store in ${dataDir} from schema ${found} to ${SCHEMA_VERSION} (${error instanceof Error ? error.message : String(error)}); ` +
        `nothing was changed: free disk space and start again, or move the folder aside and pass an empty --data-dir`,
    );
  }
}

/**
 * Schema 1/2 → 3, in one transaction: integer ids handed out by one process become content
 * hashes. The old catalogues are read once (they had to fit in memory before, so they still do)
 * and rewritten through id maps; data rows are rewritten by joins in SQL. The old symbols all go
 * into one partition, the last day of old data (meta `legacy_symbols_day`): readers of older days
 * also read that partition, and retention drops it once every old row has expired.
 */
async function upgradeToContentIds(connection: DuckDBConnection): Promise<void> {
  await connection.run(`ALTER TABLE profiles ADD COLUMN IF NOT EXISTS period DOUBLE`);
  const names: [unknown, unknown][] = [];
  for await (const [id, name] of streamRows(await connection.stream(`SELECT id, name FROM names ORDER BY id`))) names.push([id, name]);
  const nameIds = new Map<number, bigint>();
  await connection.run(`CREATE TEMP TABLE map_names (old INTEGER, id UBIGINT, name VARCHAR)`);
  let appender = await connection.createAppender('map_names', 'main', 'temp');
  for (const [id, name] of names) {
    const hashed = nameId(String(name));
    nameIds.set(Number(id), hashed);
    appender.appendInteger(Number(id));
    appender.appendUBigInt(hashed);
    appender.appendVarchar(String(name));
    appender.endRow();
  }
  appender.closeSync();
  // Streamed (old stores hold millions of nodes: a materialized result would not fit DuckDB's
  // memory limit) and read to the end before the connection runs anything else.
  const oldStacks: number[] = [];
  for await (const [id, parent, name] of streamRows(await connection.stream(`SELECT id, parent, name_id FROM stacks ORDER BY id`))) {
    oldStacks.push(Number(id), Number(parent), Number(name));
  }
  const stackIds = new Map<number, bigint>();
  await connection.run(`CREATE TEMP TABLE map_stacks (old INTEGER, id UBIGINT, parent UBIGINT, name_id UBIGINT)`);
  appender = await connection.createAppender('map_stacks', 'main', 'temp');
  for (let row = 0; row < oldStacks.length; row += 3) {
    const [id, parent, name] = [oldStacks[row]!, oldStacks[row + 1]!, oldStacks[row + 2]!];
    // Old ids were handed out parents first, so a parent's new id is always known here.
    const parentId = Number(parent) < 0 ? ROOT_PARENT_ID : stackIds.get(Number(parent));
    const functionId = nameIds.get(Number(name));
    if (parentId === undefined || functionId === undefined) throw new Error(`stack node ${String(id)} refers to a missing parent or name`);
    const hashed = stackNodeId(parentId, functionId);
    stackIds.set(Number(id), hashed);
    appender.appendInteger(Number(id));
    appender.appendUBigInt(hashed);
    appender.appendUBigInt(parentId);
    appender.appendUBigInt(functionId);
    appender.endRow();
  }
  appender.closeSync();
  const series = await connection.runAndReadAll(`SELECT id, tenant, profile_type, labels FROM series ORDER BY id`);
  await connection.run(`CREATE TEMP TABLE map_series (old INTEGER, id UBIGINT)`);
  const seriesRows: string[] = [];
  appender = await connection.createAppender('map_series', 'main', 'temp');
  const legacyDayValue = await scalar(
    connection,
    `SELECT greatest((SELECT max(time_ms) FROM profiles), (SELECT max(time_ms) FROM samples), (SELECT max(bucket_ms) FROM rollup_1m), (SELECT max(bucket_ms) FROM rollup_1h))`,
  );
  const legacyDay = legacyDayValue === null || legacyDayValue === undefined ? 0 : dayOf(Number(legacyDayValue));
  for (const [id, tenant, profileType, labels] of series.getRows()) {
    const stored = JSON.parse(String(labels)) as LabelPairs;
    const hashed = seriesId(String(tenant), String(profileType), stored);
    appender.appendInteger(Number(id));
    appender.appendUBigInt(hashed);
    appender.endRow();
    seriesRows.push(seriesRowSql(legacyDay, hashed, String(tenant), String(profileType), withDerivedLabels(stored, String(profileType))));
  }
  appender.closeSync();
  for (const table of ['names', 'stacks', 'series']) await connection.run(`DROP TABLE ${table}`);
  for (const statement of TABLES) await connection.run(statement);
  await connection.run(`INSERT INTO names SELECT DISTINCT ${legacyDay}, id, name FROM map_names`);
  await connection.run(`INSERT INTO stacks SELECT DISTINCT ${legacyDay}, id, parent, name_id FROM map_stacks`);
  for (let i = 0; i < seriesRows.length; i += 500) {
    await connection.run(`INSERT INTO series VALUES ${seriesRows.slice(i, i + 500).join(', ')}`);
  }
  const stackOf = (column: string): string => `coalesce((SELECT m.id FROM map_stacks m WHERE m.old = ${column}), 0)`;
  const seriesOf = (column: string): string => `(SELECT m.id FROM map_series m WHERE m.old = ${column})`;
  await connection.run(`ALTER TABLE profiles RENAME TO profiles_v2`);
  await connection.run(`ALTER TABLE samples RENAME TO samples_v2`);
  await connection.run(`ALTER TABLE rollup_1m RENAME TO rollup_1m_v2`);
  await connection.run(`ALTER TABLE rollup_1h RENAME TO rollup_1h_v2`);
  for (const statement of TABLES) await connection.run(statement);
  await connection.run(`INSERT INTO profiles SELECT pid::UBIGINT, ${seriesOf('series_id')}, time_ms, profile_id, total, period FROM profiles_v2`);
  await connection.run(
    `INSERT INTO samples SELECT ${seriesOf('series_id')}, time_ms, pid::UBIGINT, ${stackOf('stack_id')}, value, span_id, trace_id FROM samples_v2`,
  );
  for (const table of ['rollup_1m', 'rollup_1h']) {
    await connection.run(`INSERT INTO ${table} SELECT ${seriesOf('series_id')}, bucket_ms, ${stackOf('stack_id')}, value FROM ${table}_v2`);
  }
  for (const table of ['profiles_v2', 'samples_v2', 'rollup_1m_v2', 'rollup_1h_v2', 'map_names', 'map_stacks', 'map_series']) {
    await connection.run(`DROP TABLE ${table}`);
  }
  await connection.run(`INSERT OR REPLACE INTO meta VALUES ('legacy_symbols_day', '${legacyDay}')`);
}
