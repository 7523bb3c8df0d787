/**
 * The flame-graph worker for a hook: the one the page's start-up script started (startupPrefetch.ts),
 * a new one, or, where Worker does not exist (unit tests, jsdom), the same engine run in-thread, so
 * callers have one code path. The answer buffer is transferred to the worker (the caller must not use
 * it afterwards).
 */
import { LodEngine } from './lodEngine.js';
import { workerLodWorker, type LodWorker } from './lodWorkerClient.js';
import { takeStartupWorker } from './startupPrefetch.js';
import type { LodRequest } from './lodView.js';

export { workerLodWorker, type LodWorker } from './lodWorkerClient.js';

/** The worker, or the in-thread engine when `Worker` is missing or refuses to start. */
export function createLodWorker(): LodWorker {
  const started = takeStartupWorker();
  if (started) return started;
  if (typeof Worker === 'undefined') return inThreadLodWorker();
  let worker: Worker;
  try {
    // Classic, as the start-up one (startupPrefetch.ts says why); vite.config.ts bundles it as one script.
    worker = new Worker(new URL('./flame.worker.ts', import.meta.url));
  } catch {
    return inThreadLodWorker();
  }
  return workerLodWorker(worker);
}

export function inThreadLodWorker(engine = new LodEngine()): LodWorker {
  let nextId = 1;
  let terminated = false;
  return {
    run(request) {
      if (terminated) return Promise.reject(new Error('the flame-graph worker was stopped'));
      return Promise.resolve(engine.handle({ ...request, id: nextId++ } as LodRequest));
    },
    hold(request) {
      if (!terminated) engine.hold(request);
    },
    terminate() {
      terminated = true;
    },
  };
}
