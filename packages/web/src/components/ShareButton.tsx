/** "Share": freezes the current result on this server and shows the link (nothing leaves the deployment). */
import { useState, type JSX } from 'react';
import type { ApiClient } from '../api/client.js';
import { parseViewState } from '../state/viewState.js';

export function ShareButton(props: { client: ApiClient; query: string; fromMs: number; untilMs: number; focus: readonly string[]; title: string }): JSX.Element {
  const [state, setState] = useState<{ busy: boolean; url: string | null; error: string | null }>({ busy: false, url: null, error: null });
  const share = async (): Promise<void> => {
    setState({ busy: true, url: null, error: null });
    try {
      // Frame filters and opened profiles live in the URL (viewState.ts); read at click time so the
      // snapshot is exactly the graph on screen, whoever renders this button.
      const view = parseViewState(window.location.search);
      const created = await props.client.createSnapshot(
        {
          query: props.query,
          fromMs: props.fromMs,
          untilMs: props.untilMs,
          ...(props.focus.length > 0 ? { focus: props.focus.join(';') } : {}),
          title: props.title,
          viewUrl: `${window.location.pathname}${window.location.search}`,
          frameFilters: view.frameFilters,
          profileIds: view.profiles,
        },
        new AbortController().signal,
      );
      setState({ busy: false, url: `${window.location.origin}${created.url}`, error: null });
    } catch (error) {
      setState({ busy: false, url: null, error: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <span className="share">
      <button type="button" className="btn btn-small" onClick={() => void share()} disabled={state.busy} data-testid="share-button">
        {state.busy ? 'Sharing…' : 'Share'}
      </button>
      {state.url ? (
        <input className="share-link" readOnly value={state.url} onFocus={(e) => e.currentTarget.select()} aria-label="Snapshot link" data-testid="share-link" size={48} />
      ) : null}
      {state.error ? (
        <span className="hint error-text" role="alert">
          {state.error}
        </span>
      ) : null}
    </span>
  );
}
