/**
 * A rule's watched value over time (the Rules page chart): the range is cut into step-long buckets
 * `(end − step, end]` and each bucket is measured as the evaluator measures a window — profile count
 * against `minProfiles`, merged tree through the query layer (rollups for long ranges), watched value
 * divided by the bucket's seconds, which is what `cinder_profile_metric` reports for a window of one
 * step. One timeline query first finds the buckets holding profiles, so empty buckets cost nothing
 * and the merges are bounded by the point count.
 */
import { CinderError, ErrorCodes, describeWatch, splitRuleQuery, validateProfileTypeId, watchMatcher, watchedValue, type AlertRule, type RuleSeriesResponse } from '@cinder/core';
import type { ReadPath } from '../query/readPath.js';

export const RULE_SERIES_DEFAULT_POINTS = 60;
export const RULE_SERIES_MAX_POINTS = 240;
/** Merges of one series request in flight at once (a chart must not starve rule evaluation). */
const SERIES_CONCURRENCY = 4;
const MIN_STEP_MS = 1_000;

/** Whole seconds, so the timeline's buckets (`stepSec · 1000`) and ours have the same edges. */
export function seriesStepMs(fromMs: number, untilMs: number, points: number): number {
  return Math.max(MIN_STEP_MS, Math.ceil((untilMs - fromMs) / points / 1000) * 1000);
}

export async function ruleSeries(read: ReadPath, tenant: string, rule: AlertRule, fromMs: number, untilMs: number, points = RULE_SERIES_DEFAULT_POINTS): Promise<RuleSeriesResponse> {
  if (!Number.isInteger(points) || points < 2 || points > RULE_SERIES_MAX_POINTS) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `points must be a whole number from 2 to ${RULE_SERIES_MAX_POINTS}, got ${points}`);
  }
  const { profileTypeId, labelSelector } = splitRuleQuery(rule.query);
  const unit = validateProfileTypeId(profileTypeId).sampleUnit;
  const stepMs = seriesStepMs(fromMs, untilMs, points);
  // Bucket ends on multiples of the step: a chart refreshed a few seconds later keeps its buckets.
  const lastEndMs = Math.floor(untilMs / stepMs) * stepMs;
  const buckets = Math.max(1, Math.min(points, Math.ceil((lastEndMs - fromMs) / stepMs)));
  const firstEndMs = lastEndMs - (buckets - 1) * stepMs;
  const answer: RuleSeriesResponse = { ruleId: rule.id, watched: describeWatch(rule.watch), unit, fromMs: firstEndMs - stepMs, untilMs: lastEndMs, stepMs, points: [] };
  if (lastEndMs <= fromMs) return answer;
  const timeline = await read.timeline(tenant, { profileTypeId, labelSelector, fromMs: firstEndMs, toMs: lastEndMs, groupBy: [], stepSec: stepMs / 1000, aggregation: 'sum', limit: 0 });
  const ends = (timeline[0]?.points ?? []).map((p) => p.timestampMs);
  const matches = watchMatcher(rule.watch);
  const seconds = stepMs / 1000;
  const measured: RuleSeriesResponse['points'] = new Array(ends.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ends.length) {
      const index = next++;
      const endMs = ends[index]!;
      // Inclusive ms bounds for the half-open bucket (end − step, end], as the timeline counts it.
      const selection = { profileTypeId, labelSelector, fromMs: endMs - stepMs + 1, toMs: endMs };
      const profiles = await read.profileCount(tenant, selection);
      if (profiles < rule.thresholds.minProfiles) {
        measured[index] = { timeMs: endMs, valuePerSecond: null, profiles };
        continue;
      }
      const tree = await read.mergedTree(tenant, selection);
      measured[index] = { timeMs: endMs, valuePerSecond: watchedValue(tree, rule.watch, matches) / seconds, profiles };
    }
  };
  await Promise.all(Array.from({ length: Math.min(SERIES_CONCURRENCY, ends.length) }, worker));
  answer.points = measured.filter((p) => p.profiles > 0);
  return answer;
}
