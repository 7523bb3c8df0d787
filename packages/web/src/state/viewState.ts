/**
 * Everything a person can change on a page lives in the URL, so reload, back/forward and a pasted link
 * all give the same view. This module is the one mapping between the URL and the typed view state;
 * defaults are left out of the URL to keep links short.
 */
import type { Matcher } from '@cinder/core';
import { formatFilterParam, parseFilterParam } from './selector.js';
import { REFRESH_CHOICES, type RefreshValue } from './time.js';

export type FlameView = 'flamegraph' | 'table' | 'both' | 'sandwich' | 'calltree';

/** icicle = root at the top (Pyroscope's default); flame = root at the bottom (Brendan Gregg's). */
export type FlameOrientation = 'icicle' | 'flame';

export interface ViewState {
  /** Empty = all services. */
  services: string[];
  /** Profile type ID; "" = pick the first one the service has. */
  profileType: string;
  from: string;
  until: string;
  refresh: RefreshValue;
  filters: Matcher[];
  /** Label to split the timeline by ("" = one series per service). */
  groupBy: string;
  /** Zoomed frame as a root-first path of names. */
  focus: string[];
  search: string;
  searchRegex: boolean;
  /** Function picked in the top table / sandwich. */
  selectedFunction: string;
  view: FlameView;
  kiosk: boolean;
  /** Stored profiles opened by id (a timeline exemplar or a heatmap cell); empty = every profile in range. */
  profiles: string[];
  /** The timeline panel as lines or as a heatmap of per-profile totals. */
  timelineView: TimelineView;
  /** Frame filters applied on the server, in core's text form (`hide:re:^runtime\.`, `preset:go-runtime`, …). */
  frameFilters: string[];
  orientation: FlameOrientation;
}

export type TimelineView = 'lines' | 'heatmap';

export const DEFAULT_VIEW_STATE: ViewState = {
  services: [],
  profileType: '',
  from: 'now-1h',
  until: 'now',
  // Off until someone switches it on: a refresh re-runs every query, and a view that moves by itself surprises.
  refresh: 'off',
  filters: [],
  groupBy: '',
  focus: [],
  search: '',
  searchRegex: false,
  selectedFunction: '',
  view: 'both',
  kiosk: false,
  profiles: [],
  timelineView: 'lines',
  frameFilters: [],
  orientation: 'icicle',
};

const FOCUS_SEPARATOR = ';';
const VIEWS: readonly FlameView[] = ['flamegraph', 'table', 'both', 'sandwich', 'calltree'];

export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const refresh = params.get('refresh');
  const view = params.get('view');
  const focus = params.get('focus');
  return {
    services: params.getAll('service').filter((s) => s !== ''),
    profileType: params.get('type') ?? DEFAULT_VIEW_STATE.profileType,
    from: params.get('from') ?? DEFAULT_VIEW_STATE.from,
    until: params.get('until') ?? DEFAULT_VIEW_STATE.until,
    refresh: REFRESH_CHOICES.some((c) => c.value === refresh) ? (refresh as RefreshValue) : DEFAULT_VIEW_STATE.refresh,
    filters: params.getAll('filter').flatMap((f) => {
      const matcher = parseFilterParam(f);
      return matcher ? [matcher] : [];
    }),
    groupBy: params.get('groupBy') ?? '',
    // Frame names may contain ';' only in exotic profilers; collapsed stacks forbid it too, so it is a safe separator.
    focus: focus ? focus.split(FOCUS_SEPARATOR) : [],
    search: params.get('search') ?? '',
    searchRegex: params.get('regex') === '1',
    selectedFunction: params.get('fn') ?? '',
    view: VIEWS.includes(view as FlameView) ? (view as FlameView) : DEFAULT_VIEW_STATE.view,
    kiosk: params.get('kiosk') === '1' || params.get('kiosk') === 'true',
    profiles: (params.get('profile') ?? '').split(',').filter((id) => id !== ''),
    timelineView: params.get('timeline') === 'heatmap' ? 'heatmap' : 'lines',
    // Not `filter`: that one is the label chips'.
    frameFilters: params.getAll('frameFilter').filter((f) => f !== ''),
    orientation: params.get('orientation') === 'flame' ? 'flame' : 'icicle',
  };
}

export function formatViewState(state: ViewState): string {
  const params = new URLSearchParams();
  for (const service of state.services) params.append('service', service);
  if (state.profileType) params.set('type', state.profileType);
  if (state.from !== DEFAULT_VIEW_STATE.from || state.until !== DEFAULT_VIEW_STATE.until) {
    params.set('from', state.from);
    params.set('until', state.until);
  }
  if (state.refresh !== DEFAULT_VIEW_STATE.refresh) params.set('refresh', state.refresh);
  for (const filter of state.filters) params.append('filter', formatFilterParam(filter));
  if (state.groupBy) params.set('groupBy', state.groupBy);
  if (state.focus.length > 0) params.set('focus', state.focus.join(FOCUS_SEPARATOR));
  if (state.search) params.set('search', state.search);
  if (state.searchRegex) params.set('regex', '1');
  if (state.selectedFunction) params.set('fn', state.selectedFunction);
  if (state.view !== DEFAULT_VIEW_STATE.view) params.set('view', state.view);
  if (state.kiosk) params.set('kiosk', '1');
  if (state.profiles.length > 0) params.set('profile', state.profiles.join(','));
  if (state.timelineView !== DEFAULT_VIEW_STATE.timelineView) params.set('timeline', state.timelineView);
  for (const frameFilter of state.frameFilters) params.append('frameFilter', frameFilter);
  if (state.orientation !== DEFAULT_VIEW_STATE.orientation) params.set('orientation', state.orientation);
  const text = params.toString();
  return text ? `?${text}` : '';
}
