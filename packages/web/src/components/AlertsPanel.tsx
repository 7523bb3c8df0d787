/**
 * Alerts on the Profiling page: what the server's rules have firing (and pending) now, each with its
 * frozen diff (the snapshot taken when it fired) and a live comparison. Rules are managed on /rules.
 */
import type { JSX } from 'react';
import { formatValue, type AlertRecord, type AlertsResponse, type DiffResponse } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { formatDateTime } from '../state/time.js';

export function ratioText(ratio: number | null): string {
  return ratio === null ? 'new' : `×${ratio.toFixed(2)}`;
}

function AlertRow({ alert }: { alert: AlertRecord }): JSX.Element {
  return (
    <li data-testid={`firing-alert-${alert.ruleName}`} data-level={alert.state === 'pending' ? 'warn' : alert.severity}>
      <strong className={alert.severity === 'alert' ? 'level-alert' : 'level-warn'}>{alert.state === 'pending' ? 'PENDING' : alert.severity.toUpperCase()}</strong> {alert.ruleName}:{' '}
      {alert.watched} {ratioText(alert.ratio)} the baseline ({formatValue(alert.currentValue, alert.unit)} vs {formatValue(alert.baselineValue, alert.unit)})
      <span className="muted"> since {formatDateTime(alert.firingSinceMs ?? alert.pendingSinceMs)}</span>
      {alert.topFunctions.length > 0 ? <span className="muted"> · grew most: {alert.topFunctions.slice(0, 3).map((f) => f.name).join(', ')}</span> : null}{' '}
      {alert.snapshotId ? (
        <a className="btn btn-small" href={`/snapshots/${alert.snapshotId}`} data-testid="alert-diff-link">
          Diff at firing time
        </a>
      ) : null}{' '}
      <a className="btn btn-small" href={alert.compareUrl}>
        Compare live
      </a>
    </li>
  );
}

/** `linkToRules`: false on the Rules page itself (the panel sits above the rules it links to). */
export function FiringAlerts({ client, generation, linkToRules = true }: { client: ApiClient; generation: number; linkToRules?: boolean }): JSX.Element {
  const query = useQuery<AlertsResponse>(`alerts|${generation}`, (signal) => client.alerts(signal));
  const active = query.data ? [...query.data.firing, ...query.data.pending] : [];
  return (
    <section className="panel" aria-labelledby="alerts-heading" data-testid="firing-alerts">
      <div className="panel-title">
        <h2 id="alerts-heading">Alerts</h2>
        {linkToRules ? (
          <a className="btn btn-small" href="/rules" data-testid="rules-link">
            Rules
          </a>
        ) : null}
      </div>
      {query.error ? <p className="muted">Alerts could not be loaded: {query.error.message}</p> : null}
      {query.data && active.length === 0 ? <p className="muted" data-testid="no-firing-alerts">No alert is firing. Rules evaluated by the server watch services and functions even when nobody has this page open.</p> : null}
      {active.length > 0 ? (
        <ul className="checklist">
          {active.map((alert) => (
            <AlertRow key={alert.id} alert={alert} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** The frozen diff of an alert snapshot: the functions that changed most, baseline vs current. */
export function SnapshotDiffTable({ diff, limit = 25 }: { diff: DiffResponse; limit?: number }): JSX.Element {
  // Equal changes (a function and all its callers) list the one that changed most relatively first: the cause, not its callers.
  const ratio = (r: DiffResponse['table'][number]): number => (r.changeRatio === null ? Number.POSITIVE_INFINITY : Math.abs(r.changeRatio));
  const rows = [...diff.table].sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || ratio(b) - ratio(a)).slice(0, limit);
  return (
    <section className="panel" data-testid="snapshot-diff">
      <h2>Baseline vs current (frozen when the alert fired)</h2>
      <p className="muted">
        {formatValue(diff.baselineTotal, diff.unit)} → {formatValue(diff.comparisonTotal, diff.unit)} · {diff.normalization.description}
      </p>
      <div className="table-scroll">
        <table className="top-table">
          <thead>
            <tr>
              <th>Function</th>
              <th>Baseline (total)</th>
              <th>Current (total)</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name} data-testid="snapshot-diff-row">
                <td>{row.name}</td>
                <td className="num">{formatValue(row.baselineTotal, diff.unit)}</td>
                <td className="num">{formatValue(row.comparisonTotal, diff.unit)}</td>
                <td className={`num ${row.change > 0 ? 'level-alert' : 'level-ok'}`}>
                  {row.change > 0 ? '+' : ''}
                  {formatValue(row.change, diff.unit)} {row.changeRatio === null ? '(new)' : `(${(row.changeRatio * 100).toFixed(0)} %)`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
