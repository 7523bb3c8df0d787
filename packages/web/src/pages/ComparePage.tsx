/**
 * /compare: baseline vs comparison as one diff flame graph (colours = change) and a per-function
 * diff table, or side by side with a shared zoom. Every choice lives in the URL.
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
  sortProfileTypes,
  type DiffResponse,
  type FlameGraphResponse,
  type ServiceInfo,
} from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { FlameGraphView } from '../components/FlameGraphView.js';
import { FlameIcon } from '../components/Icons.js';
import { ErrorState, Notice, Spinner } from '../components/States.js';
import { useQuery } from '../hooks/useQuery.js';
import { navigate, useLocation } from '../router.js';
import { describeRange, resolveRange } from '../state/time.js';

export type ComparePreset = 'day' | 'previous' | 'labels';
type DiffFilter = 'all' | 'new' | 'removed' | 'changed';
type DiffSort = 'absolute' | 'relative';

const DAY_MS = 86_400_000;
const MAX_NODES = 4096;

interface CompareState {
  service: string;
  type: string;
  from: string;
  until: string;
  preset: ComparePreset;
  label: string;
  baselineValue: string;
  comparisonValue: string;
  mode: 'absolute' | 'relative';
  normalize: boolean;
  view: 'diff' | 'side';
  filter: DiffFilter;
  sort: DiffSort;
  focus: string[];
}

function readState(search: string): CompareState {
  const p = new URLSearchParams(search);
  const preset = p.get('preset');
  return {
    service: p.get('service') ?? '',
    type: p.get('type') ?? '',
    from: p.get('from') ?? 'now-1h',
    until: p.get('until') ?? 'now',
    preset: preset === 'previous' || preset === 'labels' ? preset : 'day',
    label: p.get('label') ?? '',
    baselineValue: p.get('a') ?? '',
    comparisonValue: p.get('b') ?? '',
    mode: p.get('mode') === 'relative' ? 'relative' : 'absolute',
    normalize: p.get('normalize') !== '0',
    view: p.get('view') === 'side' ? 'side' : 'diff',
    filter: (['new', 'removed', 'changed'] as const).find((f) => f === p.get('filter')) ?? 'all',
    sort: p.get('sort') === 'relative' ? 'relative' : 'absolute',
    focus: p.get('focus') ? p.get('focus')!.split(';') : [],
  };
}

function writeState(state: CompareState): string {
  const p = new URLSearchParams();
  const set = (key: string, value: string, fallback: string): void => {
    if (value !== fallback) p.set(key, value);
  };
  set('service', state.service, '');
  set('type', state.type, '');
  set('from', state.from, 'now-1h');
  set('until', state.until, 'now');
  set('preset', state.preset, 'day');
  set('label', state.label, '');
  set('a', state.baselineValue, '');
  set('b', state.comparisonValue, '');
  set('mode', state.mode, 'absolute');
  set('normalize', state.normalize ? '1' : '0', '1');
  set('view', state.view, 'diff');
  set('filter', state.filter, 'all');
  set('sort', state.sort, 'absolute');
  set('focus', state.focus.join(';'), '');
  const text = p.toString();
  return `/compare${text ? `?${text}` : ''}`;
}

/** The two sides a preset describes: ranges and extra matchers. */
export function compareSides(state: Pick<CompareState, 'preset' | 'label' | 'baselineValue' | 'comparisonValue'>, range: { fromMs: number; untilMs: number }) {
  const lengthMs = range.untilMs - range.fromMs;
  const quote = (value: string): string => JSON.stringify(value);
  if (state.preset === 'labels') {
    return {
      baseline: { ...range, matcher: state.label && state.baselineValue ? `${state.label}=${quote(state.baselineValue)}` : '' },
      comparison: { ...range, matcher: state.label && state.comparisonValue ? `${state.label}=${quote(state.comparisonValue)}` : '' },
    };
  }
  const shiftMs = state.preset === 'day' ? DAY_MS : lengthMs;
  return {
    baseline: { fromMs: range.fromMs - shiftMs, untilMs: range.untilMs - shiftMs, matcher: '' },
    comparison: { ...range, matcher: '' },
  };
}

export function ComparePage({ client }: { client: ApiClient }): JSX.Element {
  const { search } = useLocation();
  const state = useMemo(() => readState(search), [search]);
  const update = useCallback((patch: Partial<CompareState>) => navigate(writeState({ ...state, ...patch }), { replace: true }), [state]);
  const [nowMs] = useState(() => Date.now());
  const range = useMemo(() => resolveRange({ from: state.from, until: state.until }, nowMs), [state.from, state.until, nowMs]);
  const sides = compareSides(state, range);

  const servicesQuery = useQuery<ServiceInfo[]>(`services|${range.fromMs - 2 * DAY_MS}|${range.untilMs}`, (signal) => client.services(range.fromMs - 2 * DAY_MS, range.untilMs, signal));
  const services = servicesQuery.data ?? [];
  const service = state.service || services[0]?.serviceName || '';
  const types = sortProfileTypes(services.find((s) => s.serviceName === service)?.profileTypes.map((t) => t.id) ?? []);
  const typeLabels = profileTypeLabels(types);
  const type = defaultProfileType(types, state.type);
  const selector = (matcher: string): string => `${type}{service_name=${JSON.stringify(service)}${matcher ? `, ${matcher}` : ''}}`;
  const ready = service !== '' && type !== '' && (state.preset !== 'labels' || (state.label !== '' && state.baselineValue !== '' && state.comparisonValue !== ''));
  const diffKey = ready ? `diff|${selector(sides.baseline.matcher)}|${selector(sides.comparison.matcher)}|${sides.baseline.fromMs}|${sides.comparison.fromMs}|${range.untilMs}|${state.mode}|${state.normalize}` : null;
  const diffQuery = useQuery<DiffResponse>(diffKey, (signal) =>
    client.diff(
      {
        baseline: selector(sides.baseline.matcher),
        baselineFromMs: sides.baseline.fromMs,
        baselineUntilMs: sides.baseline.untilMs,
        comparison: selector(sides.comparison.matcher),
        comparisonFromMs: sides.comparison.fromMs,
        comparisonUntilMs: sides.comparison.untilMs,
        mode: state.mode,
        normalize: state.normalize,
        maxNodes: MAX_NODES,
      },
      signal,
    ),
  );
  const sideKey = (which: 'baseline' | 'comparison'): string | null =>
    ready && state.view === 'side' ? `side|${which}|${selector(sides[which].matcher)}|${sides[which].fromMs}|${sides[which].untilMs}` : null;
  const baselineQuery = useQuery<FlameGraphResponse>(sideKey('baseline'), (signal) =>
    client.flameGraph({ query: selector(sides.baseline.matcher), fromMs: sides.baseline.fromMs, untilMs: sides.baseline.untilMs, maxNodes: MAX_NODES }, signal),
  );
  const comparisonQuery = useQuery<FlameGraphResponse>(sideKey('comparison'), (signal) =>
    client.flameGraph({ query: selector(sides.comparison.matcher), fromMs: sides.comparison.fromMs, untilMs: sides.comparison.untilMs, maxNodes: MAX_NODES }, signal),
  );
  const labelsQuery = useQuery<string[]>(service && type ? `labels|${service}|${type}` : null, (signal) =>
    client.labelNames({ query: selector(''), fromMs: range.fromMs - DAY_MS, untilMs: range.untilMs }, signal),
  );
  const valuesQuery = useQuery<string[]>(service && type && state.label ? `values|${service}|${type}|${state.label}` : null, (signal) =>
    client.labelValues({ name: state.label, query: selector(''), fromMs: range.fromMs - DAY_MS, untilMs: range.untilMs }, signal),
  );

  const diff = diffQuery.data;
  const combined = useMemo(() => (diff ? diffToFlameGraph(diff.flamegraph) : null), [diff]);
  const frames = useMemo(() => (combined ? decodeLevels(combined.flamegraph) : null), [combined]);
  const colorOf = useCallback(
    (frame: number): string =>
      combined && diff ? diffColor(combined.leftTotal[frame]!, combined.rightTotal[frame]!, diff.flamegraph.leftTicks, diff.flamegraph.rightTicks, diff.mode, diff.normalization.baselineScale) : '#666',
    [combined, diff],
  );
  const rows = useMemo(() => {
    const all = diff?.table ?? [];
    const filtered = all.filter((row) =>
      state.filter === 'all' ? true : state.filter === 'changed' ? row.status === 'grew' || row.status === 'shrank' : row.status === state.filter,
    );
    const key = (row: DiffResponse['table'][number]): number => (state.sort === 'absolute' ? Math.abs(row.change) : Math.abs(row.changeRatio ?? Number.MAX_VALUE));
    return [...filtered].sort((a, b) => key(b) - key(a));
  }, [diff, state.filter, state.sort]);
  const unit = diff?.unit ?? '';
  const show = (value: number): string => (state.mode === 'relative' ? formatPercent(value) : formatValue(value, unit));
  const baseFrames = useMemo(() => (baselineQuery.data ? decodeLevels(baselineQuery.data.flamegraph) : null), [baselineQuery.data]);
  const compFrames = useMemo(() => (comparisonQuery.data ? decodeLevels(comparisonQuery.data.flamegraph) : null), [comparisonQuery.data]);

  return (
    <div className="page compare-page" data-testid="compare-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>Compare</h1>
        <a className="btn btn-small" href="/pyroscope">
          Profiling page
        </a>
      </header>
      <main className="explore-main">
        <div className="controls" data-testid="compare-controls">
          <label className="field">
            <span className="field-label">Service</span>
            <select value={service} onChange={(e) => update({ service: e.target.value, focus: [] })} data-testid="compare-service">
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
              {types.map((id) => (
                <option key={id} value={id} title={id}>
                  {typeLabels.get(id)}
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
            </select>
          </label>
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
        <p className="config-facts" data-testid="compare-sides">
          Baseline: {describeRange({ from: String(sides.baseline.fromMs), until: String(sides.baseline.untilMs) }, nowMs)}
          {sides.baseline.matcher ? ` · ${sides.baseline.matcher}` : ''} — Comparison: {describeRange({ from: state.from, until: state.until }, nowMs)}
          {sides.comparison.matcher ? ` · ${sides.comparison.matcher}` : ''}
          {diff ? <span data-testid="compare-normalization"> · {diff.normalization.description}</span> : null}
        </p>
        {!ready ? (
          <Notice testId="compare-incomplete" title="Pick what to compare.">
            <p>Choose a service and profile type{state.preset === 'labels' ? ', a label and the two values to compare' : ''}.</p>
          </Notice>
        ) : null}
        {diffQuery.error ? <ErrorState error={diffQuery.error} what="The comparison query" /> : null}
        {diffQuery.slow ? <Spinner label="Comparing…" /> : null}
        {state.view === 'diff' && frames && diff ? (
          <section className="panel" data-testid="diff-graph">
            <h2>
              Diff flame graph{' '}
              <span className="muted">
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
