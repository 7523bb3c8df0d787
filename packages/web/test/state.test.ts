import { describe, expect, it } from 'vitest';
import { cinderUiUrl, grafanaDashboardUrl, grafanaExploreUrl, resolveGrafanaUrl } from '../src/state/grafana.js';
import { buildQuery, parseFilterParam } from '../src/state/selector.js';
import { describeRange, resolveRange, resolveTime, stepSecondsFor } from '../src/state/time.js';
import { DEFAULT_VIEW_STATE, formatViewState, parseViewState, type ViewState } from '../src/state/viewState.js';
import { matchRoute } from '../src/routes.js';

describe('resolveGrafanaUrl', () => {
  const location = { hostname: 'hsi.lan' };
  it.each([
    [undefined, '/grafana'],
    ['', '/grafana'],
    ['/grafana', '/grafana'],
    ['/monitoring/grafana/', '/monitoring/grafana/'],
    ['http://localhost:3000', 'http://hsi.lan:3000'],
    ['https://127.0.0.1:3000/grafana', 'http://hsi.lan:3000/grafana'],
    ['https://grafana.example.com', 'https://grafana.example.com'],
    ['not a url', 'not a url'],
  ])('%s → %s', (raw, resolved) => {
    expect(resolveGrafanaUrl(raw, location)).toBe(resolved);
  });

  it('builds the header links', () => {
    expect(grafanaDashboardUrl('/grafana/')).toBe('/grafana/d/hsi-profiling/hsi-profiling?orgId=1&theme=dark');
    expect(decodeURIComponent(grafanaExploreUrl('/grafana'))).toBe('/grafana/explore?orgId=1&theme=dark&left={"datasource":"Pyroscope"}');
    expect(cinderUiUrl('', 'http://10.0.0.5:4040')).toBe('http://10.0.0.5:4040/explore');
    expect(cinderUiUrl('https://cinder.example.com/', 'http://x')).toBe('https://cinder.example.com/explore');
  });
});

describe('time ranges', () => {
  const nowMs = Date.UTC(2026, 0, 1, 12);
  it('resolves relative and absolute times', () => {
    expect(resolveTime('now', nowMs)).toBe(nowMs);
    expect(resolveTime('now-15m', nowMs)).toBe(nowMs - 900_000);
    expect(resolveTime('now-7d', nowMs)).toBe(nowMs - 7 * 86_400_000);
    expect(resolveTime('1767225600000', nowMs)).toBe(1767225600000);
    expect(resolveTime('yesterday', nowMs)).toBeNull();
    expect(resolveRange({ from: 'now-1h', until: 'now' }, nowMs)).toEqual({ fromMs: nowMs - 3_600_000, untilMs: nowMs });
  });
  it('describes ranges for people', () => {
    expect(describeRange({ from: 'now-1h', until: 'now' }, nowMs)).toBe('Last 1 hour');
    expect(describeRange({ from: String(nowMs - 60_000), until: String(nowMs) }, nowMs)).toBe('2026-01-01 11:59:00 → 2026-01-01 12:00:00');
  });
  it('picks a step of at least 10 s', () => {
    expect(stepSecondsFor({ fromMs: 0, untilMs: 300_000 })).toBe(10);
    expect(stepSecondsFor({ fromMs: 0, untilMs: 7 * 86_400_000 })).toBe(3024);
  });
});

describe('queries', () => {
  it('builds the query parameter from services and filters', () => {
    const cpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
    expect(buildQuery(cpu, [], [])).toBe(`${cpu}{}`);
    expect(buildQuery(cpu, ['backend'], [])).toBe(`${cpu}{service_name="backend"}`);
    expect(buildQuery(cpu, ['ai.llm', 'backend'], [{ name: 'env', op: '!~', value: 'dev"x' }])).toBe(
      `${cpu}{service_name=~"ai\\\\.llm|backend", env!~"dev\\"x"}`,
    );
  });
  it('parses filters from the URL form', () => {
    expect(parseFilterParam('env=~prod.*')).toEqual({ name: 'env', op: '=~', value: 'prod.*' });
    expect(parseFilterParam('pod!=a=b')).toEqual({ name: 'pod', op: '!=', value: 'a=b' });
    expect(parseFilterParam('=x')).toBeNull();
  });
});

describe('view state in the URL', () => {
  it('round-trips every field', () => {
    const state: ViewState = {
      services: ['backend', 'ai-llm'],
      profileType: 'memory:alloc_space:bytes:space:bytes',
      from: '1767225600000',
      until: '1767229200000',
      refresh: 'off',
      filters: [{ name: 'env', op: '=~', value: 'prod.*' }],
      groupBy: 'pod',
      focus: ['main', 'handler', 'json.Marshal'],
      search: 'alloc|json',
      searchRegex: true,
      selectedFunction: 'json.Marshal',
      view: 'sandwich',
      kiosk: true,
      profiles: ['7f1c0a9e-1', '7f1c0a9e-2'],
      timelineView: 'heatmap',
      frameFilters: ['preset:go-runtime', 'hide:re:^runtime\\.', 'focus:name:main.handler'],
      orientation: 'flame',
    };
    expect(parseViewState(formatViewState(state))).toEqual(state);
  });
  it('leaves defaults out and restores them', () => {
    expect(formatViewState(DEFAULT_VIEW_STATE)).toBe('');
    expect(parseViewState('')).toEqual(DEFAULT_VIEW_STATE);
    expect(parseViewState('?kiosk=1').kiosk).toBe(true);
  });
});

describe('routes', () => {
  it.each([
    ['/pyroscope', 'profiling'],
    ['/profiling/', 'profiling'],
    ['/explore', 'explore'],
    ['/', 'home'],
    ['/nope', 'notFound'],
  ])('%s → %s', (path, route) => {
    expect(matchRoute(path)).toBe(route);
  });
});
