import { describe, expect, it } from 'vitest';
import { alignSeries, seriesStats } from '../src/timeline/timelineData.js';

describe('timeline data for uPlot', () => {
  it('aligns series on one x column in seconds, null where a series has no point', () => {
    const aligned = alignSeries([
      { label: 'a', points: [[1000, 5], [3000, 1]] },
      { label: 'b', points: [[2000, 7]] },
    ]);
    expect(aligned).toEqual([
      [1, 2, 3],
      [5, null, 1],
      [null, 7, null],
    ]);
  });

  it('gives empty columns for no data and legend stats per series', () => {
    expect(alignSeries([])).toEqual([[]]);
    expect(seriesStats({ label: 'x', points: [[1, 2], [2, 6]] })).toEqual({ mean: 4, max: 6 });
    expect(seriesStats({ label: 'x', points: [] })).toEqual({ mean: 0, max: 0 });
  });
});
