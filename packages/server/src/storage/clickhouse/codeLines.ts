/**
 * The ClickHouse store's code tables (see ../codeLines.ts): day-partitioned like the symbols, so
 * retention drops them with the day (they are listed in LONG_LIVED_TABLES). ReplacingMergeTree
 * collapses a row that two writers (or one after a cache miss) wrote twice; reads GROUP BY anyway.
 * Created with IF NOT EXISTS at every open, so databases made by an earlier build get them too.
 */
import type { CodeLines } from '@cinder/core';
import { codeLinesFromRows, type CodeBatch } from '../codeLines.js';
import type { ClickHouseDb } from './db.js';
import { sqlString, tsvField, unescapeTsv } from './sql.js';

const DAY_MS = 86_400_000;
const MAX_READ_ROWS = 2_000_000;

export function codeTableStatements(durableSuffix: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS code_functions (day Date, tenant String, service String, name String, file String, start_line UInt32, seen_ms Int64)
       ENGINE = ReplacingMergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (tenant, service, name, file, start_line)${durableSuffix}`,
    `CREATE TABLE IF NOT EXISTS code_calls (day Date, tenant String, service String, caller String, callee String, line UInt32, seen_ms Int64)
       ENGINE = ReplacingMergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (tenant, service, caller, callee, line)${durableSuffix}`,
  ];
}

export async function ensureCodeTables(db: ClickHouseDb, fsyncAfterInsert: boolean): Promise<void> {
  for (const statement of codeTableStatements(fsyncAfterInsert ? ' SETTINGS fsync_after_insert = 1' : '')) {
    try {
      await db.exec(statement);
    } catch (error) {
      if (!/Code: 57\b|already exists/i.test(String((error as Error).message))) throw error;
    }
  }
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export async function writeCodeRows(db: ClickHouseDb, batch: CodeBatch): Promise<void> {
  const functions = batch.functions
    .map((r) => `${dateOf(r.day)}\t${tsvField(r.tenant)}\t${tsvField(r.service)}\t${tsvField(r.name)}\t${tsvField(r.file)}\t${r.startLine}\t${Math.floor(r.seenMs)}\n`)
    .join('');
  const calls = batch.calls.map((r) => `${dateOf(r.day)}\t${tsvField(r.tenant)}\t${tsvField(r.service)}\t${tsvField(r.caller)}\t${tsvField(r.callee)}\t${r.line}\t${Math.floor(r.seenMs)}\n`).join('');
  await Promise.all([db.insertTsv('code_functions', functions), db.insertTsv('code_calls', calls)]);
}

/** service null: every service of the tenant. */
export async function readCodeLines(db: ClickHouseDb, tenant: string, service: string | null, fromMs: number, toMs: number): Promise<CodeLines> {
  const where = `tenant = ${sqlString(tenant)}${service === null ? '' : ` AND service = ${sqlString(service)}`} AND day >= toDate(${sqlString(dateOf(Math.floor(fromMs / DAY_MS)))}) AND day <= toDate(${sqlString(dateOf(Math.floor(toMs / DAY_MS)))})`;
  const [functionRows, callRows] = await Promise.all([
    db.rows(`SELECT name, file, start_line, toUInt32(day), min(seen_ms) FROM code_functions WHERE ${where} GROUP BY name, file, start_line, day ORDER BY day DESC LIMIT ${MAX_READ_ROWS}`),
    db.rows(`SELECT caller, callee, line, toUInt32(day), min(seen_ms) FROM code_calls WHERE ${where} GROUP BY caller, callee, line, day ORDER BY day DESC LIMIT ${MAX_READ_ROWS}`),
  ]);
  const present = (rows: string[][]): string[][] => rows.filter((row) => row.length >= 5);
  return codeLinesFromRows(
    present(functionRows).map(([name, file, startLine, day, seenMs]) => ({
      name: unescapeTsv(name!),
      file: unescapeTsv(file!),
      startLine: Number(startLine),
      day: Number(day),
      seenMs: Number(seenMs),
    })),
    present(callRows).map(([caller, callee, line, day, seenMs]) => ({
      caller: unescapeTsv(caller!),
      callee: unescapeTsv(callee!),
      line: Number(line),
      day: Number(day),
      seenMs: Number(seenMs),
    })),
  );
}
