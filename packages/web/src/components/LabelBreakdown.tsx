/**
 * Labels breakdown (Drilldown's "Labels" tab, Pyroscope's Tag Explorer): for a chosen label, one
 * small timeline and share of the total per value of the current selection; clicking a value adds
 * the `label="value"` chip.
 */
import { lazy, Suspense, useEffect, useMemo, useState, type JSX } from 'react';
import { formatValue, type Matcher, type TimelineResponse } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { withValueChip } from '../state/chips.js';
import { SERIES_COLORS } from '../timeline/timelineData.js';
import { ErrorState, Spinner } from './States.js';
import { afterFirstFlamePaint } from '../flamegraph/paintMark.js';

// uPlot is only needed once a label is chosen: not on the way to the explorer's first flame-graph paint.
const Sparkline = lazy(() => import('./Sparkline.js').then((m) => ({ default: m.Sparkline })));

/** More values than this are summed into one "other" line: a breakdown is read, not scrolled. */
const MAX_VALUES_SHOWN = 12;

export interface BreakdownRow {
  value: string;
  /** Sum of the series' points (the same measure for every row, so shares compare). */
  sum: number;
  share: number;
  points: [timeMs: number, value: number][];
}

/** Rows by share, largest first; a value missing on a series reads as "". */
export function breakdownRows(response: TimelineResponse, label: string): BreakdownRow[] {
  const byValue = new Map<string, BreakdownRow>();
  for (const series of response.series) {
    const value = series.labels[label] ?? '';
    const row = byValue.get(value) ?? { value, sum: 0, share: 0, points: [] };
    for (const point of series.points) row.sum += point[1];
    row.points = row.points.concat(series.points).sort((a, b) => a[0] - b[0]);
    byValue.set(value, row);
  }
  const rows = [...byValue.values()];
  const total = rows.reduce((sum, row) => sum + row.sum, 0);
  for (const row of rows) row.share = total > 0 ? row.sum / total : 0;
  return rows.sort((a, b) => b.sum - a.sum || a.value.localeCompare(b.value));
}

export function LabelBreakdown(props: {
  client: ApiClient;
  /** The page's query with its filters: the breakdown splits what the page shows. */
  query: string;
  fromMs: number;
  untilMs: number;
  stepSeconds: number;
  generation: number;
  unit: string;
  filters: readonly Matcher[];
  onFilters: (filters: Matcher[]) => void;
}): JSX.Element {
  const { client, query, fromMs, untilMs, stepSeconds } = props;
  const [label, setLabel] = useState('');
  // The label names are asked after the flame graph's first paint: on the server they would compete
  // with the flame-graph query the page opened with (issue 13), and nothing shows them before a click.
  const [afterFlame, setAfterFlame] = useState(false);
  useEffect(() => {
    let live = true;
    void afterFirstFlamePaint().then(() => live && setAfterFlame(true));
    return () => {
      live = false;
    };
  }, []);
  const namesQuery = useQuery<string[]>(afterFlame ? `${query}|${fromMs}|${untilMs}` : null, (signal) => client.labelNames({ query, fromMs, untilMs }, signal));
  const names = (namesQuery.data ?? []).filter((n) => !n.startsWith('__') && n !== 'service_name');
  const seriesQuery = useQuery<TimelineResponse>(label ? `${query}|${fromMs}|${untilMs}|${stepSeconds}|${props.generation}|${label}` : null, (signal) =>
    client.timeline({ query, fromMs, untilMs, stepSeconds, groupBy: label }, signal),
  );
  const rows = useMemo(() => (seriesQuery.data && label ? breakdownRows(seriesQuery.data, label) : []), [seriesQuery.data, label]);
  const shown = rows.slice(0, MAX_VALUES_SHOWN);
  const hidden = rows.slice(MAX_VALUES_SHOWN);
  const peak = Math.max(0, ...shown.flatMap((row) => row.points.map((p) => p[1])));

  return (
    <section className="panel" aria-labelledby="breakdown-heading" data-testid="label-breakdown">
      <div className="panel-head">
        <h2 id="breakdown-heading">
          Labels breakdown <span className="muted">share of the selection per value · click a value to filter</span>
        </h2>
        <label className="field inline">
          <span className="field-label">Label</span>
          <select value={label} onChange={(event) => setLabel(event.target.value)} data-testid="breakdown-label">
            <option value="">choose a label…</option>
            {(label && !names.includes(label) ? [...names, label] : names).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {seriesQuery.error ? <ErrorState error={seriesQuery.error} what="The breakdown query" /> : null}
      {seriesQuery.slow ? <Spinner label="Loading breakdown…" /> : null}
      {label && seriesQuery.data && rows.length === 0 ? <p className="hint">No series in this range.</p> : null}
      {shown.length > 0 ? (
        <ul className="breakdown" data-testid="breakdown-rows">
          {shown.map((row, index) => (
            <li key={row.value}>
              <button
                type="button"
                className="breakdown-row"
                data-testid="breakdown-row"
                data-value={row.value}
                data-share={row.share}
                title={`Filter to ${label}="${row.value}"`}
                onClick={() => props.onFilters(withValueChip(props.filters, label, row.value))}
              >
                <span className="breakdown-value">{row.value === '' ? <em>(no value)</em> : row.value}</span>
                <span className="breakdown-share">
                  <span className="breakdown-bar" style={{ width: `${(row.share * 100).toFixed(1)}%`, background: SERIES_COLORS[index % SERIES_COLORS.length] }} />
                  <span>{(row.share * 100).toFixed(1)} %</span>
                </span>
                <Suspense fallback={<div className="sparkline" />}>
                  <Sparkline points={row.points} fromMs={fromMs} untilMs={untilMs} peak={peak} color={SERIES_COLORS[index % SERIES_COLORS.length]!} label={`${label}=${row.value}`} />
                </Suspense>
                <span className="muted breakdown-sum">{formatValue(row.sum, props.unit)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {hidden.length > 0 ? (
        <p className="hint" data-testid="breakdown-hidden">
          {hidden.length} more values ({(hidden.reduce((sum, row) => sum + row.share, 0) * 100).toFixed(1)} % together) not shown.
        </p>
      ) : null}
    </section>
  );
}
