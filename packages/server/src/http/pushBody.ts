/**
 * Push bodies are read and checked before Connect sees them. Connect parses the whole protobuf (or
 * JSON) into messages before any handler runs, so a small gzip body of millions of empty series
 * would cost seconds and gigabytes before push.ts could refuse it. Here the body is read with the
 * size cap, decompressed with the cap, and its series and profiles are counted in one linear pass;
 * Connect then receives the checked bytes (or the parsed JSON) instead of the socket.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { CinderError, ErrorCodes } from '@cinder/core';
import type { IngestLimits } from '../config.js';
import { assertPushJsonWithinLimits, assertPushRequestWithinLimits } from '../ingest/push.js';

export const PUSH_ROUTE = '/push.v1.PusherService/Push';

const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliDecompress);

async function readBody(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CinderError(ErrorCodes.INGEST_BODY_TOO_LARGE, `push request body is larger than ${maxBytes} bytes; send fewer profiles per request or raise --max-body-size`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function decompress(bytes: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') return bytes;
  const options = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip') return await gunzipAsync(bytes, options);
    if (encoding === 'br') return await brotliAsync(bytes, options);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new CinderError(ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE, `push request body is larger than ${maxBytes} bytes after decompression; send fewer profiles per request or raise --max-body-size`);
    }
    throw new CinderError(ErrorCodes.INGEST_BAD_GZIP, `push request body does not decompress as ${encoding}: ${(error as Error).message}`);
  }
  throw new CinderError(ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE, `content-encoding "${encoding}" is not supported: use gzip, br or none`);
}

/** For the Push route's Connect unary requests (`application/proto`, `application/json`); gRPC framing is left to Connect. */
export async function preparePushBody(request: FastifyRequest, limits: IngestLimits): Promise<void> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const isProto = contentType.startsWith('application/proto');
  const isJson = contentType.startsWith('application/json');
  if (request.method !== 'POST' || (!isProto && !isJson)) return;
  const encodingHeader = request.headers['content-encoding'];
  const encoding = (Array.isArray(encodingHeader) ? encodingHeader[0] : encodingHeader ?? '').trim().toLowerCase();
  const bytes = await decompress(await readBody(request, limits.maxBodyBytes), encoding, limits.maxBodyBytes);
  // What Connect receives is already decompressed: it must not try again.
  delete request.raw.headers['content-encoding'];
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
