/**
 * The UI thread's side of flame.worker.ts: one request → one promised answer. The answer buffer is
 * transferred to the worker (the caller must not use it afterwards). Where Worker does not exist
 * (unit tests, jsdom) the same engine runs in-thread, so callers have one code path.
 */
import { LodEngine } from './lodEngine.js';
import { takeStartupWorker } from './startupPrefetch.js';
import type { LodAnswer, LodRequest } from './lodView.js';

export interface LodWorker {
  run(request: Omit<LodRequest, 'id'>): Promise<LodAnswer>;
  terminate(): void;
}

/** The worker, or the in-thread engine when `Worker` is missing or refuses to start. */
export function createLodWorker(): LodWorker {
  const started = takeStartupWorker();
  if (started) return workerLodWorker(started);
  if (typeof Worker === 'undefined') return inThreadLodWorker();
  let worker: Worker;
  try {
    worker = new Worker(new URL('./flame.worker.ts', import.meta.url), { type: 'module' });
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
    terminate() {
      terminated = true;
    },
  };
}

function workerLodWorker(worker: Worker): LodWorker {
  let nextId = 1;
  const pending = new Map<number, { resolve: (answer: LodAnswer) => void; reject: (error: Error) => void }>();
  const failAll = (message: string): void => {
    for (const { reject } of pending.values()) reject(new Error(message));
    pending.clear();
  };
  worker.onmessage = (event: MessageEvent<LodAnswer>) => {
    const waiting = pending.get(event.data.id);
    if (!waiting) return;
    pending.delete(event.data.id);
    waiting.resolve(event.data);
  };
  // A worker script that fails to load (CSP, a broken build) must surface, not hang the graph.
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    failAll(`the flame-graph worker failed: ${event.message || 'it could not start'}`);
  };
  worker.onmessageerror = () => failAll('the flame-graph worker sent an unreadable answer');
  return {
    run(request) {
      const id = nextId++;
      return new Promise<LodAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...request, id }, [request.buffer]);
      });
    },
    terminate() {
      failAll('the flame-graph worker was stopped');
      worker.terminate();
    },
  };
}
