/** One comparison side's label selector: matcher chips to remove, and a row to add `label op value` (names and values suggested). */
import { useState, type JSX } from 'react';
import type { Matcher, MatchOp } from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { useQuery } from '../hooks/useQuery.js';
import { MATCH_OPS } from '../state/selector.js';
import { SIDE_COLORS, type BandSide } from '../timeline/compareBands.js';

export interface SideFiltersProps {
  client: ApiClient;
  side: BandSide;
  matchers: readonly Matcher[];
  onChange: (next: Matcher[]) => void;
  /** Selection the suggestions come from (profile type and service, no side filters). */
  suggestQuery: string | null;
  fromMs: number;
  untilMs: number;
}

export function SideFilters(props: SideFiltersProps): JSX.Element {
  const { client, side, suggestQuery, fromMs, untilMs } = props;
  const [name, setName] = useState('');
  const [op, setOp] = useState<MatchOp>('=');
  const [value, setValue] = useState('');
  const namesQuery = useQuery<string[]>(suggestQuery ? `cmp-labels|${suggestQuery}|${fromMs}|${untilMs}` : null, (signal) =>
    client.labelNames({ query: suggestQuery!, fromMs, untilMs }, signal),
  );
  const valuesQuery = useQuery<string[]>(suggestQuery && name ? `cmp-values|${suggestQuery}|${name}|${fromMs}|${untilMs}` : null, (signal) =>
    client.labelValues({ name, query: suggestQuery!, fromMs, untilMs }, signal),
  );
  const names = (namesQuery.data ?? []).filter((n) => !n.startsWith('__'));
  const colors = SIDE_COLORS[side];
  const listId = `compare-${side}-values`;
  const add = (): void => {
    if (!name || value === '') return;
    props.onChange([...props.matchers, { name, op, value }]);
    setValue('');
  };
  return (
    <div className="field compare-side-filters" data-testid={`compare-${side}-filters`} style={{ borderLeft: `3px solid ${colors.stroke}`, paddingLeft: 8 }}>
      <span className="field-label">{colors.label} labels</span>
      <div className="time-range-row">
        {props.matchers.map((m, index) => (
          <span key={`${m.name}${m.op}${m.value}|${index}`} className="chip" data-testid={`compare-${side}-chip`}>
            {m.name}
            {m.op}
            {JSON.stringify(m.value)}
            <button type="button" className="btn btn-icon btn-small" aria-label={`Remove ${m.name}${m.op}${m.value} from the ${side}`} onClick={() => props.onChange(props.matchers.filter((_, i) => i !== index))}>
              ×
            </button>
          </span>
        ))}
        <form
          className="time-range-row"
          onSubmit={(event) => {
            event.preventDefault();
            add();
          }}
        >
          <select value={name} onChange={(e) => setName(e.target.value)} aria-label={`${colors.label} label name`} data-testid={`compare-${side}-filter-name`}>
            <option value="">label…</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <select value={op} onChange={(e) => setOp(e.target.value as MatchOp)} aria-label={`${colors.label} match operator`} data-testid={`compare-${side}-filter-op`}>
            {MATCH_OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          <input
            type="text"
            list={listId}
            value={value}
            placeholder="value"
            size={10}
            onChange={(e) => setValue(e.target.value)}
            aria-label={`${colors.label} label value`}
            data-testid={`compare-${side}-filter-value`}
          />
          <datalist id={listId}>
            {(valuesQuery.data ?? []).map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
          <button type="submit" className="btn btn-small" disabled={!name || value === ''} data-testid={`compare-${side}-filter-add`}>
            Add
          </button>
        </form>
      </div>
    </div>
  );
}
