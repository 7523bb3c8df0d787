/**
 * Alerts end to end on a real server (127.0.0.1, multitenancy on) with a real profile (Linux perf on
 * a Rust program, testdata/collapsed): version v1 as recorded, v2 with every stack through
 * `term::stdout::…` doubled. A rule watching that package against the previous version fires within
 * two evaluation intervals of v2 arriving, the local webhook receiver gets the payload naming it and
 * a frozen diff snapshot that still reads; idle and below-floor services do not fire; v3 (same as
 * v2) resolves it; a dead webhook is retried and logged; rules survive a restart.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertWebhookPayload, AlertsResponse, DeliveryLogEntry, RuleView, Snapshot } from '@cinder/core';
import { defaultConfig, type ServerConfig } from '../src/config.js';
import { startCinder, type RunningServer } from '../src/main.js';
import { testdataDir } from './helpers/startServer.js';

const TENANT = 'team-a';
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WATCHED = 'term::stdout::';
const INTERVAL_MS = 1_000;
const fixture = readFileSync(path.join(testdataDir, 'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt'), 'utf8');
/** v2: every stack through the watched package counts twice. */
const doubled = fixture
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const at = line.lastIndexOf(' ');
    const count = Number(line.slice(at + 1));
    return line.includes(WATCHED) ? `${line.slice(0, at)} ${count * 2}` : line;
  })
  .join('\n');

interface Received {
  path: string;
  body: unknown;
  atMs: number;
}

async function receiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')), atMs: Date.now() });
      response.writeHead(request.url === '/fail' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (a server opened and closed). */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('alerts from profiles', () => {
  let dataDir: string;
  let server: RunningServer;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let dead: string;
  const rulesFile = () => path.join(dataDir, 'rules.yaml');
  const config = (): ServerConfig => ({
    ...defaultConfig(),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    selfProfiling: false,
    multitenancy: true,
    logLevel: 'silent',
    rulesFile: rulesFile(),
    alertTickMs: 100,
    alertRetryBaseMs: 100,
  });
  const api = async <T = unknown>(method: string, url: string, body?: unknown, tenant = TENANT): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.address}${url}`, {
      method,
      headers: { 'x-scope-orgid': tenant, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ingest = async (service: string, version: string, body: string, atS: number): Promise<void> => {
    const name = `${service}.cpu{version=${version}}`;
    const response = await fetch(`${server.address}/ingest?${new URLSearchParams({ name, from: String(atS - 10), until: String(atS), format: 'folded', sampleRate: '100' })}`, {
      method: 'POST',
      headers: { 'x-scope-orgid': TENANT, 'content-type': 'text/plain' },
      // Gzipped (recognised by its magic bytes) so the body stays under the inline-decode size.
      body: gzipSync(body),
    });
    expect(response.status, await response.text()).toBe(200);
  };
  const rule = (name: string, service: string, extra: Record<string, unknown> = {}) => ({
    name,
    query: `${CPU}{service_name="${service}"}`,
    watch: { package: WATCHED, value: 'total' },
    baseline: 'previous_version',
    window: '10m',
    interval: `${INTERVAL_MS}ms`,
    thresholds: { warnRatio: 1.2, alertRatio: 1.5, minValuePerSecond: 1e9, minProfiles: 3 },
    notify: [{ url: `${hooks.url}/hook` }, { url: `${hooks.url}/am`, format: 'alertmanager' }],
    labels: { team: 'a' },
    ...extra,
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-alerts-'));
    writeFileSync(
      rulesFile(),
      [
        'rules:',
        '  - name: from-file',
        `    tenant: ${TENANT}`,
        `    query: ${CPU}{service_name="svc-file"}`,
        '    watch: total',
        '    baseline: day',
        '    window: 5m',
        '    interval: 1m',
      ].join('\n'),
    );
    hooks = await receiver();
    dead = await deadUrl();
    server = await startCinder(config());
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad rules with CINDER_RULE_INVALID and names the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...rule('bad', 'x'), query: 'not a type' }, /rule query/],
      [{ ...rule('bad', 'x'), watch: { regex: '(?<=a)b' } }, /watch\.pattern/],
      [{ ...rule('bad', 'x'), thresholds: { warnRatio: 2, alertRatio: 1.5 } }, /alertRatio/],
      [{ ...rule('bad', 'x'), interval: '10ms' }, /interval/],
      [{ ...rule('bad', 'x'), notify: [{ url: 'ftp://example.com' }] }, /notify\[0\]\.url/],
      [{ ...rule('bad', 'x'), baseline: 'yesterday-ish' }, /baseline/],
    ];
    for (const [body, message] of cases) {
      const answer = await api<{ reason: string; message: string }>('POST', '/api/v1/rules', body);
      expect(answer.status).toBe(400);
      expect(answer.body.reason).toBe('CINDER_RULE_INVALID');
      expect(answer.body.message).toMatch(message);
    }
    expect((await api<{ reason: string }>('GET', '/api/v1/rules/0123456789abcdef')).body.reason).toBe('CINDER_NOT_FOUND');
  });

  it('seeded random rule bodies and odd requests get 201 or a 4xx with a code, never a 5xx', async () => {
    let seed = 16;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const odd = [null, 0, -1, 1e308, '', 'x'.repeat(5000), [], {}, true, '10m', '(', { kind: 'offset' }, [{ url: 'http://127.0.0.1:1/x' }]];
    const created: string[] = [];
    for (let i = 0; i < 150; i++) {
      const body: Record<string, unknown> = { ...rule(`fuzz-${i}`, 'svc-fuzz'), notify: [{ url: `${hooks.url}/fuzz` }] };
      const keys = Object.keys(body);
      for (let m = 0; m < 1 + Math.floor(random() * 3); m++) {
        const key = pick([...keys, 'thresholds.warnRatio', 'watch.pattern', 'baseline.label']);
        const [outer, inner] = key.split('.');
        if (inner && typeof body[outer!] === 'object' && body[outer!] !== null) (body[outer!] as Record<string, unknown>)[inner] = pick(odd);
        else if (random() < 0.3) delete body[outer!];
        else body[outer!] = pick(odd);
      }
      const answer = await api<{ reason?: string; rule?: { id: string } }>('POST', '/api/v1/rules', body);
      expect([201, 400], JSON.stringify(body).slice(0, 300)).toContain(answer.status);
      if (answer.status === 400) expect(answer.body.reason).toBe('CINDER_RULE_INVALID');
      else created.push(answer.body.rule!.id);
    }
    for (const [method, url, body, contentType] of [
      ['POST', '/api/v1/rules', 'not json', 'application/json'],
      ['POST', '/api/v1/rules', '{"name":', 'application/json'],
      ['POST', '/api/v1/rules', 'name: x', 'text/yaml'],
      ['PUT', '/api/v1/rules/zz', '{}', 'application/json'],
      ['POST', '/api/v1/rules/0123456789abcdef/test', '{}', 'application/json'],
      ['DELETE', '/api/v1/rules/../../etc', undefined, undefined],
    ] as const) {
      const response = await fetch(`${server.address}${url}`, { method, headers: { 'x-scope-orgid': TENANT, ...(contentType ? { 'content-type': contentType } : {}) }, body });
      expect(response.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${url}`).toBeLessThan(500);
    }
    for (const id of created) expect((await api('DELETE', `/api/v1/rules/${id}`)).status).toBe(204);
  });

  it('loads the rules file (read-only through the API) and keeps tenants apart', async () => {
    const list = await api<{ rules: RuleView[] }>('GET', '/api/v1/rules');
    const fileRule = list.body.rules.find((r) => r.rule.name === 'from-file')!;
    expect(fileRule.rule.source).toBe('file');
    expect(fileRule.rule.baseline).toEqual({ kind: 'offset', offsetMs: 86_400_000 });
    const put = await api<{ reason: string }>('PUT', `/api/v1/rules/${fileRule.rule.id}`, rule('from-file', 'svc-file'));
    expect(put.status).toBe(409);
    expect(put.body.reason).toBe('CINDER_RULE_READ_ONLY');
    expect((await api<{ rules: RuleView[] }>('GET', '/api/v1/rules', undefined, 'team-b')).body.rules).toEqual([]);
    expect((await api('GET', `/api/v1/rules/${fileRule.rule.id}`, undefined, 'team-b')).status).toBe(404);
  });

  let regressionId = '';
  let firing: Received;

  it('a function that doubles in v2 fires within two evaluation intervals, with the function named and a frozen diff', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 5; i++) await ingest('svc-a', 'v1', fixture, nowS - 100 + i * 8);
    // Idle: a rule on a service without profiles. Noise: a tiny service whose one function doubles, under the floor.
    for (let i = 0; i < 5; i++) await ingest('svc-noise', 'v1', 'main;term::stdout::write 1', nowS - 100 + i * 8);
    const created = await api<RuleView>('POST', '/api/v1/rules', rule('svc-a-stdout', 'svc-a'));
    expect(created.status).toBe(201);
    regressionId = created.body.rule.id;
    const idle = await api<RuleView>('POST', '/api/v1/rules', rule('idle', 'svc-idle', { baseline: 'previous_period' }));
    const noise = await api<RuleView>('POST', '/api/v1/rules', rule('noise', 'svc-noise'));
    expect(idle.status).toBe(201);
    expect(noise.status).toBe(201);
    // One version only: evaluated, nothing to compare with.
    const onlyOne = await waitFor('a first evaluation', async () => {
      const view = await api<RuleView>('GET', `/api/v1/rules/${regressionId}`);
      return view.body.status.lastEvaluationMs !== null ? view.body : undefined;
    });
    expect(onlyOne.status.state).toBe('inactive');
    expect(onlyOne.status.lastNote).toMatch(/only one "version" \(v1\)/);

    const deployedAtMs = Date.now();
    for (let i = 0; i < 5; i++) await ingest('svc-a', 'v2', doubled, nowS - 50 + i * 8);
    for (let i = 0; i < 5; i++) await ingest('svc-noise', 'v2', 'main;term::stdout::write 2', nowS - 50 + i * 8);
    firing = await waitFor('the firing webhook', () => hooks.received.find((r) => r.path === '/hook' && (r.body as AlertWebhookPayload).status === 'firing'));
    // Ingest takes part of the budget too: measured from the last v2 upload being acknowledged.
    expect(firing.atMs - deployedAtMs).toBeLessThan(2 * INTERVAL_MS + 1_000);
    const payload = firing.body as AlertWebhookPayload;
    expect(payload.version).toBe(1);
    expect(payload.tenant).toBe(TENANT);
    expect(payload.rule).toMatchObject({ id: regressionId, name: 'svc-a-stdout', labels: { team: 'a' } });
    expect(payload.alert.watched).toBe(`total of package ${WATCHED}`);
    expect(payload.summary).toContain(WATCHED);
    expect(payload.alert.severity).toBe('alert');
    expect(payload.alert.ratio).toBeCloseTo(2, 5);
    expect(payload.alert.topFunctions.length).toBeGreaterThan(0);
    // Everything that grew sits under the watched package (only its stacks were doubled).
    const grown = payload.alert.topFunctions.map((f) => f.name);
    const underWatched = new Set(fixture.split('\n').filter((l) => l.includes(WATCHED)).flatMap((l) => l.slice(0, l.lastIndexOf(' ')).split(';').slice(l.split(';').findIndex((f) => f.startsWith(WATCHED)))));
    for (const name of grown) expect(underWatched.has(name), name).toBe(true);
    expect(payload.alert.baseline.query).toContain('version="v1"');
    expect(payload.alert.current.query).toContain('version="v2"');
    expect(payload.compareUrl).toMatch(new RegExp(`^${server.address}/compare\\?.*preset=labels`));

    // The snapshot link: the page answers, and its frozen diff names the package's functions with doubled values.
    expect(payload.snapshotUrl).toMatch(new RegExp(`^${server.address}/snapshots/[0-9a-f]{20}$`));
    const page = await fetch(payload.snapshotUrl!, { headers: { 'x-scope-orgid': TENANT } });
    expect([200, 404]).toContain(page.status); // 404 only when the web UI is not built (no SPA routes)
    const snapshot = await api<Snapshot>('GET', `/api/v1/snapshots/${payload.alert.snapshotId}`);
    expect(snapshot.status).toBe(200);
    const row = snapshot.body.diff!.table.find((r) => r.name.startsWith(WATCHED))!;
    expect(row.comparisonTotal / row.baselineTotal).toBeCloseTo(2, 5);
    expect(snapshot.body.result.profileCount).toBe(5);

    const am = await waitFor('the Alertmanager payload', () => hooks.received.find((r) => r.path === '/am'));
    const amAlerts = am.body as { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }[];
    expect(amAlerts).toHaveLength(1);
    expect(amAlerts[0]!.labels).toMatchObject({ alertname: 'svc-a-stdout', severity: 'critical', service_name: 'svc-a', team: 'a', tenant: TENANT });
    expect(amAlerts[0]!.annotations.summary).toContain(WATCHED);
    expect(amAlerts[0]!.generatorURL).toBe(payload.snapshotUrl);
    expect(Number.isNaN(Date.parse(amAlerts[0]!.startsAt))).toBe(false);
    // Firing: `endsAt` four re-sends (of at least a minute) ahead, so Alertmanager keeps it while Cinder re-sends.
    expect(Date.parse(amAlerts[0]!.endsAt) - am.atMs).toBeGreaterThan(3.9 * 60_000);

    const alerts = await api<AlertsResponse>('GET', '/api/v1/alerts');
    expect(alerts.body.firing.map((a) => a.ruleName)).toEqual(['svc-a-stdout']);
    const metrics = await (await fetch(`${server.address}/metrics`)).text();
    expect(metrics).toMatch(/cinder_alerts_firing\{tenant="team-a",rule="svc-a-stdout",severity="alert"\} 1/);
    expect(metrics).toMatch(/cinder_alert_rule_evaluation_seconds\{tenant="team-a",rule="svc-a-stdout"\} [0-9.e-]+/);

    // Idle and noisy services were evaluated and did not fire, each for its reason.
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_MS));
    const idleView = await api<RuleView>('GET', `/api/v1/rules/${idle.body.rule.id}`);
    expect(idleView.body.status.state).toBe('inactive');
    expect(idleView.body.status.lastNote).toMatch(/0 profile\(s\) in the current window/);
    const noiseView = await api<RuleView>('GET', `/api/v1/rules/${noise.body.rule.id}`);
    expect(noiseView.body.status.state).toBe('inactive');
    expect(noiseView.body.status.lastRatio).toBeCloseTo(2, 5);
    expect(noiseView.body.status.lastNote).toMatch(/below the floor/);
    expect(hooks.received.filter((r) => (r.body as AlertWebhookPayload).rule?.name === 'noise' || (r.body as AlertWebhookPayload).rule?.name === 'idle')).toEqual([]);
  });

  it('a recording rule exports the watched rate on /metrics', async () => {
    const created = await api<RuleView>('POST', '/api/v1/rules', { name: 'svc-a-stdout-rate', kind: 'recording', query: `${CPU}{service_name="svc-a"}`, watch: { package: WATCHED }, window: '10m', interval: '1s' });
    expect(created.status).toBe(201);
    const line = await waitFor('cinder_profile_metric', async () => {
      const text = await (await fetch(`${server.address}/metrics`)).text();
      return /cinder_profile_metric\{tenant="team-a",rule="svc-a-stdout-rate",unit="nanoseconds"\} ([0-9.e+]+)/.exec(text)?.[1];
    });
    expect(Number(line)).toBeGreaterThan(0);
    // The rule's series leave /metrics with it.
    expect((await api('DELETE', `/api/v1/rules/${created.body.rule.id}`)).status).toBe(204);
    expect(await (await fetch(`${server.address}/metrics`)).text()).not.toContain('rule="svc-a-stdout-rate"');
  });

  it('send test reaches the receiver; a dead webhook is retried with back-off and the failures are in the delivery log', async () => {
    const test = await api<{ deliveries: DeliveryLogEntry[] }>('POST', `/api/v1/rules/${regressionId}/test`);
    expect(test.status).toBe(200);
    expect(test.body.deliveries.map((d) => [d.ok, d.httpStatus, d.kind])).toEqual([
      [true, 200, 'test'],
      [true, 200, 'test'],
    ]);
    expect(hooks.received.some((r) => r.path === '/hook' && (r.body as AlertWebhookPayload).status === 'test')).toBe(true);

    const down = await api<RuleView>('POST', '/api/v1/rules', rule('svc-a-dead-hook', 'svc-a', { notify: [{ url: dead }] }));
    expect(down.status).toBe(201);
    const log = await waitFor('three failed attempts', async () => {
      const view = await api<{ deliveries: DeliveryLogEntry[] }>('GET', `/api/v1/rules/${down.body.rule.id}`);
      return view.body.deliveries.length >= 3 ? view.body.deliveries : undefined;
    });
    // Newest first.
    expect(log.map((d) => d.attempt)).toEqual([3, 2, 1]);
    for (const entry of log) {
      expect(entry.ok).toBe(false);
      expect(entry.httpStatus).toBeNull();
      expect(entry.error).toMatch(/ECONNREFUSED/);
      expect(entry.kind).toBe('firing');
    }
    // Back-off doubles: 100 ms, then 200 ms.
    expect(log[1]!.timeMs - log[2]!.timeMs).toBeGreaterThanOrEqual(90);
    expect(log[0]!.timeMs - log[1]!.timeMs).toBeGreaterThanOrEqual(190);
    expect(log[2]!.nextAttemptMs).not.toBeNull();
    const testDead = await api<{ deliveries: DeliveryLogEntry[] }>('POST', `/api/v1/rules/${down.body.rule.id}/test`);
    expect(testDead.body.deliveries[0]).toMatchObject({ ok: false, kind: 'test' });
    await api('DELETE', `/api/v1/rules/${down.body.rule.id}`);
  });

  it('v3 back at v2 levels resolves the alert and sends a resolved notification', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 4; i++) await ingest('svc-a', 'v3', doubled, nowS - 4 + i);
    const resolved = await waitFor('the resolved webhook', () => hooks.received.find((r) => r.path === '/hook' && (r.body as AlertWebhookPayload).status === 'resolved' && (r.body as AlertWebhookPayload).rule.id === regressionId));
    const payload = resolved.body as AlertWebhookPayload;
    expect(payload.alert.state).toBe('resolved');
    expect(payload.alert.resolvedMs).toBeGreaterThanOrEqual(payload.alert.firingSinceMs!);
    expect(payload.alert.id).toBe((firing.body as AlertWebhookPayload).alert.id);
    const am = await waitFor('the Alertmanager resolve', () => hooks.received.find((r) => r.path === '/am' && (r.body as { annotations: { summary: string } }[])[0]!.annotations.summary.startsWith('Resolved')));
    expect(Date.parse((am.body as { endsAt: string }[])[0]!.endsAt)).toBe(payload.alert.resolvedMs);
    expect((am.body as { labels: { alertname: string } }[])[0]!.labels.alertname).toBe('svc-a-stdout');
    const alerts = await api<AlertsResponse>('GET', '/api/v1/alerts');
    expect(alerts.body.firing).toEqual([]);
    expect(alerts.body.recent.map((a) => [a.ruleName, a.state])).toContainEqual(['svc-a-stdout', 'resolved']);
  });

  it('rules, history and the delivery log survive a restart', async () => {
    const before = await api<{ rules: RuleView[] }>('GET', '/api/v1/rules');
    const beforeDetail = await api<{ deliveries: DeliveryLogEntry[] }>('GET', `/api/v1/rules/${regressionId}`);
    await server.close();
    server = await startCinder(config());
    const after = await api<{ rules: RuleView[] }>('GET', '/api/v1/rules');
    expect(after.body.rules.map((r) => r.rule)).toEqual(before.body.rules.map((r) => ({ ...r.rule, ...(r.rule.source === 'file' ? { createdMs: expect.any(Number), updatedMs: expect.any(Number) } : {}) })));
    const afterDetail = await api<{ deliveries: DeliveryLogEntry[] }>('GET', `/api/v1/rules/${regressionId}`);
    expect(afterDetail.body.deliveries.length).toBeGreaterThanOrEqual(beforeDetail.body.deliveries.length);
    const alerts = await api<AlertsResponse>('GET', '/api/v1/alerts');
    expect(alerts.body.recent.some((a) => a.ruleName === 'svc-a-stdout')).toBe(true);
    // Edit and delete still work after the restart, and persist.
    const edited = await api<RuleView>('PUT', `/api/v1/rules/${regressionId}`, rule('svc-a-stdout-renamed', 'svc-a', { enabled: false }));
    expect(edited.status).toBe(200);
    expect(edited.body.rule).toMatchObject({ id: regressionId, name: 'svc-a-stdout-renamed', enabled: false });
    expect((await api('DELETE', `/api/v1/rules/${regressionId}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/rules/${regressionId}`)).status).toBe(404);
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'alerts/rules.json'), 'utf8')) as { tenants: Record<string, { id: string }[]> };
    expect(stored.tenants[TENANT]!.some((r) => r.id === regressionId)).toBe(false);
  });
});
