/**
 * Regression detection on the Profiling page: per service, CPU now against a baseline (same range
 * one day earlier by default), and the functions that grew past 120 % (warn) / 150 % (alert).
 * Computed from the profiles themselves, so it can name the function (the old panel read RSS/CPU
 * metrics and could not).
 */
import { useState, type JSX } from 'react';
import { formatValue, profileTypeDisplayName, regressionLevel, type DiffResponse, type Matcher, type ServiceInfo } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { buildQuery } from '../state/selector.js';

const DAY_MS = 86_400_000;
const MAX_SERVICES = 8;
const MAX_FUNCTIONS = 5;

/**
 * CPU time first: the Node SDK sends CPU time inside its wall profile (`wall:cpu:nanoseconds`), so
 * "first process_cpu, else wall" compared Node services' wall time, which grows with idle waiting.
 */
const CPU_TYPE_PREFERENCE = ['process_cpu:cpu:', 'wall:cpu:', 'process_cpu:', 'wall:wall:'];

export function regressionType(service: ServiceInfo): string | undefined {
  const ids = service.profileTypes.map((t) => t.id).sort();
  for (const prefix of CPU_TYPE_PREFERENCE) {
    const found = ids.find((id) => id.startsWith(prefix));
    if (found) return found;
  }
  return undefined;
}

function ServiceRegressions(props: {
  client: ApiClient;
  service: string;
  typeId: string;
  filters: readonly Matcher[];
  fromMs: number;
  untilMs: number;
  baseline: 'day' | 'previous';
}): JSX.Element {
  const shiftMs = props.baseline === 'day' ? DAY_MS : props.untilMs - props.fromMs;
  // The page's label chips narrow both sides, as they narrow every other panel.
  const selector = buildQuery(props.typeId, [props.service], props.filters);
  const query = useQuery<DiffResponse>(`regress|${selector}|${props.fromMs}|${props.untilMs}|${shiftMs}`, (signal) =>
    props.client.diff(
      {
        baseline: selector,
        baselineFromMs: props.fromMs - shiftMs,
        baselineUntilMs: props.untilMs - shiftMs,
        comparison: selector,
        comparisonFromMs: props.fromMs,
        comparisonUntilMs: props.untilMs,
        mode: 'absolute',
        normalize: true,
        maxNodes: 1,
      },
      signal,
    ),
  );
  const diff = query.data;
  const typeName = <span className="muted"> · {profileTypeDisplayName(props.typeId)}</span>;
  if (!diff) return <tr><td>{props.service}{typeName}</td><td colSpan={3} className="muted">{query.error ? query.error.message : 'loading…'}</td></tr>;
  if (diff.baselineTotal === 0) {
    return (
      <tr data-testid={`regression-${props.service}`} data-level="none" data-type={props.typeId} data-selector={selector}>
        <td>
          {props.service}
          {typeName}
        </td>
        <td className="num">no baseline</td>
        <td className="level">—</td>
        <td className="muted">no profiles in the baseline range to compare with</td>
      </tr>
    );
  }
  const level = regressionLevel(diff.baselineTotal, diff.comparisonTotal);
  const grown = diff.table
    .filter((row) => row.comparisonSelf > 0 && regressionLevel(row.baselineSelf, row.comparisonSelf) !== 'ok' && row.comparisonSelf >= diff.comparisonTotal * 0.01)
    .sort((a, b) => b.comparisonSelf - b.baselineSelf - (a.comparisonSelf - a.baselineSelf))
    .slice(0, MAX_FUNCTIONS);
  return (
    <tr data-testid={`regression-${props.service}`} data-level={level} data-type={props.typeId} data-selector={selector}>
      <td>
        {props.service}
        {typeName}
      </td>
      <td className="num">
        {`${((diff.comparisonTotal / diff.baselineTotal) * 100).toFixed(0)} %`}
      </td>
      <td className={`level level-${level}`}>{level}</td>
      <td>
        {grown.length === 0
          ? '—'
          : grown.map((row) => (
              <div key={row.name} className="fn" data-level={regressionLevel(row.baselineSelf, row.comparisonSelf)}>
                {row.name}: {formatValue(row.baselineSelf, diff.unit)} → {formatValue(row.comparisonSelf, diff.unit)}
              </div>
            ))}
      </td>
    </tr>
  );
}

export function Regressions(props: { client: ApiClient; services: readonly ServiceInfo[]; filters: readonly Matcher[]; fromMs: number; untilMs: number }): JSX.Element {
  const [baseline, setBaseline] = useState<'day' | 'previous'>('day');
  const rows = props.services
    .map((s) => ({ service: s.serviceName, typeId: regressionType(s) }))
    .filter((r): r is { service: string; typeId: string } => r.typeId !== undefined)
    .slice(0, MAX_SERVICES);
  return (
    <section className="panel" aria-labelledby="regressions-heading" data-testid="regressions-section">
      <div className="panel-title">
        <h2 id="regressions-heading">Regression detection</h2>
        <label className="field inline">
          <span className="field-label">Baseline</span>
          <select value={baseline} onChange={(e) => setBaseline(e.target.value as 'day' | 'previous')} data-testid="regressions-baseline">
            <option value="day">same range 1 day earlier</option>
            <option value="previous">previous period</option>
          </select>
        </label>
        <span className="muted">CPU time per service (wall time only without a CPU profile); ≥ 120 % of baseline warns, ≥ 150 % alerts; functions by self time</span>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No service has CPU or wall profiles in this range.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Now vs baseline</th>
              <th scope="col">Level</th>
              <th scope="col">Functions that grew</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <ServiceRegressions key={r.service} client={props.client} service={r.service} typeId={r.typeId} filters={props.filters} fromMs={props.fromMs} untilMs={props.untilMs} baseline={baseline} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
