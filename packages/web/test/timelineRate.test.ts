import { describe, expect, it } from 'vitest';
import { seriesAsRate, timelineRate, timelineStepSeconds } from '../src/timeline/timelineData.js';

describe('timeline rates', () => {
  it('CPU time per bucket reads as cores, the same at any bucket size', () => {
    const rate = timelineRate('process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    expect(rate.kind).toBe('cores');
    // Half a core: 30 s of CPU in a 60 s bucket, or 15 s in a 30 s bucket.
    expect(rate.toRate(30e9, 60_000)).toBe(0.5);
    expect(rate.toRate(15e9, 30_000)).toBe(0.5);
    expect(rate.format(0.5)).toBe('0.5 cores');
    expect(rate.format(1)).toBe('1 core');
    expect(rate.format(0.005)).toBe('0.005 cores');
    expect(rate.format(0.1234)).toBe('0.12 cores');
    expect(timelineRate('wall:cpu:nanoseconds:cpu:nanoseconds').description).toBe('CPU cores');
    expect(timelineRate('wall:wall:nanoseconds:wall:nanoseconds').format(2)).toBe('2 s/s');
  });
  it('allocations read per second; gauges stay averages', () => {
    const alloc = timelineRate('memory:alloc_space:bytes:space:bytes');
    expect(alloc.toRate(60 * 1024 * 1024, 60_000)).toBe(1024 * 1024);
    expect(alloc.format(1024 * 1024)).toBe('1 MiB/s');
    expect(timelineRate('memory:alloc_objects:count:space:bytes').format(2500)).toBe('2.5k/s');
    const inuse = timelineRate('memory:inuse_space:bytes:space:bytes');
    expect(inuse.kind).toBe('average');
    expect(inuse.toRate(187 * 1024 * 1024, 60_000)).toBe(187 * 1024 * 1024);
    expect(inuse.format(187 * 1024 * 1024)).toBe('187 MiB');
    expect(timelineRate('goroutine:goroutine:count:goroutine:count').kind).toBe('average');
  });
  it('series are converted point by point', () => {
    const rate = timelineRate('process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    expect(seriesAsRate([{ label: 'a', points: [[1000, 30e9], [61_000, 60e9]] }], rate, 60_000)[0]!.points).toEqual([[1000, 0.5], [61_000, 1]]);
  });
  it('bucket lengths are multiples of 30 s, so 5, 10 and 15 s flushes fill every bucket alike', () => {
    const hour = { fromMs: 0, untilMs: 3_600_000 };
    expect(timelineStepSeconds(hour)).toBe(30);
    expect(timelineStepSeconds({ fromMs: 0, untilMs: 86_400_000 })).toBe(600);
    expect(timelineStepSeconds({ fromMs: 0, untilMs: 30 * 86_400_000 })).toBe(10800);
    for (const span of [5 * 60_000, 3_600_000, 6 * 3_600_000, 7 * 86_400_000, 90 * 86_400_000]) {
      const step = timelineStepSeconds({ fromMs: 0, untilMs: span });
      expect(step % 30).toBe(0);
      expect(span / 1000 / step).toBeLessThanOrEqual(240);
    }
  });
});
