import { describe, expect, it } from 'vitest';
import { decodeLevels, diffToFlameGraph } from '@cinder/core';
import { brushSide, compareSides, describeMatchers, readCompareState, timelineRange, writeCompareState } from '../src/compare/compareState.js';
import { diffFrameDetails } from '../src/flamegraph/diffTooltip.js';
import { bandRects } from '../src/timeline/compareBands.js';

const HOUR = 3_600_000;
const view = { fromMs: 10 * HOUR, untilMs: 11 * HOUR };

describe('compare state in the URL', () => {
  it('round-trips brushed ranges and per-side label filters; defaults stay out of the URL', () => {
    const url = '/compare?service=api&type=cpu&preset=ranges&bfrom=1000&buntil=2000&cfrom=3000&cuntil=5000&bfilter=env%3Dprod&cfilter=env%3D%7Estag.*';
    const state = readCompareState(url.slice('/compare'.length));
    expect(state.baselineRange).toEqual({ fromMs: 1000, untilMs: 2000 });
    expect(state.comparisonRange).toEqual({ fromMs: 3000, untilMs: 5000 });
    expect(state.baselineFilters).toEqual([{ name: 'env', op: '=', value: 'prod' }]);
    expect(state.comparisonFilters).toEqual([{ name: 'env', op: '=~', value: 'stag.*' }]);
    expect(writeCompareState(state)).toBe(url);
    expect(writeCompareState(readCompareState(''))).toBe('/compare');
  });

  it('reads the shared `filter=` of the Profiling page as both sides’ filters, and `filter=new` as the table filter', () => {
    const shared = readCompareState('?filter=region%3Deu&bfilter=pod%3Da');
    expect(shared.baselineFilters).toEqual([{ name: 'region', op: '=', value: 'eu' }, { name: 'pod', op: '=', value: 'a' }]);
    expect(shared.comparisonFilters).toEqual([{ name: 'region', op: '=', value: 'eu' }]);
    expect(shared.filter).toBe('all');
    const table = readCompareState('?filter=new');
    expect(table.filter).toBe('new');
    expect(table.baselineFilters).toEqual([]);
  });

  it('ignores a reversed or non-numeric brushed range', () => {
    expect(readCompareState('?bfrom=2000&buntil=1000').baselineRange).toBeNull();
    expect(readCompareState('?cfrom=now-1h&cuntil=now').comparisonRange).toBeNull();
  });
});

describe('the two sides of a comparison', () => {
  const base = readCompareState('');

  it('presets: a day earlier, the previous period, label a vs b', () => {
    expect(compareSides({ ...base, preset: 'day' }, view).baseline).toEqual({ fromMs: 10 * HOUR - 24 * HOUR, untilMs: 11 * HOUR - 24 * HOUR, matchers: [] });
    expect(compareSides({ ...base, preset: 'previous' }, view).baseline).toEqual({ fromMs: 9 * HOUR, untilMs: 10 * HOUR, matchers: [] });
    const labels = compareSides({ ...base, preset: 'labels', label: 'function', baselineValue: 'fast', comparisonValue: 'slow', comparisonFilters: [{ name: 'env', op: '!=', value: 'dev' }] }, view);
    expect(labels.baseline).toEqual({ ...view, matchers: [{ name: 'function', op: '=', value: 'fast' }] });
    expect(describeMatchers(labels.comparison.matchers)).toBe('function="slow", env!="dev"');
  });

  it('brushed ranges, a side not brushed yet taking its half of the view', () => {
    const sides = compareSides({ ...base, preset: 'ranges', baselineRange: { fromMs: 1, untilMs: 2 } }, view);
    expect(sides.baseline).toEqual({ fromMs: 1, untilMs: 2, matchers: [] });
    expect(sides.comparison).toEqual({ fromMs: 10.5 * HOUR, untilMs: 11 * HOUR, matchers: [] });
  });

  it('brushing from a preset keeps the other side where it was shown, and label values become side filters', () => {
    const state = { ...base, preset: 'labels' as const, label: 'function', baselineValue: 'fast', comparisonValue: 'slow', focus: ['a'] };
    const patch = brushSide(state, view, 'comparison', { fromMs: 10.2 * HOUR, untilMs: 10.4 * HOUR });
    expect(patch).toMatchObject({
      preset: 'ranges',
      baselineRange: view,
      comparisonRange: { fromMs: 10.2 * HOUR, untilMs: 10.4 * HOUR },
      baselineFilters: [{ name: 'function', op: '=', value: 'fast' }],
      comparisonFilters: [{ name: 'function', op: '=', value: 'slow' }],
      label: '',
      focus: [],
    });
    const next = compareSides({ ...state, ...patch }, view);
    expect(next.baseline.matchers).toEqual([{ name: 'function', op: '=', value: 'fast' }]);
  });

  it('the timeline takes in both sides', () => {
    const sides = compareSides({ ...base, preset: 'day' }, view);
    expect(timelineRange(view, sides)).toEqual({ fromMs: view.fromMs - 24 * HOUR, untilMs: view.untilMs });
  });
});

describe('compare timeline bands', () => {
  it('maps ranges to pixels, clips to the axis, keeps a thin range 1 px wide and drops one outside', () => {
    const rects = bandRects(
      [
        { side: 'baseline', fromMs: 0, untilMs: 250 },
        { side: 'comparison', fromMs: 900, untilMs: 1500 },
        { side: 'comparison', fromMs: 500, untilMs: 500 },
        { side: 'baseline', fromMs: 2000, untilMs: 3000 },
      ],
      0,
      1000,
      400,
    );
    expect(rects).toEqual([
      { side: 'baseline', leftCssPx: 0, widthCssPx: 100 },
      { side: 'comparison', leftCssPx: 360, widthCssPx: 40 },
      { side: 'comparison', leftCssPx: 200, widthCssPx: 1 },
    ]);
  });
});

describe('diff tooltip', () => {
  // root: left 10, right 6; child "a": left 10, right 0 (removed); child "b": left 0, right 6 (new).
  const api = { names: ['total', 'a', 'b'], levels: [[0, 10, 0, 0, 6, 0, 0], [0, 10, 10, 0, 0, 0, 1, 0, 0, 0, 0, 6, 6, 2]], leftTicks: 10, rightTicks: 6 };
  const combined = diffToFlameGraph(api);
  const frames = decodeLevels(combined.flamegraph);
  const ctx = { leftTotal: combined.leftTotal, rightTotal: combined.rightTotal, leftTicks: 10, rightTicks: 6, unit: 'nanoseconds', mode: 'absolute' as const, baselineScale: 1 };

  it('absolute: raw values, delta and delta %; the scaled baseline when the ranges differ in length', () => {
    expect(diffFrameDetails(frames, 0, ctx)).toMatchObject({ name: 'total', baseline: '10 ns', comparison: '6 ns', delta: '-4 ns', deltaPercent: '-40.0%', change: -4, changeRatio: -0.4 });
    expect(diffFrameDetails(frames, 0, { ...ctx, baselineScale: 0.5 })).toMatchObject({ baseline: '10 ns (×0.500 = 5 ns)', delta: '+1 ns', deltaPercent: '+20.0%' });
  });

  it('new and removed frames say so instead of an infinite or -100 % ratio alone', () => {
    const names = [1, 2].map((i) => diffFrameDetails(frames, i, ctx));
    const removed = names.find((d) => d.name === 'a')!;
    const added = names.find((d) => d.name === 'b')!;
    expect(removed).toMatchObject({ comparison: '0 ns', deltaPercent: '-100% (removed)' });
    expect(added).toMatchObject({ baseline: '0 ns', delta: '+6 ns', deltaPercent: 'new', changeRatio: Number.POSITIVE_INFINITY });
  });

  it('relative: shares of each side, delta in percentage points', () => {
    const d = diffFrameDetails(frames, 0, { ...ctx, mode: 'relative', baselineScale: 3 });
    expect(d).toMatchObject({ baseline: '100.0% (10 ns)', comparison: '100.0% (6 ns)', delta: '0.00 pp', deltaPercent: '0.00%' });
  });
});
