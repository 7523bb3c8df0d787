/** What the diff flame graph's tooltip says about a frame: baseline, comparison, delta and delta %. */
import { formatPercent, formatValue, frameName, type FlameFrames } from '@cinder/core';

export interface DiffTooltipContext {
  /** Per frame (decodeLevels order), each side's total as the API sent it (baseline not scaled). */
  leftTotal: ArrayLike<number>;
  rightTotal: ArrayLike<number>;
  leftTicks: number;
  rightTicks: number;
  unit: string;
  mode: 'absolute' | 'relative';
  /** Absolute mode: what the baseline is multiplied by to stand on the comparison's footing. */
  baselineScale: number;
}

export interface DiffFrameDetails {
  name: string;
  baseline: string;
  comparison: string;
  delta: string;
  deltaPercent: string;
  /** The numbers behind the text, in the mode's terms (values, or shares of each side's total). */
  before: number;
  after: number;
  /** after - before; before already normalised in absolute mode. */
  change: number;
  /** change / before; +Infinity when the frame is new. */
  changeRatio: number;
}

function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text;
}

/** formatPercent picks its decimals by size, so the sign goes on separately: -40.0 %, not -40.00 %. */
function signedPercent(ratio: number): string {
  return `${ratio > 0 ? '+' : ratio < 0 ? '-' : ''}${formatPercent(Math.abs(ratio))}`;
}

/**
 * Absolute mode compares values, the baseline scaled as the server said (range length, sampling
 * rate), and shows the raw baseline next to the scaled one so both can be checked against the API.
 * Relative mode compares each frame's share of its own side; delta is then in percentage points.
 */
export function diffFrameDetails(frames: FlameFrames, frameIndex: number, ctx: DiffTooltipContext): DiffFrameDetails {
  const left = ctx.leftTotal[frameIndex] ?? 0;
  const right = ctx.rightTotal[frameIndex] ?? 0;
  const relative = ctx.mode === 'relative';
  const scale = relative ? 1 : ctx.baselineScale;
  const before = relative ? (ctx.leftTicks > 0 ? left / ctx.leftTicks : 0) : left * scale;
  const after = relative ? (ctx.rightTicks > 0 ? right / ctx.rightTicks : 0) : right;
  const change = after - before;
  const changeRatio = before > 0 ? change / before : after > 0 ? Number.POSITIVE_INFINITY : 0;
  const value = (v: number): string => formatValue(v, ctx.unit);
  const baseline = relative
    ? `${formatPercent(before)} (${value(left)})`
    : scale !== 1
      ? `${value(left)} (×${scale.toPrecision(3)} = ${value(before)})`
      : value(left);
  const comparison = relative ? `${formatPercent(after)} (${value(right)})` : value(right);
  const delta = relative ? `${signed((change * 100).toFixed(2), change)} pp` : signed(value(change), change);
  const deltaPercent = changeRatio === Number.POSITIVE_INFINITY ? 'new' : right === 0 && left > 0 ? '-100% (removed)' : signedPercent(changeRatio);
  return { name: frameName(frames, frameIndex), baseline, comparison, delta, deltaPercent, before, after, change, changeRatio };
}
