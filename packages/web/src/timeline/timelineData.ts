/** Timeline data shaping for uPlot: series → aligned columns, legend statistics. Pure, tested. */
import { formatValue, profileTypeAggregation } from '@cinder/core';

export interface TimelineSeries {
  label: string;
  points: ReadonlyArray<readonly [timeMs: number, value: number]>;
}

export const SERIES_COLORS = ['#76B900', '#f2a93b', '#5794f2', '#e05d5d', '#b877d9', '#4fd1c5', '#f5d142', '#a0a0a0'];

/**
 * uPlot wants one shared x column (seconds) and one y column per series, null where a series has
 * no point at that time.
 * Example: a=[[1000,5]], b=[[2000,7]] → [[1,2],[5,null],[null,7]]
 */
export function alignSeries(series: readonly TimelineSeries[]): [number[], ...(number | null)[][]] {
  const times = [...new Set(series.flatMap((s) => s.points.map(([timeMs]) => timeMs)))].sort((a, b) => a - b);
  const indexOf = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const column = new Array<number | null>(times.length).fill(null);
    for (const [timeMs, value] of s.points) column[indexOf.get(timeMs)!] = (column[indexOf.get(timeMs)!] ?? 0) + value;
    return column;
  });
  return [times.map((t) => t / 1000), ...columns];
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

/*
 * Timelines as rates, so a line does not depend on the bucket size: per-bucket sums of CPU time read
 * 20 s at 1 h and 10 s at 15 min for the same load, while "0.33 cores" reads the same at any zoom.
 * The API stays as it was (per-bucket sums for cumulative types, per-bucket averages for gauges) and
 * the division by the bucket length happens here, from the answer's stepMs.
 */

export interface TimelineRate {
  /** `cores`: CPU time per second; `perSecond`: other cumulative values per second; `average`: gauges as they are. */
  kind: 'cores' | 'perSecond' | 'average';
  /** What the y axis and the hover say the numbers are, e.g. "CPU cores", "bytes/s", "average". */
  description: string;
  /** A bucket's value (sum over the bucket, or the gauge's average) → the plotted value. */
  toRate(bucketValue: number, stepMs: number): number;
  format(value: number): string;
}

const TIME_UNITS_PER_SECOND: Record<string, number> = { nanoseconds: 1e9, microseconds: 1e6, milliseconds: 1e3, seconds: 1 };

export function timelineRate(profileTypeId: string): TimelineRate {
  const [, sampleType = '', unit = ''] = profileTypeId.split(':');
  if (profileTypeAggregation(profileTypeId) === 'average') {
    return { kind: 'average', description: 'average', toRate: (value) => value, format: (value) => formatValue(value, unit) };
  }
  const unitsPerSecond = TIME_UNITS_PER_SECOND[unit];
  if (unitsPerSecond !== undefined) {
    // Time per second of wall clock: CPU time reads as cores busy; wall or delay time as seconds per second (threads in that state).
    const isCpu = sampleType === 'cpu';
    return {
      kind: 'cores',
      description: isCpu ? 'CPU cores' : 's/s',
      // One division (by units per bucket): 30e9 ns in 60 s is exactly 0.5, not 0.5000000000000001.
      toRate: (value, stepMs) => value / ((unitsPerSecond * stepMs) / 1000),
      format: (value) => `${trimRate(value)} ${isCpu ? (value === 1 ? 'core' : 'cores') : 's/s'}`,
    };
  }
  return {
    kind: 'perSecond',
    description: unit === 'bytes' ? 'bytes/s' : unit === 'count' || unit === '' ? `${sampleType || 'samples'}/s` : `${unit}/s`,
    toRate: (value, stepMs) => value / (stepMs / 1000),
    format: (value) => (unit === 'bytes' ? `${formatValue(value, 'bytes')}/s` : `${formatValue(value, unit === 'count' ? '' : unit)}/s`),
  };
}

/** Two significant decimals at most, no trailing zeros ("0.5", "0.005", "12.5"): axis labels must fit the axis. */
function trimRate(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 0.01 ? value.toFixed(2) : value.toPrecision(2);
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

export function seriesAsRate(series: readonly TimelineSeries[], rate: TimelineRate, stepMs: number): TimelineSeries[] {
  return series.map((s) => ({ ...s, points: s.points.map(([timeMs, value]) => [timeMs, rate.toRate(value, stepMs)] as const) }));
}

/**
 * Bucket lengths that are multiples of 30 s: SDKs flush every 5, 10 or 15 s, so each bucket holds the
 * same number of profiles and a steady load draws a flat line, not the sawtooth of 10 s profiles in
 * 18 s buckets (1, 2, 1, 2 … per bucket).
 */
const STEP_CHOICES_SEC = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** The smallest step from STEP_CHOICES_SEC giving at most `maxPoints` buckets over the range. */
export function timelineStepSeconds(range: { fromMs: number; untilMs: number }, maxPoints = 240): number {
  const spanSec = Math.max(0, (range.untilMs - range.fromMs) / 1000);
  for (const step of STEP_CHOICES_SEC) if (spanSec / step <= maxPoints) return step;
  return Math.ceil(spanSec / maxPoints / 86400) * 86400;
}
