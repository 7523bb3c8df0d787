/**
 * The explorer: service × profile type × time range (× label filters) → timeline, flame graph, top
 * table, sandwich. Used by the Profiling page and, with filters and group-by, by /explore.
 */
import { useEffect, useMemo, type JSX } from 'react';
import {
  decodeLevels,
  defaultProfileType,
  formatValue,
  profileTypeDisplayName,
  profileTypeUnit,
  sortProfileTypes,
  type AppConfig,
  type FlameGraphResponse,
  type SandwichResponse,
  type ServiceInfo,
  type TimelineResponse,
} from '@cinder/core';
import type { ApiClient, ApiError } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import type { RefreshClock } from '../hooks/useNow.js';
import { buildQuery } from '../state/selector.js';
import { describeRange, formatDateTime, formatDuration, resolveRange, stepSecondsFor } from '../state/time.js';
import type { FlameView, ViewState } from '../state/viewState.js';
import { ProfileTypeSelect, RefreshSelect, ServiceSelect, serviceTypeNames, TimeRangePicker } from './Controls.js';
import { LabelBreakdown } from './LabelBreakdown.js';
import { LabelFilters } from './LabelChips.js';
import { FlameGraphView } from './FlameGraphView.js';
import { ErrorState, Notice, Spinner } from './States.js';
import { ExportMenu } from './ExportMenu.js';
import { ShareButton } from './ShareButton.js';
import { Timeline } from './Timeline.js';
import { TopTable } from './TopTable.js';

export interface ExplorerProps {
  client: ApiClient;
  config: AppConfig | null;
  state: ViewState;
  update: (patch: Partial<ViewState>, options?: { replace?: boolean }) => void;
  clock: RefreshClock;
  /** Label filter chips, the labels breakdown and timeline group-by (both pages show them; kiosk views may not). */
  withFilters: boolean;
  /** Tells the page whether any query is in flight (drives the Refresh button's spinner). */
  onBusyChange?: (busy: boolean) => void;
  /** Services with data in range, for the page's overview sections. */
  onServices?: (services: ServiceInfo[]) => void;
}

const MAX_NODES = 4096;

export function pickProfileType(available: readonly string[], wanted: string): string {
  return defaultProfileType(available, wanted);
}

export function Explorer(props: ExplorerProps): JSX.Element {
  const { client, state, update, clock } = props;
  const range = useMemo(() => resolveRange({ from: state.from, until: state.until }, clock.nowMs), [state.from, state.until, clock.nowMs]);
  const rangeText = describeRange({ from: state.from, until: state.until }, clock.nowMs);

  const servicesQuery = useQuery(`${range.fromMs}|${range.untilMs}|${clock.generation}`, (signal) => client.services(range.fromMs, range.untilMs, signal));
  const services = servicesQuery.data ?? [];
  const { onServices } = props;
  useEffect(() => {
    if (servicesQuery.data) onServices?.(servicesQuery.data);
  }, [servicesQuery.data, onServices]);

  const chosen = state.services.length === 0 ? services : services.filter((s) => state.services.includes(s.serviceName));
  const availableTypes = useMemo(() => sortProfileTypes(chosen.flatMap((s) => s.profileTypes.map((t) => t.id))), [chosen]);
  const profileType = pickProfileType(availableTypes, state.profileType);
  const unit = profileTypeUnit(profileType);
  const query = profileType ? buildQuery(profileType, state.services, state.filters) : null;
  const baseKey = query ? `${query}|${range.fromMs}|${range.untilMs}|${clock.generation}` : null;

  const timelineQuery = useQuery<TimelineResponse>(baseKey && `${baseKey}|${state.groupBy}`, (signal) =>
    client.timeline(
      { query: query!, fromMs: range.fromMs, untilMs: range.untilMs, stepSeconds: stepSecondsFor(range), groupBy: state.groupBy || 'service_name' },
      signal,
    ),
  );
  const flameQuery = useQuery<FlameGraphResponse>(baseKey, (signal) =>
    client.flameGraph({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs, maxNodes: MAX_NODES }, signal),
  );
  // Truncated graph + a zoom: fetch the zoomed subtree in full detail (the server re-roots at the
  // focus path before truncating), so zooming never shows a lump of "other".
  const focusText = state.focus.join(';');
  const detailKey = baseKey && focusText !== '' && (flameQuery.data?.truncation.hiddenNodes ?? 0) > 0 ? `${baseKey}|focus|${focusText}` : null;
  const detailQuery = useQuery<FlameGraphResponse>(detailKey, (signal) =>
    client.flameGraph({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs, maxNodes: MAX_NODES, focus: focusText }, signal),
  );
  const shownFlame = detailKey && detailQuery.data ? detailQuery.data : flameQuery.data;
  const sandwichKey = baseKey && state.view === 'sandwich' && state.selectedFunction ? `${baseKey}|${state.selectedFunction}` : null;
  const sandwichQuery = useQuery<SandwichResponse>(sandwichKey, (signal) =>
    client.sandwich({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs, functionName: state.selectedFunction }, signal),
  );

  const busy = servicesQuery.loading || timelineQuery.loading || flameQuery.loading || detailQuery.loading || sandwichQuery.loading;
  const { onBusyChange } = props;
  useEffect(() => onBusyChange?.(busy), [busy, onBusyChange]);

  // Heavy for big profiles (a few ms per 100k frames); memoised so hover and search do not redo it.
  const frames = useMemo(() => (shownFlame ? decodeLevels(shownFlame.flamegraph) : null), [shownFlame]);
  const timelineSeries = useMemo(
    () =>
      (timelineQuery.data?.series ?? []).map((s) => ({
        label: Object.entries(s.labels)
          .map(([k, v]) => (k === (state.groupBy || 'service_name') ? v : `${k}=${v}`))
          .join(', ') || 'all',
        points: s.points,
      })),
    [timelineQuery.data, state.groupBy],
  );

  const askedFor = `${state.services.length === 0 ? 'all services' : state.services.join(', ')} · ${profileType ? profileTypeDisplayName(profileType) : 'any profile type'} · ${rangeText}`;

  const controls = (
    <div className="controls" data-testid="explorer-controls">
      <ServiceSelect services={services} selected={state.services} onChange={(next) => update({ services: next, focus: [], selectedFunction: '' })} />
      <ProfileTypeSelect types={availableTypes} value={profileType} onChange={(id) => update({ profileType: id, focus: [], selectedFunction: '' })} />
      <TimeRangePicker range={{ from: state.from, until: state.until }} nowMs={clock.nowMs} onChange={(next) => update({ from: next.from, until: next.until })} />
      <RefreshSelect value={state.refresh} onChange={(value) => update({ refresh: value })} />
      <ConfigFacts config={props.config} />
    </div>
  );

  const body = ((): JSX.Element => {
    if (servicesQuery.error) return <ErrorState error={servicesQuery.error} what="The list of services" />;
    if (!servicesQuery.data) return servicesQuery.slow ? <Spinner label="Loading services…" /> : <div className="placeholder-block" />;
    if (services.length === 0 || chosen.length === 0 || !profileType) {
      return <NoData askedFor={askedFor} services={services} range={range} onPick={(name) => update({ services: [name], focus: [] })} />;
    }
    return (
      <>
        {props.withFilters ? (
          <LabelFilters
            client={client}
            queryFor={(filters) => buildQuery(profileType, state.services, filters)}
            fromMs={range.fromMs}
            untilMs={range.untilMs}
            filters={state.filters}
            onChange={(filters) => update({ filters, focus: [], selectedFunction: '' })}
            groupBy={{ value: state.groupBy, onChange: (groupBy) => update({ groupBy }) }}
          />
        ) : null}
        <section className="panel" aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">
            Timeline <span className="muted">{profileTypeDisplayName(profileType)} · drag to zoom</span>
          </h2>
          {timelineQuery.error ? <ErrorState error={timelineQuery.error} what="The timeline query" /> : null}
          {timelineQuery.slow ? <Spinner label="Loading timeline…" /> : null}
          {timelineQuery.data ? (
            <Timeline
              series={timelineSeries}
              fromMs={range.fromMs}
              untilMs={range.untilMs}
              unit={unit}
              onSelectRange={(fromMs, untilMs) => update({ from: String(fromMs), until: String(untilMs), focus: [] })}
            />
          ) : null}
        </section>
        {props.withFilters && query ? (
          <LabelBreakdown
            client={client}
            query={query}
            fromMs={range.fromMs}
            untilMs={range.untilMs}
            stepSeconds={stepSecondsFor(range)}
            generation={clock.generation}
            unit={unit}
            filters={state.filters}
            onFilters={(filters) => update({ filters, focus: [], selectedFunction: '' })}
          />
        ) : null}
        <section className="panel" aria-labelledby="flamegraph-heading">
          <div className="panel-head">
            <h2 id="flamegraph-heading">
              Flame graph{' '}
              {flameQuery.data ? (
                <span className="muted" data-testid="flamegraph-total" data-total={flameQuery.data.flamegraph.total}>
                  {formatValue(flameQuery.data.flamegraph.total, unit)} in {flameQuery.data.profileCount} profiles
                  {flameQuery.data.truncation.hiddenNodes > 0 ? (
                    <span data-testid="truncation-info">
                      {shownFlame !== flameQuery.data
                        ? ' · zoomed subtree loaded in full detail'
                        : ` · ${flameQuery.data.truncation.hiddenNodes} small nodes (${formatValue(flameQuery.data.truncation.hiddenValue, unit)}) folded into “other”; zoom into a frame to load its detail`}
                    </span>
                  ) : null}
                </span>
              ) : null}
            </h2>
            {query && flameQuery.data ? <ShareButton client={client} query={query} fromMs={range.fromMs} untilMs={range.untilMs} focus={state.focus} /> : null}
            {query && shownFlame && frames ? (
              <ExportMenu client={client} query={query} fromMs={range.fromMs} untilMs={range.untilMs} profileTypeId={shownFlame.profileTypeId} unit={unit} data={shownFlame.flamegraph} frames={frames} />
            ) : null}
            <ViewTabs view={state.view} onChange={(view) => update({ view })} />
          </div>
          {flameQuery.error ? <ErrorState error={flameQuery.error} what="The flame graph query" /> : null}
          {flameQuery.slow ? <Spinner label="Loading flame graph…" /> : null}
          {flameQuery.data && frames ? (
            flameQuery.data.flamegraph.total === 0 || frames.count <= 1 ? (
              <Notice testId="flamegraph-empty" title="The flame graph is empty.">
                <p>
                  {askedFor} has profiles but no samples with a value. Try another service or profile type, or a wider time range.
                </p>
              </Notice>
            ) : (
              <div className={`flame-layout view-${state.view}`}>
                {state.view !== 'table' ? (
                  <FlameGraphView
                    frames={frames}
                    unit={unit}
                    label={`Flame graph of ${askedFor}`}
                    focusPath={state.focus}
                    onFocusPath={(focus) => update({ focus })}
                    search={state.search}
                    searchRegex={state.searchRegex}
                    onSearch={(search, searchRegex) => update({ search, searchRegex }, { replace: true })}
                    selectedFunction={state.selectedFunction}
                    onSelectFunction={(selectedFunction) => update({ selectedFunction }, { replace: true })}
                  />
                ) : null}
                {state.view === 'sandwich' ? (
                  <Sandwich functionName={state.selectedFunction} response={sandwichQuery.data} error={sandwichQuery.error} slow={sandwichQuery.slow} unit={unit} />
                ) : (
                  <TopTable
                    rows={flameQuery.data.top}
                    totalValue={flameQuery.data.flamegraph.total}
                    unit={unit}
                    caption="Top functions"
                    selectedFunction={state.selectedFunction}
                    onSelectFunction={(selectedFunction) => update({ selectedFunction }, { replace: true })}
                  />
                )}
              </div>
            )
          ) : null}
        </section>
      </>
    );
  })();

  return (
    <div className="explorer" aria-busy={busy}>
      {controls}
      {body}
    </div>
  );
}

function ViewTabs({ view, onChange }: { view: FlameView; onChange: (view: FlameView) => void }): JSX.Element {
  const tabs: Array<[FlameView, string]> = [
    ['both', 'Graph + table'],
    ['flamegraph', 'Flame graph'],
    ['table', 'Top table'],
    ['sandwich', 'Sandwich'],
  ];
  return (
    <div className="tabs" role="tablist" aria-label="Flame graph view">
      {tabs.map(([value, label]) => (
        <button key={value} type="button" role="tab" aria-selected={view === value} className={`tab${view === value ? ' active' : ''}`} onClick={() => onChange(value)}>
          {label}
        </button>
      ))}
    </div>
  );
}

function Sandwich(props: { functionName: string; response: SandwichResponse | null; error: ApiError | null; slow: boolean; unit: string }): JSX.Element {
  const callers = useMemo(() => (props.response ? decodeLevels(props.response.callers) : null), [props.response]);
  const callees = useMemo(() => (props.response ? decodeLevels(props.response.callees) : null), [props.response]);
  if (!props.functionName) {
    return (
      <Notice testId="sandwich-empty" title="Sandwich view">
        <p>Click a frame in the flame graph (or a row of the top table) to see who calls that function and what it calls.</p>
      </Notice>
    );
  }
  return (
    <div className="sandwich" data-testid="sandwich">
      {props.error ? <ErrorState error={props.error} what="The sandwich query" /> : null}
      {props.slow ? <Spinner label="Loading callers and callees…" /> : null}
      {props.response && callers && callees ? (
        <>
          <h3>
            {props.response.functionName}{' '}
            <span className="muted">
              self {formatValue(props.response.self, props.unit)} · total {formatValue(props.response.total, props.unit)}
            </span>
          </h3>
          <h4>Callers</h4>
          <FlameGraphView frames={callers} unit={props.unit} label={`Callers of ${props.functionName}`} focusPath={[]} search="" searchRegex={false} selectedFunction={props.functionName} maxHeightCssPx={260} testId="sandwich-callers" />
          <h4>Callees</h4>
          <FlameGraphView frames={callees} unit={props.unit} label={`Callees of ${props.functionName}`} focusPath={[]} search="" searchRegex={false} selectedFunction="" maxHeightCssPx={260} testId="sandwich-callees" />
        </>
      ) : null}
    </div>
  );
}

function NoData(props: { askedFor: string; services: readonly ServiceInfo[]; range: { fromMs: number; untilMs: number }; onPick: (service: string) => void }): JSX.Element {
  return (
    <Notice testId="no-data" title="No profiling data for this selection.">
      <p>
        Asked for: <strong>{props.askedFor}</strong> ({formatDateTime(props.range.fromMs)} → {formatDateTime(props.range.untilMs)}).
      </p>
      <ul className="checklist">
        <li>Is anything pushing profiles to this server (an SDK, Alloy, or another agent pointed at its /ingest)?</li>
        <li>Is the time range right? Profiles arrive about every 10 s; a range in the future or before retention has none.</li>
        <li>Does the chosen service have this profile type? The type list only offers types the service has.</li>
      </ul>
      {props.services.length > 0 ? (
        <div data-testid="services-with-data">
          <p>Services with data in this range:</p>
          <ul className="service-list">
            {props.services.map((s) => (
              <li key={s.serviceName}>
                <button type="button" className="linklike" onClick={() => props.onPick(s.serviceName)}>
                  {s.serviceName}
                </button>{' '}
                <span className="muted">{serviceTypeNames(s).join(', ')}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p>No service has data in this range.</p>
      )}
    </Notice>
  );
}

function ConfigFacts({ config }: { config: AppConfig | null }): JSX.Element | null {
  if (!config) return null;
  return (
    <p className="config-facts" data-testid="retention-info">
      Retention {formatDuration(config.retention_ms)} detailed
      {config.rollup_retention_ms > 0 ? ` + ${formatDuration(config.rollup_retention_ms)} aggregated` : ''} · resolution as pushed (typically 10 s)
    </p>
  );
}
