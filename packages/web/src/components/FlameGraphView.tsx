/**
 * Thin React shell around the canvas renderer: owns events (hover, click, keys, scroll, resize) and
 * the accessible mirror; all geometry comes from core's layout and all pixels from renderer.ts.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent, type MouseEvent } from 'react';
import {
  breadcrumbs,
  colorForPackage,
  packageOf,
  formatPercent,
  formatValue,
  frameAtPath,
  frameName,
  hitTest,
  neighbourFrame,
  pathOf,
  searchFrames,
  viewportForFrame,
  type Direction,
  type FlameFrames,
  type SearchResult,
} from '@cinder/core';
import { ROW_HEIGHT_CSS_PX, canvasBackingSize, graphHeightCssPx, renderFlameGraph } from '../flamegraph/renderer.js';
import { frameDetails } from '../flamegraph/tooltip.js';
import { useElementSize } from '../hooks/useElementSize.js';

export interface FlameGraphViewProps {
  frames: FlameFrames;
  unit: string;
  /** Root-first names of the zoomed frame; [] = whole graph. */
  focusPath: readonly string[];
  onFocusPath?: (path: string[]) => void;
  search: string;
  searchRegex: boolean;
  onSearch?: (text: string, regex: boolean) => void;
  /** Function picked in the top table (outlined in the graph); clicking a frame picks its function. */
  selectedFunction: string;
  onSelectFunction?: (name: string) => void;
  /** Height of the scrollable graph area. */
  maxHeightCssPx?: number;
  label: string;
  testId?: string;
  /** Colour per frame instead of by package (diff graphs). */
  colorOf?: (frameIndex: number) => string;
  /** Hide the package legend (when colours mean something else). */
  hideLegend?: boolean;
  /** Tooltip rows instead of total/self/of parent (the diff graph's baseline, comparison, delta). */
  tooltipRows?: (frameIndex: number) => { label: string; value: string }[];
}

const MIRROR_ROWS = 40;
const KEY_DIRECTIONS: Record<string, Direction> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };

export function FlameGraphView(props: FlameGraphViewProps): JSX.Element {
  const { frames, unit, focusPath, onFocusPath, onSelectFunction } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const { widthCssPx } = useElementSize(scrollRef);
  const [scrollTopCssPx, setScrollTopCssPx] = useState(0);
  const [hovered, setHovered] = useState<{ frame: number; cssX: number; cssY: number } | null>(null);
  const [cursorFrame, setCursorFrame] = useState(-1);
  const [searchDraft, setSearchDraft] = useState(props.search);
  useEffect(() => setSearchDraft(props.search), [props.search]);

  const focusFrame = useMemo(() => {
    const found = frameAtPath(frames, focusPath);
    return found >= 0 ? found : 0;
  }, [frames, focusPath]);
  const focusMissing = focusPath.length > 0 && frameAtPath(frames, focusPath) < 0;

  const viewport = useMemo(() => viewportForFrame(frames, focusFrame, Math.max(widthCssPx, 1)), [frames, focusFrame, widthCssPx]);
  const search: SearchResult | null = useMemo(
    () => (props.search === '' ? null : searchFrames(frames, { text: props.search, regex: props.searchRegex })),
    [frames, props.search, props.searchRegex],
  );
  const graphHeight = graphHeightCssPx(frames);
  const viewHeightCssPx = Math.min(graphHeight, props.maxHeightCssPx ?? 520);

  // Draw after layout; the canvas is only as tall as the visible area (rows are virtualized).
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || widthCssPx <= 0) return;
    const devicePixelRatio = window.devicePixelRatio || 1;
    const backing = canvasBackingSize(widthCssPx, viewHeightCssPx, devicePixelRatio);
    if (canvas.width !== backing.width) canvas.width = backing.width;
    if (canvas.height !== backing.height) canvas.height = backing.height;
    canvas.style.width = `${widthCssPx}px`;
    canvas.style.height = `${viewHeightCssPx}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const frameRequest = requestAnimationFrame(() => {
      renderFlameGraph(ctx, {
        frames,
        viewport,
        heightCssPx: viewHeightCssPx,
        scrollTopCssPx,
        devicePixelRatio,
        search,
        selectedFrame: cursorFrame,
        hoveredFrame: hovered?.frame ?? -1,
        highlightName: props.selectedFunction || null,
        ...(props.colorOf ? { colorOf: props.colorOf } : {}),
      });
    });
    return () => cancelAnimationFrame(frameRequest);
  }, [frames, viewport, viewHeightCssPx, scrollTopCssPx, search, cursorFrame, hovered, props.selectedFunction, props.colorOf, widthCssPx]);

  const frameAt = useCallback(
    (event: MouseEvent<HTMLElement>): { frame: number; cssX: number; cssY: number } => {
      const rect = event.currentTarget.getBoundingClientRect();
      const cssX = event.clientX - rect.left;
      const cssY = event.clientY - rect.top;
      return { frame: hitTest(frames, viewport, cssX, cssY + scrollTopCssPx, ROW_HEIGHT_CSS_PX), cssX, cssY };
    },
    [frames, viewport, scrollTopCssPx],
  );

  const focusOn = useCallback(
    (frame: number) => {
      onFocusPath?.(frame <= 0 ? [] : pathOf(frames, frame));
    },
    [frames, onFocusPath],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const direction = KEY_DIRECTIONS[event.key];
    if (direction) {
      event.preventDefault();
      const next = neighbourFrame(frames, cursorFrame < 0 ? focusFrame : cursorFrame, direction, viewport);
      setCursorFrame(next);
      if (next >= 0) {
        // Keep the cursor row in view inside the virtualized area.
        const rowTop = frames.depth[next]! * ROW_HEIGHT_CSS_PX;
        const scroller = scrollRef.current;
        if (scroller && (rowTop < scroller.scrollTop || rowTop + ROW_HEIGHT_CSS_PX > scroller.scrollTop + viewHeightCssPx)) {
          scroller.scrollTop = Math.max(0, rowTop - viewHeightCssPx / 2);
        }
        onSelectFunction?.(frameName(frames, next));
      }
    } else if (event.key === 'Enter' && cursorFrame >= 0) {
      event.preventDefault();
      focusOn(cursorFrame);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setCursorFrame(-1);
      onFocusPath?.([]);
    } else if (event.key === '/') {
      event.preventDefault();
      searchRef.current?.focus();
    }
  };

  // `/` anywhere on the page (outside text inputs) jumps to the search box, as in most code viewers.
  useEffect(() => {
    const onGlobalKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key !== '/' || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
      event.preventDefault();
      searchRef.current?.focus();
    };
    document.addEventListener('keydown', onGlobalKey);
    return () => document.removeEventListener('keydown', onGlobalKey);
  }, []);

  const crumbs = useMemo(() => breadcrumbs(frames, focusFrame), [frames, focusFrame]);
  const tooltip = hovered && hovered.frame >= 0 ? frameDetails(frames, hovered.frame, unit) : null;
  const mirrorRows = useMemo(() => topFramesUnder(frames, focusFrame, MIRROR_ROWS), [frames, focusFrame]);
  const cursorDetails = cursorFrame >= 0 ? frameDetails(frames, cursorFrame, unit) : null;
  const legend = useMemo(() => packageLegend(frames, LEGEND_ENTRIES), [frames]);

  const commitSearch = (text: string, regex: boolean): void => props.onSearch?.(text, regex);

  return (
    <div className="flamegraph" data-testid={props.testId ?? 'flamegraph'}>
      <div className="flamegraph-toolbar">
        <nav className="breadcrumbs" aria-label="Zoom path" data-testid="flamegraph-breadcrumbs">
          {crumbs.map((crumb, index) => (
            <span key={crumb.frameIndex}>
              {index > 0 ? <span className="crumb-sep"> › </span> : null}
              <button type="button" className="crumb" onClick={() => focusOn(crumb.frameIndex)} aria-current={index === crumbs.length - 1 ? 'true' : undefined}>
                {index === 0 ? 'all' : crumb.name}
              </button>
            </span>
          ))}
        </nav>
        <button type="button" className="btn btn-small" onClick={() => onFocusPath?.([])} disabled={focusFrame <= 0} data-testid="flamegraph-reset">
          Reset zoom
        </button>
        {props.onSearch ? (
          <form
            className="search"
            role="search"
            onSubmit={(event) => {
              event.preventDefault();
              commitSearch(searchDraft, props.searchRegex);
            }}
          >
            <input
              ref={searchRef}
              type="search"
              placeholder="Search functions ( / )"
              aria-label="Search functions in the flame graph"
              value={searchDraft}
              data-testid="flamegraph-search"
              onChange={(event) => {
                setSearchDraft(event.target.value);
                commitSearch(event.target.value, props.searchRegex);
              }}
            />
            <label className="checkbox">
              <input type="checkbox" checked={props.searchRegex} onChange={(event) => commitSearch(searchDraft, event.target.checked)} /> regex
            </label>
            {search ? (
              <span className="search-result" data-testid="flamegraph-search-result" aria-live="polite">
                {search.error
                  ? `invalid regex: ${search.error}`
                  : `${search.matchedFrameCount} frames · ${formatValue(search.matchedValue, unit)} · ${formatPercent(search.share)} of total`}
              </span>
            ) : null}
          </form>
        ) : null}
      </div>
      {focusMissing ? (
        <p className="hint" data-testid="flamegraph-focus-missing">
          The zoomed stack ({focusPath.join(' › ')}) is not in this profile; showing everything.
        </p>
      ) : null}
      <div
        ref={scrollRef}
        className="flamegraph-scroll"
        style={{ height: viewHeightCssPx }}
        tabIndex={0}
        role="application"
        aria-label={`${props.label}. Arrow keys move between frames, Enter zooms, Escape resets, slash searches.`}
        onKeyDown={onKeyDown}
        onScroll={(event) => setScrollTopCssPx(event.currentTarget.scrollTop)}
      >
        <div style={{ height: graphHeight, position: 'relative' }}>
          <canvas
            ref={canvasRef}
            className="flamegraph-canvas"
            style={{ position: 'sticky', top: 0, display: 'block' }}
            data-testid="flamegraph-canvas"
            onMouseMove={(event) => {
              const hit = frameAt(event);
              setHovered(hit.frame >= 0 ? hit : null);
            }}
            onMouseLeave={() => setHovered(null)}
            onClick={(event) => {
              const hit = frameAt(event);
              if (hit.frame < 0) return;
              setCursorFrame(hit.frame);
              if (hit.frame > 0) onSelectFunction?.(frameName(frames, hit.frame));
              focusOn(hit.frame);
            }}
          />
        </div>
      </div>
      {tooltip && hovered ? (
        <div
          className="tooltip"
          role="tooltip"
          data-testid="flamegraph-tooltip"
          style={{ left: Math.min(hovered.cssX + 12, Math.max(0, widthCssPx - 320)), top: hovered.cssY + 16 }}
        >
          <div className="tooltip-name">{tooltip.name}</div>
          <table>
            {props.tooltipRows ? (
              <tbody>
                {props.tooltipRows(hovered.frame).map((row) => (
                  <tr key={row.label}>
                    <th>{row.label}</th>
                    <td>{row.value}</td>
                  </tr>
                ))}
              </tbody>
            ) : (
              <tbody>
                <tr>
                  <th>Total</th>
                  <td>
                    {tooltip.total} ({tooltip.percentOfTotal} of total)
                  </td>
                </tr>
                <tr>
                  <th>Self</th>
                  <td>{tooltip.self}</td>
                </tr>
                <tr>
                  <th>Of parent</th>
                  <td>{tooltip.percentOfParent}</td>
                </tr>
              </tbody>
            )}
          </table>
        </div>
      ) : null}
      {legend.length > 0 && !props.hideLegend ? (
        <ul className="package-legend" aria-label="Colours by package" data-testid="flamegraph-legend">
          {legend.map((entry) => (
            <li key={entry.pkg} title={`${entry.pkg}: ${formatPercent(entry.share)} of self time`}>
              <span className="swatch" style={{ background: colorForPackage(entry.pkg) }} aria-hidden="true" />
              {entry.pkg} <span className="muted">{formatPercent(entry.share)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="sr-only" aria-live="polite">
        {cursorDetails ? `${cursorDetails.name}: total ${cursorDetails.total}, ${cursorDetails.percentOfTotal} of total, self ${cursorDetails.self}` : ''}
      </div>
      <table className="sr-only" aria-label={`${props.label}: largest frames`} data-testid="flamegraph-a11y-table">
        <thead>
          <tr>
            <th scope="col">Function</th>
            <th scope="col">Stack depth</th>
            <th scope="col">Total</th>
            <th scope="col">Share of total</th>
            <th scope="col">Self</th>
          </tr>
        </thead>
        <tbody>
          {mirrorRows.map((frame) => (
            <tr key={frame}>
              <th scope="row">{frameName(frames, frame)}</th>
              <td>{frames.depth[frame]}</td>
              <td>{formatValue(frames.totalValues[frame]!, unit)}</td>
              <td>{formatPercent(frames.totalValue > 0 ? frames.totalValues[frame]! / frames.totalValue : 0)}</td>
              <td>{formatValue(frames.selfValues[frame]!, unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LEGEND_ENTRIES = 10;

/** Packages carrying the most self value: what the colours mean, largest first. */
function packageLegend(frames: FlameFrames, limit: number): { pkg: string; share: number }[] {
  const byPackage = new Map<string, number>();
  let total = 0;
  for (let i = 1; i < frames.count; i++) {
    const self = frames.selfValues[i]!;
    if (self <= 0) continue;
    const pkg = packageOf(frameName(frames, i));
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + self);
    total += self;
  }
  if (total === 0) return [];
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([pkg, value]) => ({ pkg, share: value / total }));
}

/** The `limit` widest frames under `root` (root excluded), for the screen-reader mirror. */
function topFramesUnder(frames: FlameFrames, root: number, limit: number): number[] {
  if (frames.count === 0) return [];
  const start = frames.startValue[root]!;
  const end = start + frames.totalValues[root]!;
  const rootDepth = frames.depth[root]!;
  const candidates: number[] = [];
  for (let i = 0; i < frames.count; i++) {
    if (frames.depth[i]! <= rootDepth) continue;
    if (frames.startValue[i]! >= start && frames.startValue[i]! < end) candidates.push(i);
  }
  candidates.sort((a, b) => frames.totalValues[b]! - frames.totalValues[a]! || frames.depth[a]! - frames.depth[b]!);
  return candidates.slice(0, limit);
}
