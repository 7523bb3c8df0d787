/**
 * The profiles behind a timeline point or a heatmap cell (Pyroscope's profile exemplars): a short
 * list, largest first, each opening that one stored profile; "open all" merges every one of them.
 */
import type { JSX } from 'react';
import type { ApiClient, HeatmapProfilesResponse } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { formatDateTime } from '../state/time.js';
import { ErrorState, Spinner } from './States.js';

export type PickedPoint =
  | { kind: 'point'; timeMs: number; stepMs: number; labels: Record<string, string>; seriesLabel: string }
  | { kind: 'cell'; slotMs: number; row: number; count: number; stepMs: number; minValue: number; maxValue: number };

/** Rows listed; "open all" still merges every profile (up to the server's 200 ids). */
const LISTED = 12;

export function ExemplarList(props: {
  client: ApiClient;
  picked: PickedPoint;
  /** The page's query narrowed to a timeline series' labels. */
  queryFor: (labels: Record<string, string>) => string;
  query: string;
  range: { fromMs: number; untilMs: number };
  format: (value: number) => string;
  onOpen: (profileIds: string[]) => void;
  onClose: () => void;
}): JSX.Element {
  const { client, picked, range } = props;
  const request =
    picked.kind === 'point'
      ? // A timeline bucket is (T − step, T]; bucket 0 holds only the range's first instant.
        { query: props.queryFor(picked.labels), fromMs: Math.max(range.fromMs, picked.timeMs - picked.stepMs + 1), untilMs: Math.min(range.untilMs, picked.timeMs) }
      : { query: props.query, fromMs: range.fromMs, untilMs: range.untilMs, stepSeconds: picked.stepMs / 1000, slotMs: picked.slotMs, row: picked.row };
  const key = JSON.stringify(request);
  const result = useQuery<HeatmapProfilesResponse>(key, (signal) => client.heatmapProfiles(request, signal));
  const title =
    picked.kind === 'point'
      ? `Profiles of ${picked.seriesLabel || 'this series'} in the bucket ending ${formatDateTime(picked.timeMs)}`
      : `Profiles at ${formatDateTime(picked.slotMs)} with totals ${props.format(picked.minValue)} – ${props.format(picked.maxValue)}`;
  const profiles = result.data?.profiles ?? [];
  return (
    <div className="exemplars" role="dialog" aria-label={title} data-testid="exemplar-list">
      <div className="exemplars-head">
        <strong>{title}</strong>
        <button type="button" className="btn btn-small" onClick={props.onClose} data-testid="exemplar-close">
          Close
        </button>
      </div>
      {result.error ? <ErrorState error={result.error} what="The list of profiles" /> : null}
      {result.slow ? <Spinner label="Finding profiles…" /> : null}
      {result.data ? (
        result.data.total === 0 ? (
          <p className="hint">No stored profile in this bucket (the point may come from a rollup of older data).</p>
        ) : (
          <>
            <table className="exemplar-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col" className="num">
                    Total
                  </th>
                  <th scope="col">Labels</th>
                  <th scope="col" aria-label="Open" />
                </tr>
              </thead>
              <tbody>
                {profiles.slice(0, LISTED).map((profile) => (
                  <tr key={profile.profileId} data-testid="exemplar-row" data-profile-id={profile.profileId}>
                    <td>{formatDateTime(profile.timeMs)}</td>
                    <td className="num">{props.format(profile.value)}</td>
                    <td className="muted exemplar-labels">
                      {Object.entries(profile.labels)
                        // Reserved `__name__`-style labels repeat the profile type; people look for pods and versions.
                        .filter(([name]) => !name.startsWith('__'))
                        .map(([name, value]) => `${name}=${value}`)
                        .join(', ')}
                    </td>
                    <td>
                      <button type="button" className="btn btn-small" data-testid="exemplar-open" onClick={() => props.onOpen([profile.profileId])}>
                        Open
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">
              {result.data.total} profile{result.data.total === 1 ? '' : 's'}
              {result.data.total > LISTED ? ` (the ${LISTED} largest listed)` : ''}.{' '}
              {result.data.total > 1 ? (
                <button type="button" className="btn btn-small" data-testid="exemplar-open-all" onClick={() => props.onOpen(profiles.map((p) => p.profileId))}>
                  {result.data.total > profiles.length ? `Open the ${profiles.length} largest together` : `Open all ${result.data.total} together`}
                </button>
              ) : null}
            </p>
          </>
        )
      ) : null}
    </div>
  );
}

export function SelectedProfilesBanner(props: { count: number; onClear: () => void }): JSX.Element {
  return (
    <div className="banner-info" role="status" data-testid="profiles-banner">
      Showing {props.count === 1 ? 'one stored profile' : `${props.count} selected profiles`} (opened from the timeline), not the whole range.{' '}
      <button type="button" className="btn btn-small" data-testid="profiles-clear" onClick={props.onClear}>
        Show every profile in range
      </button>
    </div>
  );
}
