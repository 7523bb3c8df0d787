import { describe, expect, it } from 'vitest';
import type { LabelPairs, Profile } from '@cinder/core';
import { defaultLimits } from '../src/ingest/limits.js';
import { validateProfile, type ProfileEnvelope } from '../src/ingest/validate.js';

const NOW_MS = 1_700_000_000_000;

function envelope(): ProfileEnvelope {
  return { tenant: 't', labels: new Map([['__name__', 'process_cpu'], ['service_name', 'api']]), profileTypeIds: ['a', 'b'], timeMs: NOW_MS, profileId: 'p' };
}

/** Five samples; `shared` decides whether equal label sets are one array (as the pprof reader hands them over) or copies. */
function profile(shared: boolean): Profile {
  const fib: LabelPairs = [['handler', 'fib'], ['span_id', '00ff']];
  const copy = (pairs: LabelPairs): LabelPairs => (shared ? pairs : pairs.map(([k, v]) => [k, v] as const));
  return {
    sampleTypes: [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }],
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: 10,
    timeMs: 0,
    durationNs: 0,
    names: ['main', 'fib', 'idle'],
    stacks: [Uint32Array.of(0, 1), Uint32Array.of(0, 1), Uint32Array.of(0, 2), Uint32Array.of(0, 1, 1), Uint32Array.of(0)],
    values: [Float64Array.of(1, 2, 3, 4, 5), Float64Array.of(10, 20, 30, 40, 50)],
    sampleLabels: [fib, copy(fib), null, [['handler', 'other']], copy(fib)],
  };
}

function summary(validated: ReturnType<typeof validateProfile>): unknown {
  return validated.map((v) => ({
    series: v.seriesLabels,
    stacks: v.profile.stacks.map((stack) => Array.from(stack)),
    values: v.profile.values.map((column) => Array.from(column)),
    sampleLabels: v.profile.sampleLabels,
  }));
}

describe('validateProfile groups samples by their labels', () => {
  it('splits by promoted labels, keeps span_id per sample, and picks each group its values', () => {
    expect(summary(validateProfile(profile(true), envelope(), defaultLimits, NOW_MS))).toEqual([
      {
        series: [['__name__', 'process_cpu'], ['handler', 'fib'], ['service_name', 'api']],
        stacks: [[0, 1], [0, 1], [0]],
        values: [[1, 2, 5], [10, 20, 50]],
        sampleLabels: [[['span_id', '00ff']], [['span_id', '00ff']], [['span_id', '00ff']]],
      },
      { series: [['__name__', 'process_cpu'], ['service_name', 'api']], stacks: [[0, 2]], values: [[3], [30]], sampleLabels: [null] },
      { series: [['__name__', 'process_cpu'], ['handler', 'other'], ['service_name', 'api']], stacks: [[0, 1, 1]], values: [[4], [40]], sampleLabels: [null] },
    ]);
  });

  it('gives the same answer whether equal label sets arrive as one shared array or as copies', () => {
    expect(summary(validateProfile(profile(true), envelope(), defaultLimits, NOW_MS))).toEqual(summary(validateProfile(profile(false), envelope(), defaultLimits, NOW_MS)));
  });

  it('still refuses a shared label set with too many labels', () => {
    const limits = { ...defaultLimits, maxLabelsPerSample: 1 };
    expect(() => validateProfile(profile(true), envelope(), limits, NOW_MS)).toThrow(/2 labels, more than the limit of 1/);
  });
});
