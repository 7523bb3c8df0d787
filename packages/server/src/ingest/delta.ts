import { ChildTable, type Profile } from '@cinder/core';
import { Pacer } from '../storage/pace.js';

/** Sample types that are point-in-time gauges: never differenced. */
export function isGaugeSampleType(type: string): boolean {
  return type.startsWith('inuse_') || type === 'goroutine' || type === 'goroutines' || type === 'live';
}

/**
 * Numbers root-first name paths across both snapshots (a prefix tree on typed arrays), so a stack
 * is matched by one integer rather than a string of its frame names: building those strings cost
 * ~300 ms of main thread for a 100k-sample profile.
 */
class PathIds {
  private readonly nameIds = new Map<string, number>();
  private readonly children = new ChildTable();
  private count = 0;

  /** Per sample: its path's number, or the number and its labels as a string when it has labels. */
  *keysOf(profile: Profile): Generator<null, (number | string)[], undefined> {
    const names = new Int32Array(profile.names.length).fill(-1);
    const keys = new Array<number | string>(profile.stacks.length);
    let work = 0;
    for (let s = 0; s < profile.stacks.length; s++) {
      const stack = profile.stacks[s]!;
      // 0 = the root; nodes are numbered from 1.
      let node = 0;
      for (let i = 0; i < stack.length; i++) {
        const frame = stack[i]!;
        let name = names[frame]!;
        if (name < 0) {
          const text = profile.names[frame]!;
          name = this.nameIds.get(text) ?? this.nameIds.size;
          if (name === this.nameIds.size) this.nameIds.set(text, name);
          names[frame] = name;
        }
        let child = this.children.get(node, name);
        if (child < 0) this.children.set(node, name, (child = ++this.count));
        node = child;
      }
      const labels = profile.sampleLabels[s];
      keys[s] = labels && labels.length > 0 ? `${node}\u0001${[...labels].map(([n, v]) => `${n}=${v}`).sort().join('\u0002')}` : node;
      work += stack.length + 1;
      if (work >= PACED_STEP) {
        work = 0;
        yield null;
      }
    }
    return keys;
  }
}

/**
 * Turns a cumulative profile into the increase since `previous`, for the sample types `isCumulative`
 * selects (others are copied). Stacks are matched by frame names and sample labels, because two
 * snapshots of one process number their locations differently. A stack whose counter went down
 * (process restart) contributes 0 rather than a negative value. Returns the new value columns; `previous === null` zeroes the
 * cumulative columns (the first snapshot is only a baseline).
 */
export function cumulativeDelta(current: Profile, previous: Profile | null, isCumulative: (sampleTypeIndex: number) => boolean): Float64Array[] {
  const steps = cumulativeDeltaSteps(current, previous, isCumulative);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * cumulativeDelta with the event loop's turns in between (~15 ms slices): a 100k-sample profile is
 * tens of ms of main-thread work, and Push runs it for every cumulative series of a request.
 */
export async function cumulativeDeltaPaced(current: Profile, previous: Profile | null, isCumulative: (sampleTypeIndex: number) => boolean): Promise<Float64Array[]> {
  const pacer = new Pacer(15, 1);
  const steps = cumulativeDeltaSteps(current, previous, isCumulative);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    const pause = pacer.tick();
    if (pause) await pause;
  }
}

/** Work units (frames, samples) between two places where cumulativeDeltaSteps may pause. */
const PACED_STEP = 8192;

function* cumulativeDeltaSteps(current: Profile, previous: Profile | null, isCumulative: (sampleTypeIndex: number) => boolean): Generator<null, Float64Array[], undefined> {
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
  const paths = new PathIds();
  const previousKeys = yield* paths.keysOf(previous);
  const currentKeys = yield* paths.keysOf(current);
  const remaining = new Map<number | string, number[]>();
  for (let s = 0; s < previous.stacks.length; s++) {
    if (s % PACED_STEP === PACED_STEP - 1) yield null;
    const key = previousKeys[s]!;
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
    if (s % PACED_STEP === PACED_STEP - 1) yield null;
    const sums = remaining.get(currentKeys[s]!);
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
