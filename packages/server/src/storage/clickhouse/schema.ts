/**
 * The ClickHouse schema (DDL, version probe, schema version).
 *
 * Every table is partitioned by UTC day (`toYYYYMMDD(day)`), so retention is `ALTER TABLE … DROP
 * PARTITION` — a file-system operation, no row rewrite:
 * - samples: raw rows (one per distinct stack × span × trace of one stored profile and type),
 *   ordered (tenant, series_id, time_ms) for the range scans every merge does. Kept for the raw
 *   window. A stored profile is all its rows of one INSERT (with its id, period): one table, one
 *   INSERT per batch, so a batch is never half in "samples" and half in "profiles".
 * - profiles, rollup_1m, rollup_1h: filled by materialized views from each INSERT into samples
 *   (ClickHouse computes them as the data arrives; nothing to schedule, no watermark, and two
 *   writers cannot roll the same minute up twice). rollups are SummingMergeTree: background merges
 *   collapse rows of one (series, bucket, stack). Kept for the rollup window.
 * - names, stacks, series: the symbols. Ids are content hashes (../ids.ts), so any writer writes
 *   the same row for the same content; duplicates are tolerated (ReplacingMergeTree collapses
 *   them eventually, reads use any()). Each day's partition holds every symbol that day's data
 *   uses, so dropping the day drops its symbols. A stack row is a sample's leaf node with its
 *   whole path of name ids (root first): one lookup per leaf rebuilds the tree, no recursive
 *   ancestor walk (which 18.16 could not do in SQL).
 * - cinder_meta: schema version.
 *
 * Compatibility: only types, engines and syntax that exist from 18.16 (Debian's package) to
 * current releases — no LowCardinality, Map, TTL or query parameters; the newer `fsync_after_insert`
 * MergeTree setting is used when the server lists it.
 */
import { CinderError, ErrorCodes } from '@cinder/core';
import type { ClickHouseDb } from './db.js';
import { unescapeTsv } from './sql.js';

export const SCHEMA_VERSION = 1;

export interface ServerFeatures {
  version: string;
  major: number;
  /** MergeTree can fsync each inserted part (ClickHouse ≥ 21.x); 18.16 cannot. */
  fsyncAfterInsert: boolean;
  /** system.parts.bytes_on_disk exists (else bytes). */
  partsBytesColumn: 'bytes_on_disk' | 'bytes';
}

export async function probeServer(db: ClickHouseDb): Promise<ServerFeatures> {
  const version = (await db.rows(`SELECT version()`, { noDatabase: true }))[0]?.[0] ?? '0';
  const major = Number.parseInt(version, 10) || 0;
  const fsync = await db.rows(`SELECT count() FROM system.merge_tree_settings WHERE name = 'fsync_after_insert'`, { noDatabase: true }).catch(() => [['0']]);
  const bytes = await db.rows(`SELECT count() FROM system.columns WHERE database = 'system' AND table = 'parts' AND name = 'bytes_on_disk'`, { noDatabase: true });
  return {
    version,
    major,
    fsyncAfterInsert: fsync[0]?.[0] === '1',
    partsBytesColumn: bytes[0]?.[0] === '1' ? 'bytes_on_disk' : 'bytes',
  };
}

const DAILY = `PARTITION BY toYYYYMMDD(day)`;

export function schemaStatements(features: ServerFeatures): string[] {
  const durable = features.fsyncAfterInsert ? ` SETTINGS fsync_after_insert = 1` : '';
  return [
    `CREATE TABLE IF NOT EXISTS cinder_meta (key String, value String, updated_ms UInt64) ENGINE = ReplacingMergeTree(updated_ms) ORDER BY key`,
    `CREATE TABLE IF NOT EXISTS names (day Date, tenant String, id UInt64, name String)
       ENGINE = ReplacingMergeTree ${DAILY} ORDER BY (tenant, id)${durable}`,
    `CREATE TABLE IF NOT EXISTS stacks (day Date, tenant String, id UInt64, name_path Array(UInt64))
       ENGINE = ReplacingMergeTree ${DAILY} ORDER BY (tenant, id)${durable}`,
    `CREATE TABLE IF NOT EXISTS series (day Date, tenant String, id UInt64, profile_type String, labels String,
       label_names Array(String), label_values Array(String))
       ENGINE = ReplacingMergeTree ${DAILY} ORDER BY (tenant, profile_type, id)${durable}`,
    `CREATE TABLE IF NOT EXISTS samples (day Date, tenant String, series_id UInt64, time_ms Int64, pid UInt64,
       profile_id String, period Float64, stack_id UInt64, value Float64, span_id String, trace_id String)
       ENGINE = MergeTree ${DAILY} ORDER BY (tenant, series_id, time_ms)${durable}`,
    `CREATE TABLE IF NOT EXISTS profiles (day Date, tenant String, series_id UInt64, time_ms Int64, pid UInt64,
       profile_id String, period Float64, total Float64)
       ENGINE = MergeTree ${DAILY} ORDER BY (tenant, series_id, time_ms)${durable}`,
    `CREATE TABLE IF NOT EXISTS rollup_1m (day Date, tenant String, series_id UInt64, bucket_ms Int64, stack_id UInt64, value Float64)
       ENGINE = SummingMergeTree(value) ${DAILY} ORDER BY (tenant, series_id, bucket_ms, stack_id)${durable}`,
    `CREATE TABLE IF NOT EXISTS rollup_1h (day Date, tenant String, series_id UInt64, bucket_ms Int64, stack_id UInt64, value Float64)
       ENGINE = SummingMergeTree(value) ${DAILY} ORDER BY (tenant, series_id, bucket_ms, stack_id)${durable}`,
    // Column names and order of each view equal its target's (matched by name on new releases,
    // by position on old ones).
    `CREATE MATERIALIZED VIEW IF NOT EXISTS profiles_mv TO profiles AS
       SELECT day, tenant, series_id, time_ms, pid, any(profile_id) AS profile_id, any(period) AS period, sum(value) AS total
       FROM samples GROUP BY day, tenant, series_id, time_ms, pid`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_1m_mv TO rollup_1m AS
       SELECT day, tenant, series_id, time_ms - (time_ms % 60000) AS bucket_ms, stack_id, sum(value) AS value
       FROM samples GROUP BY day, tenant, series_id, bucket_ms, stack_id`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_1h_mv TO rollup_1h AS
       SELECT day, tenant, series_id, time_ms - (time_ms % 3600000) AS bucket_ms, stack_id, sum(value) AS value
       FROM samples GROUP BY day, tenant, series_id, bucket_ms, stack_id`,
  ];
}

/** Tables whose day partitions live as long as raw data / as long as rollups. */
export const RAW_TABLES = ['samples'] as const;
export const ROLLUP_TABLES = ['rollup_1m', 'rollup_1h'] as const;
/** Kept with the rollups: timelines (profiles) and the symbols rollup rows point at. */
export const LONG_LIVED_TABLES = ['profiles', 'series', 'stacks', 'names', 'code_functions', 'code_calls'] as const;

/** Creates the database and tables (idempotent; two servers may run it at once). */
export async function ensureSchema(db: ClickHouseDb, database: string, features: ServerFeatures, nowMs: number): Promise<void> {
  await db.exec(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`, { noDatabase: true });
  const existing = await db.rows(`SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'cinder_meta'`);
  if (existing[0]?.[0] === '1') {
    const found = Number(unescapeTsv((await db.rows(`SELECT argMax(value, updated_ms) FROM cinder_meta WHERE key = 'schema_version'`))[0]?.[0] ?? '0'));
    if (found > SCHEMA_VERSION) {
      throw new CinderError(
        ErrorCodes.STORE_NEWER_SCHEMA,
        `the ClickHouse database ${database} was written by a newer Cinder (store schema ${found}, this build reads up to ${SCHEMA_VERSION}); upgrade Cinder or use another database`,
      );
    }
    if (found === SCHEMA_VERSION) return;
  }
  for (const statement of schemaStatements(features)) {
    try {
      await db.exec(statement);
    } catch (error) {
      // Another server created it between our IF NOT EXISTS check and the CREATE (code 57).
      if (!/Code: 57\b|already exists/i.test(String((error as Error).message))) throw error;
    }
  }
  await db.insertTsv('cinder_meta', `schema_version\t${SCHEMA_VERSION}\t${Math.floor(nowMs)}\n`);
}

export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse database name "${name}" (letters, digits, _)`);
  return name;
}

