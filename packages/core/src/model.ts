/**
 * The profile model every format decodes into and every consumer reads.
 *
 * Frames are plain names (what a flame graph shows). A stack is an array of indices into
 * `names`, root first: `names=["main","a","b"]`, `stacks=[[0,1,2],[0,1]]` is `main;a;b` and `main;a`.
 * Values are columnar, one array per sample type: `values[t][s]` is sample s of sample type t.
 * Per-sample string labels (pprof `Sample.label` with a string value) are kept as pairs.
 */
import { checkSampleValue, resolveDecodeLimits, WorkBudget, type DecodeLimits } from './formats/limits.js';
import { StringTable } from './stringTable.js';

export interface ValueType {
  readonly type: string;
  readonly unit: string;
}

export type LabelPairs = ReadonlyArray<readonly [name: string, value: string]>;

export interface Profile {
  sampleTypes: ValueType[];
  /** null when the source has no period type (profile type IDs then end in `::`). */
  periodType: ValueType | null;
  /** In units of `periodType.unit`; 0 when unknown. */
  period: number;
  /** Start of the profile, ms since the Unix epoch; 0 = not given by the source. */
  timeMs: number;
  durationNs: number;
  names: string[];
  stacks: Uint32Array[];
  values: Float64Array[];
  /** null = the sample has no string labels. */
  sampleLabels: (LabelPairs | null)[];
}

export function sampleCount(profile: Profile): number {
  return profile.stacks.length;
}

/** Sum of every sample's value for one sample type. */
export function totalOf(profile: Profile, sampleTypeIndex: number): number {
  const column = profile.values[sampleTypeIndex];
  if (!column) return 0;
  let sum = 0;
  for (let i = 0; i < column.length; i++) sum += column[i]!;
  return sum;
}

/**
 * Builds a Profile from stacks of frame names (or of ids from `internName`); used by text decoders
 * and tests. Every sample goes through the decode limits before anything is copied: values must be
 * finite and within [0, 2^53 − 1], over-deep stacks keep their root-most frames, and the sample and
 * frame counts are capped.
 */
export class ProfileBuilder {
  private readonly nameTable = new StringTable();
  readonly profile: Profile;
  readonly budget: WorkBudget;

  constructor(sampleTypes: ValueType[], periodType: ValueType | null = null, period = 0, limits?: Partial<DecodeLimits>) {
    this.profile = {
      sampleTypes,
      periodType,
      period,
      timeMs: 0,
      durationNs: 0,
      names: this.nameTable.strings,
      stacks: [],
      values: [],
      sampleLabels: [],
    };
    this.budget = new WorkBudget(resolveDecodeLimits(limits));
  }

  internName(name: string): number {
    return this.nameTable.id(name);
  }

  /** frames root first; values one per sample type. */
  addSample(framesRootFirst: readonly string[], values: readonly number[], labels: LabelPairs | null = null): void {
    this.checkValues(values);
    const kept = this.budget.sample(framesRootFirst.length);
    const stack = new Uint32Array(kept);
    for (let i = 0; i < kept; i++) stack[i] = this.internName(framesRootFirst[i]!);
    this.push(stack, values, labels);
  }

  /**
   * The first `depth` entries of `idsRootFirst` (ids from `internName`) as one sample; only the
   * root-most `maxStackDepth` of them are copied.
   */
  addStackIds(idsRootFirst: ArrayLike<number>, depth: number, values: readonly number[], labels: LabelPairs | null = null): void {
    this.checkValues(values);
    const kept = this.budget.sample(depth);
    const stack = new Uint32Array(kept);
    for (let i = 0; i < kept; i++) stack[i] = idsRootFirst[i]!;
    this.push(stack, values, labels);
  }

  private checkValues(values: readonly number[]): void {
    for (let t = 0; t < values.length; t++) {
      checkSampleValue(values[t]!, () => `value ${t} of sample ${this.pendingStacks.length}`);
    }
  }

  private push(stack: Uint32Array, values: readonly number[], labels: LabelPairs | null): void {
    this.pendingStacks.push(stack);
    this.pendingValues.push(values);
    this.profile.sampleLabels.push(labels);
  }

  private readonly pendingStacks: Uint32Array[] = [];
  private readonly pendingValues: (readonly number[])[] = [];

  build(): Profile {
    const sampleTotal = this.pendingStacks.length;
    this.profile.stacks = this.pendingStacks;
    this.profile.values = this.profile.sampleTypes.map((_, t) => {
      const column = new Float64Array(sampleTotal);
      for (let s = 0; s < sampleTotal; s++) column[s] = this.pendingValues[s]![t] ?? 0;
      return column;
    });
    return this.profile;
  }
}
