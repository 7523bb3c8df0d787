/**
 * Thin React shell around the canvas renderer: owns events (hover, click, keys, scroll, resize) and
 * the accessible mirror; all geometry comes from core's layout and all pixels from renderer.ts.
 */
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
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
  viewportForFrame,
  type Direction,
  type FlameFrames,
  type SearchResult,
} from '@cinder/core';
import { ROW_HEIGHT_CSS_PX, canvasBackingSize, graphHeightCssPx, icicleCssY, renderFlameGraph } from '../flamegraph/renderer.js';
import { ContextMenu, copyText } from './ContextMenu.js';
import { frameDetails } from '../flamegraph/tooltip.js';
import { scheduleDraw } from '../flamegraph/drawTask.js';
import { framesUnder, markPainted, type PaintState } from '../flamegraph/paintMark.js';
import { useElementSize } from '../hooks/useElementSize.js';
import { loadedRegexEngine, loadRegexEngine, searchFramesWith, substringTest } from '../flamegraph/search.js';

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
  /** Set = leave a paint mark per paint (flamegraph/paintMark.ts) saying whether this view's data is complete. */
  paintState?: PaintState;
  /**
   * Exact value matched by the search, from the server, when the frames are a level-of-detail cut (a
   * sum over the drawn frames would miss what is under a pixel wide). null = not known yet.
   */
  exactSearchValue?: number | null;
  /** Root row at the bottom (flame) instead of the top (icicle). */
  inverted?: boolean;
  /** Set = a flame/icicle toggle in the toolbar. */
  onInvertedChange?: (inverted: boolean) => void;
  /** Set = a right-click menu on frames (copy name and copy path are handled here). */
  onFrameAction?: (action: FrameAction, name: string) => void;
  /** More toolbar controls (the frame-filter bar). */
  toolbarExtra?: ReactNode;
}

export type FrameAction = 'focus' | 'show-from' | 'hide' | 'sandwich';

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
  const [menu, setMenu] = useState<{ frame: number; cssX: number; cssY: number } | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const inverted = props.inverted === true;
  const [searchDraft, setSearchDraft] = useState(props.search);
  useEffect(() => setSearchDraft(props.search), [props.search]);

  // A zoom is drawn at once from here; the page (which owns focusPath) may render it later, at
  // transition priority. Held until the page's focus changes (caught up, or moved elsewhere) or new frames come.
  const propsFocusKey = focusPath.join('\n');
  const [localFocus, setLocalFocus] = useState<{ path: readonly string[]; key: string; whilePropsFocus: string; frames: FlameFrames } | null>(null);
  const focusAhead = localFocus !== null && localFocus.whilePropsFocus === propsFocusKey && localFocus.key !== propsFocusKey && localFocus.frames === frames;
  const shownFocusPath = focusAhead ? localFocus.path : focusPath;
  const focusFound = useMemo(() => frameAtPath(frames, shownFocusPath), [frames, shownFocusPath]);
  const focusFrame = focusFound >= 0 ? focusFound : 0;
  const focusMissing = shownFocusPath.length > 0 && focusFound < 0;
  // Until the page has the zoom, what is drawn is not known to be complete.
  const paintState = props.paintState && focusAhead ? 'partial' : props.paintState;

  const viewport = useMemo(() => viewportForFrame(frames, focusFrame, Math.max(widthCssPx, 1)), [frames, focusFrame, widthCssPx]);
  // The RE2 engine loads on the first regex search (not with the page); until then nothing is dimmed.
  const wantsRegex = props.search !== '' && props.searchRegex;
  const [regexEngine, setRegexEngine] = useState(loadedRegexEngine);
  const [regexLoadError, setRegexLoadError] = useState<string | null>(null);
  useEffect(() => {
    if (!wantsRegex || regexEngine) return;
    let live = true;
    loadRegexEngine().then(
      (loaded) => {
        if (!live) return;
        setRegexEngine(() => loaded);
        setRegexLoadError(null);
      },
      (error: unknown) => live && setRegexLoadError(`the regex engine did not load (${error instanceof Error ? error.message : String(error)})`),
    );
    return () => {
      live = false;
    };
  }, [wantsRegex, regexEngine]);
  const search: SearchResult | null = useMemo(() => {
    if (props.search === '') return null;
    if (!props.searchRegex) return searchFramesWith(frames, substringTest(props.search));
    if (!regexEngine) return regexLoadError === null ? null : searchFramesWith(frames, null, regexLoadError);
    const compiled = regexEngine.compileSearchRegex(props.search);
    return searchFramesWith(frames, compiled.test, compiled.error);
  }, [frames, props.search, props.searchRegex, regexEngine, regexLoadError]);
  const graphHeight = graphHeightCssPx(frames);
  const viewHeightCssPx = Math.min(graphHeight, props.maxHeightCssPx ?? 520);

  // A new graph is drawn in a task of its own, a redraw in the next frame (drawTask.ts); the canvas is
  // only as tall as the visible area (rows are virtualized).
  const drawnFramesRef = useRef<FlameFrames | null>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || widthCssPx <= 0) return;
    return scheduleDraw(() => {
      drawnFramesRef.current = frames;
      // Resized where it is drawn: resizing clears the canvas, and a frame between the two would show it blank.
      const devicePixelRatio = window.devicePixelRatio || 1;
      const backing = canvasBackingSize(widthCssPx, viewHeightCssPx, devicePixelRatio);
      if (canvas.width !== backing.width) canvas.width = backing.width;
      if (canvas.height !== backing.height) canvas.height = backing.height;
      canvas.style.width = `${widthCssPx}px`;
      canvas.style.height = `${viewHeightCssPx}px`;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
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
        inverted,
      });
      if (paintState) {
        markPainted(canvas, { state: paintState, frames: frames.count, totalValue: frames.totalValue, focus: shownFocusPath.join(';'), framesUnderFocus: framesUnder(frames, focusFrame) });
      }
    }, drawnFramesRef.current === frames ? 'frame' : 'task');
  }, [frames, viewport, viewHeightCssPx, scrollTopCssPx, search, cursorFrame, hovered, props.selectedFunction, props.colorOf, widthCssPx, paintState, shownFocusPath, focusFrame, inverted]);

  // A flame starts at its root: scroll to the bottom when switching to it (or when a new profile arrives).
  // An icicle already at the top is left alone: touching scrollTop lays the page out in this task, and
  // on the page's first commit that is the whole page (issue 13: no task > 50 ms).
  const scrollTopRef = useRef(scrollTopCssPx);
  scrollTopRef.current = scrollTopCssPx;
  useEffect(() => {
    const scroller = scrollRef.current;
    if (!scroller || (!inverted && scrollTopRef.current === 0)) return;
    scroller.scrollTop = inverted ? scroller.scrollHeight : 0;
    setScrollTopCssPx(scroller.scrollTop);
  }, [inverted, frames]);

  const frameAt = useCallback(
    (event: MouseEvent<HTMLElement>): { frame: number; cssX: number; cssY: number } => {
      const rect = event.currentTarget.getBoundingClientRect();
      const cssX = event.clientX - rect.left;
      const cssY = event.clientY - rect.top;
      return { frame: hitTest(frames, viewport, cssX, icicleCssY(frames, cssY + scrollTopCssPx, inverted), ROW_HEIGHT_CSS_PX), cssX, cssY };
    },
    [frames, viewport, scrollTopCssPx, inverted],
  );

  const focusOn = useCallback(
    (frame: number) => {
      if (!onFocusPath) return;
      const path = frame <= 0 ? [] : pathOf(frames, frame);
      setLocalFocus({ path, key: path.join('\n'), whilePropsFocus: propsFocusKey, frames });
      onFocusPath(path);
    },
    [frames, onFocusPath, propsFocusKey],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const direction = KEY_DIRECTIONS[event.key];
    if (direction) {
      event.preventDefault();
      const next = neighbourFrame(frames, cursorFrame < 0 ? focusFrame : cursorFrame, direction, viewport);
      setCursorFrame(next);
      if (next >= 0) {
        // Keep the cursor row in view inside the virtualized area.
        const rowTop = (inverted ? frames.rowCount - 1 - frames.depth[next]! : frames.depth[next]!) * ROW_HEIGHT_CSS_PX;
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
      focusOn(0);
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
  // The screen-reader mirror comes in a deferred render after the graph's: its table is most of the
  // graph's DOM, and laying it out with the page's first commit made that frame's task > 50 ms (issue 13).
  const mirrorFrames = useDeferredValue<FlameFrames | null>(frames, null);
  const mirrorFocus = useDeferredValue(focusFrame, 0);
  const mirrorRows = useMemo(() => (mirrorFrames ? topFramesUnder(mirrorFrames, mirrorFocus, MIRROR_ROWS) : []), [mirrorFrames, mirrorFocus]);
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
        <button type="button" className="btn btn-small" onClick={() => focusOn(0)} disabled={focusFrame <= 0} data-testid="flamegraph-reset">
          Reset zoom
        </button>
        {props.onInvertedChange ? (
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={inverted}
            title={inverted ? 'Flame: root at the bottom. Click for an icicle (root at the top).' : 'Icicle: root at the top. Click for a flame (root at the bottom).'}
            data-testid="flamegraph-orientation"
            data-orientation={inverted ? 'flame' : 'icicle'}
            onClick={() => props.onInvertedChange?.(!inverted)}
          >
            {inverted ? 'Flame ▲' : 'Icicle ▼'}
          </button>
        ) : null}
        {props.toolbarExtra}
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
                  : props.exactSearchValue === undefined
                    ? `${search.matchedFrameCount} frames · ${formatValue(search.matchedValue, unit)} · ${formatPercent(search.share)} of total`
                    : props.exactSearchValue === null
                      ? `${search.matchedFrameCount} frames shown · totalling…`
                      : `${search.matchedFrameCount} frames · ${formatValue(props.exactSearchValue, unit)} · ${formatPercent(frames.totalValue > 0 ? props.exactSearchValue / frames.totalValue : 0)} of total`}
              </span>
            ) : null}
          </form>
        ) : null}
      </div>
      {focusMissing ? (
        <p className="hint" data-testid="flamegraph-focus-missing">
          The zoomed stack ({shownFocusPath.join(' › ')}) is not in this profile; showing everything.
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
            onContextMenu={(event) => {
              if (!props.onFrameAction) return;
              const hit = frameAt(event);
              if (hit.frame <= 0) return;
              event.preventDefault();
              setHovered(null);
              setMenu(hit);
            }}
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
      {menu && props.onFrameAction ? (
        <ContextMenu
          x={Math.min(menu.cssX, Math.max(0, widthCssPx - 220))}
          y={menu.cssY + 8}
          title={frameName(frames, menu.frame)}
          onClose={closeMenu}
          items={[
            { label: 'Focus on this function (only stacks through it)', testId: 'frame-menu-focus', onSelect: () => props.onFrameAction?.('focus', frameName(frames, menu.frame)) },
            { label: 'Show from here (re-root)', testId: 'frame-menu-show-from', onSelect: () => props.onFrameAction?.('show-from', frameName(frames, menu.frame)) },
            { label: 'Sandwich view', testId: 'frame-menu-sandwich', onSelect: () => props.onFrameAction?.('sandwich', frameName(frames, menu.frame)) },
            { label: 'Copy function name', testId: 'frame-menu-copy-name', onSelect: () => void copyText(frameName(frames, menu.frame)) },
            { label: 'Copy stack path', testId: 'frame-menu-copy-path', onSelect: () => void copyText(pathOf(frames, menu.frame).join(';')) },
            { label: 'Hide this function (time goes to its caller)', testId: 'frame-menu-hide', onSelect: () => props.onFrameAction?.('hide', frameName(frames, menu.frame)) },
          ]}
        />
      ) : null}
      {tooltip && hovered && !menu ? (
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
                  <td data-testid="flamegraph-tooltip-self">
                    {tooltip.self} ({formatPercent(frames.totalValue > 0 ? frames.selfValues[hovered.frame]! / frames.totalValue : 0)} of total)
                  </td>
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
          {mirrorFrames
            ? mirrorRows.map((frame) => (
                <tr key={frame}>
                  <th scope="row">{frameName(mirrorFrames, frame)}</th>
                  <td>{mirrorFrames.depth[frame]}</td>
                  <td>{formatValue(mirrorFrames.totalValues[frame]!, unit)}</td>
                  <td>{formatPercent(mirrorFrames.totalValue > 0 ? mirrorFrames.totalValues[frame]! / mirrorFrames.totalValue : 0)}</td>
                  <td>{formatValue(mirrorFrames.selfValues[frame]!, unit)}</td>
                </tr>
              ))
            : null}
        </tbody>
      </table>
    </div>
  );
}

const LEGEND_ENTRIES = 10;

/**
 * Packages carrying the most self value: what the colours mean, largest first. Self is summed per
 * distinct name first, so the package of each name is worked out once (a graph has far more frames
 * than names, and packageOf runs regexes).
 */
export function packageLegend(frames: FlameFrames, limit: number): { pkg: string; share: number }[] {
  const selfByName = new Float64Array(frames.names.length);
  let total = 0;
  for (let i = 1; i < frames.count; i++) {
    const self = frames.selfValues[i]!;
    if (self <= 0) continue;
    selfByName[frames.nameIndex[i]!]! += self;
    total += self;
  }
  if (total === 0) return [];
  const byPackage = new Map<string, number>();
  for (let name = 0; name < selfByName.length; name++) {
    const self = selfByName[name]!;
    if (self <= 0) continue;
    const pkg = packageOf(frames.names[name] ?? '');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + self);
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([pkg, value]) => ({ pkg, share: value / total }));
}

/**
 * The `limit` widest frames under `root` (root excluded), for the screen-reader mirror: widest first,
 * then shallower, then frame order. Only the rows under root are searched (by binary search on each
 * row's x order) and only `limit` candidates are kept, so a zoom does not sort the whole graph.
 */
export function topFramesUnder(frames: FlameFrames, root: number, limit: number): number[] {
  if (frames.count === 0 || limit <= 0) return [];
  const start = frames.startValue[root]!;
  const end = start + frames.totalValues[root]!;
  const before = (a: number, b: number): boolean =>
    frames.totalValues[a]! !== frames.totalValues[b]! ? frames.totalValues[a]! > frames.totalValues[b]! : frames.depth[a]! !== frames.depth[b]! ? frames.depth[a]! < frames.depth[b]! : a < b;
  const kept: number[] = [];
  for (let depth = frames.depth[root]! + 1; depth < frames.rowCount; depth++) {
    const rowEnd = frames.rowStart[depth + 1]!;
    for (let i = firstStartingAtOrAfter(frames, frames.rowStart[depth]!, rowEnd, start); i < rowEnd && frames.startValue[i]! < end; i++) {
      if (kept.length === limit && !before(i, kept[limit - 1]!)) continue;
      let at = kept.length === limit ? limit - 1 : kept.length;
      if (kept.length < limit) kept.push(i);
      while (at > 0 && before(i, kept[at - 1]!)) {
        kept[at] = kept[at - 1]!;
        at--;
      }
      kept[at] = i;
    }
  }
  return kept;
}

function firstStartingAtOrAfter(frames: FlameFrames, low: number, high: number, value: number): number {
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (frames.startValue[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
