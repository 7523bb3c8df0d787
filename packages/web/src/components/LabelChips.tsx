/**
 * Label filter chips (`region = "eu"`, `pod =~ "api-.*"`): added and removed by the user, names and
 * values suggested by the server for the current selection, kept in the URL by the caller. A regex
 * chip is checked by the server (RE2, the same engine that runs the query), and its 400 message is
 * shown on the chip itself so a bad chip is found without reading the failed graph's error.
 */
import { useState, type JSX } from 'react';
import type { Matcher, MatchOp } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { chipKey, chipText, isRegexChip } from '../state/chips.js';
import { MATCH_OPS } from '../state/selector.js';

export interface LabelFiltersProps {
  client: ApiClient;
  /** The page's query (type + services + these filters) for a list of filters. */
  queryFor: (filters: readonly Matcher[]) => string;
  fromMs: number;
  untilMs: number;
  filters: readonly Matcher[];
  onChange: (filters: Matcher[]) => void;
  /** Timeline group-by (the /explore page); omitted = no group-by picker. */
  groupBy?: { value: string; onChange: (label: string) => void };
}

export function LabelFilters(props: LabelFiltersProps): JSX.Element {
  const { client, queryFor, fromMs, untilMs } = props;
  const [draft, setDraft] = useState<Matcher>({ name: '', op: '=', value: '' });
  // Suggestions come from the selection without its filters, so values a chip excludes stay pickable.
  const baseQuery = queryFor([]);
  const namesQuery = useQuery<string[]>(`${baseQuery}|${fromMs}|${untilMs}`, (signal) => client.labelNames({ query: baseQuery, fromMs, untilMs }, signal));
  const names = (namesQuery.data ?? []).filter((n) => !n.startsWith('__'));
  const valuesQuery = useQuery<string[]>(draft.name === '' ? null : `${draft.name}|${baseQuery}|${fromMs}|${untilMs}`, (signal) =>
    client.labelValues({ name: draft.name, query: baseQuery, fromMs, untilMs }, signal),
  );
  const values = valuesQuery.data ?? [];
  const regexOp = draft.op === '=~' || draft.op === '!~';

  return (
    <div className="label-filters" data-testid="label-filters">
      <div className="chips" data-testid="filter-chips">
        {props.filters.map((filter, index) => (
          <FilterChip
            key={`${chipKey(filter)}#${index}`}
            client={client}
            filter={filter}
            query={isRegexChip(filter) ? queryFor([filter]) : null}
            fromMs={fromMs}
            untilMs={untilMs}
            onRemove={() => props.onChange(props.filters.filter((_, i) => i !== index))}
          />
        ))}
      </div>
      <form
        className="filter-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.name === '') return;
          if (props.filters.some((f) => chipKey(f) === chipKey(draft))) return;
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
          spellCheck={false}
          placeholder={regexOp ? 'regex (RE2)' : 'value'}
          onChange={(event) => setDraft({ ...draft, value: event.target.value })}
          data-testid="filter-value"
        />
        <datalist id="label-values" data-testid="filter-value-suggestions">
          {values.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
        <button type="submit" className="btn btn-small" disabled={draft.name === ''} data-testid="filter-add">
          Add filter
        </button>
      </form>
      {props.groupBy ? <GroupBySelect names={names} value={props.groupBy.value} onChange={props.groupBy.onChange} /> : null}
    </div>
  );
}

function FilterChip(props: { client: ApiClient; filter: Matcher; query: string | null; fromMs: number; untilMs: number; onRemove: () => void }): JSX.Element {
  const { client, query, fromMs, untilMs } = props;
  // The range is left out of the key: a regex is valid or not whatever the range, so a refresh does not re-ask.
  const [range] = useState({ fromMs, untilMs });
  const check = useQuery<string[]>(query, (signal) => client.labelNames({ query: query!, fromMs: range.fromMs, untilMs: range.untilMs }, signal));
  const refused = check.error && check.error.kind === 'http' && check.error.status === 400 ? check.error.message : null;
  const text = chipText(props.filter);
  return (
    <span className={`chip${refused ? ' chip-invalid' : ''}`} data-testid="filter-chip" data-chip={text}>
      <code>{text}</code>
      <button type="button" aria-label={`Remove filter ${text}`} title="Remove this filter" onClick={props.onRemove} data-testid="filter-chip-remove">
        ×
      </button>
      {refused ? (
        <span className="chip-error error-text" role="alert" data-testid="filter-chip-error">
          {refused}
        </span>
      ) : null}
    </span>
  );
}

function GroupBySelect(props: { names: readonly string[]; value: string; onChange: (label: string) => void }): JSX.Element {
  // A group-by from a link stays selectable even when the current range has no such label.
  const names = props.value && !props.names.includes(props.value) ? [...props.names, props.value] : props.names;
  return (
    <label className="field inline">
      <span className="field-label">Group timeline by</span>
      <select value={props.value} onChange={(event) => props.onChange(event.target.value)} data-testid="group-by-select">
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
  );
}
