/**
 * OTLP/HTTP profiles: `POST /v1development/profiles` (and the gRPC path spelled over HTTP/1, as
 * upstream serves it) with `application/x-protobuf`, `application/protobuf` or `application/json`
 * bodies, gzip honoured. Answers the ExportProfilesServiceResponse in the request's encoding;
 * errors are plain text (as upstream) starting with the Cinder error code.
 */
import { create, toBinary, toJson } from '@bufbuild/protobuf';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CinderError, ErrorCodes } from '@cinder/core';
import { ExportProfilesServiceResponseSchema } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import { maybeGunzipAsync } from '../ingest/body.js';
import type { OtlpEncoding, OtlpExportResult, OtlpIngestService } from '../ingest/otlp.js';
import type { IngestLimits } from '../ingest/limits.js';
import { toHttpError } from './errors.js';

export const OTLP_HTTP_ROUTES = ['/v1development/profiles', '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export'] as const;

export function otlpResponse(result: OtlpExportResult): ReturnType<typeof create<typeof ExportProfilesServiceResponseSchema>> {
  return create(ExportProfilesServiceResponseSchema, {
    partialSuccess: result.rejectedProfiles > 0 ? { rejectedProfiles: BigInt(result.rejectedProfiles), errorMessage: result.errorMessage } : undefined,
  });
}

/**
 * OTLP/HTTP statuses: the catalogue's, except that content problems are 400 (OTLP clients retry
 * nothing in 4xx but 429; 422 is not an OTLP status).
 */
export function otlpHttpStatus(error: unknown): number {
  const { status } = toHttpError(error);
  return status === 422 ? 400 : status;
}

export function otlpErrorText(error: unknown): string {
  const { body } = toHttpError(error);
  return `${body.reason}: ${body.message}`;
}

function encodingOf(contentTypeHeader: string | undefined): OtlpEncoding {
  const mediaType = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  throw new CinderError(
    ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE,
    `OTLP profiles are accepted as application/x-protobuf, application/protobuf or application/json, not "${(contentTypeHeader ?? '').slice(0, 100)}"`,
  );
}

export async function registerOtlpRoutes(app: FastifyInstance, otlp: OtlpIngestService, limits: IngestLimits): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_request, body, done) => done(null, body));
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        const encoding = encodingOf(request.headers['content-type']);
        let body: Uint8Array = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const contentEncoding = String(request.headers['content-encoding'] ?? '').trim().toLowerCase();
        if (contentEncoding === 'gzip') body = await maybeGunzipAsync(body, limits.maxBodyBytes, 'OTLP request body');
        else if (contentEncoding !== '' && contentEncoding !== 'identity') {
          throw new CinderError(ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE, `content-encoding "${contentEncoding.slice(0, 40)}" is not supported for OTLP: use gzip or none`);
        }
        const response = otlpResponse(await otlp.export(request.tenant, body, encoding));
        if (encoding === 'json') return reply.status(200).type('application/json').send(JSON.stringify(toJson(ExportProfilesServiceResponseSchema, response)));
        return reply.status(200).type('application/x-protobuf').send(Buffer.from(toBinary(ExportProfilesServiceResponseSchema, response)));
      } catch (error) {
        const status = otlpHttpStatus(error);
        if (status >= 500) request.log.error({ err: error }, 'OTLP export failed');
        if (error instanceof CinderError && error.code === ErrorCodes.STORE_UNAVAILABLE) reply.header('retry-after', '5');
        return reply.status(status).type('text/plain; charset=utf-8').send(otlpErrorText(error));
      }
    };
    for (const route of OTLP_HTTP_ROUTES) scope.post(route, handler);
  });
}
