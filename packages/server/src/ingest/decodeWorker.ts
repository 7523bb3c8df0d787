/** Worker side of decodePool.ts: decode one pprof per message and send the model back. */
import { parentPort } from 'node:worker_threads';
import { CinderError } from '@cinder/core';
import { decodeInline, type DecodeRequest } from './decodePool.js';

parentPort!.on('message', ({ id, request }: { id: number; request: DecodeRequest }) => {
  try {
    const profile = decodeInline(request);
    // One flat frame array instead of thousands of small typed arrays: structured clone cost is
    // per object, and the columns are handed over rather than copied.
    let frameCount = 0;
    for (const stack of profile.stacks) frameCount += stack.length;
    const frames = new Uint32Array(frameCount);
    const offsets = new Uint32Array(profile.stacks.length + 1);
    let at = 0;
    profile.stacks.forEach((stack, s) => {
      frames.set(stack, at);
      at += stack.length;
      offsets[s + 1] = at;
    });
    const packed = { ...profile, stacks: [] as Uint32Array[], frames, offsets };
    parentPort!.postMessage({ id, profile: packed }, [frames.buffer, offsets.buffer, ...profile.values.map((column) => column.buffer as ArrayBuffer)]);
  } catch (error) {
    parentPort!.postMessage({ id, error: { code: error instanceof CinderError ? error.code : undefined, message: (error as Error).message } });
  }
});
