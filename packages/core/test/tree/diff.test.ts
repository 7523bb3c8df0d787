import { describe, expect, it } from 'vitest';
import { CallTreeBuilder, diffTable, durationScale, type CallTree } from '@cinder/core';

/** Text DSL: "main;a 3, main;b 1" → tree. */
function tree(text: string): CallTree {
  const builder = new CallTreeBuilder();
  for (const part of text.split(',')) {
    const [stack, value] = part.trim().split(' ');
    builder.addStack(stack!.split(';'), Number(value));
  }
  return builder.build();
}

const pick = (rows: ReturnType<typeof diffTable>, name: string) => rows.find((r) => r.name === name)!;

describe('diffTable', () => {
  const baseline = tree('main;a 3, main;b 1');
  const comparison = tree('main;a 1, main;b 4, main;c 2');

  it('absolute mode: values as measured, new and removed functions', () => {
    const rows = diffTable(baseline, comparison, { mode: 'absolute' });
    expect(pick(rows, 'a')).toMatchObject({ baselineTotal: 3, comparisonTotal: 1, change: -2, status: 'shrank' });
    expect(pick(rows, 'a').changeRatio).toBeCloseTo(-2 / 3);
    expect(pick(rows, 'b')).toMatchObject({ baselineTotal: 1, comparisonTotal: 4, change: 3, changeRatio: 3, status: 'grew' });
    expect(pick(rows, 'c')).toMatchObject({ baselineTotal: 0, comparisonTotal: 2, status: 'new', changeRatio: Infinity });
    expect(pick(rows, 'main')).toMatchObject({ baselineTotal: 4, comparisonTotal: 7, change: 3 });
    // Sorted by size of change.
    expect(rows.map((r) => r.name)).toEqual(['b', 'main', 'a', 'c']);
  });

  it('relative mode: shares of each side, so uniform growth is no change', () => {
    const rows = diffTable(tree('main;a 1, main;b 3'), tree('main;a 2, main;b 6'), { mode: 'relative' });
    expect(pick(rows, 'a')).toMatchObject({ baselineTotal: 0.25, comparisonTotal: 0.25, status: 'unchanged' });
    expect(pick(rows, 'b').status).toBe('unchanged');
    const shifted = diffTable(baseline, comparison, { mode: 'relative' });
    expect(pick(shifted, 'a').baselineTotal).toBeCloseTo(0.75);
    expect(pick(shifted, 'a').comparisonTotal).toBeCloseTo(1 / 7);
    expect(pick(shifted, 'b').status).toBe('grew');
  });

  it('relative mode paints unchanged code red after an optimisation elsewhere; absolute does not', () => {
    // "b" was optimised away; "a" did exactly the same work.
    const before = tree('main;a 5, main;b 5');
    const after = tree('main;a 5, main;b 1');
    expect(pick(diffTable(before, after, { mode: 'relative' }), 'a').status).toBe('grew');
    expect(pick(diffTable(before, after, { mode: 'absolute' }), 'a').status).toBe('unchanged');
  });

  it('absolute mode normalises ranges of different length', () => {
    expect(durationScale(3_600_000, 7_200_000)).toBe(2);
    expect(durationScale(0, 10)).toBe(1);
    // 1 h baseline, 2 h comparison, the same rate: no change once normalised.
    const rows = diffTable(tree('main;a 3'), tree('main;a 6'), { mode: 'absolute', baselineScale: durationScale(3_600_000, 7_200_000) });
    expect(pick(rows, 'a')).toMatchObject({ baselineTotal: 6, comparisonTotal: 6, status: 'unchanged' });
  });

  it('a removed function', () => {
    const rows = diffTable(tree('main;gone 2, main 1'), tree('main 1'), { mode: 'absolute' });
    expect(pick(rows, 'gone')).toMatchObject({ status: 'removed', changeRatio: -1, change: -2 });
  });
});

describe('diff flame graph for drawing', () => {
  it('combines both sides into one consistent layout (spec §3.4 example)', async () => {
    const { diffFlameGraph, diffToFlameGraph, decodeLevels, diffColor, DIFF_COLORS } = await import('@cinder/core');
    const diff = diffFlameGraph(tree('main;a 3, main;b 1'), tree('main;a 1, main;b 4'));
    const combined = diffToFlameGraph(diff);
    const frames = decodeLevels(combined.flamegraph);
    const byName = (name: string) => Array.from({ length: frames.count }, (_, i) => i).find((i) => combined.flamegraph.names[frames.nameIndex[i]!] === name)!;
    expect(frames.totalValue).toBe(9);
    expect([combined.leftTotal[byName('a')], combined.rightTotal[byName('a')]]).toEqual([3, 1]);
    expect([combined.leftTotal[byName('b')], combined.rightTotal[byName('b')]]).toEqual([1, 4]);
    // a then b, side by side inside main.
    expect(frames.startValue[byName('a')]).toBe(0);
    expect(frames.startValue[byName('b')]).toBe(4);
    expect(frames.totalValues[byName('b')]).toBe(5);
    expect(diffColor(3, 1, 4, 5, 'absolute')).toMatch(/^hsl\(125/);
    expect(diffColor(1, 4, 4, 5, 'absolute')).toMatch(/^hsl\(0,/);
    expect(diffColor(0, 4, 4, 5, 'absolute')).toBe(DIFF_COLORS.new);
    expect(diffColor(4, 0, 4, 5, 'absolute')).toBe(DIFF_COLORS.removed);
    expect(diffColor(2, 4, 2, 4, 'relative')).toBe(DIFF_COLORS.unchanged);
  });
});

describe('regression thresholds', () => {
  it('warns at 120 % and alerts at 150 % of the baseline', async () => {
    const { regressionLevel } = await import('@cinder/core');
    expect(regressionLevel(100, 119)).toBe('ok');
    expect(regressionLevel(100, 120)).toBe('warn');
    expect(regressionLevel(100, 149)).toBe('warn');
    expect(regressionLevel(100, 150)).toBe('alert');
    expect(regressionLevel(100, 50)).toBe('ok');
    expect(regressionLevel(0, 5)).toBe('alert');
    expect(regressionLevel(0, 0)).toBe('ok');
  });
});
