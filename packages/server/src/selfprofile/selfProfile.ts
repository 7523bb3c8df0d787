import Pyroscope from '@pyroscope/nodejs';

/**
 * The server profiles itself with the real Pyroscope Node.js SDK and pushes into its own /ingest as
 * service `cinder`: a fresh install shows real data within a minute, and the SDK path is exercised
 * every day it runs.
 */
export function startSelfProfiling(serverAddress: string, ingestToken: string | undefined, tenant: string | undefined): () => Promise<void> {
  Pyroscope.init({
    serverAddress,
    appName: 'cinder',
    tags: { component: 'server' },
    // Well under a minute, so a fresh install shows its own profile almost at once.
    flushIntervalMs: 10_000,
    ...(ingestToken ? { authToken: ingestToken } : {}),
    ...(tenant ? { tenantID: tenant } : {}),
    wall: { collectCpuTime: true },
  });
  Pyroscope.start();
  return async () => {
    await Pyroscope.stop();
  };
}
