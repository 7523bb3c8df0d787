/**
 * Canvas timeline (one line per series, time on x) with drag-to-select. React-free like the flame
 * graph, and tested the same way against a recording context. The needs (a few lines, markers, a
 * legend, a brush) are small enough that a charting library would add more than it saves.
 */
import { formatValue } from '@cinder/core';
import type { Canvas2DLike } from '../flamegraph/renderer.js';

export interface TimelineSeries {
  label: string;
  points: ReadonlyArray<readonly [timeMs: number, value: number]>;
}

export interface TimelineCanvas extends Canvas2DLike {
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
}

export const SERIES_COLORS = ['#76B900', '#f2a93b', '#5794f2', '#e05d5d', '#b877d9', '#4fd1c5', '#f5d142', '#a0a0a0'];
export const AXIS_LEFT_CSS_PX = 64;
const AXIS_BOTTOM_CSS_PX = 20;
const TOP_CSS_PX = 6;

export interface TimelineLayout {
  widthCssPx: number;
  heightCssPx: number;
  fromMs: number;
  untilMs: number;
  maxValue: number;
}

export function plotLeftCssPx(): number {
  return AXIS_LEFT_CSS_PX;
}

export function timeToCssX(layout: TimelineLayout, timeMs: number): number {
  const plotWidth = layout.widthCssPx - AXIS_LEFT_CSS_PX;
  return AXIS_LEFT_CSS_PX + ((timeMs - layout.fromMs) / (layout.untilMs - layout.fromMs)) * plotWidth;
}

export function cssXToTime(layout: TimelineLayout, cssX: number): number {
  const plotWidth = layout.widthCssPx - AXIS_LEFT_CSS_PX;
  const clamped = Math.min(Math.max(cssX, AXIS_LEFT_CSS_PX), layout.widthCssPx);
  return layout.fromMs + ((clamped - AXIS_LEFT_CSS_PX) / plotWidth) * (layout.untilMs - layout.fromMs);
}

function valueToCssY(layout: TimelineLayout, value: number): number {
  const plotHeight = layout.heightCssPx - AXIS_BOTTOM_CSS_PX - TOP_CSS_PX;
  return TOP_CSS_PX + plotHeight - (layout.maxValue > 0 ? (value / layout.maxValue) * plotHeight : 0);
}

export interface SeriesStats {
  mean: number;
  max: number;
}

export function seriesStats(series: TimelineSeries): SeriesStats {
  if (series.points.length === 0) return { mean: 0, max: 0 };
  let sum = 0;
  let max = -Infinity;
  for (const [, value] of series.points) {
    sum += value;
    max = Math.max(max, value);
  }
  return { mean: sum / series.points.length, max };
}

/** A "nice" axis maximum (1, 2 or 5 × 10^n) at or above the data maximum. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exponent = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) if (step * exponent >= value) return step * exponent;
  return 10 * exponent;
}

function timeLabel(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return spanMs > 2 * 86_400_000 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
}

export interface TimelineRenderInput {
  series: readonly TimelineSeries[];
  fromMs: number;
  untilMs: number;
  widthCssPx: number;
  heightCssPx: number;
  devicePixelRatio: number;
  unit: string;
  /** Drag in progress, css x of both ends; null when not dragging. */
  brushCssX: readonly [number, number] | null;
}

export function timelineLayout(input: TimelineRenderInput): TimelineLayout {
  let max = 0;
  for (const s of input.series) for (const [, v] of s.points) max = Math.max(max, v);
  return { widthCssPx: input.widthCssPx, heightCssPx: input.heightCssPx, fromMs: input.fromMs, untilMs: input.untilMs, maxValue: niceMax(max) };
}

export function renderTimeline(ctx: TimelineCanvas, input: TimelineRenderInput): { linesDrawn: number } {
  const layout = timelineLayout(input);
  const dpr = Math.max(1, input.devicePixelRatio);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, input.widthCssPx, input.heightCssPx);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  // Grid and y labels: 0, half, max.
  for (const fraction of [0, 0.5, 1]) {
    const value = layout.maxValue * fraction;
    const y = valueToCssY(layout, value);
    ctx.fillStyle = '#2a2a2a';
    ctx.fillRect(AXIS_LEFT_CSS_PX, Math.round(y), input.widthCssPx - AXIS_LEFT_CSS_PX, 1);
    ctx.fillStyle = '#9a9a9a';
    ctx.fillText(formatValue(value, input.unit), 4, y);
  }
  // Five x labels.
  const spanMs = input.untilMs - input.fromMs;
  for (let i = 0; i < 5; i++) {
    const t = input.fromMs + (spanMs * (i + 0.5)) / 5;
    ctx.fillStyle = '#9a9a9a';
    ctx.fillText(timeLabel(t, spanMs), timeToCssX(layout, t) - 14, input.heightCssPx - AXIS_BOTTOM_CSS_PX / 2);
  }
  let linesDrawn = 0;
  input.series.forEach((series, index) => {
    if (series.points.length === 0) return;
    ctx.strokeStyle = SERIES_COLORS[index % SERIES_COLORS.length]!;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    series.points.forEach(([t, v], i) => {
      const x = timeToCssX(layout, t);
      const y = valueToCssY(layout, v);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    // Markers: profiles arrive every ~10 s, and a series with one point has no line to show.
    if (series.points.length <= 400) {
      ctx.fillStyle = SERIES_COLORS[index % SERIES_COLORS.length]!;
      for (const [t, v] of series.points) ctx.fillRect(timeToCssX(layout, t) - 2, valueToCssY(layout, v) - 2, 4, 4);
    }
    linesDrawn++;
  });
  if (input.brushCssX) {
    const left = Math.max(AXIS_LEFT_CSS_PX, Math.min(...input.brushCssX));
    const right = Math.min(input.widthCssPx, Math.max(...input.brushCssX));
    ctx.fillStyle = 'rgba(118, 185, 0, 0.18)';
    ctx.fillRect(left, TOP_CSS_PX, right - left, input.heightCssPx - AXIS_BOTTOM_CSS_PX - TOP_CSS_PX);
  }
  return { linesDrawn };
}
