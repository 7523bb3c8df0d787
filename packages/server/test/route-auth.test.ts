import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.js';
import { startCinder, type RunningServer } from '../src/main.js';
import { registeredRoutes, type RegisteredRoute } from '../src/http/server.js';

/**
 * Walks every route the server registered, with tokens and multitenancy on: with no, wrong and right
 * credentials, and with percent-encoded spellings of its path (the router decodes them, so the
 * check must too). A route added later is covered without touching this file.
 */
const INGEST = new Set([
  '/ingest',
  '/pyroscope/ingest',
  '/push.v1.PusherService/Push',
  '/v1development/profiles',
  '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export',
]);
const OPEN = new Set(['/ready', '/metrics', '/api/v1/status/buildinfo', '/api/v1/config']);
const APP_PAGES = new Set(['/', '/pyroscope', '/profiling', '/explore', '/explore/*', '/compare', '/snapshots', '/snapshots/*', '/request', '/upload', '/rules']);

type Kind = 'ingest' | 'query' | 'open' | 'ui';

function expectedKind(route: RegisteredRoute): Kind {
  if (INGEST.has(route.url)) return 'ingest';
  if (OPEN.has(route.url)) return 'open';
  const isAppFile = (route.method === 'GET' || route.method === 'HEAD') && /^\/(assets\/|[^/]+\.(html|js|css|svg|ico|png|map|json|txt)$)/.test(route.url);
  if (APP_PAGES.has(route.url) || isAppFile) return 'ui';
  return 'query';
}

/** A concrete path for a route pattern: parameters and wildcards filled in. */
function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'x1').replace(/\*$/, 'x2');
}

/** Spellings that the router maps to the same route: first letter of each segment percent-encoded, and all of it. */
function encodedVariants(pathOnly: string): string[] {
  const encodeChar = (c: string): string => '%' + c.charCodeAt(0).toString(16).padStart(2, '0');
  const firstLetters = pathOnly.replace(/\/([A-Za-z])/g, (_m, c: string) => '/' + encodeChar(c));
  const everyLetter = pathOnly.replace(/[A-Za-z]/g, (c) => encodeChar(c));
  const upperHex = firstLetters.replace(/%([0-9a-f]{2})/g, (_m, h: string) => '%' + h.toUpperCase());
  return [...new Set([firstLetters, everyLetter, upperHex])].filter((p) => p !== pathOnly);
}

describe('every registered route is classified and guarded (tokens + multitenancy on)', () => {
  let server: RunningServer;
  let dataDir: string;
  let routes: RegisteredRoute[];
  const ingestToken = 'ingest-secret-1';
  const queryToken = 'query-secret-1';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-routes-'));
    const config = {
      ...defaultConfig(),
      host: '127.0.0.1',
      port: 0,
      dataDir,
      selfProfiling: false,
      multitenancy: true,
      ingestTokens: [ingestToken],
      queryTokens: [queryToken],
      logLevel: 'silent' as const,
    };
    server = await startCinder(config);
    routes = registeredRoutes(server.app).filter((r) => r.method !== 'OPTIONS');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** node:http rather than fetch: routes may be registered for any method, TRACE included. */
  const send = (method: string, pathOnly: string, headers: Record<string, string>): Promise<{ status: number; body: string }> => {
    const hasBody = !['GET', 'HEAD', 'DELETE', 'TRACE', 'OPTIONS'].includes(method);
    const url = new URL(server.address);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, method, path: pathOnly, headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(hasBody ? '{}' : undefined);
    });
  };

  it('registers the routes we know of (the walk below is not vacuous)', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const url of ['/ingest', '/render', '/pyroscope/render', '/api/v1/flamegraph', '/querier.v1.QuerierService/SelectMergeStacktraces', '/push.v1.PusherService/Push', '/ready']) {
      expect(urls.has(url), url).toBe(true);
    }
    expect(routes.length).toBeGreaterThan(40);
  });

  it('without credentials, with wrong ones and with the other family’s token, every protected route answers 401 — under every spelling of its path', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const kind = expectedKind(route);
      if (kind === 'open' || kind === 'ui') continue;
      const base = concretePath(route.url);
      const otherToken = kind === 'ingest' ? queryToken : ingestToken;
      for (const spelling of [base, ...encodedVariants(base)]) {
        for (const [what, headers] of [
          ['no token', { 'x-scope-orgid': 'team-a' }],
          ['wrong token', { authorization: 'Bearer nope', 'x-scope-orgid': 'team-a' }],
          ['other family token', { authorization: `Bearer ${otherToken}`, 'x-scope-orgid': 'team-a' }],
        ] as const) {
          const { status, body } = await send(route.method, spelling, headers);
          // A HEAD answer has no body; its status is what counts.
          if (status !== 401) failures.push(`${route.method} ${spelling} (${kind}, ${what}) → ${status} ${body.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('with the right token but no tenant, every protected route refuses; with both it is let through', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const kind = expectedKind(route);
      if (kind === 'open' || kind === 'ui') continue;
      const token = kind === 'ingest' ? ingestToken : queryToken;
      for (const spelling of [concretePath(route.url), ...encodedVariants(concretePath(route.url))]) {
        const noTenant = await send(route.method, spelling, { authorization: `Bearer ${token}` });
        if (noTenant.status !== 401 || (route.method !== 'HEAD' && !noTenant.body.includes('CINDER_TENANT_MISSING') && !noTenant.body.includes('unauthenticated'))) {
          failures.push(`${route.method} ${spelling} without tenant → ${noTenant.status} ${noTenant.body.slice(0, 120)}`);
        }
        const allowed = await send(route.method, spelling, { authorization: `Bearer ${token}`, 'x-scope-orgid': 'team-a' });
        // 501: a Connect method Cinder does not serve yet, answered after auth like any other.
        if (allowed.status === 401 || (allowed.status >= 500 && allowed.status !== 501)) failures.push(`${route.method} ${spelling} with credentials → ${allowed.status} ${allowed.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('open routes and the app’s pages answer without credentials and never 5xx', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const kind = expectedKind(route);
      if (kind !== 'open' && kind !== 'ui') continue;
      checked++;
      const { status, body } = await send(route.method, concretePath(route.url), {});
      if (status === 401 || status >= 500) failures.push(`${route.method} ${route.url} (${kind}) → ${status} ${body.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(4);
  });
});
