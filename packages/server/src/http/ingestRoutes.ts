/** `/ingest` (Pyroscope's HTTP ingest API): the raw body goes to the ingest pipeline as received. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { maybeGunzipAsync } from '../ingest/body.js';
import type { ServerDeps } from './deps.js';

export async function registerIngestRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  // pprof, multipart, text and JSON are all decoded by the pipeline, so no body parser runs here.
  await app.register(async (ingestScope) => {
    ingestScope.removeAllContentTypeParsers();
    ingestScope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.config.limits.maxBodyBytes }, (_request, body, done) => {
      done(null, body);
    });
    const ingestHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const header = (name: string): string | undefined => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      // A repeated parameter (`format=a&format=b`) counts once, first value first, as Go's Query().Get.
      const query: Record<string, string | undefined> = {};
      for (const [key, value] of Object.entries(request.query as Record<string, string | string[] | undefined>)) query[key] = Array.isArray(value) ? value[0] : value;
      let body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      // Transport encoding is undone here, once; a gzipped payload without the header is the
      // decoders' to sniff (SDKs send those).
      if (/gzip/i.test(header('content-encoding') ?? '')) body = Buffer.from(await maybeGunzipAsync(body, deps.config.limits.maxProfileBytes, 'request body'));
      await deps.ingest.ingestLegacy({ tenant: request.tenant, query, contentType: header('content-type') ?? '', body });
      reply.status(200).send();
    };
    ingestScope.post('/ingest', ingestHandler);
    ingestScope.post('/pyroscope/ingest', ingestHandler);
  });
}
