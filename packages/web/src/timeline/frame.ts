/**
 * The frame every timeline chart shares (uPlot options without React): a time x scale over the
 * range, a y scale from 0 with headroom, the app's one 24-hour time format on the x axis and
 * values in the profile type's unit on the y axis.
 */
import type uPlot from 'uplot';
import { formatValue } from '@cinder/core';
import { axisTickSpaceCssPx, formatAxisTime } from '../state/time.js';

/** `unit`: a sample unit for formatValue, or a formatter (a timeline drawn as a rate: "0.3 cores"). */
export function timelineFrame(fromMs: number, untilMs: number, unit: string | ((value: number) => string)): Pick<uPlot.Options, 'scales' | 'axes'> {
  const spanMs = untilMs - fromMs;
  const format = typeof unit === 'string' ? (value: number) => formatValue(value, unit) : unit;
  return {
    scales: { x: { time: true, min: fromMs / 1000, max: untilMs / 1000 }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      // The app's one 24-hour format, not uPlot's default "7:25pm".
      { stroke: '#9a9a9a', grid: { stroke: '#2a2a2a', width: 1 }, ticks: { stroke: '#2a2a2a' }, space: axisTickSpaceCssPx(spanMs), values: (_u, splits) => splits.map((sec) => formatAxisTime(sec * 1000, spanMs)) },
      { stroke: '#9a9a9a', grid: { stroke: '#2a2a2a', width: 1 }, ticks: { stroke: '#2a2a2a' }, size: 84, values: (_u, splits) => splits.map((v) => format(v)) },
    ],
  };
}
