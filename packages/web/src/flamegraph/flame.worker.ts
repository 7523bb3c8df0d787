/// <reference lib="webworker" />
/**
 * Web Worker for level-of-detail flame graphs: decoding, splicing and layout happen here so the UI
 * thread never blocks on a big answer. Frames go back as transferred typed arrays (no copy).
 */
import { LodEngine } from './lodEngine.js';
import { framesTransferList, type LodHoldRequest, type LodRequest } from './lodView.js';
import { warmFlameFont } from './font.js';

const engine = new LodEngine();
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<LodRequest | LodHoldRequest>) => {
  const request = event.data;
  if (request.kind === 'hold') {
    engine.hold(request);
    return;
  }
  const answer = engine.handle(request);
  scope.postMessage(answer, answer.ok ? framesTransferList(answer.frames) : []);
};

// Off the page's main thread, long before the first answer is in (font.ts says why).
warmFlameFont();
