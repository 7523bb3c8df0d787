/** /snapshots (list, delete) and /snapshots/:id (one frozen result, read-only). */
import { useMemo, useState, type JSX } from 'react';
import { decodeLevels, formatValue, isSameOriginPath, profileTypeDisplayName, type Snapshot, type SnapshotMeta } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { FlameGraphView } from '../components/FlameGraphView.js';
import { AppNav } from '../components/AppNav.js';
import { FlameIcon } from '../components/Icons.js';
import { ErrorState, Notice, Spinner } from '../components/States.js';
import { TopTable } from '../components/TopTable.js';
import { SnapshotDiffTable } from '../components/AlertsPanel.js';
import { useQuery } from '../hooks/useQuery.js';
import { formatDateTime } from '../state/time.js';

function Shell({ title, children }: { title: string; children: JSX.Element | (JSX.Element | null)[] }): JSX.Element {
  return (
    <div className="page snapshot-page" data-testid="snapshot-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>{title}</h1>
        <AppNav current="/snapshots" />
      </header>
      <main className="explore-main">{children}</main>
    </div>
  );
}

export function SnapshotPage({ client, id }: { client: ApiClient; id: string }): JSX.Element {
  const snapshotQuery = useQuery<Snapshot>(`snapshot|${id}`, (signal) => client.snapshot(id, signal));
  const [focus, setFocus] = useState<string[]>([]);
  const snapshot = snapshotQuery.data;
  const frames = useMemo(() => (snapshot ? decodeLevels(snapshot.result.flamegraph) : null), [snapshot]);
  if (snapshotQuery.error) {
    return (
      <Shell title="Snapshot">
        {snapshotQuery.error.status === 404 ? (
          <Notice testId="snapshot-not-found" title="This snapshot does not exist.">
            <p>
              No snapshot <code>{id}</code> is stored on this server: the link may be mistyped, or the snapshot was deleted. <a href="/snapshots">See the snapshots that exist.</a>
            </p>
          </Notice>
        ) : (
          <ErrorState error={snapshotQuery.error} what="Loading the snapshot" />
        )}
      </Shell>
    );
  }
  return (
    <Shell title={snapshot ? snapshot.title : 'Snapshot'}>
      {snapshotQuery.slow ? <Spinner label="Loading snapshot…" /> : null}
      {snapshot?.diff ? <SnapshotDiffTable diff={snapshot.diff} /> : null}
      {snapshot && frames ? (
        <section className="panel" data-testid="snapshot-view">
          <p className="config-facts">
            Read-only snapshot of {profileTypeDisplayName(snapshot.profileTypeId)}, {formatDateTime(snapshot.fromMs)} → {formatDateTime(snapshot.untilMs)}, taken{' '}
            {formatDateTime(snapshot.createdMs)} · {formatValue(snapshot.result.flamegraph.total, snapshot.result.unit)} in {snapshot.result.profileCount} profiles
            {isSameOriginPath(snapshot.viewUrl) ? (
              <>
                {' '}
                · <a href={snapshot.viewUrl}>open the live view</a>
              </>
            ) : null}
          </p>
          <FlameGraphView frames={frames} unit={snapshot.result.unit} focusPath={focus} onFocusPath={setFocus} search="" searchRegex={false} selectedFunction="" label="Snapshot flame graph" />
          <TopTable rows={snapshot.result.top} unit={snapshot.result.unit} totalValue={snapshot.result.flamegraph.total} selectedFunction="" caption="Top functions in this snapshot" testId="snapshot-top" />
        </section>
      ) : null}
    </Shell>
  );
}

export function SnapshotListPage({ client }: { client: ApiClient }): JSX.Element {
  const [generation, setGeneration] = useState(0);
  const listQuery = useQuery<SnapshotMeta[]>(`snapshots|${generation}`, (signal) => client.snapshots(signal));
  return (
    <Shell title="Snapshots">
      {listQuery.error ? <ErrorState error={listQuery.error} what="Listing snapshots" /> : null}
      {listQuery.data && listQuery.data.length === 0 ? <p className="muted">No snapshots yet: use “Share” above a flame graph.</p> : null}
      <section className="panel">
        <table className="table snapshot-list" data-testid="snapshot-list">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Profile type</th>
              <th scope="col">Range</th>
              <th scope="col">Taken</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {(listQuery.data ?? []).map((s) => (
              <tr key={s.id}>
                <td>
                  <a href={`/snapshots/${s.id}`}>{s.title}</a>
                </td>
                <td className="muted">{profileTypeDisplayName(s.profileTypeId)}</td>
                <td className="muted">
                  {formatDateTime(s.fromMs)} → {formatDateTime(s.untilMs)}
                </td>
                <td className="muted">{formatDateTime(s.createdMs)}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small"
                    data-testid={`delete-snapshot-${s.id}`}
                    onClick={() => void client.deleteSnapshot(s.id, new AbortController().signal).then(() => setGeneration((g) => g + 1))}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Shell>
  );
}
