import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { IngestService } from './ingest/pipeline.js';
import { PushService } from './ingest/push.js';
import { createProfileDecoder } from './ingest/decodePool.js';
import { ServerMetrics } from './metrics.js';
import { QueryService } from './query/service.js';
import { ReadPath } from './query/readPath.js';
import { SnapshotStore } from './snapshots/snapshotStore.js';
import path from 'node:path';
import { openClickHouseStore, parseClickHouseStoreUrl } from './storage/clickhouse/store.js';
import { openDuckDbStore } from './storage/duckdb/store.js';
import type { Store } from './storage/store.js';
import { buildServer } from './http/server.js';
import { startSelfProfiling } from './selfprofile/selfProfile.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** http://host:port as listened on (127.0.0.1 when listening on all interfaces). */
  address: string;
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
  if (config.store !== '') return openClickHouseStore({ ...parseClickHouseStoreUrl(config.store), ...common });
  return openDuckDbStore({ dataDir: config.dataDir, symbolCacheBytes: config.symbolCacheBytes, ...common });
}

/** Wires store, services and HTTP together and starts listening. */
export async function startCinder(config: ServerConfig, now: () => number = Date.now): Promise<RunningServer> {
  const store = await openStore(config, now);
  const metrics = new ServerMetrics();
  const decoder = createProfileDecoder();
  const ingestContext = { sink: store, limits: config.limits, now, metrics, decoder };
  const ingest = new IngestService(ingestContext);
  const push = new PushService(ingestContext);
  const read = new ReadPath(new QueryService(store, config, now));
  const snapshots = new SnapshotStore(path.join(config.dataDir, 'snapshots'));
  let closing = false;
  const app = await buildServer({
    config,
    store,
    ingest,
    push,
    read,
    snapshots,
    metrics,
    now,
    notReadyReason: () => (closing ? 'shutting down' : store.health()),
  });
  await app.listen({ host: config.host, port: config.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.port;
  const connectHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const address = `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;

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

  return {
    app,
    store,
    address,
    async close() {
      closing = true;
      clearInterval(timer);
      if (stopSelfProfiling) await stopSelfProfiling().catch(() => undefined);
      await app.close();
      await decoder.close();
      metrics.close();
      await store.close();
    },
  };
}
