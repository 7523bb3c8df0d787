/**
 * One rule evaluation: the current and baseline windows of a rule, their merged trees read through
 * the query layer (which reads rollups for long ranges by itself), the watched value of each side,
 * the ratio and which threshold it crosses. Trees are shared through a per-round cache, so 50 rules
 * on one service cost one merge per side, not 50.
 */
import {
  callTreeFromStackTable,
  describeWatch,
  diffTable,
  splitRuleQuery,
  validateProfileTypeId,
  watchMatcher,
  watchedValue,
  withMatcher,
  type AlertRule,
  type AlertSeverity,
  type CallTree,
  type GrownFunction,
} from '@cinder/core';
import type { ReadPath } from '../query/readPath.js';

const DAY_MS = 86_400_000;
/** How far back "the previous version" is looked for. */
export const VERSION_LOOKBACK_MS = 7 * DAY_MS;
/** Points of the coarse version timeline (then one finer pass around the change-point). */
const VERSION_TIMELINE_POINTS = 720;
const TOP_FUNCTIONS = 5;
const EMPTY_TREE: CallTree = callTreeFromStackTable({ names: [], parent: new Int32Array(0), nameIndex: new Int32Array(0), self: new Float64Array(0) });
/** Versions whose start is placed precisely (the newest by coarse start). */
const VERSIONS_REFINED = 5;

export interface Side {
  profileTypeId: string;
  labelSelector: string;
  fromMs: number;
  untilMs: number;
  tree: CallTree;
  profiles: number;
}

export interface Measurement {
  watched: string;
  unit: string;
  current: Side | null;
  baseline: Side | null;
  currentValue: number;
  baselineValue: number;
  /** The current value per second of the current window. */
  currentPerSecond: number | null;
  /** null with a baseline of 0 and a current value above 0 (a new function). */
  ratio: number | null;
  /** The threshold crossed; null = no breach (or not enough data: see note). */
  breach: AlertSeverity | null;
  /** Why no conclusion was drawn (not enough profiles, below the floor, one version only). */
  note: string | null;
  /** Scale putting baseline values on the current side's footing (window length or profile count). */
  baselineScale: number;
}

/** Merges and version lookups of one evaluation round, shared by every rule of the round. */
export class RoundCache {
  private readonly sides = new Map<string, Promise<{ tree: CallTree; profiles: number }>>();
  private readonly versions = new Map<string, Promise<VersionTimeline>>();
  merges = 0;

  constructor(
    private readonly read: ReadPath,
    private readonly tracker: VersionTracker,
  ) {}

  side(tenant: string, profileTypeId: string, labelSelector: string, fromMs: number, untilMs: number, minProfiles: number): Promise<{ tree: CallTree; profiles: number }> {
    const key = `${tenant}\u0000${profileTypeId}\u0000${labelSelector}\u0000${fromMs}\u0000${untilMs}\u0000${minProfiles}`;
    let entry = this.sides.get(key);
    if (!entry) {
      const selection = { profileTypeId, labelSelector, fromMs, toMs: untilMs };
      // Counting first skips the merge of windows without enough profiles (idle services, a week
      // before the data began): no rule can conclude anything from those.
      entry = this.read.profileCount(tenant, selection).then(async (profiles) => {
        if (profiles < minProfiles) return { tree: EMPTY_TREE, profiles };
        this.merges++;
        return { tree: await this.read.mergedTree(tenant, selection), profiles };
      });
      this.sides.set(key, entry);
    }
    return entry;
  }

  versionTimeline(tenant: string, profileTypeId: string, labelSelector: string, label: string, nowMs: number): Promise<VersionTimeline> {
    const key = `${tenant}\u0000${profileTypeId}\u0000${labelSelector}\u0000${label}\u0000${nowMs}`;
    let entry = this.versions.get(key);
    if (!entry) {
      entry = this.tracker.timeline(this.read, tenant, profileTypeId, labelSelector, label, nowMs);
      this.versions.set(key, entry);
    }
    return entry;
  }
}

export interface VersionTimeline {
  /** Label values by first profile time, oldest first: `firstMs` is the change-point of each. */
  versions: { value: string; firstMs: number; lastMs: number }[];
}

/** A full 7-day look at least this often (versions that aged out go; late profiles are seen). */
const VERSION_FULL_REFRESH_MS = 10 * 60_000;
/** Incremental looks start this far before the previous one ended (profiles arrive a little late). */
const VERSION_OVERLAP_MS = 2 * 60_000;
const VERSION_TRACKER_ENTRIES = 20_000;

/**
 * Version change-points across rounds: one full 7-day pass now and then, and in between only the
 * span since the previous look (a short, fine timeline), so a round costs one small query per
 * selection instead of a week-long scan.
 */
export class VersionTracker {
  private readonly entries = new Map<string, { versions: VersionTimeline['versions']; checkedUntilMs: number; fullAtMs: number }>();

  async timeline(read: ReadPath, tenant: string, profileTypeId: string, labelSelector: string, label: string, nowMs: number): Promise<VersionTimeline> {
    const key = `${tenant}\u0000${profileTypeId}\u0000${labelSelector}\u0000${label}`;
    const known = this.entries.get(key);
    if (!known || nowMs - known.fullAtMs > VERSION_FULL_REFRESH_MS || nowMs < known.checkedUntilMs) {
      const full = await versionTimeline(read, tenant, profileTypeId, labelSelector, label, nowMs);
      if (this.entries.size >= VERSION_TRACKER_ENTRIES) this.entries.clear();
      this.entries.set(key, { versions: full.versions.map((v) => ({ ...v })), checkedUntilMs: nowMs, fullAtMs: nowMs });
      return full;
    }
    const fromMs = known.checkedUntilMs - VERSION_OVERLAP_MS;
    const stepMs = Math.max(1, Math.ceil((nowMs - fromMs) / 500));
    const recent = await read.timeline(tenant, { profileTypeId, labelSelector, fromMs, toMs: nowMs, groupBy: [label], stepSec: stepMs / 1000, aggregation: 'sum', limit: 0 });
    for (const series of recent) {
      const value = series.labels.find(([name]) => name === label)?.[1];
      if (value === undefined || series.points.length === 0) continue;
      const firstMs = series.points[0]!.timestampMs - stepMs;
      const lastMs = series.points[series.points.length - 1]!.timestampMs;
      const version = known.versions.find((v) => v.value === value);
      if (version) version.lastMs = Math.max(version.lastMs, lastMs);
      else known.versions.push({ value, firstMs, lastMs });
    }
    known.versions.sort((a, b) => a.firstMs - b.firstMs);
    known.checkedUntilMs = nowMs;
    return { versions: known.versions.map((v) => ({ ...v })) };
  }
}

async function versionTimeline(read: ReadPath, tenant: string, profileTypeId: string, labelSelector: string, label: string, nowMs: number): Promise<VersionTimeline> {
  const fromMs = nowMs - VERSION_LOOKBACK_MS;
  const stepMs = Math.ceil(VERSION_LOOKBACK_MS / VERSION_TIMELINE_POINTS);
  const timeline = (selector: string, from: number, to: number, step: number, groupBy: string[]) =>
    read.timeline(tenant, { profileTypeId, labelSelector: selector, fromMs: from, toMs: Math.min(to, nowMs), groupBy, stepSec: step / 1000, aggregation: 'sum', limit: 0 });
  const coarse = await timeline(labelSelector, fromMs, nowMs, stepMs, [label]);
  // A point at T covers (T − step, T]: first and last profile are known to within one coarse step.
  const found: { value: string; firstBucketEndMs: number; lastMs: number }[] = [];
  for (const series of coarse) {
    const value = series.labels.find(([name]) => name === label)?.[1];
    if (value === undefined || series.points.length === 0) continue;
    found.push({ value, firstBucketEndMs: series.points[0]!.timestampMs, lastMs: series.points[series.points.length - 1]!.timestampMs });
  }
  found.sort((a, b) => a.firstBucketEndMs - b.firstBucketEndMs);
  // Several versions can start inside one coarse step (a quick redeploy): a finer pass (1/500 of a
  // step) over the first step of the newest few orders them and places the change-point.
  const fineStepMs = Math.max(1, Math.ceil(stepMs / 500));
  const refine = async (value: string, bucketEndMs: number, end: 'first' | 'last'): Promise<number> => {
    const fine = await timeline(withMatcher(labelSelector, label, value), bucketEndMs - stepMs, bucketEndMs, fineStepMs, []);
    const points = fine[0]?.points ?? [];
    if (points.length === 0) return end === 'first' ? bucketEndMs - stepMs : bucketEndMs;
    return end === 'first' ? points[0]!.timestampMs - fineStepMs : points[points.length - 1]!.timestampMs;
  };
  const refinedFrom = Math.max(0, found.length - VERSIONS_REFINED);
  const versions: VersionTimeline['versions'] = await Promise.all(
    found.map(async (v, i) => ({ value: v.value, firstMs: i >= refinedFrom ? await refine(v.value, v.firstBucketEndMs, 'first') : v.firstBucketEndMs - stepMs, lastMs: v.lastMs })),
  );
  versions.sort((a, b) => a.firstMs - b.firstMs);
  if (versions.length >= 2) {
    const previous = versions[versions.length - 2]!;
    previous.lastMs = await refine(previous.value, previous.lastMs, 'last');
  }
  return { versions };
}

function selectorText(profileTypeId: string, labelSelector: string): string {
  return `${profileTypeId}${labelSelector}`;
}

export function sideQuery(side: Pick<Side, 'profileTypeId' | 'labelSelector' | 'fromMs' | 'untilMs'>): { query: string; fromMs: number; untilMs: number } {
  return { query: selectorText(side.profileTypeId, side.labelSelector), fromMs: side.fromMs, untilMs: side.untilMs };
}

/** Evaluates one rule at `nowMs`. Recording rules read only the current window. */
export async function measureRule(rule: AlertRule, tenant: string, nowMs: number, cache: RoundCache): Promise<Measurement> {
  const { profileTypeId, labelSelector } = splitRuleQuery(rule.query);
  const unit = validateProfileTypeId(profileTypeId).sampleUnit;
  const matches = watchMatcher(rule.watch);
  const result: Measurement = {
    watched: describeWatch(rule.watch),
    unit,
    current: null,
    baseline: null,
    currentValue: 0,
    baselineValue: 0,
    currentPerSecond: null,
    ratio: null,
    breach: null,
    note: null,
    baselineScale: 1,
  };
  let currentSelector = labelSelector;
  let currentFromMs = nowMs - rule.windowMs;
  let baseline: { labelSelector: string; fromMs: number; untilMs: number } | null = null;
  const baselineKind = rule.kind === 'recording' ? null : rule.baseline;
  if (baselineKind?.kind === 'offset') {
    baseline = { labelSelector, fromMs: currentFromMs - baselineKind.offsetMs, untilMs: nowMs - baselineKind.offsetMs };
  } else if (baselineKind?.kind === 'previous_period') {
    baseline = { labelSelector, fromMs: currentFromMs - rule.windowMs, untilMs: currentFromMs };
  } else if (baselineKind?.kind === 'previous_version') {
    const { versions } = await cache.versionTimeline(tenant, profileTypeId, labelSelector, baselineKind.label, nowMs);
    if (versions.length < 2) {
      result.note = versions.length === 0 ? `no profiles with a "${baselineKind.label}" label in the last 7 days` : `only one "${baselineKind.label}" (${versions[0]!.value}) in the last 7 days`;
      return result;
    }
    const newest = versions[versions.length - 1]!;
    const previous = versions[versions.length - 2]!;
    currentSelector = withMatcher(labelSelector, baselineKind.label, newest.value);
    currentFromMs = Math.max(newest.firstMs, nowMs - rule.windowMs);
    // The previous version's last window: during a rollout both run side by side, which is the fairest comparison.
    const baselineUntilMs = Math.min(previous.lastMs, nowMs);
    baseline = { labelSelector: withMatcher(labelSelector, baselineKind.label, previous.value), fromMs: baselineUntilMs - rule.windowMs, untilMs: baselineUntilMs };
  }
  const current = await cache.side(tenant, profileTypeId, currentSelector, currentFromMs, nowMs, rule.thresholds.minProfiles);
  result.current = { profileTypeId, labelSelector: currentSelector, fromMs: currentFromMs, untilMs: nowMs, ...current };
  result.currentValue = watchedValue(current.tree, rule.watch, matches);
  const currentSeconds = Math.max(0.001, (nowMs - currentFromMs) / 1000);
  result.currentPerSecond = result.currentValue / currentSeconds;
  if (current.profiles < rule.thresholds.minProfiles) {
    result.note = `${current.profiles} profile(s) in the current window; the rule needs ${rule.thresholds.minProfiles}`;
    return result;
  }
  if (baseline === null) return result;
  const base = await cache.side(tenant, profileTypeId, baseline.labelSelector, baseline.fromMs, baseline.untilMs, rule.thresholds.minProfiles);
  result.baseline = { profileTypeId, ...baseline, ...base };
  result.baselineValue = watchedValue(base.tree, rule.watch, matches);
  if (base.profiles < rule.thresholds.minProfiles) {
    result.note = `${base.profiles} profile(s) in the baseline window; the rule needs ${rule.thresholds.minProfiles}`;
    return result;
  }
  // Version baselines compare per profile (the new version may have run for a shorter time);
  // time baselines per second of window.
  result.baselineScale =
    baselineKind?.kind === 'previous_version' ? current.profiles / base.profiles : currentSeconds / Math.max(0.001, (baseline.untilMs - baseline.fromMs) / 1000);
  const scaledBaseline = result.baselineValue * result.baselineScale;
  result.ratio = scaledBaseline > 0 ? result.currentValue / scaledBaseline : result.currentValue > 0 ? null : 1;
  if (result.currentPerSecond < rule.thresholds.minValuePerSecond) {
    result.note = `current ${result.currentPerSecond.toPrecision(4)} ${unit}/s is below the floor (${rule.thresholds.minValuePerSecond} ${unit}/s)`;
    return result;
  }
  const ratio = result.ratio ?? Number.POSITIVE_INFINITY;
  result.breach = ratio >= rule.thresholds.alertRatio ? 'alert' : ratio >= rule.thresholds.warnRatio ? 'warn' : null;
  return result;
}

/** The functions whose self value grew most (absolute contribution), baseline scaled like the ratio. */
export function grownFunctions(measurement: Measurement, limit = TOP_FUNCTIONS): GrownFunction[] {
  if (!measurement.current || !measurement.baseline) return [];
  const rows = diffTable(measurement.baseline.tree, measurement.current.tree, { mode: 'absolute', baselineScale: measurement.baselineScale });
  return rows
    .map((row) => ({ name: row.name, baselineSelf: row.baselineSelf, currentSelf: row.comparisonSelf, change: row.comparisonSelf - row.baselineSelf }))
    .filter((row) => row.change > 0)
    .sort((a, b) => b.change - a.change || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}
