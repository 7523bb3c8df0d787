/** Profile timeline: one line per series with a legend (mean, max); drag across it to pick a range. */
import { useEffect, useMemo, useRef, useState, type JSX, type PointerEvent } from 'react';
import { formatValue } from '@cinder/core';
import { useElementSize } from '../hooks/useElementSize.js';
import { SERIES_COLORS, cssXToTime, renderTimeline, seriesStats, timelineLayout, type TimelineSeries } from '../timeline/timelineRenderer.js';

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
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const heightCssPx = props.heightCssPx ?? 140;
  const [brush, setBrush] = useState<[number, number] | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || widthCssPx <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.floor(widthCssPx * dpr);
    canvas.height = Math.floor(heightCssPx * dpr);
    canvas.style.width = `${widthCssPx}px`;
    canvas.style.height = `${heightCssPx}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    renderTimeline(ctx, {
      series: props.series,
      fromMs: props.fromMs,
      untilMs: props.untilMs,
      widthCssPx,
      heightCssPx,
      devicePixelRatio: dpr,
      unit: props.unit,
      brushCssX: brush,
    });
  }, [props.series, props.fromMs, props.untilMs, props.unit, widthCssPx, heightCssPx, brush]);

  const cssXOf = (event: PointerEvent<HTMLCanvasElement>): number => event.clientX - event.currentTarget.getBoundingClientRect().left;
  const stats = useMemo(() => props.series.map((s) => seriesStats(s)), [props.series]);

  return (
    <div className="timeline" data-testid="timeline">
      <div ref={boxRef} className="timeline-canvas-box">
        <canvas
          ref={canvasRef}
          role="img"
          aria-label={`Timeline of ${props.series.length} series; drag to select a time range`}
          data-testid="timeline-canvas"
          onPointerDown={(event) => {
            event.currentTarget.setPointerCapture?.(event.pointerId);
            const x = cssXOf(event);
            setBrush([x, x]);
          }}
          onPointerMove={(event) => {
            if (brush) setBrush([brush[0], cssXOf(event)]);
          }}
          onPointerUp={(event) => {
            if (!brush) return;
            const end = cssXOf(event);
            setBrush(null);
            if (Math.abs(end - brush[0]) < MIN_DRAG_CSS_PX) return;
            const layout = timelineLayout({
              series: props.series,
              fromMs: props.fromMs,
              untilMs: props.untilMs,
              widthCssPx,
              heightCssPx,
              devicePixelRatio: 1,
              unit: props.unit,
              brushCssX: null,
            });
            const a = cssXToTime(layout, brush[0]);
            const b = cssXToTime(layout, end);
            props.onSelectRange(Math.round(Math.min(a, b)), Math.round(Math.max(a, b)));
          }}
          onPointerCancel={() => setBrush(null)}
        />
      </div>
      <table className="legend" data-testid="timeline-legend">
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Mean</th>
            <th scope="col">Max</th>
          </tr>
        </thead>
        <tbody>
          {props.series.map((series, index) => (
            <tr key={series.label}>
              <td>
                <span className="swatch" style={{ background: SERIES_COLORS[index % SERIES_COLORS.length] }} aria-hidden="true" />
                {series.label}
              </td>
              <td className="num">{formatValue(stats[index]!.mean, props.unit)}</td>
              <td className="num">{formatValue(stats[index]!.max, props.unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
