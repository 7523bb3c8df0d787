import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import { createContextValues } from '@connectrpc/connect';
import { CinderError, ErrorCodes } from '@cinder/core';
import { registerAlertRoutes } from './alertRoutes.js';
import { registerApiRoutes } from './apiRoutes.js';
import { registerHeatmapRoutes } from './heatmapRoute.js';
import { registerPushService, tenantKey } from './connectIngest.js';
import { registerQuerierService } from './connectQuery.js';
import { registerSettingsService } from './connectSettings.js';
import type { ServerDeps } from './deps.js';
import { sendError, toHttpError } from './errors.js';
import { registerIngestRoutes } from './ingestRoutes.js';
import { OTLP_HTTP_ROUTES, registerOtlpRoutes } from './otlpRoutes.js';
import { registerPyroscopeRoutes } from './pyroscopeRoutes.js';
import { PUSH_ROUTE, preparePushBody } from './pushBody.js';
import { FAST_ROUTES, answerFastPath } from './fastPath.js';
import { exportCodeLines } from '../query/pprofExport.js';
import { checkToken, resolveTenant } from './tenancy.js';
import { buildInfo } from '../version.js';
import { PusherService } from '../gen/push/v1/push_pb.js';
import { QuerierService } from '../gen/querier/v1/querier_pb.js';
import { SettingsService } from '../gen/settings/v1/setting_pb.js';

/** The Connect services registered below (their unknown methods still reach the catch-all). */
const SERVED_CONNECT_SERVICES = new Set([PusherService, QuerierService, SettingsService].map((service) => service.typeName));
export type { ServerDeps } from './deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string;
  }
}

const INGEST_ROUTES = new Set<string>(['/ingest', '/pyroscope/ingest', PUSH_ROUTE, ...OTLP_HTTP_ROUTES]);
const OPEN_ROUTES = new Set(['/ready', '/metrics', '/api/v1/status/buildinfo', '/api/v1/config']);
/** The web app's pages (client-side routes): each answers index.html. */
const SPA_ROUTES = ['/pyroscope', '/profiling', '/explore', '/explore/*', '/compare', '/snapshots', '/snapshots/*', '/request', '/upload', '/rules'];

/** `/<package>.v1.<Service>/<Method>`: a Connect route (registered by the Connect plugin). */
const CONNECT_ROUTE = /^\/[a-z]+\.v1[a-z0-9]*\.[A-Za-z]+\/[A-Za-z]+$/;

export type RouteKind = 'ingest' | 'query' | 'open' | 'ui';

/**
 * Decides on the route the router matched (its registered pattern, after percent-decoding), never on
 * the raw URL: `/%69ngest` is the ingest route. A route nobody classified is a query route, so a new
 * route is protected by default. `undefined` = no route matched (the 404 handler, which reveals nothing).
 */
export function routeKind(routePattern: string | undefined, uiRoutes: ReadonlySet<string>): RouteKind {
  if (routePattern === undefined) return 'open';
  if (INGEST_ROUTES.has(routePattern)) return 'ingest';
  if (OPEN_ROUTES.has(routePattern)) return 'open';
  if (uiRoutes.has(routePattern)) return 'ui';
  return 'query';
}

export interface RegisteredRoute {
  method: string;
  url: string;
}
const routeTables = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route the server registered (for the test that walks them all with and without credentials). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routeTables.get(app) ?? [];
}

/** Paths that belong to an API or to the built files, where an unknown path is a JSON 404 whatever the client accepts. */
const NON_PAGE_PREFIXES = ['/api/', '/pyroscope/', '/ingest', '/render', '/v1development/', '/assets/', '/ready', '/metrics'];

/** A browser navigation (GET/HEAD asking for HTML) to a path that could be one of the app's pages. */
function wantsAppPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (!(request.headers.accept ?? '').includes('text/html')) return false;
  let pathname: string;
  try {
    pathname = decodeURIComponent(request.url.split('?')[0]!).toLowerCase();
  } catch {
    return false;
  }
  return !NON_PAGE_PREFIXES.some((prefix) => pathname.startsWith(prefix)) && !CONNECT_ROUTE.test(pathname);
}

export function webDistDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidate = path.resolve(here, '../../../web/dist');
  return existsSync(path.join(candidate, 'index.html')) ? candidate : null;
}

/** Every route of the server is registered here; handlers parse, call a service, encode. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, metrics } = deps;
  const app = Fastify({
    // Credentials never reach a log line, whatever the level or serializer.
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' } },
    bodyLimit: config.limits.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' }),
  });
  app.decorateRequest('tenant', '');
  const routes: RegisteredRoute[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) routes.push({ method, url: route.url });
  });
  const uiRoutes = new Set<string>();
  const kindOf = (request: FastifyRequest): RouteKind => routeKind(request.routeOptions.url, uiRoutes);

  app.addHook('onRequest', async (request) => {
    const kind = kindOf(request);
    if (kind === 'ingest') checkToken(request.headers.authorization, config.ingestTokens, 'ingest');
    if (kind === 'query') checkToken(request.headers.authorization, config.queryTokens, 'query');
    if (kind === 'ingest' || kind === 'query') {
      const header = request.headers['x-scope-orgid'];
      request.tenant = resolveTenant(Array.isArray(header) ? header[0] : header, config.multitenancy);
    }
  });
  const securityHeaders = securityHeadersFor(config.frameAncestors);
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of securityHeaders) if (!reply.hasHeader(name)) reply.header(name, value);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { kind: kindOf(request), route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // connect-es reports a request body that is not valid protobuf as `internal` ("parse binary: …")
  // and writes straight to the socket, so the rewrite happens there: it is the client's error and is
  // answered as Connect's invalid_argument (HTTP 400), as connect-go does.
  app.addHook('onRequest', async (request, reply) => {
    if (!/^application\/proto/i.test(request.headers['content-type'] ?? '')) return;
    rewriteProtoParseErrors(reply.raw);
  });

  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    if (route === PUSH_ROUTE) await preparePushBody(request, config.limits);
    else if (FAST_ROUTES.has(route) && (await answerFastPath(request, reply, deps.read, config.limits.maxBodyBytes, (tenant, selection) => exportCodeLines(deps.store, tenant, selection)))) return reply;
    return undefined;
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    let mapped: unknown = error;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Fastify refuses on Content-Length before reading when the client sent one: that is the size seen.
      const declaredBytes = Number(request.headers['content-length']);
      const seen = Number.isSafeInteger(declaredBytes) && declaredBytes > config.limits.maxBodyBytes ? `is ${declaredBytes} bytes,` : 'is';
      mapped = new CinderError(
        ErrorCodes.INGEST_BODY_TOO_LARGE,
        `request body ${seen} larger than the limit of ${config.limits.maxBodyBytes} bytes; raise --max-body-size if such uploads are expected`,
      );
    } else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      mapped = new CinderError(ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE, error.message);
    } else if (request.raw.aborted || error.message === 'aborted' || error.code === 'ECONNRESET') {
      // The client went away mid-body: nothing to answer and nothing wrong with the server.
      request.log.debug({ err: error }, 'client aborted the request');
      return sendError(reply, new CinderError(ErrorCodes.QUERY_MALFORMED_REQUEST, 'the request body was cut off by the client'));
    } else if (!(error instanceof CinderError) && typeof error.statusCode === 'number' && error.statusCode < 500) {
      // Fastify's own 4xx (malformed JSON body, bad header): the client's mistake, said as such.
      mapped = new CinderError(ErrorCodes.QUERY_MALFORMED_REQUEST, error.message);
    }
    if (toHttpError(mapped).status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, mapped, CONNECT_ROUTE.test(request.routeOptions.url ?? ''));
  });

  await registerIngestRoutes(app, deps);
  await registerOtlpRoutes(app, deps.otlp, config.limits);

  await app.register(fastifyConnectPlugin, {
    readMaxBytes: config.limits.maxBodyBytes,
    contextValues: (request: FastifyRequest) => createContextValues().set(tenantKey, request.tenant),
    routes(router) {
      registerPushService(router, deps.push);
      registerQuerierService(router, deps.read);
      registerSettingsService(router, deps.settings);
    },
  });

  // Connect's answer for what is not served is `unimplemented` (501), not a 404 page (spec §1: the
  // optional services). For a service we do serve, the method name is what is wrong, so say that.
  app.post('/:service/:method', async (request, reply) => {
    const { service, method } = request.params as { service: string; method: string };
    if (!/^[a-z]+\.v1[a-z0-9]*\.[A-Za-z]+$/.test(service) && !service.startsWith('grpc.health')) {
      return sendError(reply, new CinderError(ErrorCodes.NOT_FOUND, `no route POST ${request.url.split('?')[0]}`));
    }
    const message = SERVED_CONNECT_SERVICES.has(service)
      ? `${service} has no method "${method}"; see docs/api.md for the methods Cinder serves`
      : `${service} is an optional service Cinder does not offer (the Pyroscope API lets a server answer "unimplemented" for it)`;
    return sendError(reply, new CinderError(ErrorCodes.NOT_IMPLEMENTED, message));
  });

  app.get('/ready', async (_request, reply) => {
    const reason = deps.notReadyReason();
    if (reason !== null) return reply.status(503).type('text/plain').send(reason);
    return reply.type('text/plain').send('ready');
  });
  app.get('/metrics', async (_request, reply) => {
    const stats = await deps.store.stats(null);
    metrics.storeBytes.set(stats.bytesOnDisk);
    metrics.storeSeries.set(stats.seriesCount);
    if (deps.store.memoryUsage) {
      metrics.storeMemory.reset();
      for (const [part, bytes] of Object.entries(await deps.store.memoryUsage())) metrics.storeMemory.set({ part }, bytes);
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/api/v1/status/buildinfo', async () => ({ status: 'success', data: buildInfo() }));

  registerApiRoutes(app, deps);
  registerHeatmapRoutes(app, deps);
  // Rules and alerts are query routes (unclassified = query: token + tenant), like the rest of /api/v1.
  if (deps.alerts) registerAlertRoutes(app, deps.alerts);
  registerPyroscopeRoutes(app, deps);

  const webDir = webDistDir();
  if (webDir) {
    await app.register(async (uiScope) => {
      // Every file of the built app becomes a route of its own (wildcard: false), and the app's pages
      // answer index.html: all of them are UI routes, marked as they are registered.
      uiScope.addHook('onRoute', (route) => void uiRoutes.add(route.url));
      await uiScope.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
      const spa = async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        await reply.type('text/html').sendFile('index.html');
      };
      for (const route of SPA_ROUTES) uiScope.get(route, spa);
    });
  } else {
    uiRoutes.add('/');
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html')
        .send('<!doctype html><title>Cinder</title><p>Cinder is running. The web UI is not built: run <code>npm run build</code>.</p>'),
    );
  }
  app.setNotFoundHandler(async (request, reply) => {
    // A person who follows a stale link gets the app's own not-found page (still a 404); programs,
    // and anything under an API path, keep the JSON error they can parse.
    if (webDir && wantsAppPage(request)) return reply.status(404).type('text/html').send(await readFile(path.join(webDir, 'index.html')));
    return sendError(reply, new CinderError(ErrorCodes.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  return app;
}

/**
 * Headers on every answer. The app loads only its own files and talks only to this server, so the
 * policy allows 'self' and nothing inline; data:/blob: images are the PNG export's preview.
 * `frameAncestors` empty = only this origin may frame the UI (the Profiling page is often embedded:
 * --frame-ancestors names the app that does).
 */
export function securityHeadersFor(frameAncestors: readonly string[]): [string, string][] {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'self'";
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
  const headers: [string, string][] = [
    ['content-security-policy', csp],
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['cross-origin-opener-policy', 'same-origin'],
  ];
  if (frameAncestors.length === 0) headers.push(['x-frame-options', 'SAMEORIGIN']);
  return headers;
}

/** See the onRequest hook above: holds back a 500 answer until its body shows what it is. */
function rewriteProtoParseErrors(response: ServerResponse): void {
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => unknown;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => unknown;
  let heldHead: unknown[] | null = null;
  const heldChunks: Buffer[] = [];
  const patched = response as unknown as Record<string, unknown>;
  patched.writeHead = (...args: unknown[]) => {
    if (args[0] === 500) {
      heldHead = args;
      return response;
    }
    return writeHead(...args);
  };
  patched.write = (chunk: unknown, ...rest: unknown[]) => {
    if (heldHead === null) return write(chunk, ...rest);
    heldChunks.push(Buffer.from(chunk as Uint8Array | string));
    return true;
  };
  patched.end = (chunk?: unknown, ...rest: unknown[]) => {
    if (heldHead === null) return end(chunk, ...rest);
    if (chunk !== undefined && typeof chunk !== 'function') heldChunks.push(Buffer.from(chunk as Uint8Array | string));
    const body = Buffer.concat(heldChunks).toString('utf8');
    if (body.includes('"parse binary:')) {
      const message = `request body is not a valid protobuf message (${(JSON.parse(body) as { message: string }).message})`;
      writeHead(400, { 'content-type': 'application/json' });
      return end(JSON.stringify({ code: 'invalid_argument', message }));
    }
    writeHead(...heldHead);
    return end(Buffer.concat(heldChunks));
  };
}
