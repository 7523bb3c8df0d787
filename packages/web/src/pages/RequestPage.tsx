/**
 * /request: the flame graph of one request, selected by the trace_id / span_id labels its samples
 * carry. Tracing UIs (Jaeger, Tempo) link here; docs/api.md documents the URL:
 *   /request?service=<name>&traceId=<32 hex>[&spanId=<16 hex>]&from=<ms>&until=<ms>[&type=<profile type>]
 */
import { useMemo, useState, type JSX } from 'react';
import { decodeLevels, defaultProfileType, formatValue, profileTypeLabels, sortProfileTypes, type FlameGraphResponse, type ServiceInfo } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { FlameGraphView } from '../components/FlameGraphView.js';
import { FlameIcon } from '../components/Icons.js';
import { AppNav } from '../components/AppNav.js';
import { ErrorState, Notice, Spinner } from '../components/States.js';
import { useQuery } from '../hooks/useQuery.js';
import { navigate, useLocation } from '../router.js';
import { formatDateTime, resolveRange } from '../state/time.js';

const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const SPAN_ID = /^[0-9a-fA-F]{16}$/;
/** Padding around a linked range: a profile is stamped when its collection window starts. */
const PADDING_MS = 60_000;

export function RequestPage({ client }: { client: ApiClient }): JSX.Element {
  const { search } = useLocation();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const [nowMs] = useState(() => Date.now());
  const traceId = params.get('traceId') ?? '';
  const spanId = params.get('spanId') ?? '';
  const service = params.get('service') ?? '';
  const range = resolveRange({ from: params.get('from') ?? 'now-1h', until: params.get('until') ?? 'now' }, nowMs);
  const padded = { fromMs: range.fromMs - PADDING_MS, untilMs: range.untilMs + PADDING_MS };
  const [traceDraft, setTraceDraft] = useState(traceId);
  const [spanDraft, setSpanDraft] = useState(spanId);
  const traceValid = traceId === '' || TRACE_ID.test(traceId);
  const spanValid = spanId === '' || SPAN_ID.test(spanId);
  const draftError =
    traceDraft !== '' && !TRACE_ID.test(traceDraft)
      ? 'A trace id is 32 hexadecimal characters.'
      : spanDraft !== '' && !SPAN_ID.test(spanDraft)
        ? 'A span id is 16 hexadecimal characters.'
        : null;

  const servicesQuery = useQuery<ServiceInfo[]>(`services|${padded.fromMs}|${padded.untilMs}`, (signal) => client.services(padded.fromMs, padded.untilMs, signal));
  const types = sortProfileTypes(servicesQuery.data?.find((s) => s.serviceName === service)?.profileTypes.map((t) => t.id) ?? []);
  const typeLabels = profileTypeLabels(types);
  const wanted = params.get('type') ?? '';
  const type = defaultProfileType(types, wanted);
  const query = service && type ? `${type}{service_name=${JSON.stringify(service)}}` : '';
  const selecting = (traceId !== '' || spanId !== '') && traceValid && spanValid && query !== '';
  const requestKey = selecting ? `request|${query}|${traceId}|${spanId}|${padded.fromMs}|${padded.untilMs}` : null;
  const requestQuery = useQuery<FlameGraphResponse>(requestKey, (signal) =>
    client.flameGraph({ query, fromMs: padded.fromMs, untilMs: padded.untilMs, ...(spanId ? { spanId } : { traceId }) }, signal),
  );
  const empty = requestQuery.data !== null && requestQuery.data.flamegraph.total === 0;
  const fallbackKey = empty ? `fallback|${query}|${padded.fromMs}|${padded.untilMs}` : null;
  const fallbackQuery = useQuery<FlameGraphResponse>(fallbackKey, (signal) => client.flameGraph({ query, fromMs: padded.fromMs, untilMs: padded.untilMs }, signal));
  const shown = empty ? fallbackQuery.data : requestQuery.data;
  const frames = useMemo(() => (shown && shown.flamegraph.total > 0 ? decodeLevels(shown.flamegraph) : null), [shown]);
  const [focus, setFocus] = useState<string[]>([]);

  const go = (patch: Record<string, string>): void => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(patch)) {
      if (value === '') next.delete(key);
      else next.set(key, value);
    }
    navigate(`/request?${next.toString()}`);
  };

  return (
    <div className="page request-page" data-testid="request-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>Request profile</h1>
        <AppNav />
      </header>
      <main className="explore-main">
        <form
          className="controls"
          onSubmit={(event) => {
            event.preventDefault();
            if (draftError) return;
            go({ traceId: traceDraft.toLowerCase(), spanId: spanDraft.toLowerCase() });
          }}
        >
          <label className="field">
            <span className="field-label">Service</span>
            <select value={service} onChange={(e) => go({ service: e.target.value })} data-testid="request-service">
              <option value="">service…</option>
              {(servicesQuery.data ?? []).map((s) => (
                <option key={s.serviceName} value={s.serviceName}>
                  {s.serviceName}
                </option>
              ))}
            </select>
          </label>
          {types.length > 1 ? (
            <label className="field">
              <span className="field-label">Profile type</span>
              <select value={type} onChange={(e) => go({ type: e.target.value })} data-testid="request-type">
                {types.map((id) => (
                  <option key={id} value={id} title={id}>
                    {typeLabels.get(id)}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="field">
            <span className="field-label">Trace id</span>
            <input value={traceDraft} onChange={(e) => setTraceDraft(e.target.value.trim())} placeholder="32 hex characters" size={36} data-testid="request-trace-id" />
          </label>
          <label className="field">
            <span className="field-label">Span id (optional)</span>
            <input value={spanDraft} onChange={(e) => setSpanDraft(e.target.value.trim())} placeholder="16 hex characters" size={20} data-testid="request-span-id" />
          </label>
          <button type="submit" className="btn" disabled={draftError !== null} data-testid="request-submit">
            Show request
          </button>
          {draftError ? (
            <span className="hint error-text" role="alert" data-testid="request-invalid-id">
              {draftError}
            </span>
          ) : null}
        </form>
        <p className="config-facts">
          {formatDateTime(padded.fromMs)} → {formatDateTime(padded.untilMs)} (the linked range ± 1 min)
        </p>
        {!traceValid || !spanValid ? (
          <Notice testId="request-invalid-link" title="This link's ids are malformed.">
            <p>Trace ids are 32 hexadecimal characters and span ids 16; check the link your tracing UI generated.</p>
          </Notice>
        ) : null}
        {requestQuery.slow ? <Spinner label="Finding the samples of this request…" /> : null}
        {requestQuery.error ? <ErrorState error={requestQuery.error} what="The request query" /> : null}
        {empty ? (
          <Notice testId="request-empty" title="No samples carried this id.">
            <p>
              Spans shorter than the sampling interval (10 ms at 100 Hz) often get no sample at all, and only SDKs with span profiling label samples. Below is the
              service's profile for the same time range instead.
            </p>
          </Notice>
        ) : null}
        {frames && shown ? (
          <section className="panel" data-testid="request-flamegraph">
            <h2>
              {empty ? `${service}, same range` : `Request ${spanId || traceId}`}{' '}
              <span className="muted">{formatValue(shown.flamegraph.total, shown.unit)}</span>
            </h2>
            <FlameGraphView frames={frames} unit={shown.unit} focusPath={focus} onFocusPath={setFocus} search="" searchRegex={false} selectedFunction="" label="Request flame graph" />
          </section>
        ) : null}
      </main>
    </div>
  );
}
