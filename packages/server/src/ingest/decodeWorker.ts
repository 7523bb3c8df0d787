/** Worker side of decodePool.ts: decode one upload per message and hand the model back. */
import { parentPort } from 'node:worker_threads';
import { CinderError } from '@cinder/core';
import { decodeInline, packEntries, type DecodeRequest } from './decodePool.js';

parentPort!.on('message', ({ id, request }: { id: number; request: DecodeRequest }) => {
  try {
    const { entries, transfer } = packEntries(decodeInline(request));
    parentPort!.postMessage({ id, entries }, transfer);
  } catch (error) {
    parentPort!.postMessage({ id, error: { code: error instanceof CinderError ? error.code : undefined, message: (error as Error).message } });
  }
});
