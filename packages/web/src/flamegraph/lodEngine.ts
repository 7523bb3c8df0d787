/**
 * The work behind a level-of-detail flame graph that must not run on the UI thread for big answers:
 * decode the binary answer, splice a zoom answer into the tree already held, lay the result out as
 * frames. Runs in flame.worker.ts; lodWorker.ts runs the same class in-thread where there is no
 * Worker (tests, old browsers). Holds one tree: the latest selection's.
 */
import { colorForFrameName, decodeTreeWire, framesFromLodTree, spliceLod, type LodTree } from '@cinder/core';
import { averagingFactor, scaleFrames, scaleHeader, withHiddenValues, type LodAnswer, type LodHoldRequest, type LodRequest } from './lodView.js';

export class LodEngine {
  private generation = -1;
  private tree: LodTree | null = null;
  /** Of the open answer: zoom answers of one selection share its profile count. */
  private factor = 1;
  /** Zooms bring new frames with mostly the same names: one colour derivation per name, bounded. */
  private readonly colorByName = new Map<string, string>();

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
      const decoded = this.take(request);
      const frames = scaleFrames(withHiddenValues(framesFromLodTree(this.tree!)), this.factor);
      // Colours with an open only: it is laid out while the page's code loads (start-up decode), whereas
      // a zoom's answer is waited for and the renderer derives colours just for the frames it draws.
      const colored = request.kind === 'open' ? { ...frames, ...this.colorsOf(frames.names) } : frames;
      return { id: request.id, ok: true, generation: request.generation, frames: colored, header: scaleHeader(decoded.header, this.factor), workMs: nowMs() - startedMs };
    } catch (error) {
      return { id: request.id, ok: false, generation: request.generation, message: error instanceof Error ? error.message : String(error), stale: false };
    }
  }

  /**
   * Keeps a full view's tree for the zooms that splice into it, without laying it out: the page
   * already has its frames (the start-up answer, laid out on the page's thread). Answers nothing.
   */
  hold(request: LodHoldRequest): void {
    if (request.generation < this.generation) return;
    try {
      this.take({ kind: 'open', generation: request.generation, buffer: request.buffer });
    } catch {
      // An answer that does not decode is not held: the page's own decode of it failed the same way.
    }
  }

  /** Decodes an answer and makes it (or its splice) the tree held. */
  private take(request: Pick<LodRequest, 'kind' | 'generation' | 'buffer'>): ReturnType<typeof decodeTreeWire> {
    const decoded = decodeTreeWire(request.buffer);
    const tree = request.kind === 'open' ? decoded.tree : spliceLod(this.tree!, decoded);
    if (request.kind === 'open') this.factor = averagingFactor(decoded.header);
    this.tree = tree;
    this.generation = request.generation;
    return decoded;
  }

  private colorsOf(names: readonly string[]): { nameColorIndex: Uint32Array; colorPalette: string[] } {
    if (this.colorByName.size > MAX_COLORS_BY_NAME) this.colorByName.clear();
    const nameColorIndex = new Uint32Array(names.length);
    const colorPalette: string[] = [];
    const paletteIndex = new Map<string, number>();
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let color = this.colorByName.get(name);
      if (color === undefined) {
        color = colorForFrameName(name);
        this.colorByName.set(name, color);
      }
      let index = paletteIndex.get(color);
      if (index === undefined) {
        index = colorPalette.push(color) - 1;
        paletteIndex.set(color, index);
      }
      nameColorIndex[i] = index;
    }
    return { nameColorIndex, colorPalette };
  }
}

const MAX_COLORS_BY_NAME = 200_000;
