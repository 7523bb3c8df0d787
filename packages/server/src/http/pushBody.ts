/**
 * Push bodies are read and checked before Connect sees them. Connect parses the whole protobuf (or
 * JSON) into messages before any handler runs, so a small gzip body of millions of empty series
 * would cost seconds and gigabytes before push.ts could refuse it. Here the body is read with the
 * size cap, decompressed with the cap, and its series and profiles are counted in one linear pass;
 * Connect then receives the checked bytes (or the parsed JSON) instead of the socket.
 */
import type { FastifyRequest } from 'fastify';
import { CinderError, ErrorCodes } from '@cinder/core';
import type { IngestLimits } from '../ingest/limits.js';
import { assertPushJsonWithinLimits, assertPushRequestWithinLimits } from '../ingest/push.js';
import { readRequestBody } from './requestBody.js';

export const PUSH_ROUTE = '/push.v1.PusherService/Push';

/** For the Push route's Connect unary requests (`application/proto`, `application/json`); gRPC framing is left to Connect. */
export async function preparePushBody(request: FastifyRequest, limits: IngestLimits): Promise<void> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const isProto = contentType.startsWith('application/proto');
  const isJson = contentType.startsWith('application/json');
  if (request.method !== 'POST' || (!isProto && !isJson)) return;
  const bytes = await readRequestBody(request, limits.maxBodyBytes, 'push request body');
  if (isProto) {
    assertPushRequestWithinLimits(bytes, limits);
    request.body = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CinderError(ErrorCodes.QUERY_MALFORMED_REQUEST, `push request body is not valid JSON: ${(error as Error).message}`);
  }
  assertPushJsonWithinLimits(parsed, limits);
  request.body = parsed;
}
