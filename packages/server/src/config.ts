import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultLimits, type IngestLimits } from './ingest/limits.js';

export { defaultLimits, type IngestLimits } from './ingest/limits.js';

/** Every setting of `cinder serve`, after flags and CINDER_* env vars are applied. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /**
   * '' = the embedded store in dataDir; `clickhouse://user:password@host:8123/database` = a
   * ClickHouse database shared by any number of Cinder servers (dataDir still holds snapshots).
   */
  store: string;
  /** How long raw (full-resolution) samples are kept. */
  retentionMs: number;
  /** How long the per-minute / per-hour rollups are kept (long ranges read these). */
  rollupRetentionMs: number;
  selfProfiling: boolean;
  multitenancy: boolean;
  /** Empty = ingest is open. Otherwise a request needs `Authorization: Bearer <token>` (or Basic with the token as password). */
  ingestTokens: string[];
  queryTokens: string[];
  grafanaUrl: string;
  publicUrl: string;
  /** Origins allowed to embed the UI in a frame (CSP frame-ancestors); empty = this origin only. */
  frameAncestors: string[];
  limits: IngestLimits;
  /** Max flame-graph nodes when a query does not say (`max_nodes` absent or 0). */
  maxNodesDefault: number;
  maxNodesMax: number;
  /** --max-series counts series with data in this window (a quiet series stops counting). */
  activeSeriesWindowMs: number;
  /** Memory the embedded store may keep for ids of recently written symbols. */
  symbolCacheBytes: number;
  mergeCacheBytes: number;
  /** Memory for merged trees of recent selections (repeated and zoom queries reuse them); 0 = off. */
  queryCacheBytes: number;
  /** How often the background job rolls up and enforces retention. */
  maintenanceIntervalMs: number;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** One format per run: `auto` = pretty on a terminal, JSON (pino's lines) otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** `host:port` of the OTLP/gRPC profiles listener (HTTP/2 cleartext); '' = off (OTLP/HTTP is always on the main port). */
  otlpGrpcAddress: string;
  /** YAML alert/recording rules loaded at start (read-only through the API); '' = none. */
  rulesFile: string;
  /**
   * Alert evaluation knobs without flags (rule intervals are per rule): how often due rules are
   * looked for, and the webhook retry back-off. Tests shorten them.
   */
  alertTickMs: number;
  alertRetryBaseMs: number;
}

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;


export function defaultConfig(): ServerConfig {
  return {
    host: '0.0.0.0',
    port: 4040,
    dataDir: path.resolve('data'),
    store: '',
    retentionMs: 15 * DAY_MS,
    rollupRetentionMs: 30 * DAY_MS,
    selfProfiling: true,
    multitenancy: false,
    ingestTokens: [],
    queryTokens: [],
    grafanaUrl: '',
    publicUrl: '',
    frameAncestors: [],
    limits: { ...defaultLimits },
    maxNodesDefault: 8192,
    maxNodesMax: 1_048_576,
    activeSeriesWindowMs: 60 * 60_000,
    symbolCacheBytes: 32 * 1024 * 1024,
    mergeCacheBytes: 64 * 1024 * 1024,
    queryCacheBytes: 64 * 1024 * 1024,
    maintenanceIntervalMs: 60_000,
    logLevel: 'info',
    logFormat: 'auto',
    otlpGrpcAddress: '',
    rulesFile: '',
    alertTickMs: 1_000,
    alertRetryBaseMs: 1_000,
  };
}

/** `15d`, `36h`, `90m`, `30s`, `2w` → ms. A bare number is seconds. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!match) throw new ConfigError(`invalid duration "${text}": use e.g. 15d, 36h, 90m or 30s`);
  const value = Number(match[1]);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS }[match[2] ?? 's']!;
  return Math.round(value * unitMs);
}

/** `4MiB`, `512KiB`, `1GiB`, `1000` (bytes) → bytes. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$/i.exec(text);
  if (!match) throw new ConfigError(`invalid size "${text}": use e.g. 4MiB, 512KiB or a byte count`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: MiB, gb: 1e9, gib: 1024 * MiB }[unit]!;
  return Math.round(Number(match[1]) * factor);
}

export class ConfigError extends Error {}

/** Every flag `cinder serve` accepts (exported so the help test can check each one is documented). */
export const serveOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  retention: { type: 'string' },
  'rollup-retention': { type: 'string' },
  'self-profiling': { type: 'string' },
  'no-self-profiling': { type: 'boolean' },
  multitenancy: { type: 'boolean' },
  'ingest-token': { type: 'string', multiple: true },
  'query-token': { type: 'string', multiple: true },
  'grafana-url': { type: 'string' },
  'public-url': { type: 'string' },
  'frame-ancestors': { type: 'string' },
  'max-body-size': { type: 'string' },
  'max-profile-size': { type: 'string' },
  'max-samples': { type: 'string' },
  'max-stack-depth': { type: 'string' },
  'max-frames-per-profile': { type: 'string' },
  'max-tree-nodes': { type: 'string' },
  'max-speedscope-events': { type: 'string' },
  'max-push-series': { type: 'string' },
  'max-push-profiles': { type: 'string' },
  'max-labels': { type: 'string' },
  'max-series': { type: 'string' },
  'ingest-window': { type: 'string' },
  'maintenance-interval': { type: 'string' },
  'active-series-window': { type: 'string' },
  'symbol-cache-size': { type: 'string' },
  'merge-cache-size': { type: 'string' },
  'query-cache-size': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'otlp-grpc-address': { type: 'string' },
  'rules-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const serveUsage = `Usage: cinder serve [options]

Options (each also as an env var, e.g. --data-dir → CINDER_DATA_DIR):
  --host <addr>              listen address (default 0.0.0.0)
  --port <n>                 listen port (default 4040)
  --data-dir <path>          data folder of the embedded store and of snapshots (default ./data)
  --store <store-url>        clickhouse://user:password@host:8123/database to keep profiles in
                             ClickHouse, which several Cinder servers may share (default: none;
                             the embedded store in --data-dir)
  --retention <dur>          keep raw samples this long (default 15d)
  --rollup-retention <dur>   keep per-minute/per-hour rollups this long (default 30d)
  --no-self-profiling        do not profile the server itself (CINDER_SELF_PROFILING=false)
  --multitenancy             require X-Scope-OrgID on every request
  --ingest-token <t>         require this bearer token for ingest (repeatable; comma list in env)
  --query-token <t>          require this bearer token for queries (repeatable)
  --grafana-url <url>        Grafana base URL for the Profiling page's "Open in Grafana" and
                             Explore links (default: none; the page then disables "Open in
                             Grafana" and Explore opens Cinder's own explorer)
  --public-url <url>         public URL of this server, for the "Open Pyroscope" link
                             (default: none; the address the browser used)
  --frame-ancestors <list>   origins allowed to embed the UI in an iframe, space or comma
                             separated (default: this origin only)
  --max-body-size <size>     max request body as received (default 256MiB)
  --max-profile-size <size>  max profile size after decompression (default 4MiB)
  --max-samples <n>          max samples per profile (default 16000)
  --max-stack-depth <n>      frames kept per sample after inline expansion; deeper stacks keep
                             their root-most frames (default 1000)
  --max-frames-per-profile <n>  max frames of one profile, summed over its samples (default 4000000)
  --max-tree-nodes <n>       max nodes of one format=tree/trie upload (default 1000000)
  --max-speedscope-events <n>  max events of one speedscope upload (default 1000000)
  --max-push-series <n>      max series per Push request (default 1000)
  --max-push-profiles <n>    max profiles per Push request (default 1000)
  --max-labels <n>           max labels per series (default 30)
  --max-series <n>           max active series per tenant (default 5000)
  --ingest-window <dur>      accept profiles up to this old (default 1h)
  --maintenance-interval <dur>  rollup + retention job period (default 1m)
  --active-series-window <dur>  --max-series counts series with data this recent (default 1h)
  --symbol-cache-size <size> memory for ids of recently written symbols (default 32MiB)
  --merge-cache-size <size>  memory for the stack nodes and names of recently merged days
                             (default 64MiB, a 1M-node day takes ~40MiB; 0 = every merge walks
                             the stacks in SQL)
  --query-cache-size <size>  memory for the merged trees of recent selections, so repeated and
                             zoom queries skip the merge (default 64MiB; 0 = off; embedded store
                             only: with --store clickhouse:// other servers write too, so nothing
                             is cached)
  --log-level <level>        silent|error|warn|info|debug (default info)
  --log-format <format>      auto|json|pretty: auto is pretty on a terminal, JSON otherwise
                             (default auto). The "listening on" line is printed at any level.
  --otlp-grpc-address <host:port>  also accept OTLP profiles over gRPC (ProfilesService/Export,
                             HTTP/2) on this address, e.g. 0.0.0.0:4317 as OTel exporters expect;
                             OTLP/HTTP (POST /v1development/profiles) is always on --port (default off)
  --rules-file <path>        YAML file of alert and recording rules loaded at start (GitOps;
                             read-only through the API and the Rules page; default: none)
`;

/** Flags win over env vars, env vars over defaults. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig & { help: boolean } {
  const { values } = parseArgs({ args: argv, options: serveOptions, strict: true, allowPositionals: false });
  const pick = (flag: keyof typeof serveOptions): string | undefined => {
    const fromFlag = values[flag as keyof typeof values];
    if (typeof fromFlag === 'string') return fromFlag;
    const envName = 'CINDER_' + flag.toUpperCase().replace(/-/g, '_');
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const config = defaultConfig();
  const host = pick('host');
  if (host) config.host = host;
  const port = pick('port');
  if (port !== undefined) {
    const portNumber = Number(port);
    if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
      throw new ConfigError(`invalid port "${port}": use a number from 0 to 65535`);
    }
    config.port = portNumber;
  }
  const store = pick('store');
  if (store !== undefined) {
    if (!/^clickhouse(\+https)?:\/\//.test(store)) throw new ConfigError(`invalid --store "${store.replace(/:[^:@/]*@/, ':***@')}": use clickhouse://user:password@host:8123/database`);
    config.store = store;
  }
  const dataDir = pick('data-dir');
  if (dataDir) config.dataDir = path.resolve(dataDir);
  const retention = pick('retention');
  if (retention) config.retentionMs = parseDurationMs(retention);
  const rollupRetention = pick('rollup-retention');
  if (rollupRetention) config.rollupRetentionMs = parseDurationMs(rollupRetention);
  if (config.rollupRetentionMs < config.retentionMs) config.rollupRetentionMs = config.retentionMs;
  const selfProfiling = pick('self-profiling');
  if (selfProfiling !== undefined) config.selfProfiling = !/^(0|false|off|no)$/i.test(selfProfiling);
  if (values['no-self-profiling']) config.selfProfiling = false;
  if (values.multitenancy || /^(1|true|on|yes)$/i.test(env.CINDER_MULTITENANCY ?? '')) config.multitenancy = true;
  const tokens = (flag: 'ingest-token' | 'query-token'): string[] => {
    const fromFlags = values[flag];
    if (Array.isArray(fromFlags) && fromFlags.length > 0) return fromFlags;
    const fromEnv = env['CINDER_' + flag.toUpperCase().replace(/-/g, '_') + 'S'] ?? env['CINDER_' + flag.toUpperCase().replace(/-/g, '_')];
    return fromEnv ? fromEnv.split(',').map((t) => t.trim()).filter(Boolean) : [];
  };
  config.ingestTokens = tokens('ingest-token');
  config.queryTokens = tokens('query-token');
  config.grafanaUrl = pick('grafana-url') ?? '';
  config.publicUrl = pick('public-url') ?? '';
  const frameAncestors = pick('frame-ancestors');
  if (frameAncestors !== undefined) {
    config.frameAncestors = frameAncestors.split(/[\s,]+/).filter(Boolean);
    for (const origin of config.frameAncestors) {
      // Each source goes into a header: refuse what could end the directive or the header.
      if (!/^(https?:\/\/[A-Za-z0-9.*:[\]-]+|'self'|'none')$/.test(origin)) {
        throw new ConfigError(`invalid --frame-ancestors entry "${origin}": use origins like https://app.example.com, or 'self'`);
      }
    }
  }
  const positive = (name: string, text: string | undefined, apply: (n: number) => void): void => {
    if (text === undefined) return;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`invalid ${name} "${text}": use a positive whole number`);
    apply(n);
  };
  const maxBody = pick('max-body-size');
  if (maxBody) config.limits.maxBodyBytes = parseBytes(maxBody);
  const maxProfile = pick('max-profile-size');
  if (maxProfile) config.limits.maxProfileBytes = parseBytes(maxProfile);
  positive('--max-samples', pick('max-samples'), (n) => (config.limits.maxSamplesPerProfile = n));
  positive('--max-stack-depth', pick('max-stack-depth'), (n) => (config.limits.maxStackDepth = n));
  positive('--max-frames-per-profile', pick('max-frames-per-profile'), (n) => (config.limits.maxFramesPerProfile = n));
  positive('--max-tree-nodes', pick('max-tree-nodes'), (n) => (config.limits.maxTreeNodes = n));
  positive('--max-speedscope-events', pick('max-speedscope-events'), (n) => (config.limits.maxSpeedscopeEvents = n));
  positive('--max-push-series', pick('max-push-series'), (n) => (config.limits.maxPushSeries = n));
  positive('--max-push-profiles', pick('max-push-profiles'), (n) => (config.limits.maxPushProfiles = n));
  positive('--max-labels', pick('max-labels'), (n) => (config.limits.maxLabelsPerSeries = n));
  positive('--max-series', pick('max-series'), (n) => (config.limits.maxSeriesPerTenant = n));
  const window = pick('ingest-window');
  if (window) config.limits.pastWindowMs = parseDurationMs(window);
  const activeWindow = pick('active-series-window');
  if (activeWindow) config.activeSeriesWindowMs = parseDurationMs(activeWindow);
  const symbolCache = pick('symbol-cache-size');
  if (symbolCache) config.symbolCacheBytes = parseBytes(symbolCache);
  const mergeCache = pick('merge-cache-size');
  if (mergeCache) config.mergeCacheBytes = parseBytes(mergeCache);
  const queryCache = pick('query-cache-size');
  if (queryCache) config.queryCacheBytes = parseBytes(queryCache);
  const maintenance = pick('maintenance-interval');
  if (maintenance) config.maintenanceIntervalMs = parseDurationMs(maintenance);
  const logLevel = pick('log-level');
  if (logLevel) {
    if (!['silent', 'error', 'warn', 'info', 'debug'].includes(logLevel)) {
      throw new ConfigError(`invalid --log-level "${logLevel}": use silent, error, warn, info or debug`);
    }
    config.logLevel = logLevel as ServerConfig['logLevel'];
  }
  const logFormat = pick('log-format');
  if (logFormat) {
    if (logFormat !== 'auto' && logFormat !== 'json' && logFormat !== 'pretty') {
      throw new ConfigError(`invalid --log-format "${logFormat}": use auto, json or pretty`);
    }
    config.logFormat = logFormat;
  }
  const otlpGrpcAddress = pick('otlp-grpc-address');
  if (otlpGrpcAddress === 'off') config.otlpGrpcAddress = '';
  else if (otlpGrpcAddress) {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]*):\d{1,5}$/.test(otlpGrpcAddress) || Number(otlpGrpcAddress.slice(otlpGrpcAddress.lastIndexOf(':') + 1)) > 65535) {
      throw new ConfigError(`invalid --otlp-grpc-address "${otlpGrpcAddress}": use host:port, e.g. 127.0.0.1:4317 or 0.0.0.0:4317`);
    }
    config.otlpGrpcAddress = otlpGrpcAddress;
  }
  const rulesFile = pick('rules-file');
  if (rulesFile) config.rulesFile = path.resolve(rulesFile);
  return { ...config, help: values.help === true };
}
