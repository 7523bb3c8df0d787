import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { IngestService } from './ingest/pipeline.js';
import { PushService } from './ingest/push.js';
import { OtlpIngestService } from './ingest/otlp.js';
import { startOtlpGrpcServer, type OtlpGrpcServer } from './http/otlpGrpc.js';
import { createProfileDecoder } from './ingest/decodePool.js';
import { ServerMetrics } from './metrics.js';
import { QueryService } from './query/service.js';
import { ReadPath } from './query/readPath.js';
import { SettingsStore } from './settings/settingsStore.js';
import { SnapshotStore } from './snapshots/snapshotStore.js';
import path from 'node:path';
import { openClickHouseStore, parseClickHouseStoreUrl } from './storage/clickhouse/store.js';
import { openDuckDbStore } from './storage/duckdb/store.js';
import type { Store } from './storage/store.js';
import { buildServer } from './http/server.js';
import { startSelfProfiling } from './selfprofile/selfProfile.js';
import { AlertEngine } from './alerts/engine.js';
import { loadRulesFile } from './alerts/rulesFile.js';
import { AlertCluster } from './alerts/cluster.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** Alert and recording rules (the benchmark drives evaluation rounds through it). */
  alerts: AlertEngine;
  /** http://host:port as listened on (127.0.0.1 when listening on all interfaces). */
  address: string;
  /** host:port of the OTLP/gRPC listener as bound; null when --otlp-grpc-address is not set. */
  otlpGrpcAddress: string | null;
  close(): Promise<void>;
}

/** The embedded DuckDB store in the data folder, or ClickHouse when `--store clickhouse://…` says so. */
async function openStore(config: ServerConfig, now: () => number): Promise<Store> {
  const common = {
    retentionMs: config.retentionMs,
    rollupRetentionMs: config.rollupRetentionMs,
    maxSeriesPerTenant: config.limits.maxSeriesPerTenant,
    activeSeriesWindowMs: config.activeSeriesWindowMs,
    now,
  };
  if (config.store !== '') return openClickHouseStore({ ...parseClickHouseStoreUrl(config.store), symbolCacheBytes: config.symbolCacheBytes, ...common });
  return openDuckDbStore({ dataDir: config.dataDir, symbolCacheBytes: config.symbolCacheBytes, mergeCacheBytes: config.mergeCacheBytes, ...common });
}

/** Wires store, services and HTTP together and starts listening. */
export async function startCinder(config: ServerConfig, now: () => number = Date.now): Promise<RunningServer> {
  // A bad rules file stops the start (with the rule and field named) rather than alerting on half of it.
  const fileRules = config.rulesFile ? await loadRulesFile(config.rulesFile) : [];
  const store = await openStore(config, now);
  const metrics = new ServerMetrics();
  const decoder = createProfileDecoder();
  const ingestContext = { sink: store, limits: config.limits, now, metrics, decoder };
  const ingest = new IngestService(ingestContext);
  const push = new PushService(ingestContext);
  const otlp = new OtlpIngestService(ingestContext);
  const read = new ReadPath(new QueryService(store, config, now));
  const snapshots = new SnapshotStore(path.join(config.dataDir, 'snapshots'));
  const settings = new SettingsStore(path.join(config.dataDir, 'settings'), now);
  let appLog: FastifyInstance['log'] | null = null;
  const alerts = new AlertEngine({
    dataDir: config.dataDir,
    read,
    snapshots,
    registry: metrics.registry,
    now,
    fileRules,
    tickMs: config.alertTickMs,
    retryBaseMs: config.alertRetryBaseMs,
    // ClickHouse deployments share rules and alert state through the database; each rule has one evaluating server.
    ...(config.store !== '' ? { cluster: new AlertCluster({ connection: parseClickHouseStoreUrl(config.store), now }) } : {}),
    log: { info: (o, m) => appLog?.info(o, m), warn: (o, m) => appLog?.warn(o, m), error: (o, m) => appLog?.error(o, m) },
  });
  let closing = false;
  const app = await buildServer({
    config,
    store,
    ingest,
    push,
    otlp,
    read,
    snapshots,
    settings,
    metrics,
    alerts,
    now,
    notReadyReason: () => (closing ? 'shutting down' : store.health()),
  });
  await app.listen({ host: config.host, port: config.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.port;
  const connectHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const address = `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  appLog = app.log;
  alerts.setBaseUrl(config.publicUrl || address);
  // A failed start must not leave the HTTP server, workers and store behind.
  const abandonStart = async (error: unknown): Promise<never> => {
    await app.close();
    await decoder.close();
    metrics.close();
    await store.close();
    throw error;
  };
  // An unreadable rules.json (e.g. from a newer Cinder) stops the start cleanly, as a store error does.
  await alerts.start().catch(abandonStart);
  let otlpGrpc: OtlpGrpcServer | null = null;
  if (config.otlpGrpcAddress !== '') {
    // A taken port fails the start.
    otlpGrpc = await startOtlpGrpcServer({ address: config.otlpGrpcAddress, otlp, config, onError: (error) => app.log.error({ err: error }, 'OTLP gRPC export failed') }).catch(abandonStart);
    app.log.info(`OTLP gRPC (ProfilesService/Export) on ${otlpGrpc.address}`);
  }

  const maintenance = async (): Promise<void> => {
    try {
      const result = await store.maintain(now());
      if (result.rawRowsDeleted + result.rollupRowsDeleted > 0) app.log.info(result, 'retention removed old rows');
    } catch (error) {
      app.log.error({ err: error }, 'maintenance (rollup/retention) failed');
    }
  };
  const timer = setInterval(() => void maintenance(), config.maintenanceIntervalMs);
  timer.unref();

  let stopSelfProfiling: (() => Promise<void>) | null = null;
  if (config.selfProfiling) {
    try {
      stopSelfProfiling = startSelfProfiling(address, config.ingestTokens[0], config.multitenancy ? 'cinder' : undefined);
    } catch (error) {
      app.log.warn({ err: error }, 'self-profiling could not start; continuing without it');
    }
  }

  // Start-up is done (modules, store, listeners): from here a block is a request's wait.
  metrics.serving();
  return {
    app,
    store,
    alerts,
    address,
    otlpGrpcAddress: otlpGrpc?.address ?? null,
    async close() {
      closing = true;
      clearInterval(timer);
      await otlpGrpc?.close();
      await alerts.close();
      if (stopSelfProfiling) await stopSelfProfiling().catch(() => undefined);
      await app.close();
      await decoder.close();
      metrics.close();
      await store.close();
    },
  };
}
