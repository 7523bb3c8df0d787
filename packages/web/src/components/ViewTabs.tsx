/** The flame-graph panel's view tabs, shared by stored data (Explore, Profiling) and /upload. */
import type { JSX } from 'react';
import type { FlameView } from '../state/viewState.js';

const TAB_LABELS: ReadonlyArray<[FlameView, string]> = [
  ['both', 'Graph + table'],
  ['flamegraph', 'Flame graph'],
  ['table', 'Top table'],
  ['sandwich', 'Sandwich'],
  ['calltree', 'Call tree'],
];

/** `views`: the tabs offered (all by default), in the order above. */
export function ViewTabs({ view, onChange, views }: { view: FlameView; onChange: (view: FlameView) => void; views?: readonly FlameView[] }): JSX.Element {
  const tabs = views ? TAB_LABELS.filter(([value]) => views.includes(value)) : TAB_LABELS;
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
