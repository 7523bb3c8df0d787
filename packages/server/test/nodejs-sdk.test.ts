import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startServer, type StartedServer } from './helpers/startServer.js';
import { connectJson, mergedTotal } from './helpers/client.js';

/**
 * The real @pyroscope/nodejs SDK runs a CPU-burning workload in a child process, pushing to a
 * server on 127.0.0.1; its profiles become queryable with the right service, labels and types.
 */
const workload = `
import Pyroscope from '@pyroscope/nodejs';
const serverAddress = process.argv[2];
Pyroscope.init({ serverAddress, appName: 'sdk-app', tags: { region: 'test-region' }, flushIntervalMs: 1500, wall: { collectCpuTime: true } });
Pyroscope.start();
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
const until = Date.now() + 5000;
while (Date.now() < until) {
  Pyroscope.wrapWithLabels({ handler: 'fib' }, () => fib(24));
  await new Promise((resolve) => setImmediate(resolve));
}
await Pyroscope.stop();
`;

describe('@pyroscope/nodejs SDK against a real server', () => {
  let server: StartedServer;
  let scriptDir: string;
  beforeAll(async () => {
    server = await startServer();
    scriptDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-sdk-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(scriptDir, { recursive: true, force: true });
  });

  it('profiles arrive with service name, tags, dynamic labels and wall/cpu/heap types', async () => {
    // The script must resolve @pyroscope/nodejs from the repository's node_modules.
    const scriptPath = path.join(repoRoot, 'packages/server/test', `.sdk-workload-${process.pid}.mjs`);
    writeFileSync(scriptPath, workload);
    try {
      const exitCode = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [scriptPath, server.baseUrl], { stdio: 'inherit' });
        child.on('exit', resolve);
      });
      expect(exitCode).toBe(0);
    } finally {
      rmSync(scriptPath, { force: true });
    }
    const nowMs = Date.now();
    const range = { start: String(nowMs - 3_600_000), end: String(nowMs + 60_000) };
    const services = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', { name: 'service_name', ...range });
    expect(services.body.names).toContain('sdk-app');
    const types = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
      name: '__profile_type__',
      matchers: ['{service_name="sdk-app"}'],
      ...range,
    });
    const ids = types.body.names ?? [];
    expect(ids.some((id) => id.startsWith('wall:wall:'))).toBe(true);
    expect(ids.some((id) => id.startsWith('wall:cpu:'))).toBe(true);
    expect(ids.some((id) => id.startsWith('memory:inuse_space:'))).toBe(true);
    const regions = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
      name: 'region',
      matchers: ['{service_name="sdk-app"}'],
      ...range,
    });
    expect(regions.body.names).toEqual(['test-region']);
    const handlers = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
      name: 'handler',
      matchers: ['{service_name="sdk-app"}'],
      ...range,
    });
    expect(handlers.body.names).toContain('fib');
    const wallId = ids.find((id) => id.startsWith('wall:wall:'))!;
    expect(await mergedTotal(server.baseUrl, wallId, '{service_name="sdk-app", handler="fib"}')).toBeGreaterThan(0);
    const tree = await connectJson<{ flamegraph?: { names?: string[] } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: wallId,
      labelSelector: '{service_name="sdk-app"}',
      ...range,
    });
    expect(tree.body.flamegraph?.names?.some((name) => name.includes('fib'))).toBe(true);
  });
});

describe('self-profiling', () => {
  it('is on by default: the server shows up as service "cinder" within seconds', async () => {
    const server = await startServer({ selfProfiling: true });
    try {
      const deadline = Date.now() + 45_000;
      let services: string[] = [];
      while (Date.now() < deadline) {
        const nowMs = Date.now();
        const { body } = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
          name: 'service_name',
          matchers: [],
          start: String(nowMs - 600_000),
          end: String(nowMs + 60_000),
        });
        services = body.names ?? [];
        if (services.includes('cinder')) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(services).toContain('cinder');
    } finally {
      await server.stop();
    }
  }, 60_000);
});
