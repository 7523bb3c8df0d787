import { describe, expect, it } from 'vitest';
import { profileTypeAggregation } from '../src/index.js';

describe('profileTypeAggregation', () => {
  it.each([
    ['memory:inuse_space:bytes:space:bytes', 'average'],
    ['memory:inuse_objects:count:space:bytes', 'average'],
    ['memory:inuse-space:bytes::', 'average'],
    ['memory:space:bytes::', 'average'],
    ['memory:live:count::', 'average'],
    ['goroutine:goroutine:count:goroutine:count', 'average'],
    ['goroutines:goroutines:count::', 'average'],
    ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'sum'],
    ['wall:cpu:nanoseconds:cpu:nanoseconds', 'sum'],
    ['memory:alloc_space:bytes:space:bytes', 'sum'],
    ['memory:alloc_objects:count:space:bytes', 'sum'],
    ['mutex:delay:nanoseconds:contentions:count', 'sum'],
    ['block:contentions:count::', 'sum'],
    ['exceptions:samples:count::', 'sum'],
  ] as const)('%s → %s', (id, aggregation) => {
    expect(profileTypeAggregation(id)).toBe(aggregation);
  });
});
