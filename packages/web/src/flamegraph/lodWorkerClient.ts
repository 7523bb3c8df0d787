/**
 * The UI thread's end of a flame-graph Web Worker (flame.worker.ts): one request → one promised
 * answer. Kept apart from lodWorker.ts (which can run the engine in-thread and so pulls in core's
 * decoder) so the entry chunk's start-up code can talk to the worker without loading that code.
 */
import type { LodAnswer, LodHoldRequest, LodRequest } from './lodView.js';

export interface LodWorker {
  /** The request's buffer is transferred (the caller must not use it afterwards). */
  run(request: Omit<LodRequest, 'id'>): Promise<LodAnswer>;
  /** Keeps a full view's tree for zoom splices, without an answer (the buffer is transferred). */
  hold(request: LodHoldRequest): void;
  terminate(): void;
}

export function workerLodWorker(worker: Worker): LodWorker {
  let nextId = 1;
  const pending = new Map<number, { resolve: (answer: LodAnswer) => void; reject: (error: Error) => void }>();
  let stopped: string | null = null;
  const failAll = (message: string): void => {
    stopped ??= message;
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
      // A stopped worker never answers: say so instead of leaving the caller waiting.
      if (stopped !== null) return Promise.reject(new Error(stopped));
      const id = nextId++;
      return new Promise<LodAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...request, id }, [request.buffer]);
      });
    },
    hold(request) {
      if (stopped === null) worker.postMessage(request, [request.buffer]);
    },
    terminate() {
      failAll('the flame-graph worker was stopped');
      worker.terminate();
    },
  };
}
