/**
 * Comparing two call trees (baseline vs comparison) by function, in the two modes users need:
 * - absolute: values as measured, optionally normalised to the same duration (per-second rates), so
 *   an optimisation elsewhere does not paint unchanged code red;
 * - relative: each function's share of its own side's total.
 *
 * Example (absolute, no normalisation): baseline `main;a 3`, `main;b 1`; comparison `main;a 1`,
 * `main;b 4`, `main;c 2` → a: 3 → 1 (−2, −66.7 %), b: 1 → 4 (+3, +300 %), c: new (+2).
 */
import type { CallTree } from './callTree.js';
import { topTable } from './render.js';

export type DiffMode = 'absolute' | 'relative';

export interface DiffOptions {
  mode: DiffMode;
  /**
   * Absolute mode only: multiply baseline values by this before comparing (e.g. comparison
   * duration / baseline duration). 1 = as measured.
   */
  baselineScale?: number;
}

export type DiffStatus = 'new' | 'removed' | 'grew' | 'shrank' | 'unchanged';

export interface DiffRow {
  name: string;
  /** In the mode's unit: value (absolute, after scaling) or share of the side's total (relative, 0..1). */
  baselineSelf: number;
  comparisonSelf: number;
  baselineTotal: number;
  comparisonTotal: number;
  /** comparisonTotal − baselineTotal */
  change: number;
  /** change / baselineTotal; Infinity for new functions, −1 for removed ones. */
  changeRatio: number;
  status: DiffStatus;
}

/** Below this relative change a function counts as unchanged (measurement noise). */
export const UNCHANGED_EPSILON = 1e-9;

/**
 * Scale factor that puts a baseline on the comparison's footing when the two ranges differ in
 * length: e.g. 1 h baseline vs 2 h comparison → 2 (the baseline would have seen twice as much).
 */
export function durationScale(baselineDurationMs: number, comparisonDurationMs: number): number {
  return baselineDurationMs > 0 && comparisonDurationMs > 0 ? comparisonDurationMs / baselineDurationMs : 1;
}

export function diffTable(baseline: CallTree, comparison: CallTree, options: DiffOptions): DiffRow[] {
  const baselineRows = topTable(baseline);
  const comparisonRows = topTable(comparison);
  const baselineSum = baseline.total[0] ?? 0;
  const comparisonSum = comparison.total[0] ?? 0;
  const scale = options.mode === 'absolute' ? (options.baselineScale ?? 1) : 1;
  const toBaseline = (value: number): number => (options.mode === 'relative' ? (baselineSum > 0 ? value / baselineSum : 0) : value * scale);
  const toComparison = (value: number): number => (options.mode === 'relative' ? (comparisonSum > 0 ? value / comparisonSum : 0) : value);
  const rows = new Map<string, DiffRow>();
  const row = (name: string): DiffRow => {
    let existing = rows.get(name);
    if (!existing) {
      existing = { name, baselineSelf: 0, comparisonSelf: 0, baselineTotal: 0, comparisonTotal: 0, change: 0, changeRatio: 0, status: 'unchanged' };
      rows.set(name, existing);
    }
    return existing;
  };
  for (const r of baselineRows) {
    const target = row(r.name);
    target.baselineSelf = toBaseline(r.self);
    target.baselineTotal = toBaseline(r.total);
  }
  for (const r of comparisonRows) {
    const target = row(r.name);
    target.comparisonSelf = toComparison(r.self);
    target.comparisonTotal = toComparison(r.total);
  }
  for (const r of rows.values()) {
    r.change = r.comparisonTotal - r.baselineTotal;
    if (r.baselineTotal === 0 && r.comparisonTotal > 0) {
      r.status = 'new';
      r.changeRatio = Number.POSITIVE_INFINITY;
    } else if (r.comparisonTotal === 0 && r.baselineTotal > 0) {
      r.status = 'removed';
      r.changeRatio = -1;
    } else {
      r.changeRatio = r.baselineTotal > 0 ? r.change / r.baselineTotal : 0;
      r.status = Math.abs(r.changeRatio) <= UNCHANGED_EPSILON ? 'unchanged' : r.change > 0 ? 'grew' : 'shrank';
    }
  }
  return [...rows.values()].sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The §3.4 diff levels, as one flame graph (widths = both sides together) plus each side per frame. */
export interface DiffFrames {
  flamegraph: { names: string[]; levels: number[][]; total: number; maxSelf: number };
  /** Per frame, in decodeLevels order (level by level, left to right): each side's total. */
  leftTotal: Float64Array;
  rightTotal: Float64Array;
}

/**
 * Both sides are laid out in the same child order, so a frame's combined x is xLeft + xRight and its
 * combined width totalLeft + totalRight: a consistent single flame graph to draw and zoom.
 */
export function diffToFlameGraph(diff: { names: string[]; levels: number[][]; leftTicks: number; rightTicks: number }): DiffFrames {
  let count = 0;
  for (const level of diff.levels) count += Math.floor(level.length / 7);
  const leftTotal = new Float64Array(count);
  const rightTotal = new Float64Array(count);
  const levels: number[][] = [];
  let frame = 0;
  let maxSelf = 0;
  for (const level of diff.levels) {
    const out: number[] = [];
    let endLeft = 0;
    let endRight = 0;
    let endCombined = 0;
    for (let i = 0; i + 6 < level.length; i += 7) {
      const xLeft = endLeft + level[i]!;
      const xRight = endRight + level[i + 3]!;
      const totalL = level[i + 1]!;
      const totalR = level[i + 4]!;
      const self = level[i + 2]! + level[i + 5]!;
      const x = xLeft + xRight;
      out.push(x - endCombined, totalL + totalR, self, level[i + 6]!);
      endLeft = xLeft + totalL;
      endRight = xRight + totalR;
      endCombined = x + totalL + totalR;
      leftTotal[frame] = totalL;
      rightTotal[frame] = totalR;
      maxSelf = Math.max(maxSelf, self);
      frame++;
    }
    levels.push(out);
  }
  return { flamegraph: { names: diff.names, levels, total: diff.leftTicks + diff.rightTicks, maxSelf }, leftTotal, rightTotal };
}

export const DIFF_COLORS = { new: 'hsl(275, 60%, 58%)', removed: 'hsl(210, 70%, 55%)', unchanged: 'hsl(0, 0%, 42%)' } as const;

/**
 * Colour of one frame in a diff graph: red grew, green shrank (stronger = bigger change, saturating
 * at ±100 %), purple new, blue removed, grey unchanged (within ±2 %).
 * `mode` as in diffTable; in absolute mode `baselineScale` has already been chosen by the caller.
 */
export function diffColor(left: number, right: number, leftSum: number, rightSum: number, mode: DiffMode, baselineScale = 1): string {
  if (left === 0 && right === 0) return DIFF_COLORS.unchanged;
  if (left === 0) return DIFF_COLORS.new;
  if (right === 0) return DIFF_COLORS.removed;
  const before = mode === 'relative' ? left / (leftSum || 1) : left * baselineScale;
  const after = mode === 'relative' ? right / (rightSum || 1) : right;
  const ratio = (after - before) / before;
  if (Math.abs(ratio) <= 0.02) return DIFF_COLORS.unchanged;
  const strength = Math.min(1, Math.abs(ratio));
  const lightness = Math.round(62 - strength * 22);
  return ratio > 0 ? `hsl(0, ${Math.round(55 + strength * 30)}%, ${lightness}%)` : `hsl(125, ${Math.round(45 + strength * 30)}%, ${lightness}%)`;
}

export type RegressionLevel = 'ok' | 'warn' | 'alert';
/** The Profiling page's thresholds: current ≥ 120 % of baseline warns, ≥ 150 % alerts. */
export const REGRESSION_WARN_RATIO = 1.2;
export const REGRESSION_ALERT_RATIO = 1.5;

/** current / baseline → level; a function with no baseline at all is "new", not a ratio. */
export function regressionLevel(baseline: number, current: number): RegressionLevel {
  if (baseline <= 0) return current > 0 ? 'alert' : 'ok';
  const ratio = current / baseline;
  return ratio >= REGRESSION_ALERT_RATIO ? 'alert' : ratio >= REGRESSION_WARN_RATIO ? 'warn' : 'ok';
}
