/**
 * /rules: the server's alert and recording rules (list with state, create, edit, delete, send a
 * test notification, the delivery log). Rules from --rules-file are shown read-only.
 */
import { useEffect, useMemo, useState, type FormEvent, type JSX } from 'react';
import { formatValue, type AlertRule, type DeliveryLogEntry, type RuleView } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { FiringAlerts, ratioText } from '../components/AlertsPanel.js';
import { FlameIcon } from '../components/Icons.js';
import { AppNav } from '../components/AppNav.js';
import { ErrorState } from '../components/States.js';
import { Timeline } from '../components/Timeline.js';
import type { TimelineSeries } from '../timeline/timelineData.js';
import { useQuery } from '../hooks/useQuery.js';
import { formatDateTime } from '../state/time.js';

interface RuleForm {
  name: string;
  kind: 'alert' | 'recording';
  query: string;
  target: 'total' | 'function';
  match: 'exact' | 'prefix' | 'regex';
  pattern: string;
  value: 'self' | 'total';
  baseline: 'day' | 'week' | 'previous_period' | 'previous_version';
  versionLabel: string;
  window: string;
  interval: string;
  forDuration: string;
  warnRatio: string;
  alertRatio: string;
  minValuePerSecond: string;
  minProfiles: string;
  notifyUrl: string;
  notifyFormat: 'cinder' | 'alertmanager';
  enabled: boolean;
}

const RULES_REFRESH_MS = 5_000;

const EMPTY_FORM: RuleForm = {
  name: '',
  kind: 'alert',
  query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=""}',
  target: 'function',
  match: 'exact',
  pattern: '',
  value: 'total',
  baseline: 'day',
  versionLabel: 'version',
  window: '10m',
  interval: '1m',
  forDuration: '0s',
  warnRatio: '1.2',
  alertRatio: '1.5',
  minValuePerSecond: '0',
  minProfiles: '3',
  notifyUrl: '',
  notifyFormat: 'cinder',
  enabled: true,
};

/** 600000 → `10m` (the largest unit that divides it). */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formFromRule(rule: AlertRule): RuleForm {
  const baseline: RuleForm['baseline'] =
    rule.baseline.kind === 'previous_version'
      ? 'previous_version'
      : rule.baseline.kind === 'previous_period'
        ? 'previous_period'
        : rule.baseline.offsetMs === 7 * 86_400_000
          ? 'week'
          : 'day';
  return {
    name: rule.name,
    kind: rule.kind,
    query: rule.query,
    target: rule.watch.target,
    match: rule.watch.target === 'function' ? rule.watch.match : 'exact',
    pattern: rule.watch.target === 'function' ? rule.watch.pattern : '',
    value: rule.watch.target === 'function' ? rule.watch.value : 'total',
    baseline,
    versionLabel: rule.baseline.kind === 'previous_version' ? rule.baseline.label : 'version',
    window: durationText(rule.windowMs),
    interval: durationText(rule.intervalMs),
    forDuration: durationText(rule.forMs),
    warnRatio: String(rule.thresholds.warnRatio),
    alertRatio: String(rule.thresholds.alertRatio),
    minValuePerSecond: String(rule.thresholds.minValuePerSecond),
    minProfiles: String(rule.thresholds.minProfiles),
    notifyUrl: rule.notify[0]?.url ?? '',
    notifyFormat: rule.notify[0]?.format ?? 'cinder',
    enabled: rule.enabled,
  };
}

/** The form as the API's rule body (the server validates and names a bad field). */
export function specFromForm(form: RuleForm, keepNotify: AlertRule['notify'] = []): Record<string, unknown> {
  const number = (text: string): number | string => (text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text));
  return {
    name: form.name,
    kind: form.kind,
    query: form.query,
    watch: form.target === 'total' ? 'total' : { target: 'function', match: form.match, pattern: form.pattern, value: form.value },
    baseline: form.baseline === 'previous_version' ? { kind: 'previous_version', label: form.versionLabel } : form.baseline,
    window: form.window,
    interval: form.interval,
    for: form.forDuration,
    thresholds: { warnRatio: number(form.warnRatio), alertRatio: number(form.alertRatio), minValuePerSecond: number(form.minValuePerSecond), minProfiles: number(form.minProfiles) },
    // The form edits the first target; further ones (set through the API or the file) are kept.
    notify: [...(form.notifyUrl.trim() ? [{ url: form.notifyUrl.trim(), format: form.notifyFormat }] : []), ...keepNotify.slice(1)],
    enabled: form.enabled,
  };
}

function Field(props: { label: string; children: JSX.Element }): JSX.Element {
  return (
    <label className="field">
      <span className="field-label">{props.label}</span>
      {props.children}
    </label>
  );
}

function RuleEditor(props: { client: ApiClient; editing: AlertRule | null; onSaved: () => void; onCancel: () => void }): JSX.Element {
  const [form, setForm] = useState<RuleForm>(props.editing ? formFromRule(props.editing) : EMPTY_FORM);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]): void => setForm((f) => ({ ...f, [key]: value }));
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    props.client
      .saveRule(props.editing?.id ?? null, specFromForm(form, props.editing?.notify), new AbortController().signal)
      .then(() => props.onSaved())
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setSaving(false));
  };
  const text = (key: keyof RuleForm, testId: string, placeholder = '') => (
    <input value={String(form[key])} onChange={(e) => set(key, e.target.value as never)} data-testid={testId} placeholder={placeholder} />
  );
  return (
    <form className="panel filter-form" onSubmit={onSubmit} data-testid="rule-form">
      <h2>{props.editing ? `Edit rule “${props.editing.name}”` : 'New rule'}</h2>
      <div className="controls">
        <Field label="Name">{text('name', 'rule-name', 'checkout-json-marshal')}</Field>
        <Field label="Kind">
          <select value={form.kind} onChange={(e) => set('kind', e.target.value as RuleForm['kind'])} data-testid="rule-kind">
            <option value="alert">alert</option>
            <option value="recording">recording (metric on /metrics)</option>
          </select>
        </Field>
        <Field label="Selection (profile type and labels)">{text('query', 'rule-query')}</Field>
      </div>
      <div className="controls">
        <Field label="Watch">
          <select value={form.target} onChange={(e) => set('target', e.target.value as RuleForm['target'])} data-testid="rule-watch-target">
            <option value="total">the service total</option>
            <option value="function">a function or package</option>
          </select>
        </Field>
        {form.target === 'function' ? (
          <>
            <Field label="Match">
              <select value={form.match} onChange={(e) => set('match', e.target.value as RuleForm['match'])} data-testid="rule-match">
                <option value="exact">name is</option>
                <option value="prefix">package (name starts with)</option>
                <option value="regex">regex (RE2, whole name)</option>
              </select>
            </Field>
            <Field label="Function">{text('pattern', 'rule-pattern', 'encoding/json.Marshal')}</Field>
            <Field label="Value">
              <select value={form.value} onChange={(e) => set('value', e.target.value as RuleForm['value'])} data-testid="rule-value">
                <option value="total">total (with callees)</option>
                <option value="self">self</option>
              </select>
            </Field>
          </>
        ) : (
          <span />
        )}
      </div>
      <div className="controls">
        {form.kind === 'alert' ? (
          <Field label="Baseline">
            <select value={form.baseline} onChange={(e) => set('baseline', e.target.value as RuleForm['baseline'])} data-testid="rule-baseline">
              <option value="day">same window a day earlier</option>
              <option value="week">same window a week earlier</option>
              <option value="previous_period">the previous window</option>
              <option value="previous_version">the previous version (label)</option>
            </select>
          </Field>
        ) : (
          <span />
        )}
        {form.kind === 'alert' && form.baseline === 'previous_version' ? <Field label="Version label">{text('versionLabel', 'rule-version-label')}</Field> : <span />}
        <Field label="Window">{text('window', 'rule-window')}</Field>
        <Field label="Every">{text('interval', 'rule-interval')}</Field>
        {form.kind === 'alert' ? <Field label="Pending for">{text('forDuration', 'rule-for')}</Field> : <span />}
      </div>
      {form.kind === 'alert' ? (
        <div className="controls">
          <Field label="Warn at ratio">{text('warnRatio', 'rule-warn')}</Field>
          <Field label="Alert at ratio">{text('alertRatio', 'rule-alert')}</Field>
          <Field label="Floor (unit per second)">{text('minValuePerSecond', 'rule-floor')}</Field>
          <Field label="Min. profiles">{text('minProfiles', 'rule-min-profiles')}</Field>
        </div>
      ) : null}
      {form.kind === 'alert' ? (
        <div className="controls">
          <Field label="Webhook URL">{text('notifyUrl', 'rule-notify-url', 'https://hooks.example.com/cinder')}</Field>
          <Field label="Payload">
            <select value={form.notifyFormat} onChange={(e) => set('notifyFormat', e.target.value as RuleForm['notifyFormat'])} data-testid="rule-notify-format">
              <option value="cinder">Cinder JSON</option>
              <option value="alertmanager">Alertmanager (/api/v2/alerts)</option>
            </select>
          </Field>
        </div>
      ) : null}
      <label className="checkbox">
        <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} data-testid="rule-enabled" /> enabled
      </label>
      {error ? (
        <p className="error-text" role="alert" data-testid="rule-error">
          {error}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="btn" disabled={saving} data-testid="rule-save">
          {props.editing ? 'Save' : 'Create'}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeliveryLog({ client, id, generation }: { client: ApiClient; id: string; generation: number }): JSX.Element | null {
  const query = useQuery(`rule|${id}|${generation}`, (signal) => client.rule(id, signal));
  const log: DeliveryLogEntry[] = query.data?.deliveries ?? [];
  if (log.length === 0) return <p className="muted">No notifications sent yet.</p>;
  return (
    <ul className="checklist" data-testid="delivery-log">
      {log.slice(0, 10).map((entry) => (
        <li key={`${entry.timeMs}|${entry.url}|${entry.attempt}`} className={entry.ok ? 'level-ok' : 'level-alert'}>
          {formatDateTime(entry.timeMs)} {entry.kind} → {entry.url} (attempt {entry.attempt}): {entry.ok ? `delivered (HTTP ${entry.httpStatus})` : `failed: ${entry.error}`}
          {entry.nextAttemptMs ? <span className="muted"> · retry at {formatDateTime(entry.nextAttemptMs)}</span> : null}
        </li>
      ))}
    </ul>
  );
}

const CHART_RANGES = [
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['1d', 86_400_000],
  ['7d', 7 * 86_400_000],
] as const;
/** A relative range moves on in steps this long (re-reading on every 5 s list refresh would re-merge every bucket). */
const CHART_REFRESH_MS = 30_000;

/**
 * The rule's watched value per second over time (GET /api/v1/rules/:id/series, one bucket per point
 * measured as the evaluator measures a window). Drag on the chart to zoom; the buttons go back to a
 * relative range.
 */
function RuleChart({ client, rule }: { client: ApiClient; rule: AlertRule }): JSX.Element {
  const [spanMs, setSpanMs] = useState<number>(CHART_RANGES[0][1]);
  const [zoom, setZoom] = useState<{ fromMs: number; untilMs: number } | null>(null);
  // The page re-renders on every list refresh; the relative end only moves every CHART_REFRESH_MS.
  const nowMs = Math.ceil(Date.now() / CHART_REFRESH_MS) * CHART_REFRESH_MS;
  const range = zoom ?? { fromMs: nowMs - spanMs, untilMs: nowMs };
  const query = useQuery(`series|${rule.id}|${rule.updatedMs}|${range.fromMs}|${range.untilMs}`, (signal) => client.ruleSeries(rule.id, range, signal));
  const data = query.data;
  const series = useMemo<TimelineSeries[]>(() => {
    if (!data) return [];
    const points = data.points.filter((p) => p.valuePerSecond !== null).map((p) => [p.timeMs, p.valuePerSecond!] as const);
    return [{ label: `${rule.name}: ${data.watched} per second`, points }];
  }, [data, rule.name]);
  const gaps = data ? data.points.filter((p) => p.valuePerSecond === null).length : 0;
  return (
    <section className="panel" data-testid="rule-chart">
      <h2>
        “{rule.name}” over time <span className="muted">({data ? `${data.watched}, ${data.unit} per second, one point per ${durationText(data.stepMs)}` : 'loading…'})</span>
      </h2>
      <div className="actions">
        {CHART_RANGES.map(([label, ms]) => (
          <button
            key={label}
            type="button"
            className={`btn btn-small${zoom === null && spanMs === ms ? ' active' : ''}`}
            onClick={() => {
              setZoom(null);
              setSpanMs(ms);
            }}
            data-testid={`rule-chart-range-${label}`}
          >
            last {label}
          </button>
        ))}
      </div>
      {query.error ? <ErrorState error={query.error} what="Reading the rule's series" /> : null}
      {data && data.points.length === 0 ? <p className="muted" data-testid="rule-chart-empty">No profiles for this selection in the range.</p> : null}
      {data && series[0]!.points.length > 0 ? (
        <Timeline series={series} fromMs={data.fromMs} untilMs={data.untilMs} unit={data.unit} onSelectRange={(fromMs, untilMs) => setZoom({ fromMs, untilMs })} heightCssPx={160} />
      ) : null}
      {gaps > 0 ? (
        <p className="muted" data-testid="rule-chart-gaps">
          {gaps} point(s) left out: fewer than {rule.thresholds.minProfiles} profiles in the bucket (the rule's minimum).
        </p>
      ) : null}
    </section>
  );
}

export function RulesPage({ client }: { client: ApiClient }): JSX.Element {
  const [generation, setGeneration] = useState(0);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<{ id: string; text: string } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const list = useQuery<RuleView[]>(`rules|${generation}`, (signal) => client.rules(signal));
  const refresh = (): void => setGeneration((g) => g + 1);
  const selectedRule = list.data?.find((v) => v.rule.id === selected)?.rule ?? null;
  // States change on the server's schedule, not on this page's: re-read them every few seconds.
  useEffect(() => {
    const timer = setInterval(() => setGeneration((g) => g + 1), RULES_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const test = (rule: AlertRule): void => {
    setTestResult({ id: rule.id, text: 'sending…' });
    client
      .testRule(rule.id, new AbortController().signal)
      .then((deliveries) => {
        setTestResult({ id: rule.id, text: deliveries.map((d) => `${d.url}: ${d.ok ? `delivered (HTTP ${d.httpStatus})` : `failed (${d.error})`}`).join('; ') });
        setSelected(rule.id);
        refresh();
      })
      .catch((e: unknown) => setTestResult({ id: rule.id, text: e instanceof Error ? e.message : String(e) }));
  };
  const remove = (rule: AlertRule): void => {
    setActionError(null);
    client
      .deleteRule(rule.id, new AbortController().signal)
      .then(() => {
        if (selected === rule.id) setSelected(null);
        refresh();
      })
      .catch((e: unknown) => setActionError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <div className="page" data-testid="rules-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>Alert and recording rules</h1>
        <AppNav current="/rules" />
      </header>
      <main className="explore-main">
        {editing !== null ? (
          <RuleEditor
            key={editing === 'new' ? 'new' : editing.id}
            client={client}
            editing={editing === 'new' ? null : editing}
            onSaved={() => {
              setEditing(null);
              refresh();
            }}
            onCancel={() => setEditing(null)}
          />
        ) : null}
        <FiringAlerts client={client} generation={generation} linkToRules={false} />
        <section className="panel" data-testid="rules-list">
          <div className="panel-title">
            <h2>Rules</h2>
            <button type="button" className="btn btn-small" onClick={() => setEditing('new')} data-testid="rule-new">
              New rule
            </button>
          </div>
          {list.error ? <ErrorState error={list.error} what="Listing rules" /> : null}
          {actionError ? <p className="error-text" role="alert">{actionError}</p> : null}
          {list.data && list.data.length === 0 ? <p className="muted">No rules yet. Create one, add them through /api/v1/rules, or load a YAML file with --rules-file.</p> : null}
          {list.data && list.data.length > 0 ? (
            <div className="table-scroll">
              <table className="top-table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Selection</th>
                    <th>State</th>
                    <th>Last ratio (or rate)</th>
                    <th>Last evaluation</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.data.map(({ rule, status }) => (
                    <tr key={rule.id} data-testid={`rule-row-${rule.name}`}>
                      <td>
                        <button type="button" className="linklike" onClick={() => setSelected(rule.id)}>
                          {rule.name}
                        </button>
                        {rule.source === 'file' ? <span className="chip">rules file</span> : null}
                        {rule.enabled ? null : <span className="chip">disabled</span>}
                        {rule.kind === 'recording' ? <span className="chip">recording</span> : null}
                      </td>
                      <td>
                        <code>{rule.query}</code>
                      </td>
                      <td data-testid={`rule-state-${rule.name}`} className={status.state === 'firing' ? 'level-alert' : status.state === 'pending' ? 'level-warn' : undefined}>
                        {status.state}
                        {status.severity ? ` (${status.severity})` : ''}
                      </td>
                      <td className="num" data-testid={`rule-value-${rule.name}`}>
                        {status.lastEvaluationMs === null
                          ? '—'
                          : rule.kind === 'recording'
                            ? `${formatValue(status.lastValuePerSecond ?? 0, rule.query.split(':')[2] ?? '')}/s`
                            : ratioText(status.lastRatio)}
                      </td>
                      <td className="muted">
                        {status.lastEvaluationMs ? formatDateTime(status.lastEvaluationMs) : 'not yet'}
                        {status.lastNote ? ` · ${status.lastNote}` : ''}
                      </td>
                      <td>
                        <button type="button" className="btn btn-small" disabled={rule.source === 'file'} onClick={() => setEditing(rule)} data-testid={`rule-edit-${rule.name}`}>
                          Edit
                        </button>{' '}
                        <button type="button" className="btn btn-small" disabled={rule.notify.length === 0} onClick={() => test(rule)} data-testid={`rule-test-${rule.name}`}>
                          Send test
                        </button>{' '}
                        <button type="button" className="btn btn-small" disabled={rule.source === 'file'} onClick={() => remove(rule)} data-testid={`rule-delete-${rule.name}`}>
                          Delete
                        </button>
                        {testResult?.id === rule.id ? (
                          <div className="muted" data-testid="rule-test-result">
                            {testResult.text}
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
        {selectedRule ? <RuleChart client={client} rule={selectedRule} /> : null}
        {selected ? (
          <section className="panel" data-testid="rule-deliveries">
            <h2>Deliveries of “{list.data?.find((v) => v.rule.id === selected)?.rule.name ?? selected}”</h2>
            <DeliveryLog client={client} id={selected} generation={generation} />
          </section>
        ) : null}
      </main>
    </div>
  );
}
