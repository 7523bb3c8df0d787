import { Busboy } from '@fastify/busboy';
import { CinderError, ErrorCodes } from '@cinder/core';

/**
 * Splits a buffered multipart/form-data body into named parts. The SDKs send small bodies and the
 * whole body was already bounded by the body limit, so buffering parts is fine.
 * Parts with and without a filename are both taken (upstream reads only file parts).
 */
export function parseMultipart(contentType: string, body: Buffer, maxPartBytes: number): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const parts = new Map<string, Buffer>();
    let failed = false;
    const fail = (message: string): void => {
      if (failed) return;
      failed = true;
      reject(new CinderError(ErrorCodes.INGEST_MALFORMED_MULTIPART, message));
    };
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        headers: { 'content-type': contentType },
        limits: { fileSize: maxPartBytes, fieldSize: maxPartBytes, files: 16, fields: 16, parts: 32 },
      });
    } catch (error) {
      fail(`multipart body cannot be read: ${(error as Error).message}`);
      return;
    }
    parser.on('file', (fieldName: string, stream: NodeJS.ReadableStream & { truncated?: boolean }) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        if (failed) return;
        failed = true;
        reject(
          new CinderError(
            ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE,
            `multipart part "${fieldName}" is larger than ${maxPartBytes} bytes; raise --max-body-size if such uploads are expected`,
          ),
        );
      });
      stream.on('end', () => parts.set(fieldName, Buffer.concat(chunks)));
    });
    parser.on('field', (fieldName: string, value: string) => parts.set(fieldName, Buffer.from(value, 'utf8')));
    parser.on('error', (error: Error) => fail(`multipart body cannot be read: ${error.message}`));
    parser.on('finish', () => {
      if (!failed) resolve(parts);
    });
    parser.end(body);
  });
}
