/**
 * The local ClickHouse the ClickHouse store tests run against: started by the repository's own
 * scripts/clickhouse.sh (installs Debian's clickhouse-server when missing; idempotent, so
 * scripts/test.sh starting it first and each test file starting it again are both fine).
 * CINDER_CLICKHOUSE_URL points the tests at another server instead.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClickHouseDb } from '../../src/storage/clickhouse/db.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
let counter = 0;

export function startClickHouse(): string {
  const fromEnv = process.env.CINDER_CLICKHOUSE_URL;
  if (fromEnv) return fromEnv;
  const output = execFileSync('bash', [path.join(repoRoot, 'scripts/clickhouse.sh'), 'start'], { encoding: 'utf8', timeout: 300_000 });
  const url = output.trim().split('\n').pop()!;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`scripts/clickhouse.sh start printed no URL:\n${output}`);
  return url;
}

/** A database name no other run uses. */
export function freshDatabaseName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
}

export async function dropDatabases(url: string, names: Iterable<string>): Promise<void> {
  const db = new ClickHouseDb({ url, database: 'default' });
  try {
    for (const name of names) await db.exec(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await db.close();
  }
}
