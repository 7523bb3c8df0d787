/** The explorer's pickers: services, profile type, time range, auto-refresh, label filters. */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { compileUserRegex, profileTypeDisplayName, type Matcher, type MatchOp, type ServiceInfo } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { MATCH_OPS } from '../state/selector.js';
import {
  REFRESH_CHOICES,
  RELATIVE_PRESETS,
  describeRange,
  fromDateTimeLocal,
  resolveRange,
  toDateTimeLocal,
  type RefreshValue,
  type TimeRange,
} from '../state/time.js';

export function ServiceSelect(props: { services: readonly ServiceInfo[]; selected: readonly string[]; onChange: (services: string[]) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const all = props.selected.length === 0;
  const names = props.services.map((s) => s.serviceName);
  // A service in the URL that has no data in this range still shows (marked), so the choice is not silently lost.
  const missing = props.selected.filter((s) => !names.includes(s));
  const toggle = (name: string): void => {
    const next = props.selected.includes(name) ? props.selected.filter((s) => s !== name) : [...props.selected, name];
    props.onChange(next.length === names.length + missing.length ? [] : next);
  };
  const label = all ? 'All' : props.selected.join(', ');
  return (
    <div className="field multi-select" data-testid="service-select">
      <span className="field-label" id="service-label">
        Service
      </span>
      <button type="button" className="select-button" aria-haspopup="listbox" aria-expanded={open} aria-labelledby="service-label" onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open ? (
        <div className="popover" role="listbox" aria-multiselectable="true" aria-label="Services">
          <label className="option">
            <input type="checkbox" checked={all} onChange={() => props.onChange([])} /> All
          </label>
          {names.map((name) => (
            <label className="option" key={name}>
              <input type="checkbox" checked={!all && props.selected.includes(name)} onChange={() => toggle(name)} /> {name}
            </label>
          ))}
          {missing.map((name) => (
            <label className="option muted" key={name} title="No data in the chosen range">
              <input type="checkbox" checked onChange={() => toggle(name)} /> {name} (no data in range)
            </label>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
            Done
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function ProfileTypeSelect(props: { types: readonly string[]; value: string; onChange: (id: string) => void }): JSX.Element {
  return (
    <label className="field">
      <span className="field-label">Profile type</span>
      <select value={props.value} onChange={(event) => props.onChange(event.target.value)} data-testid="profile-type-select" disabled={props.types.length === 0}>
        {props.types.length === 0 ? <option value="">No profile types in range</option> : null}
        {props.types.map((id) => (
          <option key={id} value={id} title={id}>
            {profileTypeDisplayName(id)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function TimeRangePicker(props: { range: TimeRange; nowMs: number; onChange: (range: TimeRange) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const resolved = resolveRange(props.range, props.nowMs);
  const [fromText, setFromText] = useState(toDateTimeLocal(resolved.fromMs));
  const [untilText, setUntilText] = useState(toDateTimeLocal(resolved.untilMs));
  useEffect(() => {
    if (!open) return;
    setFromText(toDateTimeLocal(resolved.fromMs));
    setUntilText(toDateTimeLocal(resolved.untilMs));
  }, [open, resolved.fromMs, resolved.untilMs]);
  const fromMs = fromDateTimeLocal(fromText);
  const untilMs = fromDateTimeLocal(untilText);
  const valid = fromMs !== null && untilMs !== null && fromMs < untilMs;
  return (
    <div className="field" data-testid="time-range-picker">
      <span className="field-label">Time range</span>
      <button type="button" className="select-button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="time-range-button">
        {describeRange(props.range, props.nowMs)}
      </button>
      {open ? (
        <div className="popover time-popover">
          <div className="presets">
            {RELATIVE_PRESETS.map((preset) => (
              <button
                key={preset.from}
                type="button"
                className={`btn btn-small${props.range.from === preset.from && props.range.until === 'now' ? ' active' : ''}`}
                onClick={() => {
                  props.onChange({ from: preset.from, until: 'now' });
                  setOpen(false);
                }}
              >
                {preset.label}
              </button>
            ))}
          </div>
          <form
            className="absolute"
            onSubmit={(event) => {
              event.preventDefault();
              if (!valid) return;
              props.onChange({ from: String(fromMs), until: String(untilMs) });
              setOpen(false);
            }}
          >
            <label>
              From <input type="datetime-local" value={fromText} onChange={(event) => setFromText(event.target.value)} data-testid="time-from" />
            </label>
            <label>
              To <input type="datetime-local" value={untilText} onChange={(event) => setUntilText(event.target.value)} data-testid="time-until" />
            </label>
            <button type="submit" className="btn btn-small" disabled={!valid}>
              Apply
            </button>
            {!valid ? <span className="hint">“From” must be before “To”.</span> : null}
          </form>
          <p className="hint">Times are in your browser's time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}).</p>
        </div>
      ) : null}
    </div>
  );
}

export function RefreshSelect(props: { value: RefreshValue; onChange: (value: RefreshValue) => void }): JSX.Element {
  return (
    <label className="field">
      <span className="field-label">Auto-refresh</span>
      <select value={props.value} onChange={(event) => props.onChange(event.target.value as RefreshValue)} data-testid="auto-refresh-select">
        {REFRESH_CHOICES.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Label filters (=, !=, =~, !~) with names and values suggested by the server for the current query. */
export function LabelFilters(props: {
  client: ApiClient;
  baseQuery: string;
  fromMs: number;
  untilMs: number;
  filters: readonly Matcher[];
  onChange: (filters: Matcher[]) => void;
  groupBy: string;
  onGroupBy: (label: string) => void;
}): JSX.Element {
  const [names, setNames] = useState<string[]>([]);
  const [draft, setDraft] = useState<Matcher>({ name: '', op: '=', value: '' });
  const [values, setValues] = useState<string[]>([]);
  const { client, baseQuery, fromMs, untilMs } = props;

  useEffect(() => {
    const controller = new AbortController();
    client
      .labelNames({ query: baseQuery, fromMs, untilMs }, controller.signal)
      .then((list) => setNames(list.filter((n) => !n.startsWith('__'))))
      .catch(() => setNames([]));
    return () => controller.abort();
  }, [client, baseQuery, fromMs, untilMs]);

  useEffect(() => {
    if (draft.name === '') {
      setValues([]);
      return;
    }
    const controller = new AbortController();
    client
      .labelValues({ name: draft.name, query: baseQuery, fromMs, untilMs }, controller.signal)
      .then(setValues)
      .catch(() => setValues([]));
    return () => controller.abort();
  }, [client, baseQuery, fromMs, untilMs, draft.name]);

  const regexOp = draft.op === '=~' || draft.op === '!~';
  const regexError = useMemo(() => {
    if (!regexOp || draft.value === '') return null;
    try {
      compileUserRegex(draft.value);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }, [regexOp, draft.value]);

  return (
    <div className="label-filters" data-testid="label-filters">
      <div className="chips">
        {props.filters.map((filter, index) => (
          <span className="chip" key={`${filter.name}${filter.op}${filter.value}`}>
            <code>
              {filter.name}
              {filter.op}"{filter.value}"
            </code>
            <button type="button" aria-label={`Remove filter ${filter.name}${filter.op}${filter.value}`} onClick={() => props.onChange(props.filters.filter((_, i) => i !== index))}>
              ×
            </button>
          </span>
        ))}
      </div>
      <form
        className="filter-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.name === '' || regexError) return;
          props.onChange([...props.filters, draft]);
          setDraft({ name: draft.name, op: draft.op, value: '' });
        }}
      >
        <select aria-label="Label name" value={draft.name} onChange={(event) => setDraft({ ...draft, name: event.target.value })} data-testid="filter-name">
          <option value="">label…</option>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <select aria-label="Operator" value={draft.op} onChange={(event) => setDraft({ ...draft, op: event.target.value as MatchOp })} data-testid="filter-op">
          {MATCH_OPS.map((op) => (
            <option key={op} value={op}>
              {op}
            </option>
          ))}
        </select>
        <input
          aria-label="Label value"
          list="label-values"
          value={draft.value}
          placeholder={regexOp ? 'regex' : 'value'}
          onChange={(event) => setDraft({ ...draft, value: event.target.value })}
          data-testid="filter-value"
        />
        <datalist id="label-values">
          {values.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
        <button type="submit" className="btn btn-small" disabled={draft.name === '' || regexError !== null} data-testid="filter-add">
          Add filter
        </button>
        {regexError ? <span className="hint error-text">invalid regex: {regexError}</span> : null}
      </form>
      <label className="field inline">
        <span className="field-label">Group timeline by</span>
        <select value={props.groupBy} onChange={(event) => props.onGroupBy(event.target.value)} data-testid="group-by-select">
          <option value="">service_name</option>
          {names
            .filter((n) => n !== 'service_name')
            .map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
        </select>
      </label>
    </div>
  );
}
