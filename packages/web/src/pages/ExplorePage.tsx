/** /explore: the same explorer, full screen, with label filters and timeline group-by. */
import type { JSX } from 'react';
import type { AppConfig } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { AppNav } from '../components/AppNav.js';
import { Explorer } from '../components/Explorer.js';
import { FlameIcon } from '../components/Icons.js';
import { useRefreshClock } from '../hooks/useNow.js';
import { useRangeToken } from '../hooks/useRangeToken.js';
import { useQuery } from '../hooks/useQuery.js';
import { useViewState } from '../hooks/useViewState.js';
import { compareHref } from '../state/selector.js';
import { refreshIntervalMs } from '../state/time.js';

export function ExplorePage({ client }: { client: ApiClient }): JSX.Element {
  const configQuery = useQuery<AppConfig>('config', (signal) => client.config(signal));
  const [state, update] = useViewState();
  const rangeToken = useRangeToken(state.from, state.until);
  const clock = useRefreshClock(rangeToken, refreshIntervalMs(state.refresh));
  return (
    <div className={`page explore-page${state.kiosk ? ' kiosk' : ''}`} data-testid="explore-page">
      {state.kiosk ? null : (
        <header className="page-header slim">
          <FlameIcon size={22} color="#76B900" className="page-icon" />
          <h1>Explore</h1>
          <AppNav current="/explore" carry={{ '/compare': { href: compareHref(state), testId: 'explore-compare-link' } }} />
          {configQuery.data ? <span className="muted version">v{configQuery.data.version}</span> : null}
        </header>
      )}
      <main className="explore-main">
        <Explorer client={client} config={configQuery.data} state={state} update={update} clock={clock} withFilters />
      </main>
    </div>
  );
}
