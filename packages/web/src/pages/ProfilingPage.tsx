/**
 * The "Profiling" page (spec: shared/spec/profiling-page.md): header with the four actions, config
 * loading/failure states, and Cinder's explorer where the old page had its Grafana iframe.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { defaultProfileType, profileTypeDisplayName, type AppConfig, type FlameGraphResponse, type Matcher, type ServiceInfo } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { serviceTypeNames } from '../components/Controls.js';
import { Explorer } from '../components/Explorer.js';
import { AlertIcon, CompassIcon, ExternalLinkIcon, FlameIcon, GaugeIcon, RefreshIcon } from '../components/Icons.js';
import { ErrorState, Spinner } from '../components/States.js';
import { TopTable } from '../components/TopTable.js';
import { useRefreshClock } from '../hooks/useNow.js';
import { useRangeToken } from '../hooks/useRangeToken.js';
import { useQuery } from '../hooks/useQuery.js';
import { useViewState } from '../hooks/useViewState.js';
import { cinderUiUrl, grafanaDashboardUrl, grafanaExploreUrl, resolveGrafanaUrl } from '../state/grafana.js';
import { buildQuery, compareHref } from '../state/selector.js';
import { formatDateTime, refreshIntervalMs, resolveRange } from '../state/time.js';
import { Regressions } from '../components/Regressions.js';
import { FiringAlerts } from '../components/AlertsPanel.js';

export const CONFIG_ERROR_TEXT = 'Failed to load configuration. Using default Grafana URL.';

export function ProfilingPage({ client }: { client: ApiClient }): JSX.Element {
  const configQuery = useQuery<AppConfig>('config', (signal) => client.config(signal));
  const [state, update] = useViewState();
  const [refreshToken, setRefreshToken] = useState(0);
  // A new range (picked or dragged) re-reads "now" so `now-5m` means the last five minutes from the click.
  const rangeToken = useRangeToken(state.from, state.until);
  const clock = useRefreshClock(refreshToken + rangeToken, refreshIntervalMs(state.refresh));
  const [busy, setBusy] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const sawBusy = useRef(false);
  const [services, setServices] = useState<ServiceInfo[]>([]);

  useEffect(() => {
    if (configQuery.error) console.error('Cinder: failed to load configuration', configQuery.error);
  }, [configQuery.error]);

  useEffect(() => {
    if (!refreshing) return;
    if (busy) sawBusy.current = true;
    else if (sawBusy.current) setRefreshing(false);
  }, [busy, refreshing]);

  const onRefresh = useCallback(() => {
    sawBusy.current = false;
    setRefreshing(true);
    setRefreshToken((t) => t + 1);
    // Nothing started (nothing to refresh): re-enable instead of spinning forever.
    setTimeout(() => {
      if (!sawBusy.current) setRefreshing(false);
    }, 150);
  }, []);

  if (configQuery.loading && !configQuery.data && !configQuery.error) {
    return (
      <div className="page" data-testid="pyroscope-page">
        <div className="loading" data-testid="pyroscope-loading" aria-busy="true" aria-label="Loading profiling configuration">
          <div className="skeleton skeleton-title" />
          <div className="skeleton skeleton-subtitle" />
          <div className="skeleton skeleton-block" />
        </div>
      </div>
    );
  }

  const config = configQuery.data;
  const grafanaConfigured = !config || config.grafana_url !== '';
  const grafanaBase = resolveGrafanaUrl(config?.grafana_url, window.location);
  const kiosk = state.kiosk;

  return (
    <div className={`page${kiosk ? ' kiosk' : ''}`} data-testid="pyroscope-page">
      {kiosk ? null : (
        <header className="page-header">
          <FlameIcon size={28} color="#76B900" className="page-icon" />
          <h1>Profiling</h1>
          <div className="actions">
            {grafanaConfigured ? (
              <a className="btn" data-testid="grafana-external-link" href={grafanaDashboardUrl(grafanaBase)} target="_blank" rel="noopener noreferrer">
                <ExternalLinkIcon /> Open in Grafana
              </a>
            ) : (
              <button type="button" className="btn" data-testid="grafana-external-link" disabled title="No Grafana URL is configured for this server">
                <ExternalLinkIcon /> Open in Grafana
              </button>
            )}
            <a
              className="btn"
              data-testid="explore-link"
              href={grafanaConfigured ? grafanaExploreUrl(grafanaBase) : '/explore'}
              target="_blank"
              rel="noopener noreferrer"
            >
              <CompassIcon /> Explore
            </a>
            <a className="btn" data-testid="pyroscope-external-link" href={cinderUiUrl(config?.public_url, window.location.origin)} target="_blank" rel="noopener noreferrer">
              <GaugeIcon /> Open Pyroscope
            </a>
            <button type="button" className="btn" data-testid="pyroscope-refresh-button" onClick={onRefresh} disabled={refreshing} aria-busy={refreshing}>
              <RefreshIcon className={refreshing ? 'animate-spin' : undefined} /> Refresh
            </button>
          </div>
        </header>
      )}
      {configQuery.error ? (
        <div className="banner-warning" role="alert" data-testid="pyroscope-error">
          <AlertIcon /> <span>{CONFIG_ERROR_TEXT}</span>
        </div>
      ) : null}
      <main className="main-view" data-testid="pyroscope-iframe">
        <Explorer client={client} config={config ?? null} state={state} update={update} clock={clock} withFilters onBusyChange={setBusy} onServices={setServices} />
        {kiosk ? null : (
          <>
            <ServicesOverview services={services} selected={state.services} onPick={(name) => update({ services: [name], focus: [], selectedFunction: '' })} />
            <TopFunctions client={client} services={services} selected={state.services} filters={state.filters} from={state.from} until={state.until} nowMs={clock.nowMs} generation={clock.generation} />
            <section className="panel" aria-labelledby="comparison-heading" data-testid="comparison-section">
              <h2 id="comparison-heading">Comparison (baseline vs current)</h2>
              <p>
                A diff flame graph and a per-function diff table of the current range against a baseline (by default the same length, one day earlier; or the previous
                period, or one label value against another), in absolute or relative terms.{' '}
                <a
                  className="btn btn-small"
                  data-testid="compare-link"
                  href={compareHref(state)}
                >
                  Open comparison
                </a>
              </p>
            </section>
            <FiringAlerts client={client} generation={clock.generation} />
            <Regressions
              client={client}
              services={state.services.length === 0 ? services : services.filter((s) => state.services.includes(s.serviceName))}
              filters={state.filters}
              fromMs={resolveRange({ from: state.from, until: state.until }, clock.nowMs).fromMs}
              untilMs={resolveRange({ from: state.from, until: state.until }, clock.nowMs).untilMs}
            />
            <section className="panel" aria-labelledby="request-heading" data-testid="request-section">
              <h2 id="request-heading">Request-level view</h2>
              <p>
                The flame graph of one request, from the samples labelled with its trace_id / span_id.{' '}
                <a
                  className="btn btn-small"
                  data-testid="request-link"
                  href={`/request?${new URLSearchParams({ ...(state.services.length === 1 ? { service: state.services[0]! } : {}), from: state.from, until: state.until }).toString()}`}
                >
                  Find a request
                </a>
              </p>
            </section>
          </>
        )}
      </main>
    </div>
  );
}

function ServicesOverview(props: { services: readonly ServiceInfo[]; selected: readonly string[]; onPick: (name: string) => void }): JSX.Element | null {
  if (props.services.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="overview-heading" data-testid="services-overview">
      <h2 id="overview-heading">Services</h2>
      <div className="cards">
        {props.services.map((service) => (
          <button
            type="button"
            key={service.serviceName}
            className={`card${props.selected.includes(service.serviceName) ? ' active' : ''}`}
            onClick={() => props.onPick(service.serviceName)}
          >
            <strong>{service.serviceName}</strong>
            <span className="muted">{serviceTypeNames(service).join(', ')}</span>
            <span className="muted">last profile {formatDateTime(service.lastSeenMs)}</span>
          </button>
        ))}
      </div>
    </section>
  );
}

/** Top functions by CPU and by memory for the chosen services, with warn/alert thresholds on self share. */
function TopFunctions(props: {
  client: ApiClient;
  services: readonly ServiceInfo[];
  selected: readonly string[];
  /** The page's label chips: the top functions are of the same selection as the graph above. */
  filters: readonly Matcher[];
  from: string;
  until: string;
  nowMs: number;
  generation: number;
}): JSX.Element | null {
  const chosen = props.selected.length === 0 ? props.services : props.services.filter((s) => props.selected.includes(s.serviceName));
  const types = [...new Set(chosen.flatMap((s) => s.profileTypes.map((t) => t.id)))];
  // CPU time of process_cpu or, for the Node SDK, of its wall profile; sample counts only when nothing else exists.
  const cpuType = defaultProfileType(types.filter((id) => id.startsWith('process_cpu:') || id.startsWith('wall:'))) || undefined;
  const memoryType = defaultProfileType(types.filter((id) => id.startsWith('memory:')));
  const range = useMemo(() => resolveRange({ from: props.from, until: props.until }, props.nowMs), [props.from, props.until, props.nowMs]);
  if (chosen.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="top-functions-heading" data-testid="top-functions">
      <h2 id="top-functions-heading">Top functions</h2>
      <div className="two-columns">
        {cpuType ? <TopFor client={props.client} type={cpuType} services={props.selected} filters={props.filters} range={range} generation={props.generation} /> : <p className="hint">No CPU profiles for this selection.</p>}
        {memoryType ? <TopFor client={props.client} type={memoryType} services={props.selected} filters={props.filters} range={range} generation={props.generation} /> : <p className="hint">No memory profiles for this selection.</p>}
      </div>
    </section>
  );
}

function TopFor(props: { client: ApiClient; type: string; services: readonly string[]; filters: readonly Matcher[]; range: { fromMs: number; untilMs: number }; generation: number }): JSX.Element {
  const query = buildQuery(props.type, props.services, props.filters);
  // maxNodes=1: only the (untruncated) top table is wanted here, not the graph.
  const result = useQuery<FlameGraphResponse>(`${query}|${props.range.fromMs}|${props.range.untilMs}|${props.generation}`, (signal) =>
    props.client.flameGraph({ query, fromMs: props.range.fromMs, untilMs: props.range.untilMs, maxNodes: 1 }, signal),
  );
  const title = `By ${profileTypeDisplayName(props.type)}`;
  return (
    <div>
      <h3>{title}</h3>
      {result.error ? <ErrorState error={result.error} what={`Top functions ${title.toLowerCase()}`} /> : null}
      {result.slow ? <Spinner label="Loading…" /> : null}
      {result.data ? (
        <TopTable
          rows={result.data.top}
          totalValue={result.data.flamegraph.total}
          unit={props.type.split(':')[2] ?? ''}
          caption={`Top functions ${title}`}
          selectedFunction=""
          limit={10}
          thresholds={{ warn: 0.05, alert: 0.2 }}
          testId={`top-functions-${props.type.split(':')[0]}`}
        />
      ) : null}
    </div>
  );
}
