/**
 * The work behind a level-of-detail flame graph that must not run on the UI thread for big answers:
 * decode the binary answer, splice a zoom answer into the tree already held, lay the result out as
 * frames. Runs in flame.worker.ts; lodWorker.ts runs the same class in-thread where there is no
 * Worker (tests, old browsers). Holds one tree: the latest selection's.
 */
import { decodeTreeWire, framesFromLodTree, spliceLod, type LodTree } from '@cinder/core';
import { averagingFactor, scaleFrames, scaleHeader, withHiddenValues, type LodAnswer, type LodRequest } from './lodView.js';

export class LodEngine {
  private generation = -1;
  private tree: LodTree | null = null;
  /** Of the open answer: zoom answers of one selection share its profile count. */
  private factor = 1;

  handle(request: LodRequest, nowMs: () => number = () => performance.now()): LodAnswer {
    const startedMs = nowMs();
    try {
      if (request.kind === 'splice' && (request.generation !== this.generation || this.tree === null)) {
        // A zoom answer for a selection that has since been replaced: splicing it would mix profiles.
        return { id: request.id, ok: false, generation: request.generation, message: 'stale zoom answer', stale: true };
      }
      if (request.kind === 'open' && request.generation < this.generation) {
        return { id: request.id, ok: false, generation: request.generation, message: 'stale answer', stale: true };
      }
      const decoded = decodeTreeWire(request.buffer);
      const tree = request.kind === 'open' ? decoded.tree : spliceLod(this.tree!, decoded);
      if (request.kind === 'open') this.factor = averagingFactor(decoded.header);
      this.tree = tree;
      this.generation = request.generation;
      const frames = scaleFrames(withHiddenValues(framesFromLodTree(tree)), this.factor);
      return { id: request.id, ok: true, generation: request.generation, frames, header: scaleHeader(decoded.header, this.factor), workMs: nowMs() - startedMs };
    } catch (error) {
      return { id: request.id, ok: false, generation: request.generation, message: error instanceof Error ? error.message : String(error), stale: false };
    }
  }
}
