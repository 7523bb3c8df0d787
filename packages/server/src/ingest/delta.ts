import type { Profile } from '@cinder/core';

/** Sample types that are point-in-time gauges: never differenced. */
export function isGaugeSampleType(type: string): boolean {
  return type.startsWith('inuse_') || type === 'goroutine' || type === 'goroutines' || type === 'live';
}

function stackKey(profile: Profile, s: number): string {
  const stack = profile.stacks[s]!;
  let key = '';
  for (let i = 0; i < stack.length; i++) key += profile.names[stack[i]!] + '\u0000';
  const labels = profile.sampleLabels[s];
  if (labels && labels.length > 0) {
    key += '\u0001' + [...labels].map(([n, v]) => `${n}=${v}`).sort().join('\u0002');
  }
  return key;
}

/**
 * Turns a cumulative profile into the increase since `previous`, for the sample types `isCumulative`
 * selects (others are copied). Stacks are matched by frame names and sample labels, because two
 * snapshots of one process number their locations differently. A stack whose counter went down
 * (process restart) contributes 0 rather than a negative value. Returns the new value columns; `previous === null` zeroes the
 * cumulative columns (the first snapshot is only a baseline).
 */
export function cumulativeDelta(current: Profile, previous: Profile | null, isCumulative: (sampleTypeIndex: number) => boolean): Float64Array[] {
  const sampleTotal = current.stacks.length;
  const columns = current.values.map((column) => Float64Array.from(column));
  const cumulativeTypes = current.sampleTypes.map((_, t) => isCumulative(t));
  if (!cumulativeTypes.some(Boolean)) return columns;
  if (previous === null) {
    for (let t = 0; t < columns.length; t++) if (cumulativeTypes[t]) columns[t]!.fill(0);
    return columns;
  }
  const previousTypeIndex = current.sampleTypes.map((st) =>
    previous.sampleTypes.findIndex((p) => p.type === st.type && p.unit === st.unit),
  );
  const remaining = new Map<string, number[]>();
  for (let s = 0; s < previous.stacks.length; s++) {
    const key = stackKey(previous, s);
    let sums = remaining.get(key);
    if (!sums) {
      sums = new Array<number>(current.sampleTypes.length).fill(0);
      remaining.set(key, sums);
    }
    for (let t = 0; t < current.sampleTypes.length; t++) {
      const pt = previousTypeIndex[t]!;
      if (pt >= 0) sums[t]! += previous.values[pt]![s]!;
    }
  }
  for (let s = 0; s < sampleTotal; s++) {
    const sums = remaining.get(stackKey(current, s));
    if (!sums) continue;
    for (let t = 0; t < columns.length; t++) {
      if (!cumulativeTypes[t]) continue;
      const value = columns[t]![s]!;
      const subtract = Math.min(value, sums[t]!);
      columns[t]![s] = value - subtract;
      sums[t]! -= subtract;
    }
  }
  return columns;
}

export function allZero(columns: readonly Float64Array[]): boolean {
  for (const column of columns) for (let i = 0; i < column.length; i++) if (column[i] !== 0) return false;
  return true;
}
