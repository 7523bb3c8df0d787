/** Top functions (self/total), sortable and filterable, linked both ways with the flame graph. */
import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { formatPercent, formatValue, type TopRow } from '@cinder/core';

type SortKey = 'name' | 'self' | 'total';

export interface TopTableProps {
  rows: readonly TopRow[];
  totalValue: number;
  unit: string;
  selectedFunction: string;
  onSelectFunction?: (name: string) => void;
  /** Rows shown at most (the server sends the whole untruncated table). */
  limit?: number;
  /** Share of total at which a row is marked warn / alert (e.g. 0.05, 0.2); omitted = no marking. */
  thresholds?: { warn: number; alert: number };
  testId?: string;
  caption: string;
  /** The flame graph's search: the table shows only matching functions too (an invalid regex filters nothing). */
  search?: string;
  searchRegex?: boolean;
}

/** The flame graph's search as a row test: substring (case-insensitive) or regex; null = no filter. */
export function searchMatcher(search: string | undefined, regex: boolean | undefined): ((name: string) => boolean) | null {
  if (!search) return null;
  if (regex) {
    try {
      const pattern = new RegExp(search, 'i');
      return (name) => pattern.test(name);
    } catch {
      return null;
    }
  }
  const needle = search.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

export function TopTable(props: TopTableProps): JSX.Element {
  const [sortKey, setSortKey] = useState<SortKey>('self');
  const [descending, setDescending] = useState(true);
  const [filter, setFilter] = useState('');
  const selectedRef = useRef<HTMLTableRowElement>(null);
  const limit = props.limit ?? 200;

  const rows = useMemo(() => {
    const needle = filter.toLowerCase();
    const matches = searchMatcher(props.search, props.searchRegex);
    const searched = matches ? props.rows.filter((row) => matches(row.name)) : props.rows;
    const filtered = needle === '' ? [...searched] : searched.filter((row) => row.name.toLowerCase().includes(needle));
    const direction = descending ? -1 : 1;
    filtered.sort((a, b) => {
      if (sortKey === 'name') return direction * a.name.localeCompare(b.name);
      return direction * (a[sortKey] - b[sortKey]) || a.name.localeCompare(b.name);
    });
    return filtered;
  }, [props.rows, filter, sortKey, descending, props.search, props.searchRegex]);

  // A frame clicked in the graph selects its row: bring it into view.
  useEffect(() => {
    selectedRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [props.selectedFunction]);

  const header = (key: SortKey, label: string): JSX.Element => (
    <th scope="col" aria-sort={sortKey === key ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="sort"
        onClick={() => {
          if (sortKey === key) setDescending(!descending);
          else {
            setSortKey(key);
            setDescending(key !== 'name');
          }
        }}
      >
        {label}
        {sortKey === key ? (descending ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );

  const level = (share: number): string => {
    if (!props.thresholds) return '';
    if (share >= props.thresholds.alert) return 'row-alert';
    if (share >= props.thresholds.warn) return 'row-warn';
    return '';
  };

  const shown = rows.slice(0, limit);
  return (
    <div className="top-table" data-testid={props.testId ?? 'top-table'}>
      <input
        type="search"
        className="table-filter"
        placeholder="Filter functions"
        aria-label={`Filter ${props.caption}`}
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
        data-testid="top-table-filter"
      />
      <div className="table-scroll">
        <table>
          <caption className="sr-only">{props.caption}</caption>
          <thead>
            <tr>
              {header('name', 'Function')}
              {header('self', 'Self')}
              <th scope="col">Self %</th>
              {header('total', 'Total')}
              <th scope="col">Total %</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => {
              const selected = row.name === props.selectedFunction;
              const selfShare = props.totalValue > 0 ? row.self / props.totalValue : 0;
              const totalShare = props.totalValue > 0 ? row.total / props.totalValue : 0;
              return (
                <tr
                  key={row.name}
                  ref={selected ? selectedRef : undefined}
                  className={`${selected ? 'selected ' : ''}${level(selfShare)}`}
                  aria-selected={selected}
                  tabIndex={0}
                  onClick={() => props.onSelectFunction?.(selected ? '' : row.name)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' || event.key === ' ') {
                      event.preventDefault();
                      props.onSelectFunction?.(selected ? '' : row.name);
                    }
                  }}
                >
                  <td className="fn" title={row.name}>
                    {row.name}
                  </td>
                  <td className="num">{formatValue(row.self, props.unit)}</td>
                  <td className="num">{formatPercent(selfShare)}</td>
                  <td className="num">{formatValue(row.total, props.unit)}</td>
                  <td className="num">{formatPercent(totalShare)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {rows.length > limit ? <p className="hint">{rows.length - limit} more functions; use the filter to find them.</p> : null}
        {rows.length === 0 ? <p className="hint">No function matches “{[props.search, filter].filter(Boolean).join('” and “')}”.</p> : null}
      </div>
    </div>
  );
}
