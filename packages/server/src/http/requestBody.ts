/**
 * Reading a request body ourselves, before Connect would: with the size cap as received and after
 * decompression (Content-Encoding gzip or br). Connect then gets the bytes instead of the socket,
 * so the Content-Encoding header is removed: it must not decompress again.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { CinderError, ErrorCodes } from '@cinder/core';

const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliDecompress);

async function readBody(request: FastifyRequest, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CinderError(ErrorCodes.INGEST_BODY_TOO_LARGE, `${what} is larger than ${maxBytes} bytes; raise --max-body-size if such requests are expected`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function decompress(bytes: Buffer, encoding: string, maxBytes: number, what: string): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') return bytes;
  const options = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip') return await gunzipAsync(bytes, options);
    if (encoding === 'br') return await brotliAsync(bytes, options);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new CinderError(ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE, `${what} is larger than ${maxBytes} bytes after decompression; raise --max-body-size if such requests are expected`);
    }
    throw new CinderError(ErrorCodes.INGEST_BAD_GZIP, `${what} does not decompress as ${encoding}: ${(error as Error).message}`);
  }
  throw new CinderError(ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE, `content-encoding "${encoding}" is not supported: use gzip, br or none`);
}

export async function readRequestBody(request: FastifyRequest, maxBytes: number, what: string): Promise<Buffer> {
  const encodingHeader = request.headers['content-encoding'];
  const encoding = (Array.isArray(encodingHeader) ? encodingHeader[0] : (encodingHeader ?? '')).trim().toLowerCase();
  const bytes = await decompress(await readBody(request, maxBytes, what), encoding, maxBytes, what);
  delete request.raw.headers['content-encoding'];
  return bytes;
}
