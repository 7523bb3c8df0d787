/**
 * The parts of the state machine that take minutes, with the server's clock injected (startCinder's
 * `now`): a breach with `for: 30s` stays pending (no notification) until 30 s have passed, then
 * fires; while it fires, Alertmanager targets hear it again a minute later (and Cinder targets do not).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertWebhookPayload, AlertsResponse, RuleView } from '@cinder/core';
import { defaultConfig } from '../src/config.js';
import { startCinder, type RunningServer } from '../src/main.js';
import { testdataDir } from './helpers/startServer.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WATCHED = 'term::stdout::';
const fixture = readFileSync(path.join(testdataDir, 'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt'), 'utf8');
const doubled = fixture
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (line.includes(WATCHED) ? line.replace(/ (\d+)$/, (_m, n: string) => ` ${Number(n) * 2}`) : line))
  .join('\n');

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('alert timing with an injected clock', () => {
  let offsetMs = 0;
  let server: RunningServer;
  let dataDir: string;
  let hook: http.Server;
  let hookUrl: string;
  const received: { path: string; body: unknown }[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-alerts-clock-'));
    hook = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    server = await startCinder({ ...defaultConfig(), host: '127.0.0.1', port: 0, dataDir, selfProfiling: false, logLevel: 'silent', alertTickMs: 100 }, () => Date.now() + offsetMs);
    const nowS = Math.floor(Date.now() / 1000);
    const ingest = async (version: string, body: string, atS: number): Promise<void> => {
      const response = await fetch(`${server.address}/ingest?${new URLSearchParams({ name: `svc-clock.cpu{version=${version}}`, from: String(atS - 10), until: String(atS), format: 'folded' })}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: gzipSync(body),
      });
      expect(response.status).toBe(200);
    };
    for (let i = 0; i < 3; i++) await ingest('v1', fixture, nowS - 100 + i * 10);
    for (let i = 0; i < 3; i++) await ingest('v2', doubled, nowS - 50 + i * 10);
  });
  afterAll(async () => {
    await server?.close();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pending for `for`, then firing; Alertmanager targets get re-sends while it fires', async () => {
    const response = await fetch(`${server.address}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'clocked',
        query: `${CPU}{service_name="svc-clock"}`,
        watch: { package: WATCHED },
        baseline: 'previous_version',
        window: '10m',
        interval: '1s',
        for: '30s',
        thresholds: { minProfiles: 3 },
        notify: [{ url: `${hookUrl}/cinder` }, { url: `${hookUrl}/am`, format: 'alertmanager' }],
      }),
    });
    expect(response.status).toBe(201);
    const id = ((await response.json()) as RuleView).rule.id;
    const alerts = async (): Promise<AlertsResponse> => (await fetch(`${server.address}/api/v1/alerts`)).json() as Promise<AlertsResponse>;
    const pending = await until('a pending alert', async () => (await alerts()).pending[0]);
    expect(pending.ruleName).toBe('clocked');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await alerts()).firing).toEqual([]);
    expect(received).toEqual([]);
    const state = ((await (await fetch(`${server.address}/api/v1/rules/${id}`)).json()) as RuleView).status;
    expect(state.state).toBe('pending');

    offsetMs += 31_000;
    const firing = await until('the firing notification', () => received.find((r) => r.path === '/cinder'));
    const payload = firing.body as AlertWebhookPayload;
    expect(payload.status).toBe('firing');
    expect(payload.alert.firingSinceMs! - payload.alert.pendingSinceMs).toBeGreaterThanOrEqual(30_000);
    expect((await alerts()).firing.map((a) => a.id)).toEqual([pending.id]);
    await until('the Alertmanager notification', () => received.find((r) => r.path === '/am'));

    // A minute later it still fires: Alertmanager hears it again, the Cinder webhook does not.
    offsetMs += 61_000;
    await until('an Alertmanager re-send', () => (received.filter((r) => r.path === '/am').length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.filter((r) => r.path === '/cinder')).toHaveLength(1);
    expect(received.filter((r) => r.path === '/am')).toHaveLength(2);
    const resent = (received.filter((r) => r.path === '/am')[1]!.body as { annotations: { summary: string }; endsAt: string }[])[0]!;
    expect(resent.annotations.summary).toMatch(/^ALERT: clocked/);
    expect(Date.parse(resent.endsAt)).toBeGreaterThan(Date.now() + offsetMs + 3 * 60_000);
  });
});
