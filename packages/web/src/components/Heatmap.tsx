/**
 * Per-profile totals over time (GET /api/v1/heatmap, SelectHeatmap's JSON twin): columns are time
 * slots, rows value bands, a cell's shade its profile count. Clicking a cell opens the profiles in it.
 * SVG, not canvas: at most slots × 20 cells, each a focusable target with its count for tests and
 * screen readers.
 */
import { useMemo, useRef, type JSX } from 'react';
import type { HeatmapResponse } from '../api/client.js';
import { useElementSize } from '../hooks/useElementSize.js';
import { axisTickSpaceCssPx, formatAxisTime, formatDateTime } from '../state/time.js';

export interface HeatmapCell {
  /** The slot's end time; the slot is (slotMs − stepMs, slotMs]. */
  slotMs: number;
  row: number;
  count: number;
  /** Value band [minValue, maxValue) of the row. */
  minValue: number;
  maxValue: number;
}

export interface HeatmapProps {
  data: HeatmapResponse;
  fromMs: number;
  untilMs: number;
  format: (value: number) => string;
  onPickCell: (cell: HeatmapCell) => void;
  heightCssPx?: number;
}

const AXIS_LEFT_CSS_PX = 76;
const AXIS_BOTTOM_CSS_PX = 20;

export function Heatmap(props: HeatmapProps): JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const heightCssPx = props.heightCssPx ?? 160;
  const { data, fromMs, untilMs, format } = props;

  const cells = useMemo(() => {
    // Groups share rows and slots (the UI asks without groupBy): add their counts.
    const bySlotRow = new Map<string, HeatmapCell>();
    for (const series of data.series) {
      for (const slot of series.slots) {
        slot.counts.forEach((count, row) => {
          if (count === 0) return;
          const key = `${slot.timeMs}|${row}`;
          const minValue = slot.yMin[row] ?? 0;
          const maxValue = slot.yMin[row + 1] ?? minValue + (slot.yMin.length > 1 ? slot.yMin[1]! - slot.yMin[0]! : 1);
          const cell = bySlotRow.get(key);
          if (cell) cell.count += count;
          else bySlotRow.set(key, { slotMs: slot.timeMs, row, count, minValue, maxValue });
        });
      }
    }
    return [...bySlotRow.values()];
  }, [data]);
  const rows = data.series[0]?.slots[0]?.yMin.length ?? 20;
  const yMin = data.series[0]?.slots[0]?.yMin ?? [];
  const maxCount = cells.reduce((max, c) => Math.max(max, c.count), 0);

  const plotWidth = Math.max(0, widthCssPx - AXIS_LEFT_CSS_PX);
  const plotHeight = heightCssPx - AXIS_BOTTOM_CSS_PX;
  const spanMs = Math.max(1, untilMs - fromMs);
  const xOf = (ms: number): number => AXIS_LEFT_CSS_PX + ((ms - fromMs) / spanMs) * plotWidth;
  const rowHeight = plotHeight / rows;
  const ticks = useMemo(() => {
    const count = Math.max(2, Math.floor(plotWidth / axisTickSpaceCssPx(spanMs)));
    return Array.from({ length: count }, (_, i) => fromMs + (i * spanMs) / (count - 1));
  }, [plotWidth, spanMs, fromMs]);

  return (
    <div className="heatmap" ref={boxRef} data-testid="heatmap">
      {widthCssPx > 0 ? (
        <svg width={widthCssPx} height={heightCssPx} role="img" aria-label={`Heatmap of ${cells.reduce((s, c) => s + c.count, 0)} profiles; click a cell to open its profiles`}>
          {yMin.length > 0 ? (
            <>
              <text x={AXIS_LEFT_CSS_PX - 6} y={plotHeight} textAnchor="end" className="heatmap-axis">
                {format(yMin[0]!)}
              </text>
              <text x={AXIS_LEFT_CSS_PX - 6} y={10} textAnchor="end" className="heatmap-axis">
                {format(yMin[yMin.length - 1]! + (yMin.length > 1 ? yMin[1]! - yMin[0]! : 0))}
              </text>
            </>
          ) : null}
          {ticks.map((ms, i) => (
            <text key={ms} x={xOf(ms)} y={heightCssPx - 4} textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'} className="heatmap-axis">
              {formatAxisTime(ms, spanMs)}
            </text>
          ))}
          <rect x={AXIS_LEFT_CSS_PX} y={0} width={plotWidth} height={plotHeight} className="heatmap-bg" />
          {cells.map((cell) => {
            const left = Math.max(AXIS_LEFT_CSS_PX, xOf(cell.slotMs - data.stepMs));
            const right = Math.min(AXIS_LEFT_CSS_PX + plotWidth, xOf(cell.slotMs));
            // Shade by log count so one busy cell does not wash out the rest.
            const shade = maxCount > 1 ? 0.35 + (0.65 * Math.log(cell.count)) / Math.log(maxCount) : 1;
            return (
              <rect
                key={`${cell.slotMs}|${cell.row}`}
                data-testid="heatmap-cell"
                data-count={cell.count}
                data-slot={cell.slotMs}
                data-row={cell.row}
                tabIndex={0}
                role="button"
                aria-label={`${cell.count} profiles at ${formatDateTime(cell.slotMs)} with totals ${format(cell.minValue)} – ${format(cell.maxValue)}`}
                x={left}
                y={plotHeight - (cell.row + 1) * rowHeight}
                width={Math.max(3, right - left - 1)}
                height={Math.max(2, rowHeight - 1)}
                fill={`rgba(118, 185, 0, ${shade.toFixed(3)})`}
                className="heatmap-cell"
                onClick={() => props.onPickCell(cell)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' || event.key === ' ') props.onPickCell(cell);
                }}
              >
                <title>{`${cell.count} profile${cell.count === 1 ? '' : 's'} · ${formatDateTime(cell.slotMs)} · ${format(cell.minValue)} – ${format(cell.maxValue)}`}</title>
              </rect>
            );
          })}
        </svg>
      ) : null}
    </div>
  );
}
