/**
 * The explorer: service × profile type × time range (× label filters) → timeline, flame graph, top
 * table, sandwich. Used by the Profiling page and, with filters and group-by, by /explore.
 */
import { lazy, memo, Suspense, useDeferredValue, useEffect, useMemo, useState, type JSX } from 'react';
import {
  decodeLevels,
  defaultProfileType,
  formatValue,
  profileTypeDisplayName,
  profileTypeUnit,
  sortProfileTypes,
  type AppConfig,
  type SandwichResponse,
  type ServiceInfo,
  type TimelineResponse,
  type TopRow,
} from '@cinder/core';
import type { ApiClient, ApiError } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { requestWidthFor, useExactSearch, useLodFlameGraph } from '../hooks/useLodFlameGraph.js';
import { windowWidthGuessCssPx } from '../flamegraph/startupPrefetch.js';
import { useMeasuredWidth } from '../hooks/useMeasuredWidth.js';
import { lazyFlameData } from '../flamegraph/lodView.js';
import { takeStartupServices, takeStartupServicesIfIn } from '../flamegraph/startupPrefetch.js';
import type { RefreshClock } from '../hooks/useNow.js';
import type { ViewStateUpdateOptions } from '../hooks/useViewState.js';
import { buildQuery } from '../state/selector.js';
import { describeRange, formatDateTime, formatDuration, resolveRange } from '../state/time.js';
import type { ViewState } from '../state/viewState.js';
import { ViewTabs } from './ViewTabs.js';
import { ProfileTypeSelect, RefreshSelect, ServiceSelect, serviceTypeNames, TimeRangePicker } from './Controls.js';
import { LabelFilters } from './LabelChips.js';
import { FlameGraphView, type FrameAction } from './FlameGraphView.js';
import { ErrorState, Notice, Spinner } from './States.js';
import { defaultExportTitle } from './exportTitle.js';
import { ROW_HEIGHT_CSS_PX } from '../flamegraph/renderer.js';
import { ExemplarList, SelectedProfilesBanner, type PickedPoint } from './Exemplars.js';
import { seriesAsRate, timelineRate, timelineStepSeconds } from '../timeline/timelineData.js';
import type { HeatmapResponse } from '../api/client.js';
import { LabelBreakdown } from './LabelBreakdown.js';
import { Timeline, TimelinePlaceholder } from './Timeline.js';
import { afterFirstFlamePaint } from '../flamegraph/paintMark.js';

/** Loads a panel's code after the flame graph's first paint (at once on a page that opened without one). */
const afterFlame = <T,>(load: () => Promise<T>): Promise<T> => afterFirstFlamePaint().then(load);

// Panels around the flame graph load after its first paint (issue 13: open → painted, no task > 50 ms):
// their code is not evaluated in the module graph that paints the graph, and they render in a later
// task than the graph's commit. The frame-filter bar validates filters with the RE2 engine (re2js,
// ~150 kB of code) and guesses the language from every name. (The timeline's uPlot waits likewise:
// timeline/uplotLoader.ts.) The call tree and heatmap are other views, loaded when chosen.
// packages/web/test/bundleSplit.test.ts checks that none of them is in the graph's module graph.
const FrameFilters = lazy(() => afterFlame(() => import('./FrameFilters.js')).then((m) => ({ default: m.FrameFilters })));
const TopTable = lazy(() => afterFlame(() => import('./TopTable.js')).then((m) => ({ default: m.TopTable })));
const ExportMenu = lazy(() => afterFlame(() => import('./ExportMenu.js')).then((m) => ({ default: m.ExportMenu })));
const ShareButton = lazy(() => afterFlame(() => import('./ShareButton.js')).then((m) => ({ default: m.ShareButton })));
const CallTree = lazy(() => import('./CallTree.js').then((m) => ({ default: m.CallTree })));
const Heatmap = lazy(() => import('./Heatmap.js').then((m) => ({ default: m.Heatmap })));

export interface ExplorerProps {
  client: ApiClient;
  config: AppConfig | null;
  state: ViewState;
  update: (patch: Partial<ViewState>, options?: ViewStateUpdateOptions) => void;
  clock: RefreshClock;
  /** Label filter chips, the labels breakdown and timeline group-by (both pages show them; kiosk views may not). */
  withFilters: boolean;
  /** Tells the page whether any query is in flight (drives the Refresh button's spinner). */
  onBusyChange?: (busy: boolean) => void;
  /** Services with data in range, for the page's overview sections. */
  onServices?: (services: ServiceInfo[]) => void;
}

/** Past this a deep graph scrolls inside its panel (a 100-deep Java stack is 1,800 px). */
const MAX_FLAME_HEIGHT_CSS_PX = 2400;
const NO_TOP_ROWS: readonly TopRow[] = [];
const NO_SERVICES: readonly ServiceInfo[] = [];

/**
 * 1234567 → "1,234,567", as toLocaleString('en-US') writes a count, without it: the first Intl call of
 * a page sets up ICU, 15–65 ms of the main thread on this machine, in the render that paints the graph.
 */
export function groupThousands(count: number): string {
  const digits = String(Math.abs(Math.round(count)));
  let grouped = '';
  for (let end = digits.length; end > 0; end -= 3) grouped = end - 3 > 0 ? `,${digits.slice(end - 3, end)}${grouped}` : `${digits.slice(0, end)}${grouped}`;
  return count < 0 ? `-${grouped}` : grouped;
}

export function pickProfileType(available: readonly string[], wanted: string): string {
  return defaultProfileType(available, wanted);
}

/**
 * Memoised: a flame-graph click updates the URL with `defer`, and the page's urgent render then passes
 * the same props, so the explorer renders once, at transition priority (issue 13: no task > 50 ms).
 */
export const Explorer = memo(ExplorerBody);

function ExplorerBody(props: ExplorerProps): JSX.Element {
  const { client, state, update, clock } = props;
  const range = useMemo(() => resolveRange({ from: state.from, until: state.until }, clock.nowMs), [state.from, state.until, clock.nowMs]);
  const rangeText = describeRange({ from: state.from, until: state.until }, clock.nowMs);

  const servicesKey = `${range.fromMs}|${range.untilMs}|${clock.generation}`;
  // Usually in before this code runs (a start-up request): then the first render already has it.
  const [initialServices] = useState(() => {
    // Peeked in the render (which may be thrown away and done again), taken once it is committed.
    const data = takeStartupServicesIfIn(range.fromMs, range.untilMs, { peek: true });
    return data ? { key: servicesKey, data } : null;
  });
  useEffect(() => {
    if (initialServices) takeStartupServicesIfIn(range.fromMs, range.untilMs);
    // Once, for the first render's answer.
  }, []);
  const servicesQuery = useQuery(servicesKey, (signal) => takeStartupServices(range.fromMs, range.untilMs) ?? client.services(range.fromMs, range.untilMs, signal), initialServices);
  const services = servicesQuery.data ?? NO_SERVICES;
  const { onServices } = props;
  useEffect(() => {
    if (servicesQuery.data) onServices?.(servicesQuery.data);
  }, [servicesQuery.data, onServices]);

  // Memoised (with everything the panels above the graph take) so the render that brings the flame
  // graph's answer reuses those panels' elements: React skips them, and that commit is the graph's.
  const chosen = useMemo(() => (state.services.length === 0 ? services : services.filter((s) => state.services.includes(s.serviceName))), [services, state.services]);
  const availableTypes = useMemo(() => sortProfileTypes(chosen.flatMap((s) => s.profileTypes.map((t) => t.id))), [chosen]);
  const profileType = pickProfileType(availableTypes, state.profileType);
  const unit = profileTypeUnit(profileType);
  const query = profileType ? buildQuery(profileType, state.services, state.filters) : null;
  const rangeKey = query ? `${query}|${range.fromMs}|${range.untilMs}|${clock.generation}` : null;
  // Opened profiles (an exemplar or a heatmap cell) narrow the flame graph, top table and exports, not the timeline.
  const profileIds = state.profiles;
  // Frame filters change every flame-shaped answer (the server applies them), not the timeline.
  const baseKey = rangeKey && `${rangeKey}|${profileIds.join(',')}|${JSON.stringify(state.frameFilters)}`;
  const timelineStep = timelineStepSeconds(range);
  const rate = useMemo(() => timelineRate(profileType), [profileType]);
  const [picked, setPicked] = useState<PickedPoint | null>(null);
  const defaultTitle = defaultExportTitle({ services: state.services, profileTypeId: profileType, fromMs: range.fromMs, untilMs: range.untilMs, filters: state.filters });
  // An edited title holds until what it describes changes (another service, type, range or filter).
  const [titleEdit, setTitleEdit] = useState<{ forDefault: string; text: string } | null>(null);
  const exportTitle = titleEdit && titleEdit.forDefault === defaultTitle ? titleEdit.text : defaultTitle;

  const timelineQuery = useQuery<TimelineResponse>(rangeKey && `${rangeKey}|${state.groupBy}|${timelineStep}`, (signal) =>
    client.timeline(
      { query: query!, fromMs: range.fromMs, untilMs: range.untilMs, stepSeconds: timelineStep, groupBy: state.groupBy || 'service_name' },
      signal,
    ),
  );
  // Fewer, wider columns than the lines: a cell must be big enough to see and to click.
  const heatmapStep = timelineStepSeconds(range, 60);
  const heatmapQuery = useQuery<HeatmapResponse>(rangeKey && state.timelineView === 'heatmap' ? `${rangeKey}|heatmap|${heatmapStep}` : null, (signal) =>
    client.heatmap({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs, stepSeconds: heatmapStep }, signal),
  );
  // Level of detail (issue 13): the server sends every node at least one pixel wide at the flame panel's
  // width, with exact values and the exact top table; a worker decodes and lays it out, and a zoom that
  // needs more fetches its subtree in the background and splices it in. Nothing is folded into "other".
  // Kept in the steps the graph asks the server for, starting from the window's (the panel is inside it):
  // the graph's first request need not wait for a measurement, and measuring renders the page again only
  // when the panel is wider than that.
  const [windowRequestWidth] = useState(() => requestWidthFor(windowWidthGuessCssPx()));
  const [flamePanelRef, flamePanelWidthCssPx] = useMeasuredWidth<HTMLElement>(requestWidthFor, windowRequestWidth);
  const flameSelection = query ? { query, fromMs: range.fromMs, untilMs: range.untilMs, profileIds, frameFilters: state.frameFilters } : null;
  const lod = useLodFlameGraph(client, baseKey, flameSelection, state.focus, flamePanelWidthCssPx);
  const exactSearch = useExactSearch(client, baseKey, flameSelection, { text: state.search, regex: state.searchRegex });
  const flame = lod.header && lod.frames ? { ...lod.header, total: lod.frames.totalValue } : null;
  const sandwichKey = baseKey && state.view === 'sandwich' && state.selectedFunction ? `${baseKey}|${state.selectedFunction}` : null;
  const sandwichQuery = useQuery<SandwichResponse>(sandwichKey, (signal) =>
    client.sandwich({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs, functionName: state.selectedFunction, frameFilters: state.frameFilters, profileIds }, signal),
  );

  const sandwichFactor = flame?.aggregation === 'average' && flame.profileCount > 1 ? 1 / flame.profileCount : 1;
  const sandwichAnswer = useMemo(() => averagedSandwich(sandwichQuery.data, sandwichFactor), [sandwichQuery.data, sandwichFactor]);
  const busy = servicesQuery.loading || timelineQuery.loading || lod.loading || lod.detailLoading || sandwichQuery.loading;
  const { onBusyChange } = props;
  useEffect(() => onBusyChange?.(busy), [busy, onBusyChange]);

  const frames = lod.frames;
  // For the flamebearer JSON and HTML exports of what is shown (built when an export reads it).
  const flameData = useMemo(() => (frames ? lazyFlameData(frames) : null), [frames]);
  // The top table's rows are the page's biggest layout: they come in a second, deferred render, so the
  // flame graph paints first and neither render holds the page for long (issue 13: no task > 50 ms);
  // memoised so a zoom or hover does not re-render 200 rows.
  const flameTop = flame?.top ?? NO_TOP_ROWS;
  const flameTotal = flame?.total ?? 0;
  const deferredTop = useDeferredValue(flameTop, NO_TOP_ROWS);
  // The flame panel's share and export menus likewise come in the deferred render after the graph's (the
  // graph's commit has inert stand-ins of their size, so the graph does not move when they come).
  const panelsReady = useDeferredValue(lod.header !== null, false);
  // A click on a frame selects its function too: the table's highlight follows after the graph repainted.
  const tableSelectedFunction = useDeferredValue(state.selectedFunction);
  const tableSearch = useDeferredValue(state.search);
  const topTable = useMemo(
    () =>
      deferredTop === flameTop && flameTop !== NO_TOP_ROWS ? (
        <Suspense fallback={<div className="placeholder-block" data-testid="top-table-pending" />}>
          <TopTable
            rows={deferredTop}
            totalValue={flameTotal}
            unit={unit}
            caption="Top functions"
            search={tableSearch}
            searchRegex={state.searchRegex}
            selectedFunction={tableSelectedFunction}
            onSelectFunction={(selectedFunction) => update({ selectedFunction }, { replace: true })}
          />
        </Suspense>
      ) : (
        <div className="placeholder-block" data-testid="top-table-pending" />
      ),
    [deferredTop, flameTop, flameTotal, unit, tableSearch, state.searchRegex, tableSelectedFunction, update],
  );
  const timelineSeries = useMemo(
    () =>
      seriesAsRate(
        (timelineQuery.data?.series ?? []).map((s) => ({
          label: Object.entries(s.labels)
            .map(([k, v]) => (k === (state.groupBy || 'service_name') ? v : `${k}=${v}`))
            .join(', ') || 'all',
          points: s.points,
        })),
        rate,
        timelineQuery.data?.stepMs ?? timelineStep * 1000,
      ),
    [timelineQuery.data, state.groupBy, rate, timelineStep],
  );

  const askedFor = `${state.services.length === 0 ? 'all services' : state.services.join(', ')} · ${profileType ? profileTypeDisplayName(profileType) : 'any profile type'} · ${rangeText}`;

  const { config } = props;
  const controls = useMemo(
    () => (
      <div className="controls" data-testid="explorer-controls">
        <ServiceSelect services={services} selected={state.services} onChange={(next) => update({ services: next, focus: [], selectedFunction: '', profiles: [] })} />
        <ProfileTypeSelect types={availableTypes} value={profileType} onChange={(id) => update({ profileType: id, focus: [], selectedFunction: '', profiles: [] })} />
        <TimeRangePicker range={{ from: state.from, until: state.until }} nowMs={clock.nowMs} onChange={(next) => update({ from: next.from, until: next.until })} />
        <RefreshSelect value={state.refresh} onChange={(value) => update({ refresh: value })} />
        <ConfigFacts config={config} />
      </div>
    ),
    [services, state.services, availableTypes, profileType, state.from, state.until, clock.nowMs, state.refresh, config, update],
  );

  const frameFilterBar = frames ? (
    <Suspense
      fallback={
        // The bar's toggle, inert until its code is in: the toolbar keeps its layout.
        <div className="frame-filters" data-testid="frame-filters-pending">
          <button type="button" className="btn btn-small" disabled>
            Filters{state.frameFilters.length > 0 ? ` (${state.frameFilters.length})` : ''}
          </button>
        </div>
      }
    >
      <FrameFilters filters={state.frameFilters} names={lod.openNames ?? frames.names} onChange={(frameFilters) => update({ frameFilters, focus: [] })} />
    </Suspense>
  ) : null;
  // The frame menu's filters are server-side, like the filter bar's: the totals say what they mean (docs/api.md).
  const onFrameAction = (action: FrameAction, name: string): void => {
    if (action === 'sandwich') {
      update({ view: 'sandwich', selectedFunction: name });
      return;
    }
    const filter = `${action}:name:${name}`;
    if (state.frameFilters.includes(filter)) return;
    update({ frameFilters: [...state.frameFilters, filter], focus: action === 'hide' && !state.focus.includes(name) ? state.focus : [] });
  };

  // The panels above the flame graph as one element that changes only with what they show: the render
  // that brings the graph's answer (or a zoom) reuses it, so React skips them and that commit is the graph's.
  // Series the timeline will have, for its placeholder's legend: one per service unless grouped otherwise.
  const timelineSeriesExpected = (state.groupBy || 'service_name') === 'service_name' ? chosen.filter((s) => s.profileTypes.some((t) => t.id === profileType)).length : 1;
  const abovePanels = useMemo(
    () =>
      services.length === 0 || chosen.length === 0 || !profileType ? null : (
        <>
          {props.withFilters ? (
            <LabelFilters
              client={client}
              queryFor={(filters) => buildQuery(profileType, state.services, filters)}
              fromMs={range.fromMs}
              untilMs={range.untilMs}
              filters={state.filters}
              onChange={(filters) => update({ filters, focus: [], selectedFunction: '' })}
              groupBy={{ value: state.groupBy, onChange: (groupBy) => update({ groupBy }) }}
            />
          ) : null}
          <section className="panel" aria-labelledby="timeline-heading">
            <div className="panel-head">
              <h2 id="timeline-heading">
                Timeline{' '}
                <span className="muted" data-testid="timeline-units">
                  {profileTypeDisplayName(profileType)} ·{' '}
                  {state.timelineView === 'heatmap'
                    ? 'each profile’s total · click a cell to open its profiles'
                    : `${rate.kind === 'average' ? 'average per profile' : `per second (${rate.description})`} · drag to zoom, click a point for its profiles`}
                </span>
              </h2>
              <TimelineTabs view={state.timelineView} onChange={(timelineView) => update({ timelineView }, { replace: true })} />
            </div>
            {state.timelineView === 'heatmap' ? (
              <>
                {heatmapQuery.error ? <ErrorState error={heatmapQuery.error} what="The heatmap query" /> : null}
                {heatmapQuery.slow ? <Spinner label="Loading heatmap…" /> : null}
                {heatmapQuery.data ? (
                  <Suspense fallback={<div className="placeholder-block" />}>
                  <Heatmap
                    data={heatmapQuery.data}
                    fromMs={range.fromMs}
                    untilMs={range.untilMs}
                    format={(value) => formatValue(value, unit)}
                    onPickCell={(cell) =>
                      setPicked({ kind: 'cell', slotMs: cell.slotMs, row: cell.row, count: cell.count, stepMs: heatmapQuery.data!.stepMs, minValue: cell.minValue, maxValue: cell.maxValue })
                    }
                  />
                  </Suspense>
                ) : null}
              </>
            ) : (
              <>
                {timelineQuery.error ? <ErrorState error={timelineQuery.error} what="The timeline query" /> : null}
                {timelineQuery.data ? (
                  <Timeline
                    series={timelineSeries}
                    fromMs={range.fromMs}
                    untilMs={range.untilMs}
                    unit={unit}
                    format={rate.format}
                    onSelectRange={(fromMs, untilMs) => update({ from: String(fromMs), until: String(untilMs), focus: [] })}
                    onPickPoint={(timeMs, seriesIndex) =>
                      setPicked({ kind: 'point', timeMs, stepMs: timelineQuery.data!.stepMs, labels: timelineQuery.data!.series[seriesIndex]?.labels ?? {}, seriesLabel: timelineSeries[seriesIndex]?.label ?? '' })
                    }
                  />
                ) : timelineQuery.error ? null : (
                  // The timeline's place is held at its size while its answer (and uPlot) load: the flame
                  // graph below, usually painted first, does not move when the timeline arrives.
                  <TimelinePlaceholder legendRows={timelineSeriesExpected}>{timelineQuery.slow ? <Spinner label="Loading timeline…" /> : null}</TimelinePlaceholder>
                )}
              </>
            )}
            {picked && query ? (
              <ExemplarList
                client={client}
                picked={picked}
                queryFor={(labels) => buildQuery(profileType, state.services, [...state.filters, ...Object.entries(labels).map(([name, value]) => ({ name, op: '=' as const, value }))])}
                query={query}
                range={range}
                format={(value) => formatValue(value, unit)}
                onOpen={(ids) => {
                  setPicked(null);
                  update({ profiles: ids, focus: [], selectedFunction: '' });
                }}
                onClose={() => setPicked(null)}
              />
            ) : null}
          </section>
          {props.withFilters && query ? (
            <LabelBreakdown
              client={client}
              query={query}
              fromMs={range.fromMs}
              untilMs={range.untilMs}
              stepSeconds={timelineStep}
              generation={clock.generation}
              unit={unit}
              filters={state.filters}
              onFilters={(filters) => update({ filters, focus: [], selectedFunction: '' })}
            />
          ) : null}
        </>
      ),
    // The queries' states are objects that change only when they do (useQuery).
    [services, chosen, profileType, props.withFilters, client, state.services, state.filters, state.groupBy, state.timelineView, range, rate, heatmapQuery, timelineQuery, timelineSeries, timelineSeriesExpected, unit, picked, query, timelineStep, heatmapStep, clock.generation, update],
  );

  const body = ((): JSX.Element => {
    if (servicesQuery.error) return <ErrorState error={servicesQuery.error} what="The list of services" />;
    if (!servicesQuery.data) return servicesQuery.slow ? <Spinner label="Loading services…" /> : <div className="placeholder-block" />;
    if (services.length === 0 || chosen.length === 0 || !profileType) {
      return <NoData askedFor={askedFor} services={services} range={range} onPick={(name) => update({ services: [name], focus: [] })} />;
    }
    return (
      <>
        {abovePanels}
        <section className="panel" aria-labelledby="flamegraph-heading" ref={flamePanelRef}>
          <div className="panel-head">
            <h2 id="flamegraph-heading">
              Flame graph{' '}
              {flame && frames ? (
                <span className="muted" data-testid="flamegraph-total" data-total={flame.total} data-profile-count={flame.profileCount} data-aggregation={flame.aggregation}>
                  {flame.aggregation === 'average'
                    ? `${formatValue(flame.total, unit)} · average of ${flame.profileCount} profile${flame.profileCount === 1 ? '' : 's'}`
                    : `${formatValue(flame.total, unit)} in ${flame.profileCount} profile${flame.profileCount === 1 ? '' : 's'}`}
                  {state.focus.length > 0 ? (
                    <span data-testid="truncation-info" data-complete={lod.complete ? 'true' : 'false'}>
                      {lod.complete ? ' · zoomed subtree loaded in full detail' : ' · loading the zoomed subtree’s detail…'}
                    </span>
                  ) : flame.fullNodeCount > frames.count ? (
                    <span data-testid="truncation-info" data-complete="true">
                      {` · ${groupThousands(frames.count - 1)} of ${groupThousands(flame.fullNodeCount - 1)} nodes drawn, every one at least 1 px wide; zoom into a frame to load its detail`}
                    </span>
                  ) : null}
                </span>
              ) : null}
            </h2>
            {query && flame ? (
              <input
                className="share-title"
                type="text"
                value={exportTitle}
                onChange={(event) => setTitleEdit({ forDefault: defaultTitle, text: event.target.value })}
                aria-label="Title of snapshots and exports"
                title="Title of snapshots and exports (edit before sharing or exporting)"
                data-testid="share-title"
                maxLength={200}
              />
            ) : null}
            {query && flame ? (
              panelsReady ? (
                <Suspense fallback={<SharePending />}>
                  <ShareButton client={client} query={query} fromMs={range.fromMs} untilMs={range.untilMs} focus={state.focus} title={exportTitle} />
                </Suspense>
              ) : (
                <SharePending />
              )
            ) : null}
            {query && flame && frames && flameData ? (
              panelsReady ? (
                <Suspense fallback={<ExportPending />}>
                  <ExportMenu client={client} query={query} fromMs={range.fromMs} untilMs={range.untilMs} profileTypeId={flame.profileTypeId} unit={unit} data={flameData} frames={frames} title={exportTitle} aggregation={flame.aggregation} profileCount={flame.profileCount} frameFilters={state.frameFilters} />
                </Suspense>
              ) : (
                <ExportPending />
              )
            ) : null}
            <ViewTabs view={state.view} onChange={(view) => update({ view })} />
          </div>
          {profileIds.length > 0 ? <SelectedProfilesBanner count={profileIds.length} onClear={() => update({ profiles: [], focus: [], selectedFunction: '' })} /> : null}
          {lod.error ? <ErrorState error={lod.error} what="The flame graph query" /> : null}
          {lod.slow ? <Spinner label="Loading flame graph…" /> : null}
          {flame && frames ? (
            // fullNodeCount, not the frames drawn: a root whose every child is under a pixel is not empty.
            flame.total === 0 || flame.fullNodeCount <= 1 ? (
              <Notice testId="flamegraph-empty" title="The flame graph is empty.">
                <p>
                  {askedFor} has profiles but no samples with a value. Try another service or profile type, or a wider time range.
                </p>
              </Notice>
            ) : (
              <div className={`flame-layout view-${state.view}`}>
                {state.view !== 'table' && state.view !== 'calltree' ? (
                  <FlameGraphView
                    frames={frames}
                    unit={unit}
                    label={`Flame graph of ${askedFor}`}
                    // Tall enough for the whole graph (up to a bound), so the page is the one scroll area.
                    maxHeightCssPx={Math.min(MAX_FLAME_HEIGHT_CSS_PX, Math.max(360, frames.rowCount * ROW_HEIGHT_CSS_PX + 2))}
                    focusPath={state.focus}
                    // The canvas repaints the zoom at once; the page follows at transition priority, and the
                    // zoom's detail is asked for now rather than after that render.
                    onFocusPath={(focus) => {
                      lod.prefetchFocus(focus);
                      update({ focus }, { defer: true });
                    }}
                    paintState={lod.complete ? 'final' : 'partial'}
                    exactSearchValue={state.search === '' ? undefined : (exactSearch?.matchedTotal ?? null)}
                    inverted={state.orientation === 'flame'}
                    onInvertedChange={(inverted) => update({ orientation: inverted ? 'flame' : 'icicle' }, { replace: true })}
                    onFrameAction={onFrameAction}
                    toolbarExtra={frameFilterBar}
                    search={state.search}
                    searchRegex={state.searchRegex}
                    onSearch={(search, searchRegex) => update({ search, searchRegex }, { replace: true })}
                    selectedFunction={state.selectedFunction}
                    onSelectFunction={(selectedFunction) => update({ selectedFunction }, { replace: true, defer: true })}
                  />
                ) : null}
                {state.view === 'calltree' ? (
                  <div className="calltree-view">
                    {frameFilterBar}
                    <Suspense fallback={<div className="placeholder-block" />}>
                      <CallTree frames={frames} unit={unit} selectedFunction={state.selectedFunction} onSelectFunction={(selectedFunction) => update({ selectedFunction }, { replace: true })} />
                    </Suspense>
                  </div>
                ) : state.view === 'sandwich' ? (
                  <Sandwich
                    functionName={state.selectedFunction}
                    response={sandwichAnswer}
                    error={sandwichQuery.error}
                    slow={sandwichQuery.slow}
                    unit={unit}
                  />
                ) : (
                  topTable
                )}
              </div>
            )
          ) : null}
        </section>
      </>
    );
  })();

  return (
    <div className="explorer" aria-busy={busy}>
      {controls}
      {body}
    </div>
  );
}

/**
 * Inert stand-ins of the share button and export menu (same markup and size) until theirs are rendered
 * and loaded, after the graph's first paint: the panel head keeps its height, so the graph does not move.
 */
function SharePending(): JSX.Element {
  return (
    <span className="share" data-testid="share-pending">
      <button type="button" className="btn btn-small" disabled>
        Share
      </button>
    </span>
  );
}

function ExportPending(): JSX.Element {
  return (
    <span className="export-menu" data-testid="export-pending">
      <select aria-label="Export" value="" disabled onChange={() => undefined}>
        <option value="">Export…</option>
      </select>
    </span>
  );
}

function TimelineTabs({ view, onChange }: { view: ViewState['timelineView']; onChange: (view: ViewState['timelineView']) => void }): JSX.Element {
  return (
    <div className="tabs" role="tablist" aria-label="Timeline view">
      {(
        [
          ['lines', 'Lines'],
          ['heatmap', 'Heatmap'],
        ] as const
      ).map(([value, label]) => (
        <button key={value} type="button" role="tab" data-testid={`timeline-view-${value}`} aria-selected={view === value} className={`tab${view === value ? ' active' : ''}`} onClick={() => onChange(value)}>
          {label}
        </button>
      ))}
    </div>
  );
}

/**
 * /api/v1/sandwich answers sums; for a gauge the flame graph above shows the mean over its profiles,
 * so the sandwich is scaled by the same 1/profileCount to read in the same numbers.
 */
function averagedSandwich(response: SandwichResponse | null, factor: number): SandwichResponse | null {
  if (!response || factor === 1) return response;
  const scale = (data: SandwichResponse['callers']): SandwichResponse['callers'] => ({
    ...data,
    levels: data.levels.map((level) => level.map((value, i) => (i % 4 === 3 ? value : value * factor))),
    total: data.total * factor,
    maxSelf: data.maxSelf * factor,
  });
  return { ...response, callers: scale(response.callers), callees: scale(response.callees), self: response.self * factor, total: response.total * factor };
}

function Sandwich(props: { functionName: string; response: SandwichResponse | null; error: ApiError | null; slow: boolean; unit: string }): JSX.Element {
  const callers = useMemo(() => (props.response ? decodeLevels(props.response.callers) : null), [props.response]);
  const callees = useMemo(() => (props.response ? decodeLevels(props.response.callees) : null), [props.response]);
  if (!props.functionName) {
    return (
      <Notice testId="sandwich-empty" title="Sandwich view">
        <p>Click a frame in the flame graph (or a row of the top table) to see who calls that function and what it calls.</p>
      </Notice>
    );
  }
  return (
    <div className="sandwich" data-testid="sandwich">
      {props.error ? <ErrorState error={props.error} what="The sandwich query" /> : null}
      {props.slow ? <Spinner label="Loading callers and callees…" /> : null}
      {props.response && callers && callees ? (
        <>
          <h3>
            {props.response.functionName}{' '}
            <span className="muted">
              self {formatValue(props.response.self, props.unit)} · total {formatValue(props.response.total, props.unit)}
            </span>
          </h3>
          <h4>Callers</h4>
          <FlameGraphView frames={callers} unit={props.unit} label={`Callers of ${props.functionName}`} focusPath={[]} search="" searchRegex={false} selectedFunction={props.functionName} maxHeightCssPx={260} testId="sandwich-callers" />
          <h4>Callees</h4>
          <FlameGraphView frames={callees} unit={props.unit} label={`Callees of ${props.functionName}`} focusPath={[]} search="" searchRegex={false} selectedFunction="" maxHeightCssPx={260} testId="sandwich-callees" />
        </>
      ) : null}
    </div>
  );
}

function NoData(props: { askedFor: string; services: readonly ServiceInfo[]; range: { fromMs: number; untilMs: number }; onPick: (service: string) => void }): JSX.Element {
  return (
    <Notice testId="no-data" title="No profiling data for this selection.">
      <p>
        Asked for: <strong>{props.askedFor}</strong> ({formatDateTime(props.range.fromMs)} → {formatDateTime(props.range.untilMs)}).
      </p>
      <ul className="checklist">
        <li>Is anything pushing profiles to this server (an SDK, Alloy, or another agent pointed at its /ingest)?</li>
        <li>Is the time range right? Profiles arrive about every 10 s; a range in the future or before retention has none.</li>
        <li>Does the chosen service have this profile type? The type list only offers types the service has.</li>
      </ul>
      {props.services.length > 0 ? (
        <div data-testid="services-with-data">
          <p>Services with data in this range:</p>
          <ul className="service-list">
            {props.services.map((s) => (
              <li key={s.serviceName}>
                <button type="button" className="linklike" onClick={() => props.onPick(s.serviceName)}>
                  {s.serviceName}
                </button>{' '}
                <span className="muted">{serviceTypeNames(s).join(', ')}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p>No service has data in this range.</p>
      )}
    </Notice>
  );
}

function ConfigFacts({ config }: { config: AppConfig | null }): JSX.Element | null {
  if (!config) return null;
  return (
    <p className="config-facts" data-testid="retention-info">
      Retention {formatDuration(config.retention_ms)} detailed
      {config.rollup_retention_ms > 0 ? ` + ${formatDuration(config.rollup_retention_ms)} aggregated` : ''} · resolution as pushed (typically 10 s)
    </p>
  );
}
