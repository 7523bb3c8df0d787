/** The explorer's pickers: services, profile type, time range, auto-refresh (label filters: LabelChips.tsx). */
import { useEffect, useState, type JSX } from 'react';
import { profileTypeLabels, sortProfileTypes, type ServiceInfo } from '@cinder/core';
import {
  DEFAULT_REFRESH_INTERVAL,
  REFRESH_CHOICES,
  RELATIVE_PRESETS,
  canShiftLater,
  describeRange,
  parseTypedRange,
  shiftRange,
  typedTimeText,
  zoomOutRange,
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

/** A service's profile types by name, in picker order. */
export function serviceTypeNames(service: ServiceInfo): string[] {
  const ids = service.profileTypes.map((t) => t.id);
  const labels = profileTypeLabels(ids);
  return sortProfileTypes(ids).map((id) => labels.get(id) ?? id);
}

export function ProfileTypeSelect(props: { types: readonly string[]; value: string; onChange: (id: string) => void }): JSX.Element {
  const labels = profileTypeLabels(props.types);
  return (
    <label className="field">
      <span className="field-label">Profile type</span>
      <select value={props.value} onChange={(event) => props.onChange(event.target.value)} data-testid="profile-type-select" disabled={props.types.length === 0}>
        {props.types.length === 0 ? <option value="">No profile types in range</option> : null}
        {sortProfileTypes(props.types).map((id) => (
          <option key={id} value={id} title={id}>
            {labels.get(id)}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Time range: presets from 5 minutes to 30 days, a typed range (`now-2h` → `now`, or times in the
 * app's format), and buttons to shift one width earlier or later and to zoom out ×2.
 */
export function TimeRangePicker(props: { range: TimeRange; nowMs: number; onChange: (range: TimeRange) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [fromText, setFromText] = useState('');
  const [untilText, setUntilText] = useState('');
  const { range, nowMs } = props;
  const toggle = (): void => {
    // Filled on opening, in the same render, so the form never shows the previous range's text.
    if (!open) {
      setFromText(typedTimeText(range.from, nowMs));
      setUntilText(typedTimeText(range.until, nowMs));
    }
    setOpen(!open);
  };
  const typed = parseTypedRange(fromText, untilText, nowMs);
  const laterPossible = canShiftLater(range, nowMs);
  return (
    <div className="field" data-testid="time-range-picker">
      <span className="field-label">Time range</span>
      <div className="time-range-row">
        <button type="button" className="btn btn-icon" aria-label="Shift the range earlier" title="Earlier by one range width" onClick={() => props.onChange(shiftRange(range, nowMs, -1))} data-testid="time-shift-earlier">
          ◀
        </button>
        <button type="button" className="select-button" aria-expanded={open} onClick={toggle} data-testid="time-range-button">
          {describeRange(range, nowMs)}
        </button>
        <button
          type="button"
          className="btn btn-icon"
          aria-label="Shift the range later"
          title={laterPossible ? 'Later by one range width' : 'The range already ends now'}
          disabled={!laterPossible}
          onClick={() => props.onChange(shiftRange(range, nowMs, 1))}
          data-testid="time-shift-later"
        >
          ▶
        </button>
        <button type="button" className="btn btn-icon" aria-label="Zoom out" title="Zoom out (twice the range)" onClick={() => props.onChange(zoomOutRange(range, nowMs))} data-testid="time-zoom-out">
          −
        </button>
      </div>
      {open ? (
        <div className="popover time-popover">
          <div className="presets" data-testid="time-presets">
            {RELATIVE_PRESETS.map((preset) => (
              <button
                key={preset.from}
                type="button"
                className={`btn btn-small${range.from === preset.from && range.until === 'now' ? ' active' : ''}`}
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
              if ('error' in typed) return;
              props.onChange(typed.range);
              setOpen(false);
            }}
          >
            <label>
              From <input type="text" value={fromText} spellCheck={false} placeholder="now-2h" onChange={(event) => setFromText(event.target.value)} data-testid="time-from" />
            </label>
            <label>
              To <input type="text" value={untilText} spellCheck={false} placeholder="now" onChange={(event) => setUntilText(event.target.value)} data-testid="time-until" />
            </label>
            <button type="submit" className="btn btn-small" disabled={'error' in typed}>
              Apply
            </button>
            {'error' in typed ? (
              <span className="hint" role="alert" data-testid="time-range-error">
                {typed.error}
              </span>
            ) : null}
          </form>
          <p className="hint">
            Relative: <code>now-15m</code>, <code>now-2h</code>, <code>now-7d</code>. Absolute: <code>2026-01-31 14:05</code>, in your browser&apos;s time zone (
            {Intl.DateTimeFormat().resolvedOptions().timeZone}).
          </p>
        </div>
      ) : null}
    </div>
  );
}

/** Auto-refresh: off unless switched on (a refresh re-runs every query), then every chosen interval. */
export function RefreshSelect(props: { value: RefreshValue; onChange: (value: RefreshValue) => void }): JSX.Element {
  const on = props.value !== 'off';
  const [interval, setRefreshInterval] = useState<RefreshValue>(on ? props.value : DEFAULT_REFRESH_INTERVAL);
  useEffect(() => {
    if (props.value !== 'off') setRefreshInterval(props.value);
  }, [props.value]);
  return (
    <div className="field">
      <span className="field-label">Auto-refresh</span>
      <div className="time-range-row">
        <button type="button" className={`btn btn-small${on ? ' active' : ''}`} aria-pressed={on} onClick={() => props.onChange(on ? 'off' : interval)} data-testid="auto-refresh-toggle">
          {on ? 'On' : 'Off'}
        </button>
        <select aria-label="Auto-refresh interval" value={interval} disabled={!on} onChange={(event) => props.onChange(event.target.value as RefreshValue)} data-testid="auto-refresh-select">
          {REFRESH_CHOICES.filter((choice) => choice.value !== 'off').map((choice) => (
            <option key={choice.value} value={choice.value}>
              every {choice.label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
