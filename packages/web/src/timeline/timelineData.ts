/** Timeline data shaping for uPlot: series → aligned columns, legend statistics. Pure, tested. */
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
