/**
 * Alerting on ClickHouse deployments: two real `cinder serve` processes on one ClickHouse database
 * (scripts/clickhouse.sh). A rule created on one is listed by the other; a real profile (Linux perf
 * on a Rust program) whose `term::stdout::` stacks double in v2 fires the rule, and the local
 * webhook receiver hears it exactly once although both servers run evaluation rounds; rules are
 * split between the servers, and after the one that fired is killed (SIGKILL, no goodbye) the
 * other evaluates all of them — the firing alert continues there without a second notification.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertWebhookPayload, AlertsResponse, RuleView } from '@cinder/core';
import { dropDatabases, freshDatabaseName, startClickHouse } from './storage/clickhouseServer.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WATCHED = 'term::stdout::';
const RECORDING_RULES = 12;
const fixture = readFileSync(path.join(testdataDir, 'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt'), 'utf8');
const doubled = fixture
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (line.includes(WATCHED) ? line.replace(/ (\d+)$/, (_m, n: string) => ` ${Number(n) * 2}`) : line))
  .join('\n');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('alerts on one ClickHouse database shared by two servers', () => {
  let url = '';
  const database = freshDatabaseName('cinder_alerts');
  const servers: StartedServer[] = [];
  const received: AlertWebhookPayload[] = [];
  let hook: http.Server;
  let hookUrl = '';

  beforeAll(async () => {
    url = startClickHouse();
    hook = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertWebhookPayload);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  }, 300_000);
  afterAll(async () => {
    for (const server of servers) await server.stop().catch(() => undefined);
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    if (url) await dropDatabases(url, [database]);
  });

  const api = async <T,>(server: StartedServer, method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.baseUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const rules = async (server: StartedServer): Promise<RuleView[]> => (await api<{ rules: RuleView[] }>(server, 'GET', '/api/v1/rules')).rules;

  it('shares rules, notifies once, and hands a killed server’s rules over', { timeout: 240_000 }, async () => {
    const store = `clickhouse://default@${url.replace(/^http:\/\//, '')}/${database}`;
    const [a, b] = await Promise.all([startServer({ args: ['--store', store] }), startServer({ args: ['--store', store] })]);
    servers.push(a, b);

    // Created on a, listed by b.
    const alertRule = await api<RuleView>(a, 'POST', '/api/v1/rules', {
      name: 'stdout-regression',
      query: `${CPU}{service_name="svc-cluster"}`,
      watch: { package: WATCHED, value: 'total' },
      baseline: 'previous_version',
      window: '10m',
      interval: '1s',
      thresholds: { warnRatio: 1.2, alertRatio: 1.5, minValuePerSecond: 0, minProfiles: 3 },
      notify: [{ url: hookUrl }],
    });
    await waitFor('b to list the rule created on a', async () => ((await rules(b)).some((v) => v.rule.id === alertRule.rule.id) ? true : undefined), 20_000);
    // Recording rules created on b, listed by a; with 13 rules both servers own some (2 / 2^13 odds otherwise).
    for (let i = 0; i < RECORDING_RULES; i++) {
      await api(b, 'POST', '/api/v1/rules', { name: `rate-${i}`, kind: 'recording', query: `${CPU}{service_name="svc-cluster"}`, watch: 'total', window: '1m', interval: '1s', thresholds: { minProfiles: 1 } });
    }
    await waitFor('a to list every rule', async () => ((await rules(a)).length === RECORDING_RULES + 1 ? true : undefined), 20_000);
    const changed = await api<RuleView>(b, 'PUT', `/api/v1/rules/${alertRule.rule.id}`, { ...alertRule.rule, labels: { team: 'cluster' } });
    await waitFor('a to see the edit made on b', async () => ((await rules(a)).find((v) => v.rule.id === alertRule.rule.id)?.rule.labels.team === 'cluster' ? true : undefined), 20_000);
    expect(changed.rule.updatedMs).toBeGreaterThanOrEqual(alertRule.rule.createdMs);

    const ingest = async (version: string, body: string, atS: number): Promise<void> => {
      const query = new URLSearchParams({ name: `svc-cluster.cpu{version=${version}}`, from: String(atS - 10), until: String(atS), format: 'folded', sampleRate: '100' });
      const response = await fetch(`${a.baseUrl}/ingest?${query}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gzipSync(body) });
      expect(response.status, await response.text()).toBe(200);
    };
    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 4; i++) await ingest('v1', fixture, nowS - 100 + i * 10);
    for (let i = 0; i < 4; i++) await ingest('v2', doubled, nowS - 45 + i * 10);

    const firing = () => received.filter((p) => p.status === 'firing' && p.rule.id === alertRule.rule.id);
    await waitFor('the firing notification', async () => (firing().length > 0 ? true : undefined), 30_000);
    expect(firing()[0]!.summary).toMatch(/ALERT: stdout-regression: total of package term::stdout::/);
    // Both servers keep running rounds every second: a second notification would come now.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(firing()).toHaveLength(1);
    // Both servers show the same alert (the non-owner reads the owner's state).
    for (const server of [a, b]) {
      await waitFor('the firing alert on both servers', async () => ((await api<AlertsResponse>(server, 'GET', '/api/v1/alerts')).firing.length === 1 ? true : undefined), 15_000);
    }

    // Rules are split between the two servers.
    const evaluators = await waitFor(
      'every rule evaluated',
      async () => {
        const views = await rules(b);
        return views.every((v) => v.status.evaluatedBy) ? new Set(views.map((v) => v.status.evaluatedBy)) : undefined;
      },
      20_000,
    );
    expect(evaluators.size).toBe(2);

    // The server that fired (its links carry its address) dies without a goodbye: the other one
    // evaluates everything within a few heartbeats and continues the firing alert.
    const firedBy = firing()[0]!.compareUrl.startsWith(`${a.baseUrl}/`) ? a : b;
    const survivor = firedBy === a ? b : a;
    expect(firing()[0]!.compareUrl.startsWith(`${firedBy.baseUrl}/`)).toBe(true);
    await firedBy.kill();
    const killedMs = Date.now();
    const after = await waitFor(
      'the survivor to evaluate every rule after the other was killed',
      async () => {
        const views = await rules(survivor);
        return views.every((v) => (v.status.lastEvaluationMs ?? 0) > killedMs + 1_000) ? views : undefined;
      },
      40_000,
    );
    const handedOverMs = Date.now() - killedMs;
    expect(new Set(after.map((v) => v.status.evaluatedBy)).size).toBe(1);
    expect(evaluators.has(after[0]!.status.evaluatedBy)).toBe(true);
    // The firing alert continued on the survivor: still one firing notification, still firing.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(firing()).toHaveLength(1);
    expect(received.filter((p) => p.status === 'resolved')).toEqual([]);
    expect((await api<AlertsResponse>(survivor, 'GET', '/api/v1/alerts')).firing.map((r) => r.ruleName)).toEqual(['stdout-regression']);
    console.log(`hand-over after kill -9: ${handedOverMs} ms`);
  });
});
