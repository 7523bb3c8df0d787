/**
 * The profile model every format decodes into and every consumer reads.
 *
 * Frames are plain names (what a flame graph shows). A stack is an array of indices into
 * `names`, root first: `names=["main","a","b"]`, `stacks=[[0,1,2],[0,1]]` is `main;a;b` and `main;a`.
 * Values are columnar, one array per sample type: `values[t][s]` is sample s of sample type t.
 * Per-sample string labels (pprof `Sample.label` with a string value) are kept as pairs.
 */
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

/** Builds a Profile from stacks of frame names; used by text decoders and tests. */
export class ProfileBuilder {
  private readonly nameIndex = new Map<string, number>();
  readonly profile: Profile;

  constructor(sampleTypes: ValueType[], periodType: ValueType | null = null, period = 0) {
    this.profile = {
      sampleTypes,
      periodType,
      period,
      timeMs: 0,
      durationNs: 0,
      names: [],
      stacks: [],
      values: [],
      sampleLabels: [],
    };
  }

  internName(name: string): number {
    let index = this.nameIndex.get(name);
    if (index === undefined) {
      index = this.profile.names.length;
      this.profile.names.push(name);
      this.nameIndex.set(name, index);
    }
    return index;
  }

  /** frames root first; values one per sample type. */
  addSample(framesRootFirst: readonly string[], values: readonly number[], labels: LabelPairs | null = null): void {
    const stack = new Uint32Array(framesRootFirst.length);
    for (let i = 0; i < framesRootFirst.length; i++) stack[i] = this.internName(framesRootFirst[i]!);
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
