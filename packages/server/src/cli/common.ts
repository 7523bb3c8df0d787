/**
 * What every client command of `cinder` shares: flag parsing on node:util's parseArgs, the server
 * connection flags, selections (service + profile type + labels → a query), HTTP with retries, and
 * how results and failures are printed. Exit codes: 0 done, 1 something was rejected or failed,
 * 2 wrong usage (the message says which flag and what to write instead).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseTimeParam } from '@cinder/core';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong flag or argument; main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the user can act on (server unreachable, selection empty, …); exits 1 without a stack. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** ms since the epoch; injected so tests of retry timing need no fake clock. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

type Options = NonNullable<ParseArgsConfig['options']>;
type ParsedCommand<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** Flags every command that talks to a server takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  tenant: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options;

export const CONNECTION_HELP = `Connection:
  --url URL            the Cinder server (default $CINDER_URL or http://localhost:4040)
  --token TOKEN        bearer token for --ingest-token / --query-token servers (default $CINDER_TOKEN)
  --tenant ID          X-Scope-OrgID for --multitenancy servers (default $CINDER_TENANT)
  --timeout SECONDS    per-request timeout (default 60)
  --retries N          retries on 429/502/503/504 or connection errors (default 5; back-off
                       doubles from 0.5 s up to 30 s; a Retry-After answer is respected)
  --json               print the result as one JSON object on stdout, for scripts
  -h, --help           this help`;

export const SELECTION_HELP = `Selection:
  --service NAME       service_name to select (required unless --query is given)
  --type ID            profile type id (default process_cpu:cpu:nanoseconds:cpu:nanoseconds)
  --labels k=v …       more label matchers (repeat the flag or separate with commas)
  --query Q            a whole selector instead, e.g. 'memory:alloc_space:bytes:space:bytes{service_name="api"}'
  --from TIME          start: unix seconds/ms/ns, RFC 3339, or now-1h (default now-1h)
  --to TIME            end, same forms (default now)`;

export const SELECTION_OPTIONS = {
  service: { type: 'string' },
  type: { type: 'string' },
  labels: { type: 'string', multiple: true },
  query: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const satisfies Options;

export const DEFAULT_PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** parseArgs with strict flags; its errors become UsageErrors that name the command. */
export function parseCommand<T extends Options>(command: string, argv: string[], options: T): ParsedCommand<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''), command);
  }
}

export interface Connection {
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  retry: RetryOptions;
}

export function connectionOf(command: string, values: { url?: string; token?: string; tenant?: string; timeout?: string; retries?: string }, env: NodeJS.ProcessEnv): Connection {
  // An empty variable counts as unset (`CINDER_URL= cinder …`).
  const raw = values.url ?? (env.CINDER_URL || 'http://localhost:4040');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`--url "${raw}" is not a URL: write e.g. --url http://localhost:4040`, command);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url must start with http:// or https:// (got "${raw}")`, command);
  const headers: Record<string, string> = { 'user-agent': 'cinder-cli' };
  const token = values.token ?? (env.CINDER_TOKEN || undefined);
  if (token) headers.authorization = `Bearer ${token}`;
  const tenant = values.tenant ?? (env.CINDER_TENANT || undefined);
  if (tenant) headers['x-scope-orgid'] = tenant;
  const timeoutSec = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!(timeoutSec > 0 && timeoutSec <= 3600)) throw new UsageError(`--timeout must be a number of seconds between 0 and 3600 (got "${values.timeout}")`, command);
  const retries = values.retries === undefined ? DEFAULT_RETRY.retries : Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new UsageError(`--retries must be a whole number from 0 to 20 (got "${values.retries}")`, command);
  return { baseUrl: parsed.toString().replace(/\/+$/, ''), headers, timeoutMs: timeoutSec * 1000, retry: { ...DEFAULT_RETRY, retries } };
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;

/** `--labels env=prod --labels region=eu,zone=a` → pairs, in order. */
export function parseLabels(command: string, flag: string, values: readonly string[] | undefined): [string, string][] {
  const pairs: [string, string][] = [];
  for (const value of values ?? []) {
    for (const part of value.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? '' : part.slice(0, eq).trim();
      if (eq < 0 || !LABEL_NAME.test(name)) throw new UsageError(`${flag} "${part}" is not name=value (names: letters, digits, _ and ., not starting with a digit)`, command);
      pairs.push([name, part.slice(eq + 1)]);
    }
  }
  return pairs;
}

function quoteLabelValue(value: string): string {
  return JSON.stringify(value);
}

/** `--service`, `--type`, `--labels` (or `--query`) → `type{service_name="x",k="v"}`. */
export function selectionQuery(command: string, values: { service?: string; type?: string; labels?: string[]; query?: string }, extraLabels: [string, string][] = []): string {
  if (values.query !== undefined) {
    if (values.service !== undefined || values.type !== undefined || (values.labels?.length ?? 0) > 0) {
      throw new UsageError('--query is a whole selector: leave out --service, --type and --labels when you give it', command);
    }
    if (!/\{.*\}\s*$/.test(values.query)) throw new UsageError(`--query "${values.query}" needs a {…} selector, e.g. 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}'`, command);
    return values.query;
  }
  if (!values.service) throw new UsageError('--service is required (the service_name to select), or give a whole selector with --query', command);
  const type = values.type ?? DEFAULT_PROFILE_TYPE;
  if (type.split(':').length !== 5) throw new UsageError(`--type "${type}" is not a profile type id name:sample_type:sample_unit:period_type:period_unit, e.g. ${DEFAULT_PROFILE_TYPE}`, command);
  const matchers = [['service_name', values.service] as [string, string], ...parseLabels(command, '--labels', values.labels), ...extraLabels];
  return `${type}{${matchers.map(([name, value]) => `${name}=${quoteLabelValue(value)}`).join(',')}}`;
}

/** --from/--to (or other flag names) → ms since the epoch, checked here so a typo is a usage error. */
export function timeRangeOf(command: string, nowMs: number, fromText: string | undefined, toText: string | undefined, flags = { from: '--from', to: '--to' }): { fromMs: number; toMs: number } {
  const parse = (text: string, flag: string): number => {
    const ms = parseTimeParam(text, nowMs);
    if (!Number.isFinite(ms)) throw new UsageError(`${flag} "${text}" is not a time: write unix seconds/ms/ns, YYYYMMDD, RFC 3339 or now-1h / now-30m`, command);
    return ms;
  };
  const toMs = toText === undefined ? nowMs : parse(toText, flags.to);
  const fromMs = fromText === undefined ? toMs - 3_600_000 : parse(fromText, flags.from);
  if (fromMs > toMs) throw new UsageError(`${flags.from} (${new Date(fromMs).toISOString()}) is after ${flags.to} (${new Date(toMs).toISOString()})`, command);
  return { fromMs, toMs };
}

export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  /** First back-off; doubled per attempt with ±20 % jitter, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  onRetry?: (attempt: number, delayMs: number, why: string) => void;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Statuses that mean "later", not "no". */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Retry-After in seconds or as an HTTP date → ms to wait (null = absent or unreadable). */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const dateMs = Date.parse(header);
  return Number.isFinite(dateMs) ? Math.max(0, dateMs - nowMs) : null;
}

export interface FetchResult {
  status: number;
  headers: Headers;
  body: Buffer;
  attempts: number;
}

/**
 * One request with retries on 429/502/503/504 and on connection failures (refused, reset, timeout);
 * Retry-After wins over the back-off when the server sends it (capped at maxDelayMs). Every other
 * answer is returned as it is, for the caller to judge.
 */
export async function fetchWithRetry(io: CliIo, connection: Connection, path: string, init: RequestInit, retry: RetryOptions = connection.retry): Promise<FetchResult> {
  const url = `${connection.baseUrl}${path}`;
  let lastProblem = '';
  for (let attempt = 0; attempt <= retry.retries; attempt++) {
    let waitMs: number | null = null;
    try {
      const response = await fetch(url, { ...init, headers: { ...connection.headers, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(connection.timeoutMs) });
      const body = Buffer.from(await response.arrayBuffer());
      if (!TRANSIENT_STATUSES.has(response.status) || attempt === retry.retries) return { status: response.status, headers: response.headers, body, attempts: attempt + 1 };
      lastProblem = `HTTP ${response.status}${serverMessage(body) ? `: ${serverMessage(body)}` : ''}`;
      waitMs = retryAfterMs(response.headers.get('retry-after'), io.now());
    } catch (error) {
      lastProblem = connectionProblem(error, connection);
      if (attempt === retry.retries) throw new CommandError(`${lastProblem} (after ${attempt + 1} attempts)`);
    }
    const backoffMs = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt * (0.8 + 0.4 * Math.random()));
    const delayMs = Math.min(retry.maxDelayMs, waitMs ?? backoffMs);
    retry.onRetry?.(attempt + 1, delayMs, lastProblem);
    await io.sleep(delayMs);
  }
  throw new CommandError(lastProblem);
}

function connectionProblem(error: unknown, connection: Connection): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  if ((error as Error | null)?.name === 'TimeoutError') return `no answer from ${connection.baseUrl} within ${connection.timeoutMs / 1000} s (raise --timeout?)`;
  if (cause?.code === 'ECONNREFUSED') return `cannot connect to ${connection.baseUrl}: nothing listens there (is "cinder serve" running? check --url)`;
  return `cannot reach ${connection.baseUrl}: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}`;
}

/** The message of Cinder's error body `{code, message, reason}`, or the start of a plain body. */
export function serverMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; reason?: unknown };
    if (typeof parsed.message === 'string') return typeof parsed.reason === 'string' && parsed.reason !== '' ? `${parsed.message} (${parsed.reason})` : parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300).trim();
}

/** GET that must answer 200; anything else is a CommandError with the server's words. */
export async function getOk(io: CliIo, connection: Connection, path: string, what: string): Promise<FetchResult> {
  const result = await fetchWithRetry(io, connection, path, { method: 'GET' }, {
    ...connection.retry,
    onRetry: (attempt, delayMs, why) => io.stderr.write(`cinder: ${what}: ${why}; retry ${attempt}/${connection.retry.retries} in ${(delayMs / 1000).toFixed(1)} s\n`),
  });
  if (result.status !== 200) throw new CommandError(`${what} failed: HTTP ${result.status}: ${serverMessage(result.body) || '(empty answer)'}`);
  return result;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Writes to -o FILE, or stdout when no file (or "-") was given. */
export function writeOutput(io: CliIo, output: string | undefined, content: string | Uint8Array): void {
  if (output === undefined || output === '-') {
    io.stdout.write(content);
    return;
  }
  writeFileSync(output, content);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
