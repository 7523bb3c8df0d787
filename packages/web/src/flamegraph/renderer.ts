/**
 * Canvas 2D flame-graph renderer. Free of React and of the DOM beyond the context it is handed, so
 * tests drive it with a recording context and assert what would be drawn.
 *
 * The canvas is only as tall as the visible viewport; the graph scrolls "under" it (scrollTopCssPx).
 * A deep profile (thousands of rows × 18 px) would otherwise need a canvas taller than browsers allow
 * (Chromium caps a canvas side at 32 767 px and total area lower still), and drawing off-screen rows is
 * wasted work anyway.
 */
import {
  DIMMED_COLOR,
  MERGED_COLOR,
  colorForFrameName,
  frameName,
  visibleRects,
  type FlameFrames,
  type SearchResult,
  type Viewport,
} from '@cinder/core';
import { FLAME_FONT } from './font.js';

/** The subset of CanvasRenderingContext2D the renderer uses (a real context satisfies it). */
export interface Canvas2DLike {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  font: string;
  textBaseline: CanvasTextBaseline;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
}

export const ROW_HEIGHT_CSS_PX = 18;
/** Below this a box is merged with its neighbours and never labelled. */
export const MERGE_BELOW_CSS_PX = 1;
const LABEL_PADDING_CSS_PX = 3;
const MIN_LABEL_CHARS = 3;
export const FONT = FLAME_FONT;
/** Chromium's limit for one canvas side; we never ask for more backing pixels than this. */
export const MAX_CANVAS_SIDE_DEVICE_PX = 32_767;

export interface RenderInput {
  frames: FlameFrames;
  viewport: Viewport;
  heightCssPx: number;
  scrollTopCssPx: number;
  devicePixelRatio: number;
  rowHeightCssPx?: number;
  /** Null = no search typed: everything keeps its colour. A search matching nothing dims everything. */
  search: SearchResult | null;
  /** Keyboard/click selection: outlined. -1 = none. */
  selectedFrame: number;
  hoveredFrame: number;
  /** Function picked in the top table: every frame with this name is outlined. */
  highlightName: string | null;
  /** Overrides the colour by package (diff graphs colour by change). */
  colorOf?: (frameIndex: number) => string;
  /** Flame orientation: the root row at the bottom of the graph (default: icicle, root at the top). */
  inverted?: boolean;
}

export interface RenderStats {
  rowsDrawn: number;
  boxesDrawn: number;
  labelsDrawn: number;
}

/** Backing-store size for a css size, clamped to what the browser allows. */
export function canvasBackingSize(widthCssPx: number, heightCssPx: number, devicePixelRatio: number): { width: number; height: number; scale: number } {
  const wantedScale = Math.max(1, devicePixelRatio);
  const scale = Math.min(wantedScale, MAX_CANVAS_SIDE_DEVICE_PX / Math.max(1, widthCssPx), MAX_CANVAS_SIDE_DEVICE_PX / Math.max(1, heightCssPx));
  return { width: Math.floor(widthCssPx * scale), height: Math.floor(heightCssPx * scale), scale };
}

/** Total css height of the graph if it were drawn in full (for the scroll container's spacer). */
export function graphHeightCssPx(frames: FlameFrames, rowHeightCssPx = ROW_HEIGHT_CSS_PX): number {
  return frames.rowCount * rowHeightCssPx;
}

/**
 * A y in the drawn graph (css px from its top, scroll included) → the y hitTest expects (icicle
 * space, root row first): the identity unless the graph is drawn as a flame (root at the bottom).
 */
export function icicleCssY(frames: FlameFrames, graphCssY: number, inverted: boolean, rowHeightCssPx = ROW_HEIGHT_CSS_PX): number {
  if (!inverted) return graphCssY;
  const row = Math.floor(graphCssY / rowHeightCssPx);
  return (frames.rowCount - 1 - row) * rowHeightCssPx + (graphCssY - row * rowHeightCssPx);
}

/** Text that fits in `availableCssPx` with a monospace char width, or null when nothing useful fits. */
export function fitLabel(name: string, availableCssPx: number, charWidthCssPx: number): string | null {
  const maxChars = Math.floor(availableCssPx / charWidthCssPx);
  if (maxChars >= name.length) return name;
  if (maxChars < MIN_LABEL_CHARS + 1) return null;
  return `${name.slice(0, maxChars - 1)}…`;
}

/** Colours per name, computed once per profile: deriving a package takes regexes and a hash. */
const colorCache = new WeakMap<FlameFrames, (string | undefined)[]>();
const colorByName = new Map<string, string>();
const MAX_COLORS_BY_NAME = 200_000;

function frameColor(frames: FlameFrames & { nameColorIndex?: Uint32Array; colorPalette?: readonly string[] }, frameIndex: number): string {
  let colors = colorCache.get(frames);
  if (!colors) {
    colors = new Array<string | undefined>(frames.names.length);
    // Level-of-detail frames come with their colours, derived in the flame-graph worker (lodView.ts).
    const { nameColorIndex, colorPalette } = frames;
    if (nameColorIndex && colorPalette && nameColorIndex.length === frames.names.length) for (let n = 0; n < nameColorIndex.length; n++) colors[n] = colorPalette[nameColorIndex[n]!];
    colorCache.set(frames, colors);
  }
  const nameIndex = frames.nameIndex[frameIndex]!;
  let color = colors[nameIndex];
  if (color === undefined) {
    // Each zoom of a level-of-detail graph brings new frames with mostly the same names: one derivation per name.
    const name = frameName(frames, frameIndex);
    color = colorByName.get(name);
    if (color === undefined) {
      color = colorForFrameName(name);
      if (colorByName.size >= MAX_COLORS_BY_NAME) colorByName.clear();
      colorByName.set(name, color);
    }
    colors[nameIndex] = color;
  }
  return color;
}

export function renderFlameGraph(ctx: Canvas2DLike, input: RenderInput): RenderStats {
  const rowHeight = input.rowHeightCssPx ?? ROW_HEIGHT_CSS_PX;
  const { frames, viewport, search } = input;
  const { scale } = canvasBackingSize(viewport.widthCssPx, input.heightCssPx, input.devicePixelRatio);
  // Draw in css pixels; the transform maps them onto the (denser) backing store for crisp text.
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, viewport.widthCssPx, input.heightCssPx);
  const stats: RenderStats = { rowsDrawn: 0, boxesDrawn: 0, labelsDrawn: 0 };
  if (frames.count === 0) return stats;

  const firstRow = Math.max(0, Math.floor(input.scrollTopCssPx / rowHeight));
  const lastRow = Math.min(frames.rowCount - 1, Math.floor((input.scrollTopCssPx + input.heightCssPx - 1) / rowHeight));
  const inverted = input.inverted === true;
  // Inverted, screen row r shows depth rowCount-1-r: the same visible band, read from the other end.
  const firstDepth = inverted ? Math.max(0, frames.rowCount - 1 - lastRow) : firstRow;
  const lastDepth = inverted ? frames.rowCount - 1 - firstRow : lastRow;
  stats.rowsDrawn = Math.max(0, lastDepth - firstDepth + 1);
  const rects = visibleRects(frames, viewport, { firstDepth, lastDepth, mergeBelowCssPx: MERGE_BELOW_CSS_PX });

  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  // Monospace: one measurement gives every label's width, instead of a measureText per box per frame.
  const charWidthCssPx = ctx.measureText('0').width || 6.6;
  // A search result computed for another profile (stale while a new one decodes) must not colour this one.
  const searching = search !== null && search.matched.length === frames.count;
  const highlightIndex = input.highlightName === null ? -1 : frames.names.indexOf(input.highlightName);
  const outlines: Array<{ cssX: number; cssY: number; cssWidth: number; color: string }> = [];

  for (const rect of rects) {
    const cssY = (inverted ? frames.rowCount - 1 - rect.depth : rect.depth) * rowHeight - input.scrollTopCssPx;
    // 1 css px gap between boxes and rows so neighbours stay distinguishable.
    const boxWidth = rect.mergedCount > 1 ? rect.cssWidth : Math.max(rect.cssWidth - 1, 0.5);
    let color: string;
    if (rect.mergedCount > 1) {
      const anyMatch = searching && search.matchedBefore[rect.frameIndex + rect.mergedCount]! - search.matchedBefore[rect.frameIndex]! > 0;
      color = searching && !anyMatch ? DIMMED_COLOR : MERGED_COLOR;
    } else {
      const isMatch = searching && search.matched[rect.frameIndex] === 1;
      color = searching && !isMatch && frames.depth[rect.frameIndex]! > 0 ? DIMMED_COLOR : input.colorOf ? input.colorOf(rect.frameIndex) : frameColor(frames, rect.frameIndex);
    }
    ctx.fillStyle = color;
    ctx.fillRect(rect.cssX, cssY, boxWidth, rowHeight - 1);
    stats.boxesDrawn++;

    if (rect.mergedCount === 1) {
      const i = rect.frameIndex;
      if (i === input.selectedFrame) outlines.push({ cssX: rect.cssX, cssY, cssWidth: boxWidth, color: '#ffffff' });
      else if (i === input.hoveredFrame) outlines.push({ cssX: rect.cssX, cssY, cssWidth: boxWidth, color: 'rgba(255,255,255,0.6)' });
      else if (highlightIndex >= 0 && frames.nameIndex[i] === highlightIndex) outlines.push({ cssX: rect.cssX, cssY, cssWidth: boxWidth, color: '#76B900' });
      const label = fitLabel(frameName(frames, i), boxWidth - 2 * LABEL_PADDING_CSS_PX, charWidthCssPx);
      if (label !== null) {
        ctx.fillStyle = color === DIMMED_COLOR ? '#8a8a8a' : '#111111';
        ctx.fillText(label, rect.cssX + LABEL_PADDING_CSS_PX, cssY + (rowHeight - 1) / 2);
        stats.labelsDrawn++;
      }
    }
  }
  // Outlines last so a neighbour's fill never covers them.
  for (const outline of outlines) {
    ctx.strokeStyle = outline.color;
    ctx.lineWidth = outline.color === '#ffffff' ? 2 : 1.5;
    ctx.strokeRect(outline.cssX + 0.75, outline.cssY + 0.75, Math.max(outline.cssWidth - 1.5, 0.5), rowHeight - 2.5);
  }
  return stats;
}
