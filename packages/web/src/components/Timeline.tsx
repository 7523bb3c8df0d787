/** Profile timeline (uPlot): one line per series with markers, a legend (mean, max); drag to pick a range. */
import { useEffect, useMemo, useRef, type JSX } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from '@cinder/core';
import { useElementSize } from '../hooks/useElementSize.js';
import { timelineFrame } from '../timeline/frame.js';
import { SERIES_COLORS, alignSeries, seriesStats, type TimelineSeries } from '../timeline/timelineData.js';

export interface TimelineProps {
  series: readonly TimelineSeries[];
  fromMs: number;
  untilMs: number;
  unit: string;
  onSelectRange: (fromMs: number, untilMs: number) => void;
  heightCssPx?: number;
}

const MIN_DRAG_CSS_PX = 4;

export function Timeline(props: TimelineProps): JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const heightCssPx = props.heightCssPx ?? 140;
  // The latest callback, read by uPlot's hook without re-creating the chart.
  const onSelectRange = useRef(props.onSelectRange);
  onSelectRange.current = props.onSelectRange;
  const { series, fromMs, untilMs, unit } = props;

  useEffect(() => {
    const box = boxRef.current;
    if (!box || widthCssPx <= 0) return;
    const options: uPlot.Options = {
      width: widthCssPx,
      height: heightCssPx,
      legend: { show: false },
      ...timelineFrame(fromMs, untilMs, unit),
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
      },
    };
    const plot = new uPlot(options, alignSeries(series), box);
    return () => plot.destroy();
  }, [series, fromMs, untilMs, unit, widthCssPx, heightCssPx]);

  const stats = useMemo(() => series.map((s) => seriesStats(s)), [series]);

  return (
    <div className="timeline" data-testid="timeline">
      <div
        ref={boxRef}
        className="timeline-canvas-box"
        role="img"
        aria-label={`Timeline of ${series.length} series; drag to select a time range`}
        data-testid="timeline-canvas"
        style={{ minHeight: heightCssPx }}
      />
      <table className="legend" data-testid="timeline-legend">
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Mean</th>
            <th scope="col">Max</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s, index) => (
            <tr key={s.label}>
              <td>
                <span className="swatch" style={{ background: SERIES_COLORS[index % SERIES_COLORS.length] }} aria-hidden="true" />
                {s.label}
              </td>
              <td className="num">{formatValue(stats[index]!.mean, unit)}</td>
              <td className="num">{formatValue(stats[index]!.max, unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
