import { randomUUID } from 'node:crypto';
import { CinderError, ErrorCodes, MAX_SAMPLE_VALUE, valueOutOfRange, type LabelPairs, type Profile } from '@cinder/core';
import type { IngestLimits } from './limits.js';
import type { ValidatedProfile } from '../storage/store.js';

/** Everything validation needs besides the decoded profile. */
export interface ProfileEnvelope {
  tenant: string;
  /** Series labels as given by the client (incl. `__name__`; control labels already removed). */
  labels: Map<string, string>;
  /** One ID per `profile.sampleTypes` entry. */
  profileTypeIds: string[];
  timeMs: number;
  profileId: string;
}

const LABEL_NAME = /^[A-Za-z_.][A-Za-z0-9_.-]*$/;
/** `__name__` is the profile family (process_cpu, memory, …): a Prometheus metric name. */
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
/** Kept per sample (not promoted to series labels) so a request's samples can be selected. */
const SAMPLE_LEVEL_LABELS = new Set(['span_id', 'trace_id']);
const MAX_SYMBOL_LENGTH = 65_535;

export function validateLabelSet(labels: Map<string, string>, limits: IngestLimits): void {
  if (labels.size > limits.maxLabelsPerSeries) {
    throw new CinderError(
      ErrorCodes.INGEST_TOO_MANY_LABELS,
      `series has ${labels.size} labels, more than the limit of ${limits.maxLabelsPerSeries}; drop high-cardinality labels or raise --max-labels`,
    );
  }
  for (const [name, value] of labels) {
    if (name === '' || name.length > limits.maxLabelNameLength || !LABEL_NAME.test(name)) {
      throw new CinderError(
        ErrorCodes.INGEST_INVALID_LABEL_NAME,
        `invalid label name "${name.slice(0, 100)}": use letters, digits, "_", "." and "-", not starting with a digit or "-", at most ${limits.maxLabelNameLength} characters`,
      );
    }
    if (value.length > limits.maxLabelValueLength) {
      throw new CinderError(
        ErrorCodes.INGEST_INVALID_LABEL_VALUE,
        `value of label "${name}" is ${value.length} characters long, more than the limit of ${limits.maxLabelValueLength}`,
      );
    }
    if (value.includes('\uFFFD')) {
      throw new CinderError(ErrorCodes.INGEST_INVALID_UTF8, `value of label "${name}" is not valid UTF-8`);
    }
  }
  const metric = labels.get('__name__');
  if (metric === undefined || metric === '') {
    throw new CinderError(ErrorCodes.INGEST_MISSING_PROFILE_NAME, 'label "__name__" (the profile family, e.g. process_cpu or memory) is required');
  }
  validateMetricName(metric);
}

/** The one rule for `__name__`, on /ingest and Push alike. */
export function validateMetricName(metric: string): void {
  if (!METRIC_NAME.test(metric)) {
    throw new CinderError(
      ErrorCodes.INGEST_INVALID_LABEL_VALUE,
      `label "__name__" is "${metric.slice(0, 100)}", which is not a profile name: use letters, digits, "_" and ":", not starting with a digit (e.g. process_cpu, memory)`,
    );
  }
}

/**
 * Every value that enters the store is finite and within [0, 2^53 − 1], after the pipeline's
 * scaling too (a folded count of 2^53 − 1 at 100 Hz is 10^7 times larger in nanoseconds).
 */
function validateValues(profile: Profile): void {
  for (let t = 0; t < profile.values.length; t++) {
    const column = profile.values[t]!;
    for (let s = 0; s < column.length; s++) {
      const value = column[s]!;
      if (!(value >= 0 && value <= MAX_SAMPLE_VALUE)) {
        throw valueOutOfRange(`value of sample ${s} (${profile.sampleTypes[t]?.type ?? t}) after conversion to ${profile.sampleTypes[t]?.unit ?? 'its unit'}`, value);
      }
    }
  }
  if (!(profile.period >= 0 && profile.period <= MAX_SAMPLE_VALUE)) throw valueOutOfRange('the profile period', profile.period);
}

/**
 * Checks limits and splits a decoded profile into ValidatedProfiles: samples are grouped by their
 * string labels (other than span_id/trace_id), which become series labels — how SDK "dynamic tags"
 * become queryable. Series labels given by the client win on conflicts.
 */
export function validateProfile(profile: Profile, envelope: ProfileEnvelope, limits: IngestLimits, nowMs: number): ValidatedProfile[] {
  const sampleTotal = profile.stacks.length;
  if (sampleTotal > limits.maxSamplesPerProfile) {
    throw new CinderError(
      ErrorCodes.INGEST_TOO_MANY_SAMPLES,
      `profile has ${sampleTotal} samples, more than the limit of ${limits.maxSamplesPerProfile}; raise --max-samples for large profiles`,
    );
  }
  if (envelope.timeMs < nowMs - limits.pastWindowMs || envelope.timeMs > nowMs + limits.futureWindowMs) {
    throw new CinderError(
      ErrorCodes.INGEST_OUTSIDE_WINDOW,
      `profile time ${new Date(envelope.timeMs).toISOString()} is outside the ingestion window (now - ${limits.pastWindowMs / 60_000} min … now + ${limits.futureWindowMs / 60_000} min); check the client clock or the from/until parameters, or raise --ingest-window`,
    );
  }
  if (envelope.profileTypeIds.length !== profile.sampleTypes.length) {
    throw new Error('profileTypeIds must align with sampleTypes');
  }
  validateLabelSet(envelope.labels, limits);
  validateValues(profile);
  clampSymbols(profile);

  const groups = new Map<string, { labels: Map<string, string>; sampleIndexes: number[] }>();
  const sampleLevel: (LabelPairs | null)[] = new Array(sampleTotal);
  // Decoders hand samples with the same labels one shared pairs array (SDKs tag most samples alike):
  // its group and sample-level labels are worked out once.
  let lastPairs: LabelPairs | null | undefined;
  let lastGroup: { labels: Map<string, string>; sampleIndexes: number[] } | undefined;
  let lastKept: [string, string][] | null = null;
  for (let s = 0; s < sampleTotal; s++) {
    const pairs = profile.sampleLabels[s];
    if (lastGroup !== undefined && pairs === lastPairs) {
      sampleLevel[s] = lastKept;
      lastGroup.sampleIndexes.push(s);
      continue;
    }
    let groupKey = '';
    let promoted: [string, string][] | null = null;
    let kept: [string, string][] | null = null;
    if (pairs && pairs.length > 0) {
      if (pairs.length > limits.maxLabelsPerSample) {
        throw new CinderError(
          ErrorCodes.INGEST_TOO_MANY_LABELS,
          `a sample has ${pairs.length} labels, more than the limit of ${limits.maxLabelsPerSample}`,
        );
      }
      for (const [rawName, value] of pairs) {
        const name = rawName === 'profile_id' ? 'span_id' : rawName;
        if (SAMPLE_LEVEL_LABELS.has(name)) (kept ??= []).push([name, value]);
        else if (!envelope.labels.has(name)) (promoted ??= []).push([name, value]);
      }
      if (promoted) {
        promoted.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        groupKey = promoted.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
      }
    }
    sampleLevel[s] = kept;
    let group = groups.get(groupKey);
    if (!group) {
      const labels = new Map(envelope.labels);
      if (promoted) for (const [n, v] of promoted) labels.set(n, v);
      group = { labels, sampleIndexes: [] };
      groups.set(groupKey, group);
    }
    group.sampleIndexes.push(s);
    lastPairs = pairs;
    lastGroup = group;
    lastKept = kept;
  }

  const validated: ValidatedProfile[] = [];
  for (const group of groups.values()) {
    // An upload split into series by its sample labels is one stored profile per series, each with
    // its own id: an exemplar opened by id is then that series' profile, not the whole upload.
    const profileId = validated.length === 0 ? envelope.profileId : randomUUID();
    if (group.labels.size !== envelope.labels.size) validateLabelSet(group.labels, limits);
    const part = groups.size === 1 ? { ...profile, sampleLabels: sampleLevel } : subset(profile, group.sampleIndexes, sampleLevel);
    validated.push({
      kind: 'ValidatedProfile',
      tenant: envelope.tenant,
      seriesLabels: [...group.labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      profileTypeIds: envelope.profileTypeIds,
      timeMs: envelope.timeMs,
      profileId,
      profile: truncateDeepStacks(part, limits.maxStackDepth),
    });
  }
  return validated;
}

function subset(profile: Profile, sampleIndexes: number[], sampleLevel: (LabelPairs | null)[]): Profile {
  const count = sampleIndexes.length;
  const stacks = new Array<Uint32Array>(count);
  const sampleLabels = new Array<LabelPairs | null>(count);
  for (let i = 0; i < count; i++) {
    const s = sampleIndexes[i]!;
    stacks[i] = profile.stacks[s]!;
    sampleLabels[i] = sampleLevel[s] ?? null;
  }
  // Plain loops: Float64Array.from with a map function goes through the iterator protocol and was
  // the costliest line of validation.
  const values = profile.values.map((column) => {
    const picked = new Float64Array(count);
    for (let i = 0; i < count; i++) picked[i] = column[sampleIndexes[i]!]!;
    return picked;
  });
  return { ...profile, stacks, values, sampleLabels };
}

/**
 * Upstream keeps the root-most frames of over-deep stacks rather than rejecting the profile. The
 * decoders already truncate while decoding; this keeps the rule for profiles from anywhere else.
 */
function truncateDeepStacks(profile: Profile, maxStackDepth: number): Profile {
  let deep = false;
  for (const stack of profile.stacks) if (stack.length > maxStackDepth) deep = true;
  if (!deep) return profile;
  return { ...profile, stacks: profile.stacks.map((stack) => (stack.length > maxStackDepth ? stack.slice(0, maxStackDepth) : stack)) };
}

/** Over-long symbols keep their last characters (the most specific part of a qualified name). */
function clampSymbols(profile: Profile): void {
  for (let i = 0; i < profile.names.length; i++) {
    const name = profile.names[i]!;
    if (name.length > MAX_SYMBOL_LENGTH) profile.names[i] = name.slice(name.length - MAX_SYMBOL_LENGTH);
  }
}
