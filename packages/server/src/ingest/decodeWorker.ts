/** Worker side of decodePool.ts: decode one pprof per message and send the model back. */
import { parentPort } from 'node:worker_threads';
import { CinderError } from '@cinder/core';
import { decodeInline, type DecodeRequest } from './decodePool.js';

parentPort!.on('message', ({ id, request }: { id: number; request: DecodeRequest }) => {
  try {
    const profile = decodeInline(request);
    // Hand the value columns over instead of copying them.
    parentPort!.postMessage({ id, profile }, profile.values.map((column) => column.buffer as ArrayBuffer));
  } catch (error) {
    parentPort!.postMessage({ id, error: { code: error instanceof CinderError ? error.code : undefined, message: (error as Error).message } });
  }
});
