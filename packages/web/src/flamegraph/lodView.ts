/**
 * The client's view of a level-of-detail flame graph (contract: core flamegraph/treeWire.ts): frames
 * laid out from the partial tree the server sent, how much value each frame hides, and whether the
 * current zoom already has every node at least one pixel wide (then no fetch is needed and the paint
 * is final). Pure: used by the worker, by the in-thread fallback and by the React hook alike.
 */
import { frameAtPath, profileTypeAggregation, type FlameFrames, type FlameGraphData, type LodFrames, type TreeWireHeader } from '@cinder/core';

/** Frames plus, per frame, the value of its children the server has not sent (0 when complete). */
export interface ViewFrames extends LodFrames {
  readonly hiddenValues: Float64Array;
  /**
   * Colour per name, derived in the worker for a full view (not for a zoom's splice, whose new names the
   * renderer colours as it draws them): a package per name takes regexes and a hash, which the UI
   * thread's first paint would otherwise do (renderer.ts frameColor). Name i is drawn
   * colorPalette[nameColorIndex[i]]: a few hundred distinct colours and one transferred array, instead
   * of a string per name to copy across on every zoom.
   */
  readonly nameColorIndex?: Uint32Array;
  readonly colorPalette?: readonly string[];
}

/**
 * What each fetch covered: path key (pathKey) of the fetched view root → the value below which a node
 * under it may be missing (total(view) / width: the server sends n iff total(n) · width ≥ total(view)).
 */
export type FetchedViews = ReadonlyMap<string, number>;

/** Map key of a root-first path; JSON so a name containing ';' cannot collide with another path. */
export function pathKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

/** hidden = total − self − Σ children sent, for truncated frames; float noise below 0 is clamped. */
export function hiddenValuesOf(frames: LodFrames): Float64Array {
  const hidden = new Float64Array(frames.count);
  for (let f = 0; f < frames.count; f++) if (frames.truncated[f] === 1) hidden[f] = frames.totalValues[f]! - frames.selfValues[f]!;
  for (let f = 1; f < frames.count; f++) {
    const p = frames.parent[f]!;
    if (p >= 0 && frames.truncated[p] === 1) hidden[p]! -= frames.totalValues[f]!;
  }
  for (let f = 0; f < frames.count; f++) if (hidden[f]! < 0) hidden[f] = 0;
  return hidden;
}

export function withHiddenValues(frames: LodFrames): ViewFrames {
  return { ...frames, hiddenValues: hiddenValuesOf(frames) };
}

/**
 * True when the view zoomed at `focusPath`, drawn `widthCssPx` wide, lacks no node at least one pixel
 * wide (total(n) · width ≥ total(view)). Either a fetch of the view or of one of its ancestors was cut
 * at a fine enough value, or nothing under the view hides that much value. False when the path is not
 * in the frames (its detail has to be fetched).
 */
export function viewIsComplete(frames: ViewFrames, focusPath: readonly string[], widthCssPx: number, fetched: FetchedViews): boolean {
  if (frames.count === 0) return true;
  const view = frameAtPath(frames, focusPath);
  // Asked for and still absent: the selection has no such stack; nothing more will come.
  if (view < 0) return fetched.has(pathKey(focusPath));
  const neededValue = frames.totalValues[view]! / Math.max(1, widthCssPx);
  for (let k = focusPath.length; k >= 0; k--) {
    const cutBelow = fetched.get(pathKey(focusPath.slice(0, k)));
    if (cutBelow !== undefined && cutBelow <= neededValue) return true;
  }
  let missing = false;
  forEachFrameUnder(frames, view, true, (f) => {
    if (frames.hiddenValues[f]! >= neededValue) missing = true;
    return !missing;
  });
  return !missing;
}

/**
 * Calls `visit` for the frames under `root` (and root itself when `includeRoot`), row by row; stops when
 * `visit` returns false. Level order makes a subtree a contiguous x range in every deeper row.
 */
export function forEachFrameUnder(frames: FlameFrames, root: number, includeRoot: boolean, visit: (frame: number) => boolean): void {
  if (root < 0 || root >= frames.count) return;
  if (includeRoot && !visit(root)) return;
  const start = frames.startValue[root]!;
  const end = start + frames.totalValues[root]!;
  for (let depth = frames.depth[root]! + 1; depth < frames.rowCount; depth++) {
    const rowEnd = frames.rowStart[depth + 1]!;
    let f = lowerBound(frames.startValue, frames.rowStart[depth]!, rowEnd, start);
    // No descendant in this row: none deeper either (a frame's parent is in the row above).
    if (f >= rowEnd || frames.startValue[f]! >= end) return;
    for (; f < rowEnd && frames.startValue[f]! < end; f++) if (!visit(f)) return;
  }
}

function lowerBound(values: Float64Array, low: number, high: number, value: number): number {
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The frames as Pyroscope levels (`[x_delta, total, self, name_index]` per frame), for the flamebearer
 * JSON and HTML exports of what is shown. Hidden values stay gaps (x deltas), never an `other` frame.
 */
export function flameDataFromFrames(frames: FlameFrames): FlameGraphData {
  const levels: number[][] = [];
  let maxSelf = 0;
  for (let depth = 0; depth < frames.rowCount; depth++) {
    const level: number[] = [];
    let previousEnd = 0;
    for (let f = frames.rowStart[depth]!; f < frames.rowStart[depth + 1]!; f++) {
      const x = frames.startValue[f]!;
      const total = frames.totalValues[f]!;
      const self = frames.selfValues[f]!;
      level.push(x - previousEnd, total, self, frames.nameIndex[f]!);
      previousEnd = x + total;
      if (self > maxSelf) maxSelf = self;
    }
    levels.push(level);
  }
  return { names: [...frames.names], levels, total: frames.totalValue, maxSelf };
}

/**
 * flameDataFromFrames computed on first use: the levels are only read when someone exports, and
 * building them on every zoom would be garbage on the UI thread for nothing.
 */
export function lazyFlameData(frames: FlameFrames): FlameGraphData {
  let data: FlameGraphData | null = null;
  const get = (): FlameGraphData => (data ??= flameDataFromFrames(frames));
  return {
    get names() {
      return get().names;
    },
    get levels() {
      return get().levels;
    },
    get total() {
      return frames.totalValue;
    },
    get maxSelf() {
      return get().maxSelf;
    },
  };
}

/**
 * 1 / profileCount for gauges (in-use memory, goroutines: the merged tree of N snapshots holds N times
 * the state, and Cinder's API shows their mean, as the JSON path's averageGauges does), else 1. Wire
 * values are always exact sums (so answers splice exactly); the header says which aggregation applies.
 */
export function averagingFactor(header: Pick<TreeWireHeader, 'profileTypeId' | 'profileCount'> & { aggregation?: 'sum' | 'average' }): number {
  const aggregation = header.aggregation ?? profileTypeAggregation(header.profileTypeId);
  return aggregation === 'average' && header.profileCount > 1 ? 1 / header.profileCount : 1;
}

/** Values scaled in place (the frames are fresh from layout and owned by the caller). */
export function scaleFrames(frames: ViewFrames, factor: number): ViewFrames {
  if (factor === 1) return frames;
  for (const values of [frames.startValue, frames.totalValues, frames.selfValues, frames.hiddenValues]) for (let i = 0; i < values.length; i++) values[i]! *= factor;
  return { ...frames, totalValue: frames.totalValue * factor };
}

export function scaleHeader(header: TreeWireHeader, factor: number): LodHeader {
  const aggregation = header.aggregation ?? profileTypeAggregation(header.profileTypeId);
  if (factor === 1) return { ...header, aggregation };
  return {
    ...header,
    aggregation,
    top: header.top.map((row) => ({ ...row, self: row.self * factor, total: row.total * factor })),
    ...(header.search ? { search: { ...header.search, matchedTotal: header.search.matchedTotal * factor, matchedSelf: header.search.matchedSelf * factor } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Worker protocol (flame.worker.ts ⇄ lodWorker.ts)

/** A header as the UI uses it: top rows and search totals already averaged for gauges (`aggregation` says whether). */
export type LodHeader = TreeWireHeader & { aggregation: 'sum' | 'average' };

export type LodRequest =
  /** A new selection: `buffer` is a full-view answer; replaces what the worker held. */
  | { id: number; kind: 'open'; generation: number; buffer: ArrayBuffer }
  /** A zoom answer for the current generation: spliced into what the worker holds. */
  | { id: number; kind: 'splice'; generation: number; buffer: ArrayBuffer };

/** A full view whose frames the page already has: the worker only keeps its tree (no answer). */
export interface LodHoldRequest {
  kind: 'hold';
  generation: number;
  buffer: ArrayBuffer;
}

export type LodAnswer =
  | { id: number; ok: true; generation: number; frames: ViewFrames; header: LodHeader; workMs: number }
  | { id: number; ok: false; generation: number; message: string; stale: boolean };

/** The typed arrays of `frames` (each owns its buffer), to transfer instead of copying. */
export function framesTransferList(frames: ViewFrames): ArrayBuffer[] {
  const arrays = [frames.depth, frames.startValue, frames.totalValues, frames.selfValues, frames.nameIndex, frames.parent, frames.rowStart, frames.treeNode, frames.truncated, frames.hiddenValues];
  if (frames.nameColorIndex) arrays.push(frames.nameColorIndex);
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) if (array.buffer instanceof ArrayBuffer && array.byteLength === array.buffer.byteLength) buffers.add(array.buffer);
  return [...buffers];
}
