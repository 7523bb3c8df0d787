/**
 * The /compare page's state as it travels in the URL, and the two sides (range + label matchers) it
 * describes. Pure: the page, the timeline and the tests all read the same answers from here.
 */
import type { Matcher } from '@cinder/core';
import { formatFilterParam, parseFilterParam } from '../state/selector.js';

/** `ranges`: two ranges brushed on the timeline; the others derive the baseline from the view range. */
export type ComparePreset = 'day' | 'previous' | 'labels' | 'ranges';
export type DiffFilter = 'all' | 'new' | 'removed' | 'changed';
export type DiffSort = 'absolute' | 'relative';
export type CompareSideName = 'baseline' | 'comparison';

export interface MsRange {
  fromMs: number;
  untilMs: number;
}

export interface CompareState {
  /** "" = all services. */
  service: string;
  type: string;
  /** The view range (the comparison side for the `day` and `previous` presets). */
  from: string;
  until: string;
  preset: ComparePreset;
  label: string;
  baselineValue: string;
  comparisonValue: string;
  /** Brushed ranges (`ranges` preset); null = not brushed yet. */
  baselineRange: MsRange | null;
  comparisonRange: MsRange | null;
  /** Extra label matchers per side, on top of what the preset adds. */
  baselineFilters: Matcher[];
  comparisonFilters: Matcher[];
  mode: 'absolute' | 'relative';
  normalize: boolean;
  view: 'diff' | 'side';
  filter: DiffFilter;
  sort: DiffSort;
  focus: string[];
}

export interface CompareSide extends MsRange {
  matchers: Matcher[];
}

const DAY_MS = 86_400_000;
const PRESETS: readonly ComparePreset[] = ['day', 'previous', 'labels', 'ranges'];

function readRange(p: URLSearchParams, fromKey: string, untilKey: string): MsRange | null {
  const fromText = p.get(fromKey) ?? '';
  const untilText = p.get(untilKey) ?? '';
  if (!/^\d{1,15}$/.test(fromText) || !/^\d{1,15}$/.test(untilText)) return null;
  const fromMs = Number(fromText);
  const untilMs = Number(untilText);
  return fromMs < untilMs ? { fromMs, untilMs } : null;
}

function readFilters(p: URLSearchParams, key: string): Matcher[] {
  return p.getAll(key).flatMap((text) => {
    const matcher = parseFilterParam(text);
    return matcher ? [matcher] : [];
  });
}

/**
 * `filter=` (what the Profiling and Explore pages call their label filters) applies to both sides;
 * `bfilter=` / `cfilter=` to one side each. Only the per-side forms are written back. `filter=new`
 * etc. is the diff table's filter (older links): those words have no operator, so they never read as
 * a matcher, and a matcher never reads as a table filter.
 */
export function readCompareState(search: string): CompareState {
  const p = new URLSearchParams(search);
  const preset = p.get('preset');
  const shared = readFilters(p, 'filter');
  return {
    service: p.get('service') ?? '',
    type: p.get('type') ?? '',
    from: p.get('from') ?? 'now-1h',
    until: p.get('until') ?? 'now',
    preset: PRESETS.find((x) => x === preset) ?? 'day',
    label: p.get('label') ?? '',
    baselineValue: p.get('a') ?? '',
    comparisonValue: p.get('b') ?? '',
    baselineRange: readRange(p, 'bfrom', 'buntil'),
    comparisonRange: readRange(p, 'cfrom', 'cuntil'),
    baselineFilters: [...shared, ...readFilters(p, 'bfilter')],
    comparisonFilters: [...shared, ...readFilters(p, 'cfilter')],
    mode: p.get('mode') === 'relative' ? 'relative' : 'absolute',
    normalize: p.get('normalize') !== '0',
    view: p.get('view') === 'side' ? 'side' : 'diff',
    filter: (['new', 'removed', 'changed'] as const).find((f) => f === p.get('filter')) ?? 'all',
    sort: p.get('sort') === 'relative' ? 'relative' : 'absolute',
    focus: p.get('focus') ? p.get('focus')!.split(';') : [],
  };
}

export function writeCompareState(state: CompareState): string {
  const p = new URLSearchParams();
  const set = (key: string, value: string, fallback: string): void => {
    if (value !== fallback) p.set(key, value);
  };
  set('service', state.service, '');
  set('type', state.type, '');
  set('from', state.from, 'now-1h');
  set('until', state.until, 'now');
  set('preset', state.preset, 'day');
  set('label', state.label, '');
  set('a', state.baselineValue, '');
  set('b', state.comparisonValue, '');
  if (state.baselineRange) {
    p.set('bfrom', String(state.baselineRange.fromMs));
    p.set('buntil', String(state.baselineRange.untilMs));
  }
  if (state.comparisonRange) {
    p.set('cfrom', String(state.comparisonRange.fromMs));
    p.set('cuntil', String(state.comparisonRange.untilMs));
  }
  for (const m of state.baselineFilters) p.append('bfilter', formatFilterParam(m));
  for (const m of state.comparisonFilters) p.append('cfilter', formatFilterParam(m));
  set('mode', state.mode, 'absolute');
  set('normalize', state.normalize ? '1' : '0', '1');
  set('view', state.view, 'diff');
  set('filter', state.filter, 'all');
  set('sort', state.sort, 'absolute');
  set('focus', state.focus.join(';'), '');
  const text = p.toString();
  return `/compare${text ? `?${text}` : ''}`;
}

type SideInputs = Pick<CompareState, 'preset' | 'label' | 'baselineValue' | 'comparisonValue' | 'baselineRange' | 'comparisonRange' | 'baselineFilters' | 'comparisonFilters'>;

/**
 * The two sides a state describes. Presets: `day` = the view range one day earlier, `previous` = the
 * range of the same length just before, `labels` = the view range with label=a vs label=b, `ranges` =
 * the brushed ranges (a side not brushed yet takes its half of the view range, so the page always
 * has something to show).
 */
export function compareSides(state: SideInputs, view: MsRange): { baseline: CompareSide; comparison: CompareSide } {
  const lengthMs = view.untilMs - view.fromMs;
  const labelMatcher = (value: string): Matcher[] => (state.label && value ? [{ name: state.label, op: '=', value }] : []);
  if (state.preset === 'labels') {
    return {
      baseline: { ...view, matchers: [...labelMatcher(state.baselineValue), ...state.baselineFilters] },
      comparison: { ...view, matchers: [...labelMatcher(state.comparisonValue), ...state.comparisonFilters] },
    };
  }
  if (state.preset === 'ranges') {
    const middleMs = view.fromMs + Math.floor(lengthMs / 2);
    return {
      baseline: { ...(state.baselineRange ?? { fromMs: view.fromMs, untilMs: middleMs }), matchers: [...state.baselineFilters] },
      comparison: { ...(state.comparisonRange ?? { fromMs: middleMs, untilMs: view.untilMs }), matchers: [...state.comparisonFilters] },
    };
  }
  const shiftMs = state.preset === 'day' ? DAY_MS : lengthMs;
  return {
    baseline: { fromMs: view.fromMs - shiftMs, untilMs: view.untilMs - shiftMs, matchers: [...state.baselineFilters] },
    comparison: { ...view, matchers: [...state.comparisonFilters] },
  };
}

/** What the timeline shows: the view range, widened to take in both sides so both selections are visible. */
export function timelineRange(view: MsRange, sides: { baseline: MsRange; comparison: MsRange }): MsRange {
  return {
    fromMs: Math.min(view.fromMs, sides.baseline.fromMs, sides.comparison.fromMs),
    untilMs: Math.max(view.untilMs, sides.baseline.untilMs, sides.comparison.untilMs),
  };
}

/**
 * A range brushed for one side: switches to the `ranges` preset, keeping the other side where it
 * was shown (a preset's derived range becomes an explicit one), and drops the zoom (it belonged to
 * the previous pair of profiles).
 */
export function brushSide(state: CompareState, view: MsRange, side: CompareSideName, range: MsRange): Partial<CompareState> {
  const current = compareSides(state, view);
  const keep = (name: CompareSideName): MsRange => ({ fromMs: current[name].fromMs, untilMs: current[name].untilMs });
  // Label-preset matchers become per-side filters, so brushing keeps comparing the same label values.
  const base = { baselineFilters: current.baseline.matchers, comparisonFilters: current.comparison.matchers };
  return {
    preset: 'ranges',
    label: '',
    baselineValue: '',
    comparisonValue: '',
    ...base,
    baselineRange: side === 'baseline' ? range : keep('baseline'),
    comparisonRange: side === 'comparison' ? range : keep('comparison'),
    focus: [],
  };
}

/** `function="fast", env=~"prod.*"`: how a side's matchers read on the page. */
export function describeMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ');
}
