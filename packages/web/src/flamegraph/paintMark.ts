/**
 * A trace of what the flame graph painted, for benchmarks and browser tests: each paint of a graph
 * that asked for it leaves a `performance.mark` (timed from navigation start, so "open → painted" is
 * the mark's startTime) and data attributes on the canvas (so a test can wait for a state without
 * polling pixels). Costs one mark per paint: paints follow user input, never a loop.
 */
export const FLAME_PAINT_MARK = 'cinder:flamegraph-paint';
/** A level-of-detail answer's bytes are in (detail: its focus), and when its frames are back from the worker. */
export const FLAME_ANSWER_MARK = 'cinder:flamegraph-answer';
export const FLAME_LAID_OUT_MARK = 'cinder:flamegraph-laid-out';
/** The page's code is running and asks for the full view's answer (start-up: the page is ready for it). */
export const FLAME_PAGE_READY_MARK = 'cinder:flamegraph-page-ready';
/** The start-up answer is laid out by the worker, before (or after) a page asked for it. */
export const FLAME_PREDECODED_MARK = 'cinder:flamegraph-predecoded';

/** A timing mark for benchmarks; never throws (a full timeline buffer or an old browser just drops it). */
export function markTiming(name: string, detail: Record<string, unknown>): void {
  try {
    performance.mark(name, { detail });
  } catch {
    // Marks are for measuring only.
  }
}

/**
 * What the graph showed: `final` = the data for this view is complete (every node at least one pixel
 * wide at this width is there); `partial` = repainted from what the client had while the detail loads.
 */
export type PaintState = 'final' | 'partial';

export interface PaintDetail {
  state: PaintState;
  /** Frames in the painted layout (the virtual root included). */
  frames: number;
  /** Root total in the profile's unit. */
  totalValue: number;
  /** Root-first names of the zoomed frame, joined by ';' ('' = whole graph). */
  focus: string;
  /** Frames under the focused frame (itself excluded) in the painted layout. */
  framesUnderFocus: number;
  /** Paints of this canvas so far, this one included. */
  seq: number;
}

let flamePainted = false;
let flamePaintExpected = false;
const paintWaiters: Array<() => void> = [];

/** The page opens on a flame graph (startupPrefetch.ts): code not needed for its first paint waits for it. */
export function expectFlamePaint(): void {
  flamePaintExpected = true;
}

/**
 * On a page that opened with a flame graph, resolves once a flame graph has painted (or after
 * `maxWaitMs`, so a page whose graph is slow, empty or failed is not held back); at once elsewhere.
 * Code not needed for that first paint waits for it instead of competing with it for the main thread.
 */
export function afterFirstFlamePaint(maxWaitMs = 1500): Promise<void> {
  if (flamePainted || !flamePaintExpected) return Promise.resolve();
  return new Promise((resolve) => {
    paintWaiters.push(resolve);
    setTimeout(resolve, maxWaitMs);
  });
}

export function markPainted(canvas: HTMLCanvasElement, detail: Omit<PaintDetail, 'seq'>): void {
  if (!flamePainted) {
    flamePainted = true;
    for (const resolve of paintWaiters.splice(0)) resolve();
  }
  const seq = Number(canvas.dataset.paintSeq ?? '0') + 1;
  const full: PaintDetail = { ...detail, seq };
  canvas.dataset.paintSeq = String(seq);
  canvas.dataset.paintState = full.state;
  canvas.dataset.paintFrames = String(full.frames);
  canvas.dataset.paintTotal = String(full.totalValue);
  canvas.dataset.paintFocus = full.focus;
  canvas.dataset.paintFramesUnderFocus = String(full.framesUnderFocus);
  markTiming(FLAME_PAINT_MARK, { ...full });
}

/** Frames strictly under `root` (level order: per deeper row, the frames starting inside root's x range). */
export function framesUnder(frames: { count: number; depth: Uint32Array; startValue: Float64Array; totalValues: Float64Array; rowStart: Uint32Array; rowCount: number }, root: number): number {
  if (root < 0 || root >= frames.count) return 0;
  const start = frames.startValue[root]!;
  const end = start + frames.totalValues[root]!;
  let count = 0;
  for (let depth = frames.depth[root]! + 1; depth < frames.rowCount; depth++) {
    const first = lowerBound(frames.startValue, frames.rowStart[depth]!, frames.rowStart[depth + 1]!, start);
    const last = lowerBound(frames.startValue, first, frames.rowStart[depth + 1]!, end);
    if (last === first) break;
    count += last - first;
  }
  return count;
}

function lowerBound(values: Float64Array, low: number, high: number, value: number): number {
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
