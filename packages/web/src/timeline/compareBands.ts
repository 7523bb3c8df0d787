/**
 * The compare timeline's two selections (baseline and comparison) as shaded bands: geometry is pure
 * (tested), drawing takes any 2D context. No React here.
 */

/** One colour per side, used by the bands, the brush, the series and the page's legend. */
export const SIDE_COLORS = {
  baseline: { stroke: '#5794f2', fill: 'rgba(87, 148, 242, 0.22)', label: 'Baseline' },
  comparison: { stroke: '#f2a93b', fill: 'rgba(242, 169, 59, 0.22)', label: 'Comparison' },
} as const;

export type BandSide = keyof typeof SIDE_COLORS;

export interface Band {
  side: BandSide;
  fromMs: number;
  untilMs: number;
}

export interface BandRect {
  side: BandSide;
  /** CSS px from the plot area's left edge, clipped to [0, widthCssPx]; width ≥ 1 so a thin range stays visible. */
  leftCssPx: number;
  widthCssPx: number;
}

/** Bands → rectangles over a time axis [axisFromMs, axisUntilMs] drawn `widthCssPx` wide; bands outside it are dropped. */
export function bandRects(bands: readonly Band[], axisFromMs: number, axisUntilMs: number, widthCssPx: number): BandRect[] {
  const spanMs = axisUntilMs - axisFromMs;
  if (spanMs <= 0 || widthCssPx <= 0) return [];
  const toPx = (ms: number): number => ((ms - axisFromMs) / spanMs) * widthCssPx;
  const rects: BandRect[] = [];
  for (const band of bands) {
    const left = Math.max(0, toPx(band.fromMs));
    const right = Math.min(widthCssPx, toPx(band.untilMs));
    if (right < 0 || left > widthCssPx || right < left) continue;
    rects.push({ side: band.side, leftCssPx: left, widthCssPx: Math.max(1, right - left) });
  }
  return rects;
}

/**
 * Paints the bands behind-the-data style (translucent fill, solid edges, the side's name on top).
 * Coordinates are device px: the caller passes the plot area's origin and its CSS→device ratio.
 */
export function drawBands(
  ctx: CanvasRenderingContext2D,
  rects: readonly BandRect[],
  area: { leftPx: number; topPx: number; heightPx: number; pixelRatio: number },
): void {
  ctx.save();
  const r = area.pixelRatio;
  for (const rect of rects) {
    const colors = SIDE_COLORS[rect.side];
    const x = area.leftPx + rect.leftCssPx * r;
    const w = rect.widthCssPx * r;
    ctx.fillStyle = colors.fill;
    ctx.fillRect(x, area.topPx, w, area.heightPx);
    ctx.fillStyle = colors.stroke;
    ctx.fillRect(x, area.topPx, Math.max(1, r), area.heightPx);
    ctx.fillRect(x + w - Math.max(1, r), area.topPx, Math.max(1, r), area.heightPx);
    ctx.font = `${Math.round(11 * r)}px sans-serif`;
    ctx.textBaseline = 'top';
    // Too narrow for its name: the colour says which side it is.
    // The comparison's name one line lower: the two bands overlap in the label preset.
    if (w >= 56 * r) ctx.fillText(colors.label, x + 4 * r, area.topPx + (rect.side === 'baseline' ? 3 : 17) * r);
  }
  ctx.restore();
}
