import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, repoRoot, type StartedServer } from './helpers/startServer.js';
import { connectJson, ingest } from './helpers/client.js';
import { attachmentDisposition } from '../src/http/params.js';

/**
 * Issue 10's query-side and HTTP-side classes on a real server: user regexes, times and steps out of
 * range, timeline size, security headers, snapshot links, download names, credentials in logs.
 */
const hourAgo = () => String(Date.now() - 3_600_000);
const soon = () => String(Date.now() + 60_000);

async function expectReady(server: StartedServer): Promise<void> {
  const response = await fetch(`${server.baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
  expect(response.status, server.output()).toBe(200);
}

describe('hardening of the query side and the HTTP edge', () => {
  let server: StartedServer;
  let cpuType = '';

  beforeAll(async () => {
    server = await startServer();
    // 30 series (one per pod) so group-by timelines have many groups.
    for (let pod = 0; pod < 30; pod++) {
      const response = await ingest(server.baseUrl, { name: `hard.cpu{pod=p${pod}}`, format: 'folded' }, 'main;work;leaf 10\nmain;idle 5\n', 'text/plain');
      expect(response.status, response.text).toBe(200);
    }
    const types = await connectJson<{ profileTypes?: { ID: string }[] }>(server.baseUrl, 'querier.v1.QuerierService/ProfileTypes', { start: hourAgo(), end: soon() });
    cpuType = types.body.profileTypes![0]!.ID;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('pathological regexes in selectors answer at once on every surface, and the server stays ready', async () => {
    for (const pattern of ['(.*.*)*x', '(a|aa)*b', '(x+x+)+y', '([a-z]+)*!']) {
      const selector = `{service_name=~"${pattern}"}`;
      const viaApi = await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query: `${cpuType}${selector}`, from: 'now-1h', until: 'now' })}`);
      expect(viaApi.status, pattern).toBe(200);
      const labelNames = await connectJson(server.baseUrl, 'querier.v1.QuerierService/LabelNames', { matchers: [`{__profile_type__=~"${pattern}"}`], start: hourAgo(), end: soon() });
      expect(labelNames.status, pattern).toBe(200);
      const render = await fetch(`${server.baseUrl}/pyroscope/render?${new URLSearchParams({ query: `${cpuType}${selector}`, from: 'now-1h', until: 'now' })}`);
      expect(render.status, pattern).toBe(200);
      await expectReady(server);
    }
  });

  it('regexes outside RE2 (lookaround, backreferences) and over-long ones are 400 with a code', async () => {
    for (const pattern of ['(?=a)b', '(a)\\\\1', 'a'.repeat(2000)]) {
      const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query: `${cpuType}{service_name=~"${pattern}"}`, from: 'now-1h', until: 'now' })}`);
      expect(response.status, pattern.slice(0, 20)).toBe(400);
      expect(((await response.json()) as { reason: string }).reason).toBe('CINDER_QUERY_INVALID_SELECTOR');
    }
  });

  it('times past the Date range and absurd steps are 400 on ingest and every query route, never 500', async () => {
    const huge = '9000000000000000000000';
    const ingestResponse = await ingest(server.baseUrl, { name: 'hard.cpu', format: 'folded', from: huge }, 'a;b 1\n', 'text/plain');
    // An unusable `from` on /ingest is the upload's fault like any other malformed parameter (422).
    expect(ingestResponse.status, ingestResponse.text).toBe(422);
    expect(ingestResponse.json().message).toContain('is not a time');
    const routes = [
      `/api/v1/flamegraph?query=${cpuType}{}&from=${huge}&until=now`,
      `/api/v1/timeline?query=${cpuType}{}&from=now-1h&until=${huge}`,
      `/api/v1/timeline?query=${cpuType}{}&from=now-1h&until=now&step=1e308`,
      `/api/v1/timeline?query=${cpuType}{}&from=now-1h&until=now&step=-5`,
      `/api/v1/timeline?query=${cpuType}{}&from=now-1h&until=now&step=NaN`,
      `/api/v1/sandwich?query=${cpuType}{}&from=${huge}&until=now&function=main`,
      `/api/v1/diff?baseline=${cpuType}{}&comparison=${cpuType}{}&baselineFrom=${huge}&baselineUntil=now&comparisonFrom=now-1h&comparisonUntil=now`,
      `/api/v1/labels?from=${huge}&until=now`,
      `/api/v1/label-values?name=pod&from=${huge}&until=now`,
      `/api/v1/services?from=${huge}&until=now`,
      `/pyroscope/render?query=${cpuType}{}&from=${huge}&until=now`,
      `/render?query=${cpuType}{}&from=now-1h&until=${huge}`,
      `/pyroscope/render-diff?leftQuery=${cpuType}{}&rightQuery=${cpuType}{}&leftFrom=${huge}&leftUntil=now&rightFrom=now-1h&rightUntil=now`,
      `/pyroscope/label-values?label=pod&from=${huge}&until=now`,
      `/pyroscope/labels?from=${huge}&until=now`,
    ];
    for (const route of routes) {
      const response = await fetch(server.baseUrl + route);
      expect(response.status, `${route} → ${await response.clone().text()}`).toBe(400);
    }
    for (const [method, body] of [
      ['SelectMergeStacktraces', { profileTypeID: cpuType, labelSelector: '{}', start: '9000000000000000000', end: soon() }],
      ['SelectSeries', { profileTypeID: cpuType, labelSelector: '{}', start: hourAgo(), end: soon(), step: 1e308 }],
      ['SelectSeries', { profileTypeID: cpuType, labelSelector: '{}', start: hourAgo(), end: '-9000000000000000000', step: 10 }],
      ['ProfileTypes', { start: '9000000000000000000', end: soon() }],
      ['SelectMergeProfile', { profileTypeID: cpuType, labelSelector: '{}', start: hourAgo(), end: '9000000000000000000' }],
      ['SelectMergeStacktraces', { profileTypeID: cpuType, labelSelector: '{}', start: '-9000000000000000000', end: soon(), format: 'PROFILE_FORMAT_PPROF' }],
      ['LabelNames', { start: hourAgo(), end: '9000000000000000000' }],
    ] as const) {
      const response = await connectJson<{ code?: string }>(server.baseUrl, `querier.v1.QuerierService/${method}`, body);
      expect(response.status, `${method} ${JSON.stringify(response.body)}`).toBe(400);
      expect(response.body.code).toBe('invalid_argument');
    }
    await expectReady(server);
  });

  it('a timeline of many series × many buckets is refused with a code and a step that would work', async () => {
    const response = await fetch(
      `${server.baseUrl}/api/v1/timeline?${new URLSearchParams({ query: `${cpuType}{}`, from: 'now-1h', until: 'now', step: '0.04', groupBy: 'pod' })}`,
    );
    const body = (await response.json()) as { reason: string; message: string };
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.reason).toBe('CINDER_QUERY_TOO_LARGE');
    const suggested = Number(/at least (\d+)s/.exec(body.message)![1]);
    const retry = await fetch(
      `${server.baseUrl}/api/v1/timeline?${new URLSearchParams({ query: `${cpuType}{}`, from: 'now-1h', until: 'now', step: String(suggested), groupBy: 'pod' })}`,
    );
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { series: unknown[] }).series).toHaveLength(30);
    const connect = await connectJson<{ code?: string }>(server.baseUrl, 'querier.v1.QuerierService/SelectSeries', {
      profileTypeID: cpuType,
      labelSelector: '{}',
      start: String(Date.now() - 3_600_000),
      end: String(Date.now()),
      step: 0.04,
      groupBy: ['pod'],
    });
    expect(connect.status).toBe(400);
  });

  it('security headers on the UI, the API and errors; the UI ships no source map', async () => {
    for (const route of ['/pyroscope', '/', '/api/v1/services', '/api/v1/flamegraph?query=nonsense', '/no/such/route', '/ready']) {
      const response = await fetch(server.baseUrl + route);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, route).toContain("default-src 'self'");
      expect(csp, route).toContain("script-src 'self'");
      expect(csp, route).not.toContain('unsafe-inline');
      expect(csp, route).toContain("frame-ancestors 'self'");
      expect(response.headers.get('x-content-type-options'), route).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), route).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), route).toBe('SAMEORIGIN');
    }
    const assets = readdirSync(path.join(repoRoot, 'packages/web/dist/assets'));
    expect(assets.filter((name) => name.endsWith('.map'))).toEqual([]);
    for (const js of assets.filter((name) => name.endsWith('.js'))) {
      expect(readFileSync(path.join(repoRoot, 'packages/web/dist/assets', js), 'utf8')).not.toContain('sourceMappingURL=');
      expect((await fetch(`${server.baseUrl}/assets/${js}.map`)).status).toBe(404);
    }
  });

  it('a snapshot link can only point into this app', async () => {
    const create = async (viewUrl: string): Promise<string> => {
      const response = await fetch(`${server.baseUrl}/api/v1/snapshots`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `${cpuType}{}`, from: 'now-1h', until: 'now', viewUrl }),
      });
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      const stored = (await (await fetch(`${server.baseUrl}/api/v1/snapshots/${id}`)).json()) as { viewUrl: string };
      return stored.viewUrl;
    };
    expect(await create('/explore?query=x')).toBe('/explore?query=x');
    for (const offSite of ['/\\evil.example', '//evil.example', '/\\/evil.example', 'https://evil.example', 'javascript:alert(1)', '/\tevil', '/a\\b']) {
      expect(await create(offSite), offSite).toBe('');
    }
  });

  it('a download name cannot break out of its header', () => {
    for (const name of ['cinder-a"b.pb', 'cinder-a\r\nSet-Cookie: x=1.pb', 'cinder-名前.pb', "cinder-it's (1).pb"]) {
      const header = attachmentDisposition(name);
      expect(header).toMatch(/^attachment; filename="[A-Za-z0-9._-]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]*$/);
      expect(decodeURIComponent(header.split("UTF-8''")[1]!)).toBe(name);
    }
  });

  it('a repeated /ingest parameter counts once (first value), and never reaches a label as a list', async () => {
    const response = await fetch(`${server.baseUrl}/ingest?name=repeat.cpu&name=other.cpu&format=folded&format=pprof&spyName=a&spyName=b&from=now&from=x`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'main;x 3\n',
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const series = await connectJson<{ labelsSet?: { labels: { name: string; value: string }[] }[] }>(server.baseUrl, 'querier.v1.QuerierService/Series', {
      matchers: ['{service_name="repeat"}'],
      start: hourAgo(),
      end: soon(),
    });
    expect(series.status).toBe(200);
    const spy = series.body.labelsSet!.flatMap((set) => set.labels).find((label) => label.name === 'pyroscope_spy');
    expect(spy?.value).toBe('a');
  });

  it('/metrics has the event-loop watchdog', async () => {
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^cinder_event_loop_lag_seconds \d/m);
    expect(text).toMatch(/^cinder_event_loop_lag_max_seconds \d/m);
  });
});

describe('credentials never reach the log', () => {
  it('at debug level, with right and wrong tokens in bearer and basic form', async () => {
    const ingestToken = 'ingest-tok-9f3a1c';
    const queryToken = 'query-tok-77b2e0';
    const server = await startServer({ args: ['--log-level', 'debug', '--ingest-token', ingestToken, '--query-token', queryToken] });
    try {
      const wrong = 'wrong-tok-5d5d5d';
      for (const authorization of [`Bearer ${ingestToken}`, `Bearer ${queryToken}`, `Bearer ${wrong}`, `Basic ${Buffer.from(`grafana:${queryToken}`).toString('base64')}`]) {
        await ingest(server.baseUrl, { name: 'logs.cpu', format: 'folded' }, 'a;b 1\n', 'text/plain', { authorization });
        await fetch(`${server.baseUrl}/api/v1/services`, { headers: { authorization } });
        await connectJson(server.baseUrl, 'querier.v1.QuerierService/ProfileTypes', { start: hourAgo(), end: soon() }, { authorization });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const output = server.output();
      expect(output.length).toBeGreaterThan(100); // debug logging did log the requests
      for (const secret of [ingestToken, queryToken, wrong, Buffer.from(`grafana:${queryToken}`).toString('base64')]) {
        expect(output.includes(secret), secret).toBe(false);
      }
    } finally {
      await server.stop();
    }
  });
});
