/** The labels breakdown's per-value line (LabelBreakdown.tsx), in a file of its own so uPlot loads on demand. */
import { useEffect, useRef, type JSX } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useElementSize } from '../hooks/useElementSize.js';

/** A small uPlot line without axes; every row shares one y scale so heights compare across values. */
export function Sparkline(props: { points: readonly [number, number][]; fromMs: number; untilMs: number; peak: number; color: string; label: string }): JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const { points, fromMs, untilMs, peak, color } = props;
  useEffect(() => {
    const box = boxRef.current;
    if (!box || widthCssPx <= 0) return;
    const plot = new uPlot(
      {
        width: widthCssPx,
        height: 32,
        legend: { show: false },
        cursor: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true, min: fromMs / 1000, max: untilMs / 1000 }, y: { range: () => [0, peak > 0 ? peak * 1.05 : 1] } },
        series: [{}, { stroke: color, width: 1.5, fill: `${color}33`, points: { show: points.length < 3, size: 4, fill: color, stroke: color } }],
      },
      [points.map((p) => p[0] / 1000), points.map((p) => p[1])],
      box,
    );
    return () => plot.destroy();
  }, [points, fromMs, untilMs, peak, color, widthCssPx]);
  return <div className="sparkline" ref={boxRef} role="img" aria-label={`Timeline of ${props.label}`} />;
}
