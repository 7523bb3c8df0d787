/**
 * /compare: baseline vs comparison as one diff flame graph (colours = change) and a per-function
 * diff table, or side by side with a shared zoom. The two sides come from a preset (a day earlier,
 * the previous period, one label value vs another) or from two ranges brushed on the timeline, each
 * side with its own label selector. Every choice lives in the URL (compare/compareState.ts).
 */
import { useCallback, useMemo, useState, type JSX } from 'react';
import {
  decodeLevels,
  diffColor,
  diffToFlameGraph,
  formatPercent,
  formatValue,
  defaultProfileType,
  profileTypeLabels,
  profileTypeUnit,
  sortProfileTypes,
  type DiffResponse,
  type FlameGraphResponse,
  type Matcher,
  type ServiceInfo,
  type TimelineResponse,
} from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import {
  brushSide,
  compareSides,
  describeMatchers,
  readCompareState,
  timelineRange,
  writeCompareState,
  type CompareSideName,
  type CompareState,
  type ComparePreset,
  type DiffFilter,
  type DiffSort,
} from '../compare/compareState.js';
import { CompareTimeline } from '../components/CompareTimeline.js';
import { TimeRangePicker } from '../components/Controls.js';
import { FlameGraphView } from '../components/FlameGraphView.js';
import { FlameIcon } from '../components/Icons.js';
import { AppNav } from '../components/AppNav.js';
import { SideFilters } from '../components/SideFilters.js';
import { ErrorState, Notice, Spinner } from '../components/States.js';
import { diffFrameDetails } from '../flamegraph/diffTooltip.js';
import { useQuery } from '../hooks/useQuery.js';
import { navigate, useLocation } from '../router.js';
import { buildQuery } from '../state/selector.js';
import { describeRange, formatDateTime, resolveRange } from '../state/time.js';
import { timelineRate, timelineStepSeconds } from '../timeline/timelineData.js';
import { SIDE_COLORS } from '../timeline/compareBands.js';

const DAY_MS = 86_400_000;
const MAX_NODES = 4096;

export function ComparePage({ client }: { client: ApiClient }): JSX.Element {
  const { search } = useLocation();
  const state = useMemo(() => readCompareState(search), [search]);
  const update = useCallback((patch: Partial<CompareState>) => navigate(writeCompareState({ ...state, ...patch }), { replace: true }), [state]);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const [brushing, setBrushing] = useState<CompareSideName>('baseline');
  const view = useMemo(() => resolveRange({ from: state.from, until: state.until }, nowMs), [state.from, state.until, nowMs]);
  const sides = useMemo(() => compareSides(state, view), [state, view]);
  const shown = useMemo(() => timelineRange(view, sides), [view, sides]);

  const servicesFromMs = Math.min(shown.fromMs, view.fromMs - 2 * DAY_MS);
  const servicesQuery = useQuery<ServiceInfo[]>(`services|${servicesFromMs}|${shown.untilMs}`, (signal) => client.services(servicesFromMs, shown.untilMs, signal));
  const services = servicesQuery.data ?? [];
  // "" = all services, as on the Profiling page: its link leaves `service` out when "All" is chosen,
  // and the same services give the same default type there and here.
  const service = state.service;
  const chosen = service === '' ? services : services.filter((s) => s.serviceName === service);
  const types = useMemo(() => sortProfileTypes(chosen.flatMap((s) => s.profileTypes.map((t) => t.id))), [chosen]);
  // A type the link asked for is kept even before the service list arrives (or when it is not in it:
  // the server then says so), so "Open comparison" never silently lands on another type.
  const type = state.type !== '' ? state.type : defaultProfileType(types, '');
  const typeLabels = profileTypeLabels(types);
  const pickerTypes = state.type !== '' && !types.includes(state.type) ? [state.type, ...types] : types;
  const selector = useCallback((matchers: readonly Matcher[]): string => buildQuery(type, service === '' ? [] : [service], matchers), [type, service]);
  const baselineSelector = selector(sides.baseline.matchers);
  const comparisonSelector = selector(sides.comparison.matchers);
  const labelsIncomplete = state.preset === 'labels' && (state.label === '' || state.baselineValue === '' || state.comparisonValue === '');
  const ready = type !== '' && !labelsIncomplete;
  const diffKey = ready ? `diff|${baselineSelector}|${comparisonSelector}|${sides.baseline.fromMs}|${sides.baseline.untilMs}|${sides.comparison.fromMs}|${sides.comparison.untilMs}|${state.mode}|${state.normalize}` : null;
  const diffQuery = useQuery<DiffResponse>(diffKey, (signal) =>
    client.diff(
      {
        baseline: baselineSelector,
        baselineFromMs: sides.baseline.fromMs,
        baselineUntilMs: sides.baseline.untilMs,
        comparison: comparisonSelector,
        comparisonFromMs: sides.comparison.fromMs,
        comparisonUntilMs: sides.comparison.untilMs,
        mode: state.mode,
        normalize: state.normalize,
        maxNodes: MAX_NODES,
      },
      signal,
    ),
  );
  const sideSelector = (which: CompareSideName): string => (which === 'baseline' ? baselineSelector : comparisonSelector);
  const sideKey = (which: CompareSideName): string | null =>
    ready && state.view === 'side' ? `side|${which}|${sideSelector(which)}|${sides[which].fromMs}|${sides[which].untilMs}` : null;
  const baselineQuery = useQuery<FlameGraphResponse>(sideKey('baseline'), (signal) =>
    client.flameGraph({ query: baselineSelector, fromMs: sides.baseline.fromMs, untilMs: sides.baseline.untilMs, maxNodes: MAX_NODES }, signal),
  );
  const comparisonQuery = useQuery<FlameGraphResponse>(sideKey('comparison'), (signal) =>
    client.flameGraph({ query: comparisonSelector, fromMs: sides.comparison.fromMs, untilMs: sides.comparison.untilMs, maxNodes: MAX_NODES }, signal),
  );
  const suggestQuery = type ? selector([]) : null;
  const labelsQuery = useQuery<string[]>(suggestQuery ? `labels|${suggestQuery}` : null, (signal) =>
    client.labelNames({ query: suggestQuery!, fromMs: view.fromMs - DAY_MS, untilMs: view.untilMs }, signal),
  );
  const valuesQuery = useQuery<string[]>(suggestQuery && state.label ? `values|${suggestQuery}|${state.label}` : null, (signal) =>
    client.labelValues({ name: state.label, query: suggestQuery!, fromMs: view.fromMs - DAY_MS, untilMs: view.untilMs }, signal),
  );

  // The timeline: each side's selection over the shown range, in the side's colour (one grey line when both select the same profiles).
  const stepSeconds = timelineStepSeconds(shown);
  // A rate (cores, bytes/s) or a gauge's average, as on the Profiling page: the bucket size must not change the line.
  const rate = useMemo(() => timelineRate(type), [type]);
  const timelineKey = (query: string): string | null => (ready ? `cmp-timeline|${query}|${shown.fromMs}|${shown.untilMs}|${stepSeconds}` : null);
  const sameSelection = baselineSelector === comparisonSelector;
  const baselineTimeline = useQuery<TimelineResponse>(timelineKey(baselineSelector), (signal) =>
    client.timeline({ query: baselineSelector, fromMs: shown.fromMs, untilMs: shown.untilMs, stepSeconds }, signal),
  );
  const comparisonTimeline = useQuery<TimelineResponse>(sameSelection ? null : timelineKey(comparisonSelector), (signal) =>
    client.timeline({ query: comparisonSelector, fromMs: shown.fromMs, untilMs: shown.untilMs, stepSeconds }, signal),
  );
  const timelineSeries = useMemo(() => {
    const points = (answer: TimelineResponse | null): [number, number][] => {
      // Summed over the answer's series (the page compares one selection, not a breakdown).
      const byTime = new Map<number, number>();
      for (const s of answer?.series ?? []) for (const [t, v] of s.points) byTime.set(t, (byTime.get(t) ?? 0) + v);
      const stepMs = answer?.stepMs ?? stepSeconds * 1000;
      return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, rate.toRate(v, stepMs)] as [number, number]);
    };
    if (sameSelection) return [{ label: 'selection', side: 'both' as const, points: points(baselineTimeline.data) }];
    return [
      { label: 'baseline selection', side: 'baseline' as const, points: points(baselineTimeline.data) },
      { label: 'comparison selection', side: 'comparison' as const, points: points(comparisonTimeline.data) },
    ];
  }, [sameSelection, baselineTimeline.data, comparisonTimeline.data, rate, stepSeconds]);
  const bands = useMemo(
    () => [
      { side: 'baseline' as const, fromMs: sides.baseline.fromMs, untilMs: sides.baseline.untilMs },
      { side: 'comparison' as const, fromMs: sides.comparison.fromMs, untilMs: sides.comparison.untilMs },
    ],
    [sides],
  );
  const onBrush = useCallback(
    (fromMs: number, untilMs: number) => {
      update(brushSide(state, view, brushing, { fromMs, untilMs }));
      // Brushing one side then the other is the usual sequence, as in Pyroscope's comparison view.
      setBrushing((side) => (side === 'baseline' ? 'comparison' : 'baseline'));
    },
    [update, state, view, brushing],
  );

  const diff = diffQuery.data;
  const combined = useMemo(() => (diff ? diffToFlameGraph(diff.flamegraph) : null), [diff]);
  const frames = useMemo(() => (combined ? decodeLevels(combined.flamegraph) : null), [combined]);
  const colorOf = useCallback(
    (frame: number): string =>
      combined && diff ? diffColor(combined.leftTotal[frame]!, combined.rightTotal[frame]!, diff.flamegraph.leftTicks, diff.flamegraph.rightTicks, diff.mode, diff.normalization.baselineScale) : '#666',
    [combined, diff],
  );
  const tooltipRows = useCallback(
    (frame: number) => {
      if (!combined || !diff || !frames) return [];
      const d = diffFrameDetails(frames, frame, {
        leftTotal: combined.leftTotal,
        rightTotal: combined.rightTotal,
        leftTicks: diff.flamegraph.leftTicks,
        rightTicks: diff.flamegraph.rightTicks,
        unit: diff.unit,
        mode: diff.mode,
        baselineScale: diff.normalization.baselineScale,
      });
      return [
        { label: 'Baseline', value: d.baseline },
        { label: 'Comparison', value: d.comparison },
        { label: 'Delta', value: d.delta },
        { label: 'Delta %', value: d.deltaPercent },
      ];
    },
    [combined, diff, frames],
  );
  const rows = useMemo(() => {
    const all = diff?.table ?? [];
    const filtered = all.filter((row) =>
      state.filter === 'all' ? true : state.filter === 'changed' ? row.status === 'grew' || row.status === 'shrank' : row.status === state.filter,
    );
    const key = (row: DiffResponse['table'][number]): number => (state.sort === 'absolute' ? Math.abs(row.change) : Math.abs(row.changeRatio ?? Number.MAX_VALUE));
    return [...filtered].sort((a, b) => key(b) - key(a));
  }, [diff, state.filter, state.sort]);
  const unit = diff?.unit ?? profileTypeUnit(type);
  const show = (value: number): string => (state.mode === 'relative' ? formatPercent(value) : formatValue(value, unit));
  const baseFrames = useMemo(() => (baselineQuery.data ? decodeLevels(baselineQuery.data.flamegraph) : null), [baselineQuery.data]);
  const compFrames = useMemo(() => (comparisonQuery.data ? decodeLevels(comparisonQuery.data.flamegraph) : null), [comparisonQuery.data]);
  const sideText = (which: CompareSideName): string => {
    const side = sides[which];
    const range =
      (which === 'comparison' && state.preset !== 'ranges') || state.preset === 'labels'
        ? describeRange({ from: state.from, until: state.until }, nowMs)
        : `${formatDateTime(side.fromMs)} → ${formatDateTime(side.untilMs)}`;
    return `${range}${side.matchers.length > 0 ? ` · ${describeMatchers(side.matchers)}` : ''}`;
  };

  return (
    <div className="page compare-page" data-testid="compare-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>Compare</h1>
        <AppNav current="/compare" />
      </header>
      <main className="explore-main">
        <div className="controls" data-testid="compare-controls">
          <label className="field">
            <span className="field-label">Service</span>
            <select value={service} onChange={(e) => update({ service: e.target.value, focus: [] })} data-testid="compare-service">
              <option value="">All services</option>
              {service !== '' && !services.some((s) => s.serviceName === service) ? <option value={service}>{service}</option> : null}
              {services.map((s) => (
                <option key={s.serviceName} value={s.serviceName}>
                  {s.serviceName}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Profile type</span>
            <select value={type} onChange={(e) => update({ type: e.target.value, focus: [] })} data-testid="compare-type">
              {pickerTypes.map((id) => (
                <option key={id} value={id} title={id}>
                  {typeLabels.get(id) ?? id}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Baseline</span>
            <select value={state.preset} onChange={(e) => update({ preset: e.target.value as ComparePreset, focus: [] })} data-testid="compare-preset">
              <option value="day">Same range 1 day earlier</option>
              <option value="previous">Previous period</option>
              <option value="labels">This label value vs that one</option>
              <option value="ranges">Two ranges brushed on the timeline</option>
            </select>
          </label>
          <TimeRangePicker
            range={{ from: state.from, until: state.until }}
            nowMs={nowMs}
            onChange={(next) => {
              setNowMs(Date.now());
              update({ from: next.from, until: next.until, focus: [] });
            }}
          />
          {state.preset === 'labels' ? (
            <>
              <label className="field">
                <span className="field-label">Label</span>
                <select value={state.label} onChange={(e) => update({ label: e.target.value, baselineValue: '', comparisonValue: '' })} data-testid="compare-label">
                  <option value="">label…</option>
                  {(labelsQuery.data ?? []).filter((n) => !n.startsWith('__') && n !== 'service_name').map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
              {(['baselineValue', 'comparisonValue'] as const).map((key) => (
                <label className="field" key={key}>
                  <span className="field-label">{key === 'baselineValue' ? 'Baseline value' : 'Comparison value'}</span>
                  <select value={state[key]} onChange={(e) => update({ [key]: e.target.value })} data-testid={key === 'baselineValue' ? 'compare-value-a' : 'compare-value-b'}>
                    <option value="">value…</option>
                    {(valuesQuery.data ?? []).map((v) => (
                      <option key={v} value={v}>
                        {v}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
            </>
          ) : null}
          <div className="field" role="group" aria-label="Comparison mode">
            <span className="field-label">Mode</span>
            <div className="tabs">
              {(['absolute', 'relative'] as const).map((mode) => (
                <button key={mode} type="button" className={`tab${state.mode === mode ? ' active' : ''}`} aria-pressed={state.mode === mode} onClick={() => update({ mode })} data-testid={`compare-mode-${mode}`}>
                  {mode === 'absolute' ? 'Absolute' : 'Relative (share)'}
                </button>
              ))}
            </div>
          </div>
          {state.mode === 'absolute' ? (
            <label className="checkbox">
              <input type="checkbox" checked={state.normalize} onChange={(e) => update({ normalize: e.target.checked })} /> normalise to range length
            </label>
          ) : null}
          <div className="tabs">
            {(['diff', 'side'] as const).map((view) => (
              <button key={view} type="button" className={`tab${state.view === view ? ' active' : ''}`} aria-pressed={state.view === view} onClick={() => update({ view })} data-testid={`compare-view-${view}`}>
                {view === 'diff' ? 'Diff graph' : 'Side by side'}
              </button>
            ))}
          </div>
        </div>
        <div className="controls" data-testid="compare-side-controls">
          {(['baseline', 'comparison'] as const).map((which) => (
            <SideFilters
              key={which}
              client={client}
              side={which}
              matchers={which === 'baseline' ? state.baselineFilters : state.comparisonFilters}
              onChange={(next) => update(which === 'baseline' ? { baselineFilters: next, focus: [] } : { comparisonFilters: next, focus: [] })}
              suggestQuery={suggestQuery}
              fromMs={shown.fromMs}
              untilMs={shown.untilMs}
            />
          ))}
        </div>
        <section className="panel" data-testid="compare-timeline-panel">
          <div className="panel-title">
            <h2>
              Timeline <span className="muted">{rate.kind === 'average' ? 'average per profile' : `per second (${rate.description})`} · drag to set a range</span>
            </h2>
            <div className="tabs" role="group" aria-label="Which range a drag sets">
              {(['baseline', 'comparison'] as const).map((which) => (
                <button
                  key={which}
                  type="button"
                  className={`tab${brushing === which ? ' active' : ''}`}
                  aria-pressed={brushing === which}
                  onClick={() => setBrushing(which)}
                  data-testid={`compare-brush-${which}`}
                >
                  <span className="swatch" style={{ background: SIDE_COLORS[which].stroke }} aria-hidden="true" />
                  {SIDE_COLORS[which].label} range
                </button>
              ))}
            </div>
          </div>
          {baselineTimeline.error ? <ErrorState error={baselineTimeline.error} what="The timeline query" /> : null}
          <CompareTimeline series={timelineSeries} fromMs={shown.fromMs} untilMs={shown.untilMs} unit={unit} format={rate.format} bands={bands} brushing={brushing} onBrush={onBrush} />
        </section>
        <p className="config-facts" data-testid="compare-sides">
          <span className="swatch" style={{ background: SIDE_COLORS.baseline.stroke }} aria-hidden="true" />
          Baseline: <span data-testid="compare-baseline-text">{sideText('baseline')}</span> —{' '}
          <span className="swatch" style={{ background: SIDE_COLORS.comparison.stroke }} aria-hidden="true" />
          Comparison: <span data-testid="compare-comparison-text">{sideText('comparison')}</span>
          {diff ? <span data-testid="compare-normalization"> · {diff.normalization.description}</span> : null}
        </p>
        {!ready ? (
          <Notice testId="compare-incomplete" title="Pick what to compare.">
            <p>Choose a profile type{state.preset === 'labels' ? ', a label and the two values to compare' : ''}.</p>
          </Notice>
        ) : null}
        {diffQuery.error ? <ErrorState error={diffQuery.error} what="The comparison query" /> : null}
        {diffQuery.slow ? <Spinner label="Comparing…" /> : null}
        {state.view === 'diff' && frames && diff ? (
          <section className="panel" data-testid="diff-graph">
            <h2>
              Diff flame graph{' '}
              <span className="muted" data-testid="diff-totals" data-baseline-total={diff.baselineTotal} data-comparison-total={diff.comparisonTotal}>
                baseline {formatValue(diff.baselineTotal, unit)} → comparison {formatValue(diff.comparisonTotal, unit)}
              </span>
            </h2>
            <ul className="package-legend" data-testid="diff-legend">
              <li><span className="swatch" style={{ background: diffColor(1, 2, 1, 1, 'absolute') }} />grew</li>
              <li><span className="swatch" style={{ background: diffColor(2, 1, 1, 1, 'absolute') }} />shrank</li>
              <li><span className="swatch" style={{ background: diffColor(0, 1, 1, 1, 'absolute') }} />new</li>
              <li><span className="swatch" style={{ background: diffColor(1, 0, 1, 1, 'absolute') }} />removed</li>
              <li><span className="swatch" style={{ background: diffColor(1, 1, 1, 1, 'absolute') }} />unchanged (±2 %)</li>
            </ul>
            <FlameGraphView
              frames={frames}
              unit={unit}
              focusPath={state.focus}
              onFocusPath={(focus) => update({ focus })}
              search=""
              searchRegex={false}
              selectedFunction=""
              label="Diff flame graph: width is both sides together, colour is the change"
              testId="diff-flamegraph"
              colorOf={colorOf}
              tooltipRows={tooltipRows}
              hideLegend
            />
          </section>
        ) : null}
        {state.view === 'side' ? (
          <div className="side-by-side" data-testid="side-by-side">
            {[
              ['Baseline', baseFrames, baselineQuery],
              ['Comparison', compFrames, comparisonQuery],
            ].map(([title, sideFrames, query]) => {
              const q = query as typeof baselineQuery;
              return (
                <section className="panel" key={title as string}>
                  <h2>{title as string}</h2>
                  {q.error ? <ErrorState error={q.error} what={`The ${String(title).toLowerCase()} query`} /> : null}
                  {sideFrames ? (
                    <FlameGraphView
                      frames={sideFrames as NonNullable<typeof baseFrames>}
                      unit={q.data ? q.data.unit : ''}
                      focusPath={state.focus}
                      onFocusPath={(focus) => update({ focus })}
                      search=""
                      searchRegex={false}
                      selectedFunction=""
                      label={`${title as string} flame graph`}
                      testId={`side-${String(title).toLowerCase()}`}
                    />
                  ) : null}
                </section>
              );
            })}
          </div>
        ) : null}
        {diff ? (
          <section className="panel" data-testid="diff-table">
            <div className="panel-title">
              <h2>Changes by function</h2>
              <label className="field inline">
                <span className="field-label">Show</span>
                <select value={state.filter} onChange={(e) => update({ filter: e.target.value as DiffFilter })} data-testid="diff-filter">
                  <option value="all">all</option>
                  <option value="new">new</option>
                  <option value="removed">removed</option>
                  <option value="changed">changed</option>
                </select>
              </label>
              <label className="field inline">
                <span className="field-label">Sort by</span>
                <select value={state.sort} onChange={(e) => update({ sort: e.target.value as DiffSort })} data-testid="diff-sort">
                  <option value="absolute">absolute change</option>
                  <option value="relative">relative change</option>
                </select>
              </label>
            </div>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Function</th>
                  <th scope="col">Baseline</th>
                  <th scope="col">Comparison</th>
                  <th scope="col">Change</th>
                  <th scope="col">Change %</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {rows.slice(0, 200).map((row) => (
                  <tr key={row.name} data-status={row.status}>
                    <td className="fn">{row.name}</td>
                    <td className="num">{show(row.baselineTotal)}</td>
                    <td className="num">{show(row.comparisonTotal)}</td>
                    <td className="num">{(row.change > 0 ? '+' : '') + show(row.change)}</td>
                    <td className="num">{row.changeRatio === null ? 'new' : `${row.changeRatio > 0 ? '+' : ''}${(row.changeRatio * 100).toFixed(1)}%`}</td>
                    <td>{row.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {rows.length === 0 ? <p className="muted">No function matches this filter.</p> : null}
          </section>
        ) : null}
      </main>
    </div>
  );
}
