/**
 * The compare page's timeline (uPlot): each side's series in its colour, the baseline and comparison
 * ranges as shaded bands, and a brush that sets the active side's range (as Pyroscope's comparison view).
 */
import { useEffect, useRef, type JSX } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useElementSize } from '../hooks/useElementSize.js';
import { timelineFrame } from '../timeline/frame.js';
import { SIDE_COLORS, bandRects, drawBands, type Band, type BandSide } from '../timeline/compareBands.js';
import { alignSeries, type TimelineSeries } from '../timeline/timelineData.js';

export interface CompareTimelineProps {
  /** One series per side (one when both sides select the same profiles). */
  series: readonly (TimelineSeries & { side: BandSide | 'both' })[];
  fromMs: number;
  untilMs: number;
  unit: string;
  /** How values read (a rate such as "0.25 cores"); default: the unit's format. */
  format?: (value: number) => string;
  bands: readonly Band[];
  /** Which side a drag sets. */
  brushing: BandSide;
  onBrush: (fromMs: number, untilMs: number) => void;
  heightCssPx?: number;
}

const MIN_DRAG_CSS_PX = 4;
/** Half of the widest x label ("11-29 03:00" at 12 px) plus a margin. */
const LAST_LABEL_HALF_WIDTH_CSS_PX = 40;
/** Axis labels are 12 px system-ui: digits and letters average under 7.2 px. */
const AXIS_CHAR_CSS_PX = 7.2;
const Y_AXIS_MIN_CSS_PX = 50;
/** Tick length, gap and margin beside the y labels. */
const Y_AXIS_EXTRA_CSS_PX = 22;

/**
 * The y axis as wide as its longest label ("0.005 cores" does not fit the frame's fixed 84 px, so
 * its first digits were cut at the panel's left edge).
 */
function frameWithRoom(frame: ReturnType<typeof timelineFrame>): ReturnType<typeof timelineFrame> {
  const [xAxis, yAxis] = frame.axes ?? [];
  if (!xAxis || !yAxis) return frame;
  const size = (_u: uPlot, values: string[] | null): number => {
    const longest = (values ?? []).reduce((max, value) => Math.max(max, String(value ?? '').length), 0);
    return Math.max(Y_AXIS_MIN_CSS_PX, Math.ceil(longest * AXIS_CHAR_CSS_PX) + Y_AXIS_EXTRA_CSS_PX);
  };
  return { ...frame, axes: [xAxis, { ...yAxis, size }] };
}
const BOTH_COLOR = '#9a9a9a';

export function CompareTimeline(props: CompareTimelineProps): JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const { widthCssPx } = useElementSize(boxRef);
  const heightCssPx = props.heightCssPx ?? 160;
  // Read by uPlot's hooks without re-creating the chart when only these change.
  const onBrush = useRef(props.onBrush);
  onBrush.current = props.onBrush;
  const bandsRef = useRef(props.bands);
  bandsRef.current = props.bands;
  const { series, fromMs, untilMs, unit, brushing, format } = props;

  useEffect(() => {
    const box = boxRef.current;
    if (!box || widthCssPx <= 0) return;
    const options: uPlot.Options = {
      width: widthCssPx,
      height: heightCssPx,
      legend: { show: false },
      ...frameWithRoom(timelineFrame(fromMs, untilMs, format ?? unit)),
      // A tick at the range's end centres its label on the plot's right edge: keep room for its right half.
      padding: [null, LAST_LABEL_HALF_WIDTH_CSS_PX, null, null],
      series: [
        {},
        ...series.map((s) => {
          const color = s.side === 'both' ? BOTH_COLOR : SIDE_COLORS[s.side].stroke;
          return { label: s.label, stroke: color, width: 1.5, points: { show: true, size: 5, fill: color, stroke: color } };
        }),
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        drawClear: [
          (u) => {
            const rects = bandRects(bandsRef.current, fromMs, untilMs, u.bbox.width / devicePixelRatioOf(u));
            drawBands(u.ctx, rects, { leftPx: u.bbox.left, topPx: u.bbox.top, heightPx: u.bbox.height, pixelRatio: devicePixelRatioOf(u) });
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width >= MIN_DRAG_CSS_PX) {
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              onBrush.current(Math.round(Math.min(a, b) * 1000), Math.round(Math.max(a, b) * 1000));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    const plot = new uPlot(options, alignSeries(series), box);
    plotRef.current = plot;
    return () => {
      plotRef.current = null;
      plot.destroy();
    };
  }, [series, fromMs, untilMs, unit, format, widthCssPx, heightCssPx]);

  // New bands: repaint the existing chart instead of rebuilding it.
  useEffect(() => {
    plotRef.current?.redraw(false, false);
  }, [props.bands]);

  // The brush takes the colour of the side it sets.
  useEffect(() => {
    const select = boxRef.current?.querySelector<HTMLElement>('.u-select');
    if (select) select.style.background = SIDE_COLORS[brushing].fill;
  }, [brushing, series, fromMs, untilMs, widthCssPx]);

  return (
    <div
      ref={boxRef}
      className="timeline-canvas-box"
      role="img"
      aria-label={`Timeline; drag to set the ${SIDE_COLORS[brushing].label.toLowerCase()} range`}
      data-testid="compare-timeline"
      data-from-ms={fromMs}
      data-until-ms={untilMs}
      data-brushing={brushing}
      style={{ minHeight: heightCssPx }}
    />
  );
}

/** uPlot's bbox is in device px; its ratio to the CSS width is the pixel ratio it drew with. */
function devicePixelRatioOf(u: uPlot): number {
  const cssWidth = u.over.getBoundingClientRect().width;
  return cssWidth > 0 ? u.bbox.width / cssWidth : window.devicePixelRatio || 1;
}
