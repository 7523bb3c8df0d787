/**
 * Gauges (in-use memory, goroutines) in Cinder's own API: the merged tree of N snapshots holds N
 * times the state, so `/api/v1/flamegraph` answers their mean. Scaling the finished answer by 1/N
 * costs one pass over the levels (no second merge) and keeps the tree, cache and exports untouched;
 * the Pyroscope APIs (Connect, `/pyroscope/*`) never come here and keep upstream's sums.
 */
import { diffTable, profileTypeAggregation, type CallTree, type DiffResponse, type FlameGraphResponse } from '@cinder/core';

/** The answer as Cinder's API reports it: averaged over `profileCount` for gauges, as is for cumulative types. */
export function averageGauges(response: FlameGraphResponse): FlameGraphResponse {
  const aggregation = profileTypeAggregation(response.profileTypeId);
  if (aggregation === 'sum' || response.profileCount <= 1) return { ...response, aggregation };
  const factor = 1 / response.profileCount;
  const scale = (value: number): number => value * factor;
  const { flamegraph } = response;
  return {
    ...response,
    aggregation,
    flamegraph: {
      ...flamegraph,
      // Groups of [x_delta, total, self, name_index]: every value but the name index scales.
      levels: flamegraph.levels.map((level) => level.map((value, i) => (i % 4 === 3 ? value : scale(value)))),
      total: scale(flamegraph.total),
      maxSelf: scale(flamegraph.maxSelf),
    },
    truncation: { ...response.truncation, hiddenValue: scale(response.truncation.hiddenValue) },
    top: response.top.map((row) => ({ ...row, self: scale(row.self), total: scale(row.total) })),
  };
}

/** What /api/v1/diff knows before it shapes its answer (readPath's DiffAnswer plus each side's profile count). */
export interface GaugeDiffInput {
  profileTypeId: string;
  unit: string;
  mode: DiffResponse['mode'];
  flamegraph: DiffResponse['flamegraph'];
  baselineTree: CallTree;
  comparisonTree: CallTree;
  baselineProfileCount: number;
  comparisonProfileCount: number;
  topLimit: number;
}

/**
 * A gauge diff compares each side's mean, not its sum: 3 snapshots of 100 MiB against 6 of 100 MiB
 * is "unchanged", where sums would say "doubled". Range-length (and sampling-rate) normalisation is
 * meaningless for a state, so the caller asks the read path for none and this describes the averaging
 * instead. Cumulative types answer null: the caller keeps the normalised sums.
 */
export function averageDiffGauges(input: GaugeDiffInput): DiffResponse | null {
  if (profileTypeAggregation(input.profileTypeId) === 'sum') return null;
  const baselineCount = Math.max(1, input.baselineProfileCount);
  const comparisonCount = Math.max(1, input.comparisonProfileCount);
  const left = 1 / baselineCount;
  const right = 1 / comparisonCount;
  const { flamegraph } = input;
  // Groups of [xL, totalL, selfL, xR, totalR, selfR, name_index]: each side scales by its own count.
  const levels = flamegraph.levels.map((level) => level.map((value, i) => (i % 7 < 3 ? value * left : i % 7 < 6 ? value * right : value)));
  let maxSelf = 0;
  for (const level of levels) for (let i = 0; i + 6 < level.length; i += 7) maxSelf = Math.max(maxSelf, level[i + 2]!, level[i + 5]!);
  const leftTicks = flamegraph.leftTicks * left;
  const rightTicks = flamegraph.rightTicks * right;
  // Absolute: baseline × (Nc / Nb) against the comparison is both means × Nc, so dividing every value
  // by Nc gives the means with diffTable's order, change ratios and statuses (all scale-free) intact.
  // Relative rows are shares of each side's total, which averaging does not change.
  const rows = diffTable(input.baselineTree, input.comparisonTree, { mode: input.mode, baselineScale: comparisonCount / baselineCount }).slice(0, input.topLimit);
  const table = rows.map((row) => {
    const value = (v: number): number => (input.mode === 'absolute' ? v * right : v);
    return {
      ...row,
      baselineSelf: value(row.baselineSelf),
      comparisonSelf: value(row.comparisonSelf),
      baselineTotal: value(row.baselineTotal),
      comparisonTotal: value(row.comparisonTotal),
      change: value(row.change),
      changeRatio: Number.isFinite(row.changeRatio) ? row.changeRatio : null,
    };
  });
  const plural = (n: number): string => `${n} profile${n === 1 ? '' : 's'}`;
  return {
    profileTypeId: input.profileTypeId,
    unit: input.unit,
    mode: input.mode,
    normalization: {
      kind: 'none',
      baselineScale: 1,
      description:
        input.mode === 'relative'
          ? 'relative: each function as a share of its own side’s total'
          : `absolute: each side averaged over its profiles (baseline ${plural(input.baselineProfileCount)}, comparison ${plural(input.comparisonProfileCount)})`,
    },
    flamegraph: { ...flamegraph, levels, total: leftTicks + rightTicks, maxSelf, leftTicks, rightTicks },
    table,
    baselineTotal: (input.baselineTree.total[0] ?? 0) * left,
    comparisonTotal: (input.comparisonTree.total[0] ?? 0) * right,
  };
}
