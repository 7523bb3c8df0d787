/**
 * The HTTP connection to ClickHouse (@clickhouse/client): SQL in, TabSeparated text out, TSV
 * inserts. Only the calls every server version has: POST of the query text, settings as URL
 * parameters, Basic auth; no query parameters (18.16 lacks them) — values are inlined as literals
 * built by ./sql.ts.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { tsvRows } from './sql.js';

export interface ClickHouseConnection {
  /** http(s)://host:port (the HTTP interface). */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** Per request; default 60 s. */
  requestTimeoutMs?: number;
}

/** Big IN lists and inserts in one request: ClickHouse's 256 KiB default query-text limit is too small. */
const QUERY_SETTINGS = { max_query_size: '67108864' };
/** One INSERT = one block = one part (a profile's rows are never split across parts). */
const INSERT_SETTINGS = { max_insert_block_size: '100000000' };

export class ClickHouseDb {
  private readonly client: ClickHouseClient;
  /** Without a database: for CREATE DATABASE before it exists. */
  private readonly bare: ClickHouseClient;

  constructor(connection: ClickHouseConnection) {
    const common = {
      url: connection.url,
      username: connection.username ?? 'default',
      password: connection.password ?? '',
      request_timeout: connection.requestTimeoutMs ?? 60_000,
      log: { level: ClickHouseLogLevel.OFF },
    };
    this.client = createClient({ ...common, database: connection.database });
    this.bare = createClient(common);
  }

  async exec(sql: string, options: { noDatabase?: boolean } = {}): Promise<void> {
    await (options.noDatabase ? this.bare : this.client).command({ query: sql, clickhouse_settings: QUERY_SETTINGS });
  }

  /** Rows of a query, fields still TSV-escaped (see sql.ts unescapeTsv). */
  async rows(sql: string, options: { noDatabase?: boolean } = {}): Promise<string[][]> {
    const result = await (options.noDatabase ? this.bare : this.client).query({ query: sql, format: 'TabSeparated', clickhouse_settings: QUERY_SETTINGS });
    return tsvRows(await result.text());
  }

  /** Calls onRow for each row as the answer streams in (big answers never become one string). */
  async eachRow(sql: string, onRow: (fields: string[]) => void): Promise<void> {
    const result = await this.client.query({ query: sql, format: 'TabSeparated', clickhouse_settings: QUERY_SETTINGS });
    for await (const rows of result.stream()) {
      for (const row of rows as { text: string }[]) onRow(row.text.split('\t'));
    }
  }

  /** Resolves once ClickHouse acknowledged the INSERT (the part is written). */
  async insertTsv(table: string, tsv: string): Promise<void> {
    if (tsv.length === 0) return;
    await this.client.insert({
      table,
      values: Readable.from([Buffer.from(tsv)], { objectMode: false }),
      format: 'TabSeparated',
      clickhouse_settings: INSERT_SETTINGS,
    });
  }

  async ping(): Promise<boolean> {
    const result = await this.client.ping();
    return result.success;
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.bare.close()]);
  }
}

/** The connection failed or ClickHouse says it cannot write: the store is unavailable, not the request wrong. */
export function isUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ''}` : String(error);
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|socket hang up|Timeout error|other side closed|Code: (?:243|241|242|252|159|209|210)\b|Not enough space|Cannot reserve|Memory limit|read-only|Too many parts/i.test(
    message,
  );
}
