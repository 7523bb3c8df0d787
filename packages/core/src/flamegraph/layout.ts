/**
 * Flame-graph layout and viewport math, shared by the web renderer, its tests and benchmarks.
 *
 * Coordinate spaces (named in every variable):
 * - value space: x and widths in the profile's value unit (ns, bytes, samples); the root spans [0, total).
 * - row space: depth, 0 = the virtual root `total`, one row per stack depth.
 * - css space: CSS pixels inside the drawing area; the renderer multiplies by devicePixelRatio itself.
 *
 * Frames are stored columnar (typed arrays, one entry per frame) in level order: all frames of depth 0,
 * then depth 1, … and within a depth by ascending x, exactly the order of the Pyroscope `levels`
 * encoding. That order lets every per-row question (what is visible, what is under the pointer) be a
 * binary search instead of a tree walk, so cost follows what is on screen, not the profile size.
 */
import type { FlameGraphData } from '../api.js';
import { compileUserRegex, type UserRegex } from '../regex.js';

export interface FlameFrames {
  readonly count: number;
  readonly names: readonly string[];
  /** Value of the root frame (sum of everything). */
  readonly totalValue: number;
  readonly depth: Uint32Array;
  /** Absolute x in value space. Float64 because values (ns) exceed 2^31 routinely. */
  readonly startValue: Float64Array;
  readonly totalValues: Float64Array;
  readonly selfValues: Float64Array;
  readonly nameIndex: Uint32Array;
  /** Index of the parent frame; -1 for the root(s) of depth 0. */
  readonly parent: Int32Array;
  /** rowStart[d] = index of the first frame of depth d; rowStart[rowCount] = count. */
  readonly rowStart: Uint32Array;
  readonly rowCount: number;
}

/**
 * Decodes Pyroscope levels (`[x_delta, total, self, name_index]` per node, §3.3.2 of the API spec) into
 * absolute frames and rebuilds parents from x ranges, as Grafana does.
 */
export function decodeLevels(data: FlameGraphData): FlameFrames {
  let count = 0;
  for (const level of data.levels) count += Math.floor(level.length / 4);
  const depth = new Uint32Array(count);
  const startValue = new Float64Array(count);
  const totalValues = new Float64Array(count);
  const selfValues = new Float64Array(count);
  const nameIndex = new Uint32Array(count);
  const parent = new Int32Array(count).fill(-1);
  const rowStart = new Uint32Array(data.levels.length + 1);
  let index = 0;
  for (let d = 0; d < data.levels.length; d++) {
    rowStart[d] = index;
    const level = data.levels[d]!;
    let previousEnd = 0;
    const parentRowStart = d > 0 ? rowStart[d - 1]! : 0;
    const parentRowEnd = d > 0 ? rowStart[d]! : 0;
    let parentCursor = parentRowStart;
    for (let g = 0; g + 3 < level.length; g += 4) {
      const x = previousEnd + level[g]!;
      const total = level[g + 1]!;
      depth[index] = d;
      startValue[index] = x;
      totalValues[index] = total;
      selfValues[index] = level[g + 2]!;
      nameIndex[index] = level[g + 3]!;
      previousEnd = x + total;
      if (d > 0 && parentCursor < parentRowEnd) {
        // The parent is the last frame of the row above that starts at or before x; both rows are
        // sorted by x, so one forward-moving cursor finds every parent in a single pass.
        while (parentCursor + 1 < parentRowEnd && startValue[parentCursor + 1]! <= x) parentCursor++;
        const parentStart = startValue[parentCursor]!;
        if (parentStart <= x && x < parentStart + totalValues[parentCursor]! + (total === 0 ? 1 : 0)) parent[index] = parentCursor;
      }
      index++;
    }
  }
  rowStart[data.levels.length] = index;
  return {
    count,
    names: data.names,
    totalValue: data.total > 0 ? data.total : count > 0 ? totalValues[0]! : 0,
    depth,
    startValue,
    totalValues,
    selfValues,
    nameIndex,
    parent,
    rowStart,
    rowCount: data.levels.length,
  };
}

export function frameName(frames: FlameFrames, frameIndex: number): string {
  return frames.names[frames.nameIndex[frameIndex]!] ?? '';
}

/** First frame index in row `depth` whose end is after `value` (binary search). */
function firstEndingAfter(frames: FlameFrames, depth: number, value: number): number {
  let low = frames.rowStart[depth]!;
  let high = frames.rowStart[depth + 1]!;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (frames.startValue[mid]! + frames.totalValues[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** First frame index in row `depth` that starts at or after `value`. */
function firstStartingAtOrAfter(frames: FlameFrames, depth: number, value: number, from: number): number {
  let low = from;
  let high = frames.rowStart[depth + 1]!;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (frames.startValue[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

// ---------------------------------------------------------------------------------------------
// Viewport

/** What part of the value axis is shown across how many CSS pixels. */
export interface Viewport {
  startValue: number;
  endValue: number;
  widthCssPx: number;
}

export function viewportForFrame(frames: FlameFrames, frameIndex: number, widthCssPx: number): Viewport {
  if (frameIndex < 0 || frameIndex >= frames.count) return { startValue: 0, endValue: Math.max(frames.totalValue, 1), widthCssPx };
  const startValue = frames.startValue[frameIndex]!;
  const endValue = startValue + Math.max(frames.totalValues[frameIndex]!, Number.MIN_VALUE);
  return { startValue, endValue, widthCssPx };
}

export function valueToCssX(viewport: Viewport, value: number): number {
  return ((value - viewport.startValue) / (viewport.endValue - viewport.startValue)) * viewport.widthCssPx;
}

export function cssXToValue(viewport: Viewport, cssX: number): number {
  return viewport.startValue + (cssX / viewport.widthCssPx) * (viewport.endValue - viewport.startValue);
}

/**
 * One box to draw. `frameIndex` is the frame (the first one of the group when `mergedCount > 1`).
 * Merged boxes stand for runs of neighbouring frames each narrower than the merge threshold: drawing
 * each of them would cost a fillRect per frame for a sliver nobody can see or point at.
 */
export interface VisibleRect {
  frameIndex: number;
  depth: number;
  cssX: number;
  cssWidth: number;
  mergedCount: number;
}

export interface VisibleRectsOptions {
  firstDepth: number;
  /** Inclusive. */
  lastDepth: number;
  /** Frames narrower than this (css px) are merged with their neighbours. */
  mergeBelowCssPx?: number;
}

/**
 * The boxes of rows firstDepth..lastDepth that intersect the viewport, clipped to it, with sub-pixel
 * neighbours merged. Work per row is O(boxes drawn × log frames): after a narrow frame we jump (binary
 * search) to the first frame starting a merge-threshold further right instead of visiting every sliver.
 */
export function visibleRects(frames: FlameFrames, viewport: Viewport, options: VisibleRectsOptions): VisibleRect[] {
  const mergeBelowCssPx = options.mergeBelowCssPx ?? 1;
  const out: VisibleRect[] = [];
  const valuePerCssPx = (viewport.endValue - viewport.startValue) / viewport.widthCssPx;
  const lastDepth = Math.min(options.lastDepth, frames.rowCount - 1);
  for (let depth = Math.max(0, options.firstDepth); depth <= lastDepth; depth++) {
    const rowEnd = frames.rowStart[depth + 1]!;
    let i = firstEndingAfter(frames, depth, viewport.startValue);
    while (i < rowEnd) {
      const start = frames.startValue[i]!;
      if (start >= viewport.endValue) break;
      const end = start + frames.totalValues[i]!;
      const clippedStart = Math.max(start, viewport.startValue);
      const clippedEnd = Math.min(end, viewport.endValue);
      const cssX = valueToCssX(viewport, clippedStart);
      const cssWidth = (clippedEnd - clippedStart) / valuePerCssPx;
      if (cssWidth >= mergeBelowCssPx) {
        out.push({ frameIndex: i, depth, cssX, cssWidth, mergedCount: 1 });
        i++;
        continue;
      }
      // A run of narrow frames. Frames starting within one threshold of a narrow frame's start are all
      // narrow except possibly the last (rows do not overlap), so we jump over them with a binary search
      // and only look at that last one.
      const runFirst = i;
      let runEnd = clippedStart;
      let next = i;
      while (next < rowEnd) {
        const nextStart = frames.startValue[next]!;
        if (nextStart >= viewport.endValue) break;
        if (next > runFirst) {
          if (nextStart - runEnd > valuePerCssPx * 0.5) break;
          if (frames.totalValues[next]! / valuePerCssPx >= mergeBelowCssPx) break;
        }
        const jumpTo = firstStartingAtOrAfter(frames, depth, nextStart + mergeBelowCssPx * valuePerCssPx, next + 1);
        const last = jumpTo - 1;
        if (last > next && frames.totalValues[last]! / valuePerCssPx >= mergeBelowCssPx) {
          runEnd = Math.max(runEnd, Math.min(frames.startValue[last - 1]! + frames.totalValues[last - 1]!, viewport.endValue));
          next = last;
          break;
        }
        runEnd = Math.max(runEnd, Math.min(frames.startValue[last]! + frames.totalValues[last]!, viewport.endValue));
        next = jumpTo;
      }
      out.push({
        frameIndex: runFirst,
        depth,
        cssX,
        cssWidth: (runEnd - clippedStart) / valuePerCssPx,
        mergedCount: next - runFirst,
      });
      i = next;
    }
  }
  return out;
}

/**
 * The frame under a CSS point, or -1. `cssY` is measured from the top of the whole (virtual) graph,
 * i.e. already includes the scroll offset.
 */
export function hitTest(frames: FlameFrames, viewport: Viewport, cssX: number, cssY: number, rowHeightCssPx: number): number {
  if (cssX < 0 || cssX >= viewport.widthCssPx || cssY < 0) return -1;
  const depth = Math.floor(cssY / rowHeightCssPx);
  if (depth >= frames.rowCount) return -1;
  const value = cssXToValue(viewport, cssX);
  const i = firstEndingAfter(frames, depth, value);
  if (i >= frames.rowStart[depth + 1]!) return -1;
  return frames.startValue[i]! <= value ? i : -1;
}

// ---------------------------------------------------------------------------------------------
// Tree navigation, focus paths and breadcrumbs

/** Children of a frame, left to right (index range within the next row). */
export function childrenOf(frames: FlameFrames, frameIndex: number): number[] {
  const depth = frames.depth[frameIndex]! + 1;
  if (depth >= frames.rowCount) return [];
  const start = frames.startValue[frameIndex]!;
  const end = start + frames.totalValues[frameIndex]!;
  const out: number[] = [];
  for (let i = firstStartingAtOrAfter(frames, depth, start, frames.rowStart[depth]!); i < frames.rowStart[depth + 1]!; i++) {
    if (frames.startValue[i]! > end) break;
    if (frames.parent[i] === frameIndex) out.push(i);
  }
  return out;
}

/** Names from the first real frame (depth 1) down to the frame; the virtual root is not part of paths. */
export function pathOf(frames: FlameFrames, frameIndex: number): string[] {
  const names: string[] = [];
  for (let i = frameIndex; i >= 0 && frames.depth[i]! > 0; i = frames.parent[i]!) names.push(frameName(frames, i));
  return names.reverse();
}

/** Frame at a path of names (as produced by pathOf), or -1 when the profile has no such stack. Empty path → root. */
export function frameAtPath(frames: FlameFrames, path: readonly string[]): number {
  if (frames.count === 0) return -1;
  let current = 0;
  for (const name of path) {
    const next = childrenOf(frames, current).find((child) => frameName(frames, child) === name);
    if (next === undefined) return -1;
    current = next;
  }
  return current;
}

export interface Breadcrumb {
  frameIndex: number;
  name: string;
}

/** Root first, the focused frame last. */
export function breadcrumbs(frames: FlameFrames, frameIndex: number): Breadcrumb[] {
  const out: Breadcrumb[] = [];
  for (let i = frameIndex; i >= 0; i = frames.parent[i]!) out.push({ frameIndex: i, name: frameName(frames, i) });
  return out.reverse();
}

export type Direction = 'up' | 'down' | 'left' | 'right';

/**
 * Keyboard navigation. Root is drawn on top, so `up` goes to the caller and `down` to the widest
 * callee (the one a reader most likely wants next); left/right move along the row, crossing parents,
 * and skip frames outside the viewport so focus never lands on something invisible.
 */
export function neighbourFrame(frames: FlameFrames, frameIndex: number, direction: Direction, viewport?: Viewport): number {
  if (frameIndex < 0) return frames.count > 0 ? 0 : -1;
  const inView = (i: number): boolean =>
    !viewport || (frames.startValue[i]! < viewport.endValue && frames.startValue[i]! + frames.totalValues[i]! > viewport.startValue);
  switch (direction) {
    case 'up': {
      const p = frames.parent[frameIndex]!;
      return p >= 0 ? p : frameIndex;
    }
    case 'down': {
      const children = childrenOf(frames, frameIndex).filter(inView);
      if (children.length === 0) return frameIndex;
      return children.reduce((best, c) => (frames.totalValues[c]! > frames.totalValues[best]! ? c : best), children[0]!);
    }
    case 'left': {
      const rowFirst = frames.rowStart[frames.depth[frameIndex]!]!;
      for (let i = frameIndex - 1; i >= rowFirst; i--) if (inView(i)) return i;
      return frameIndex;
    }
    case 'right': {
      const rowEnd = frames.rowStart[frames.depth[frameIndex]! + 1]!;
      for (let i = frameIndex + 1; i < rowEnd; i++) if (inView(i)) return i;
      return frameIndex;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Search

export interface SearchQuery {
  text: string;
  /** Treat `text` as a regular expression (JavaScript syntax, case-insensitive). */
  regex: boolean;
}

export interface SearchResult {
  /** 1 for frames whose name matches. */
  matched: Uint8Array;
  /**
   * matchedBefore[i] = matched frames among indices < i (length count + 1), so "does any frame of this
   * merged run match?" is O(1) for the renderer however many slivers the run holds.
   */
  matchedBefore: Uint32Array;
  matchedFrameCount: number;
  /** Value covered by matches, counting a matched frame inside another matched frame once. */
  matchedValue: number;
  /** matchedValue / total, 0..1. */
  share: number;
  /** Set when the regex does not compile; nothing matches then. */
  error: string | null;
}

export function searchFrames(frames: FlameFrames, query: SearchQuery): SearchResult {
  if (query.text === '') return searchFramesWith(frames, null);
  if (!query.regex) return searchFramesWith(frames, substringTest(query.text));
  let pattern: UserRegex;
  try {
    pattern = compileUserRegex(query.text, { caseInsensitive: true });
  } catch (error) {
    return searchFramesWith(frames, null, error instanceof Error ? error.message : String(error));
  }
  return searchFramesWith(frames, (name) => pattern.matchesPart(name));
}

/** Case-insensitive substring: the search box without "regex". */
export function substringTest(text: string): (name: string) => boolean {
  const needle = text.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

/**
 * Frames whose name passes `test`; null = nothing matches (`error` then says why, e.g. a pattern that
 * does not compile). The UI hands in its own test so the RE2 engine loads only for a regex search.
 */
export function searchFramesWith(frames: FlameFrames, test: ((name: string) => boolean) | null, error: string | null = null): SearchResult {
  const matched = new Uint8Array(frames.count);
  const matchedBefore = new Uint32Array(frames.count + 1);
  if (test === null || error !== null) return { matched, matchedBefore, matchedFrameCount: 0, matchedValue: 0, share: 0, error };
  // Names are deduplicated: test each once, not once per frame.
  const nameMatches = new Int8Array(frames.names.length).fill(-1);
  // covered[i] = i or an ancestor matched; parents precede children in level order, so one pass works.
  const covered = new Uint8Array(frames.count);
  let matchedFrameCount = 0;
  let matchedValue = 0;
  for (let i = 0; i < frames.count; i++) {
    const p = frames.parent[i]!;
    const parentCovered = p >= 0 ? covered[p]! : 0;
    // The virtual root `total` is not a function; it must not match a search for "tot".
    if (frames.depth[i]! === 0) continue;
    const n = frames.nameIndex[i]!;
    let isMatch = nameMatches[n]!;
    if (isMatch === -1) {
      isMatch = test(frames.names[n] ?? '') ? 1 : 0;
      nameMatches[n] = isMatch;
    }
    if (isMatch === 1) {
      matched[i] = 1;
      matchedFrameCount++;
      if (!parentCovered) matchedValue += frames.totalValues[i]!;
    }
    covered[i] = parentCovered || isMatch ? 1 : 0;
  }
  for (let i = 0; i < frames.count; i++) matchedBefore[i + 1] = matchedBefore[i]! + matched[i]!;
  return { matched, matchedBefore, matchedFrameCount, matchedValue, share: frames.totalValue > 0 ? matchedValue / frames.totalValue : 0, error: null };
}

// ---------------------------------------------------------------------------------------------
// Aggregation per function name (for the top table when only a flame graph is at hand)

export interface FunctionTotals {
  name: string;
  self: number;
  /** Value of stacks containing the function, counted once even when it recurses. */
  total: number;
}

export function functionTotals(frames: FlameFrames): FunctionTotals[] {
  const self = new Float64Array(frames.names.length);
  const total = new Float64Array(frames.names.length);
  const seen = new Uint8Array(frames.names.length);
  // A recursive function's total is counted at its outermost frame only, else recursion inflates it.
  const ancestorHas = (frameIndex: number, nameIndex: number): boolean => {
    for (let p = frames.parent[frameIndex]!; p >= 0 && frames.depth[p]! > 0; p = frames.parent[p]!) {
      if (frames.nameIndex[p] === nameIndex) return true;
    }
    return false;
  };
  for (let i = 0; i < frames.count; i++) {
    if (frames.depth[i]! === 0) continue;
    const n = frames.nameIndex[i]!;
    seen[n] = 1;
    self[n]! += frames.selfValues[i]!;
    if (!ancestorHas(i, n)) total[n]! += frames.totalValues[i]!;
  }
  const out: FunctionTotals[] = [];
  for (let n = 0; n < frames.names.length; n++) if (seen[n]) out.push({ name: frames.names[n]!, self: self[n]!, total: total[n]! });
  return out;
}
