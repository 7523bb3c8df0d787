import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { CinderError, ErrorCodes } from '@cinder/core';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzips when the bytes start with the gzip magic (clients rarely say so in a header), capping the
 * output so a small gzip bomb cannot take the process's memory.
 */
export function maybeGunzip(bytes: Uint8Array, maxOutputBytes: number, what = 'profile'): Uint8Array {
  if (!isGzip(bytes)) {
    if (bytes.length > maxOutputBytes) throw tooLarge(what, maxOutputBytes, bytes.length, null);
    return bytes;
  }
  try {
    return gunzipSync(bytes, { maxOutputLength: maxOutputBytes });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(what, maxOutputBytes, null, bytes.length);
    throw new CinderError(ErrorCodes.INGEST_BAD_GZIP, `${what} starts with the gzip magic bytes but does not decompress: ${(error as Error).message}`);
  }
}

const gunzipAsync = promisify(gunzip);

/** As maybeGunzip, on libuv's thread pool: for the main thread, which must not block. */
export async function maybeGunzipAsync(bytes: Uint8Array, maxOutputBytes: number, what = 'profile'): Promise<Uint8Array> {
  if (!isGzip(bytes)) {
    if (bytes.length > maxOutputBytes) throw tooLarge(what, maxOutputBytes, bytes.length, null);
    return bytes;
  }
  try {
    return await gunzipAsync(bytes, { maxOutputLength: maxOutputBytes });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(what, maxOutputBytes, null, bytes.length);
    throw new CinderError(ErrorCodes.INGEST_BAD_GZIP, `${what} starts with the gzip magic bytes but does not decompress: ${(error as Error).message}`);
  }
}

/**
 * Names the limit, what was seen and the flag. A gzipped body is only inflated up to the limit (that
 * is the point of the cap), so its full size is not known: the message says "more than".
 */
function tooLarge(what: string, maxOutputBytes: number, plainBytes: number | null, gzippedBytes: number | null): CinderError {
  const seen = plainBytes !== null ? `is ${plainBytes} bytes` : `decompresses to more than ${maxOutputBytes} bytes (from ${gzippedBytes} gzipped bytes)`;
  return new CinderError(
    ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE,
    `${what} ${seen}, larger than the limit of ${maxOutputBytes} bytes after decompression; raise --max-profile-size if such profiles are expected`,
  );
}
