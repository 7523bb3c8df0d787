/**
 * Profile timeline (uPlot): one line per series with markers, a legend (mean, max), a hover readout
 * with units; drag to pick a range, click a point to list the profiles behind it (exemplars).
 */
import { useEffect, useMemo, useRef, type JSX, type ReactNode } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from '@cinder/core';
import { useElementSize } from '../hooks/useElementSize.js';
import { formatDateTime } from '../state/time.js';
import { timelineFrame } from '../timeline/frame.js';
import { SERIES_COLORS, alignSeries, seriesStats, type TimelineSeries } from '../timeline/timelineData.js';
import { useUPlot } from '../timeline/uplotLoader.js';

export interface TimelineProps {
  series: readonly TimelineSeries[];
  fromMs: number;
  untilMs: number;
  unit: string;
  /** How values read (a rate such as "0.25 cores"); default: formatValue in `unit`. */
  format?: (value: number) => string;
  onSelectRange: (fromMs: number, untilMs: number) => void;
  /** A click (not a drag) on a point: its bucket time and series index. */
  onPickPoint?: (timeMs: number, seriesIndex: number) => void;
  heightCssPx?: number;
}

const MIN_DRAG_CSS_PX = 4;
/** The plot's height when the caller names none: the placeholder below reserves the same. */
export const TIMELINE_HEIGHT_CSS_PX = 140;
/** A guess past this is more likely wrong than right (and would reserve a tall empty block). */
const MAX_PLACEHOLDER_LEGEND_ROWS = 12;

/** The legend's header row, shared by the timeline and its placeholder so both have the same height. */
function LegendHead(): JSX.Element {
  return (
    <thead>
      <tr>
        <th scope="col">Series</th>
        <th scope="col">Mean</th>
        <th scope="col">Max</th>
      </tr>
    </thead>
  );
}

/**
 * What the timeline's place holds until its answer (and uPlot) are in: the same boxes (plot and
 * legend with `legendRows` rows) at the same size, so the flame graph below does not move when the
 * timeline arrives (issue 13). `children` (a spinner, say) sits inside the plot's box.
 */
export function TimelinePlaceholder(props: { heightCssPx?: number; legendRows?: number; children?: ReactNode }): JSX.Element {
  const heightCssPx = props.heightCssPx ?? TIMELINE_HEIGHT_CSS_PX;
  const rows = Math.max(1, Math.min(props.legendRows ?? 1, MAX_PLACEHOLDER_LEGEND_ROWS));
  return (
    <div className="timeline" data-testid="timeline-placeholder" aria-busy="true">
      <div className="timeline-plot">
        <div className="timeline-canvas-box timeline-canvas-pending" data-testid="timeline-placeholder-plot" style={{ minHeight: heightCssPx }}>
          {props.children}
        </div>
      </div>
      <table className="legend" aria-hidden="true">
        <LegendHead />
        <tbody>
          {Array.from({ length: rows }, (_, index) => (
            <tr key={index} data-testid="timeline-placeholder-row">
              <td>
                <span className="swatch" style={{ background: 'transparent' }} />
                {'\u00a0'}
              </td>
              <td className="num">{'\u00a0'}</td>
              <td className="num">{'\u00a0'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}


export function Timeline(props: TimelineProps): JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const hoverRef = useRef<HTMLDivElement>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const heightCssPx = props.heightCssPx ?? TIMELINE_HEIGHT_CSS_PX;
  // The latest callbacks, read by uPlot's hooks without re-creating the chart.
  const onSelectRange = useRef(props.onSelectRange);
  onSelectRange.current = props.onSelectRange;
  const onPickPoint = useRef(props.onPickPoint);
  onPickPoint.current = props.onPickPoint;
  const { series, fromMs, untilMs, unit } = props;
  const format = useMemo(() => props.format ?? ((value: number) => formatValue(value, unit)), [props.format, unit]);

  // Loaded on demand (timeline/uplotLoader.ts); the box below keeps the chart's size until then.
  const UPlot = useUPlot();
  useEffect(() => {
    const box = boxRef.current;
    if (!box || widthCssPx <= 0 || !UPlot) return;
    const data = alignSeries(series);
    const hover = hoverRef.current;
    const options: uPlot.Options = {
      width: widthCssPx,
      height: heightCssPx,
      legend: { show: false },
      ...timelineFrame(fromMs, untilMs, format),
      series: [
        {},
        ...series.map((s, index) => {
          const color = SERIES_COLORS[index % SERIES_COLORS.length]!;
          // Markers: profiles arrive every ~10 s, and a series with one point has no line to show.
          return { label: s.label, stroke: color, width: 1.5, points: { show: true, size: 5, fill: color, stroke: color } };
        }),
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width >= MIN_DRAG_CSS_PX) {
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              onSelectRange.current(Math.round(Math.min(a, b) * 1000), Math.round(Math.max(a, b) * 1000));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            if (!hover) return;
            const idx = u.cursor.idx;
            if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
              hover.hidden = true;
              return;
            }
            const timeSec = data[0][idx]!;
            const rows = series
              .map((s, i) => ({ label: s.label, value: data[i + 1]![idx], color: SERIES_COLORS[i % SERIES_COLORS.length]! }))
              .filter((row) => row.value !== null && row.value !== undefined);
            hover.replaceChildren();
            const time = document.createElement('div');
            time.className = 'timeline-hover-time';
            time.textContent = formatDateTime(timeSec * 1000);
            hover.append(time);
            for (const row of rows) {
              const line = document.createElement('div');
              const swatch = document.createElement('span');
              swatch.className = 'swatch';
              swatch.style.background = row.color;
              line.append(swatch, `${row.label}: ${format(row.value as number)}`);
              hover.append(line);
            }
            if (onPickPoint.current && rows.length > 0) {
              const hint = document.createElement('div');
              hint.className = 'muted';
              hint.textContent = 'click: open a profile of this point';
              hover.append(hint);
            }
            hover.hidden = false;
            // Left of the cursor past the middle, so the readout never leaves the chart.
            const left = u.cursor.left + u.over.offsetLeft;
            hover.style.left = left > widthCssPx / 2 ? `${left - hover.offsetWidth - 12}px` : `${left + 12}px`;
          },
        ],
      },
    };
    const plot = new UPlot(options, data, box);
    // A click is a press and release within a few pixels; a longer move is the range drag above.
    let downAt: { x: number; y: number } | null = null;
    const onDown = (event: MouseEvent): void => {
      downAt = { x: event.clientX, y: event.clientY };
    };
    const onUp = (event: MouseEvent): void => {
      const start = downAt;
      downAt = null;
      if (!start || !onPickPoint.current || Math.abs(event.clientX - start.x) >= MIN_DRAG_CSS_PX) return;
      const idx = plot.cursor.idx;
      if (idx === null || idx === undefined) return;
      const top = plot.cursor.top ?? 0;
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      series.forEach((_, i) => {
        const value = data[i + 1]![idx];
        if (value === null || value === undefined) return;
        const distance = Math.abs(plot.valToPos(value, 'y') - top);
        if (distance < bestDistance) [best, bestDistance] = [i, distance];
      });
      if (best >= 0) onPickPoint.current(Math.round(data[0][idx]! * 1000), best);
    };
    plot.over.addEventListener('mousedown', onDown);
    plot.over.addEventListener('mouseup', onUp);
    return () => {
      plot.over.removeEventListener('mousedown', onDown);
      plot.over.removeEventListener('mouseup', onUp);
      plot.destroy();
    };
  }, [series, fromMs, untilMs, format, widthCssPx, heightCssPx, UPlot]);

  const stats = useMemo(() => series.map((s) => seriesStats(s)), [series]);

  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-plot">
        <div
          ref={boxRef}
          className="timeline-canvas-box"
          role="img"
          aria-label={`Timeline of ${series.length} series; drag to select a time range${props.onPickPoint ? ', click a point to open its profiles' : ''}`}
          data-testid="timeline-canvas"
          style={{ minHeight: heightCssPx }}
        />
        <div ref={hoverRef} className="timeline-hover" data-testid="timeline-hover" hidden />
      </div>
      <table className="legend" data-testid="timeline-legend">
        <LegendHead />
        <tbody>
          {series.map((s, index) => (
            <tr key={s.label}>
              <td>
                <span className="swatch" style={{ background: SERIES_COLORS[index % SERIES_COLORS.length] }} aria-hidden="true" />
                {s.label}
              </td>
              <td className="num">{format(stats[index]!.mean)}</td>
              <td className="num">{format(stats[index]!.max)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
