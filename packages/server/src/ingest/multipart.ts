import { Busboy } from '@fastify/busboy';
import { CinderError, ErrorCodes } from '@cinder/core';

/**
 * Splits a buffered multipart/form-data body into named parts. The SDKs send small bodies and the
 * whole body was already bounded by the body limit, so buffering parts is fine.
 * Parts with and without a filename are both taken (upstream reads only file parts).
 *
 * Every emitter here gets an 'error' listener: busboy reports a truncated body ("Part terminated
 * early …") on the part's stream as well as on the parser, and an unheard stream error is an
 * uncaught exception that ends the process. The first failure rejects; later events are ignored.
 */
export function parseMultipart(contentType: string, body: Buffer, maxPartBytes: number): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const parts = new Map<string, Buffer>();
    let settled = false;
    const fail = (error: CinderError): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const malformed = (message: string): void =>
      fail(new CinderError(ErrorCodes.INGEST_MALFORMED_MULTIPART, `multipart body cannot be read: ${message}; send a complete multipart/form-data body`));
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        headers: { 'content-type': contentType },
        limits: { fileSize: maxPartBytes, fieldSize: maxPartBytes, files: 16, fields: 16, parts: 32 },
      });
    } catch (error) {
      malformed((error as Error).message);
      return;
    }
    let openStreams = 0;
    let parserFinished = false;
    const finishIfDone = (): void => {
      if (!settled && parserFinished && openStreams === 0) {
        settled = true;
        resolve(parts);
      }
    };
    parser.on('file', (fieldName: string, stream: NodeJS.ReadableStream) => {
      openStreams++;
      const chunks: Buffer[] = [];
      stream.on('error', (error: Error) => malformed(`part "${fieldName}": ${error.message}`));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        fail(
          new CinderError(
            ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE,
            `multipart part "${fieldName}" is larger than ${maxPartBytes} bytes; raise --max-body-size if such uploads are expected`,
          ),
        );
        // Keep draining so the parser can finish; the part is dropped.
        chunks.length = 0;
      });
      stream.on('end', () => {
        openStreams--;
        if (!settled) parts.set(fieldName, Buffer.concat(chunks));
        finishIfDone();
      });
    });
    parser.on('field', (fieldName: string, value: string) => parts.set(fieldName, Buffer.from(value, 'utf8')));
    parser.on('error', (error: Error) => malformed(error.message));
    parser.on('finish', () => {
      parserFinished = true;
      finishIfDone();
    });
    try {
      parser.end(body);
    } catch (error) {
      malformed((error as Error).message);
    }
  });
}
