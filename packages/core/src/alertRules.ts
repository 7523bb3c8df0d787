/**
 * Alert and recording rules evaluated by the server (`/api/v1/rules`, `--rules-file`): the rule
 * model, its validation into a normalised `AlertRuleSpec` (every refusal is CINDER_RULE_INVALID with
 * the field named), the watched value of a call tree, and the wire types of states, alerts and
 * deliveries. Pure: the server reads trees and keeps state; the UI shows these types.
 *
 * Example (YAML, as in a rules file):
 *   - name: json-marshal-regression
 *     query: process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}
 *     watch: { function: "encoding/json.Marshal", match: exact, value: total }
 *     baseline: previous_version      # or day, week, previous_period, {offset: 2h}
 *     window: 10m
 *     interval: 1m
 *     thresholds: { warnRatio: 1.2, alertRatio: 1.5, minValuePerSecond: 0.01e9, minProfiles: 3 }
 *     notify: [{ url: "http://hooks.example/cinder", format: cinder }]
 */
import { CinderError, ErrorCodes } from './errors.js';
import { validateProfileTypeId } from './profileTypes.js';
import { compileUserRegex, UserRegexError } from './regex.js';
import { parseSelector } from './selectorParse.js';
import type { CallTree } from './tree/callTree.js';
import { REGRESSION_ALERT_RATIO, REGRESSION_WARN_RATIO } from './tree/diff.js';

export type RuleKind = 'alert' | 'recording';

/** What a rule measures in the merged tree of its selection. */
export type WatchSpec =
  | { target: 'total' }
  | {
      target: 'function';
      /** `exact` function name, `prefix` (a package: `encoding/json.`), or an RE2 `regex` matched against the whole name. */
      match: 'exact' | 'prefix' | 'regex';
      pattern: string;
      /** `self`: time in the function itself; `total`: with its callees (recursion counted once). */
      value: 'self' | 'total';
    };

export type BaselineSpec =
  /** The same window `offsetMs` earlier (a day: 86400000, a week: 604800000). */
  | { kind: 'offset'; offsetMs: number }
  /** The window just before the current one. */
  | { kind: 'previous_period' }
  /** The previous value of a version label; the change-point is the first profile of the newest value. */
  | { kind: 'previous_version'; label: string };

export interface NotifyTarget {
  url: string;
  /** `cinder`: the documented payload (docs/api.md); `alertmanager`: a JSON array of alerts as Alertmanager's `/api/v2/alerts` takes it. */
  format: 'cinder' | 'alertmanager';
}

export interface RuleThresholds {
  /** current / baseline at or above this = warn. */
  warnRatio: number;
  /** current / baseline at or above this = alert. */
  alertRatio: number;
  /** The absolute floor: below this current value per second (sample unit/s) nothing fires, so idle services do not page. */
  minValuePerSecond: number;
  /** Profiles each side must hold; fewer = not enough data (noise does not fire). */
  minProfiles: number;
}

/** A rule as validated (every field present, units in the names). */
export interface AlertRuleSpec {
  name: string;
  kind: RuleKind;
  /** `<profileTypeId>{selector}`. */
  query: string;
  watch: WatchSpec;
  baseline: BaselineSpec;
  windowMs: number;
  intervalMs: number;
  /** A breach must last this long before it fires (0 = on the first breaching evaluation). */
  forMs: number;
  thresholds: RuleThresholds;
  notify: NotifyTarget[];
  /** Copied onto notifications (Alertmanager routes on them). */
  labels: Record<string, string>;
  enabled: boolean;
}

export interface AlertRule extends AlertRuleSpec {
  /** 16 hex characters. */
  id: string;
  /** `api` rules are managed through /api/v1/rules; `file` rules come from --rules-file and are read-only. */
  source: 'api' | 'file';
  createdMs: number;
  updatedMs: number;
}

export type RuleState = 'inactive' | 'pending' | 'firing';
export type AlertSeverity = 'warn' | 'alert';

export interface GrownFunction {
  name: string;
  /** Self value per side, baseline scaled to the current side's footing (sample unit). */
  baselineSelf: number;
  currentSelf: number;
  /** currentSelf − baselineSelf: the function's absolute contribution to the growth. */
  change: number;
}

export interface AlertRecord {
  id: string;
  ruleId: string;
  ruleName: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: AlertSeverity;
  /** What the rule watches, in words (`total`, `self of json.Marshal`). */
  watched: string;
  unit: string;
  /** current / baseline (values per second, or per profile for version baselines); null = the function is new. */
  ratio: number | null;
  currentValue: number;
  baselineValue: number;
  currentProfiles: number;
  baselineProfiles: number;
  pendingSinceMs: number;
  firingSinceMs: number | null;
  resolvedMs: number | null;
  /** The last evaluation that saw the breach. */
  lastSeenMs: number;
  current: { query: string; fromMs: number; untilMs: number };
  baseline: { query: string; fromMs: number; untilMs: number };
  topFunctions: GrownFunction[];
  /** The frozen diff (GET /api/v1/snapshots/:id; page /snapshots/:id); set when it fired. */
  snapshotId: string | null;
  /** A live comparison in the UI (needs the raw data; the snapshot does not). */
  compareUrl: string;
}

export interface RuleStatus {
  state: RuleState;
  severity: AlertSeverity | null;
  lastEvaluationMs: number | null;
  lastEvaluationDurationMs: number | null;
  /** Why the last evaluation did not conclude (not enough profiles, below the floor, a store error). */
  lastNote: string | null;
  lastRatio: number | null;
  /** The last current value per second (recording rules export this). */
  lastValuePerSecond: number | null;
  activeAlertId: string | null;
  /** ClickHouse deployments: the id of the server that evaluates the rule (each rule has one). */
  evaluatedBy?: string;
}

export interface DeliveryLogEntry {
  timeMs: number;
  ruleId: string;
  alertId: string | null;
  kind: 'firing' | 'resolved' | 'test';
  url: string;
  format: NotifyTarget['format'];
  /** 1 = first try. */
  attempt: number;
  ok: boolean;
  /** HTTP status of the receiver's answer; null when there was none (connection refused, timeout). */
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  /** When the next attempt is due; null = no further attempt. */
  nextAttemptMs: number | null;
}

/** GET /api/v1/rules → {rules: RuleView[]}; GET /api/v1/rules/:id → RuleView & {deliveries}. */
export interface RuleView {
  rule: AlertRule;
  status: RuleStatus;
}

/** GET /api/v1/alerts → firing (and pending) alerts and recently resolved ones, newest first. */
export interface AlertsResponse {
  firing: AlertRecord[];
  pending: AlertRecord[];
  recent: AlertRecord[];
}

/**
 * GET /api/v1/rules/:id/series: the rule's watched value per second over a range, one point per
 * step-long bucket `(timeMs − stepMs, timeMs]`, measured as the evaluator measures a window. Buckets
 * without profiles are left out; buckets with fewer than the rule's `minProfiles` have
 * `valuePerSecond: null` (the evaluator concludes nothing from those either).
 * Example: {stepMs: 60000, points: [{timeMs: 1764370860000, valuePerSecond: 2.1e7, profiles: 6}]}
 */
export interface RuleSeriesResponse {
  ruleId: string;
  watched: string;
  /** The sample unit; values are this unit per second (e.g. CPU nanoseconds per second). */
  unit: string;
  fromMs: number;
  untilMs: number;
  stepMs: number;
  points: { timeMs: number; valuePerSecond: number | null; profiles: number }[];
}

/** The `cinder` webhook body (docs/api.md). */
export interface AlertWebhookPayload {
  version: 1;
  /** `test` = sent by the "send test" button / POST /api/v1/rules/:id/test. */
  status: 'firing' | 'resolved' | 'test';
  tenant: string;
  rule: { id: string; name: string; query: string; labels: Record<string, string> };
  alert: AlertRecord;
  /** Absolute links (the server's --public-url, else the address it listens on). */
  snapshotUrl: string | null;
  compareUrl: string;
  summary: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const RULE_LIMITS = {
  minIntervalMs: 1_000,
  maxIntervalMs: DAY_MS,
  minWindowMs: 1_000,
  maxWindowMs: 31 * DAY_MS,
  maxForMs: 7 * DAY_MS,
  maxNotifyTargets: 10,
  maxLabels: 20,
  maxNameLength: 200,
  maxRulesPerTenant: 2_000,
} as const;

function invalid(field: string, message: string): CinderError {
  return new CinderError(ErrorCodes.RULE_INVALID, `rule ${field}: ${message}`);
}

/** `15m`, `2h`, `1d`, `1w`, `500ms`, or a number of ms. */
export function parseRuleDurationMs(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(value);
    if (match) return Math.round(Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS }[match[2] as 'ms']);
  }
  throw invalid(field, `"${String(value).slice(0, 40)}" is not a duration: use e.g. 30s, 10m, 1h, 1d or a number of milliseconds`);
}

/** `<type>{selector}` → parts (the selector is checked by the same parser queries use). */
export function splitRuleQuery(query: string): { profileTypeId: string; labelSelector: string } {
  const trimmed = query.trim();
  const brace = trimmed.indexOf('{');
  const profileTypeId = (brace < 0 ? trimmed : trimmed.slice(0, brace)).trim();
  const labelSelector = brace < 0 ? '{}' : trimmed.slice(brace);
  try {
    validateProfileTypeId(profileTypeId);
    parseSelector(labelSelector);
  } catch (error) {
    throw invalid('query', `${(error as Error).message} (write <profileTypeId>{selector}, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"})`);
  }
  return { profileTypeId, labelSelector };
}

/** A selector with one more equality matcher. */
export function withMatcher(labelSelector: string, name: string, value: string): string {
  const inner = labelSelector.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  const matcher = `${name}=${JSON.stringify(value)}`;
  return `{${inner === '' ? matcher : `${inner}, ${matcher}`}}`;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'must be an object');
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'must be a non-empty string');
  if (value.length > maxLength) throw invalid(field, `is ${value.length} characters long; the limit is ${maxLength}`);
  return value.trim();
}

function positiveNumber(value: unknown, field: string, fallback: number, min = 0): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) throw invalid(field, `must be a number ≥ ${min}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  return n;
}

function parseWatch(value: unknown): WatchSpec {
  if (value === undefined || value === 'total') return { target: 'total' };
  const w = record(value, 'watch');
  if (w.target === 'total') return { target: 'total' };
  const pattern = w.pattern ?? w.function ?? w.package ?? w.regex;
  const match = w.match ?? (w.package !== undefined ? 'prefix' : w.regex !== undefined ? 'regex' : 'exact');
  if (match !== 'exact' && match !== 'prefix' && match !== 'regex') throw invalid('watch.match', `must be exact, prefix or regex, got ${JSON.stringify(match)}`);
  const name = text(pattern, 'watch.pattern', 1024);
  if (match === 'regex') {
    try {
      compileUserRegex(name);
    } catch (error) {
      if (error instanceof UserRegexError) throw invalid('watch.pattern', error.message);
      throw error;
    }
  }
  const valueKind = w.value ?? 'total';
  if (valueKind !== 'self' && valueKind !== 'total') throw invalid('watch.value', `must be self or total, got ${JSON.stringify(valueKind)}`);
  return { target: 'function', match, pattern: name, value: valueKind };
}

function parseBaseline(value: unknown): BaselineSpec {
  if (value === undefined || value === 'day') return { kind: 'offset', offsetMs: DAY_MS };
  if (value === 'week') return { kind: 'offset', offsetMs: 7 * DAY_MS };
  if (value === 'previous_period') return { kind: 'previous_period' };
  if (value === 'previous_version') return { kind: 'previous_version', label: 'version' };
  const b = record(value, 'baseline');
  const kind = b.kind ?? (b.offset !== undefined || b.offsetMs !== undefined ? 'offset' : b.label !== undefined ? 'previous_version' : undefined);
  if (kind === 'offset') {
    const offsetMs = parseRuleDurationMs(b.offsetMs ?? b.offset, 'baseline.offset');
    if (offsetMs <= 0 || offsetMs > 366 * DAY_MS) throw invalid('baseline.offset', 'must be more than 0 and at most 366d');
    return { kind: 'offset', offsetMs };
  }
  if (kind === 'previous_period') return { kind: 'previous_period' };
  if (kind === 'previous_version') {
    const label = b.label === undefined ? 'version' : text(b.label, 'baseline.label', 200);
    if (!/^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(label)) throw invalid('baseline.label', `"${label}" is not a label name`);
    return { kind: 'previous_version', label };
  }
  throw invalid('baseline', 'use day, week, previous_period, previous_version, {offset: 2h} or {kind: previous_version, label: service_version}');
}

function parseNotify(value: unknown): NotifyTarget[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('notify', 'must be a list of {url, format}');
  if (value.length > RULE_LIMITS.maxNotifyTargets) throw invalid('notify', `at most ${RULE_LIMITS.maxNotifyTargets} targets`);
  return value.map((entry, i) => {
    const t = typeof entry === 'string' ? { url: entry } : record(entry, `notify[${i}]`);
    const url = text(t.url, `notify[${i}].url`, 2000);
    // core has no URL class (no platform globals): the shape check is a pattern; fetch parses it again.
    if (!/^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i.test(url)) throw invalid(`notify[${i}].url`, `"${url.slice(0, 100)}" is not an http:// or https:// URL`);
    const format = t.format ?? 'cinder';
    if (format !== 'cinder' && format !== 'alertmanager') throw invalid(`notify[${i}].format`, `must be cinder or alertmanager, got ${JSON.stringify(format)}`);
    return { url, format };
  });
}

/**
 * Any JSON/YAML value → a complete, checked rule spec. Shorthands: `watch: total`,
 * `watch: {function: name}`, `watch: {package: prefix}`, `watch: {regex: re}`; durations as `10m`;
 * `baseline: day|week|previous_period|previous_version`.
 */
export function validateRuleSpec(input: unknown): AlertRuleSpec {
  const r = record(input, 'body');
  const name = text(r.name, 'name', RULE_LIMITS.maxNameLength);
  const kind = r.kind ?? 'alert';
  if (kind !== 'alert' && kind !== 'recording') throw invalid('kind', `must be alert or recording, got ${JSON.stringify(kind)}`);
  const query = text(r.query, 'query', 4000);
  splitRuleQuery(query);
  const windowMs = r.windowMs !== undefined || r.window !== undefined ? parseRuleDurationMs(r.windowMs ?? r.window, 'window') : 10 * 60_000;
  if (windowMs < RULE_LIMITS.minWindowMs || windowMs > RULE_LIMITS.maxWindowMs) throw invalid('window', 'must be between 1s and 31d');
  const intervalMs = r.intervalMs !== undefined || r.interval !== undefined ? parseRuleDurationMs(r.intervalMs ?? r.interval, 'interval') : 60_000;
  if (intervalMs < RULE_LIMITS.minIntervalMs || intervalMs > RULE_LIMITS.maxIntervalMs) throw invalid('interval', 'must be between 1s and 1d');
  const forMs = r.forMs !== undefined || r.for !== undefined ? parseRuleDurationMs(r.forMs ?? r.for, 'for') : 0;
  if (forMs > RULE_LIMITS.maxForMs) throw invalid('for', 'must be at most 7d');
  const th = r.thresholds === undefined ? {} : record(r.thresholds, 'thresholds');
  const warnRatio = positiveNumber(th.warnRatio, 'thresholds.warnRatio', REGRESSION_WARN_RATIO, 1);
  const alertRatio = positiveNumber(th.alertRatio, 'thresholds.alertRatio', Math.max(REGRESSION_ALERT_RATIO, warnRatio), 1);
  if (alertRatio < warnRatio) throw invalid('thresholds.alertRatio', `(${alertRatio}) must be at least warnRatio (${warnRatio})`);
  const minValuePerSecond = positiveNumber(th.minValuePerSecond, 'thresholds.minValuePerSecond', 0);
  const minProfiles = positiveNumber(th.minProfiles, 'thresholds.minProfiles', 1, 1);
  if (!Number.isInteger(minProfiles)) throw invalid('thresholds.minProfiles', 'must be a whole number');
  const labelsInput = r.labels === undefined ? {} : record(r.labels, 'labels');
  const labelEntries = Object.entries(labelsInput);
  if (labelEntries.length > RULE_LIMITS.maxLabels) throw invalid('labels', `at most ${RULE_LIMITS.maxLabels}`);
  const labels: Record<string, string> = {};
  for (const [key, value] of labelEntries) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) throw invalid(`labels.${key.slice(0, 40)}`, 'is not a label name');
    labels[key] = text(String(value), `labels.${key}`, 1000);
  }
  const enabled = r.enabled === undefined ? true : r.enabled;
  if (typeof enabled !== 'boolean') throw invalid('enabled', 'must be true or false');
  return {
    name,
    kind,
    query,
    watch: parseWatch(r.watch),
    baseline: parseBaseline(r.baseline),
    windowMs,
    intervalMs,
    forMs,
    thresholds: { warnRatio, alertRatio, minValuePerSecond, minProfiles },
    notify: parseNotify(r.notify),
    labels,
    enabled,
  };
}

/** `total`, `self of json.Marshal`, `total of package encoding/json.`, `self of /re/`. */
export function describeWatch(watch: WatchSpec): string {
  if (watch.target === 'total') return 'total';
  const what = watch.match === 'exact' ? watch.pattern : watch.match === 'prefix' ? `package ${watch.pattern}` : `/${watch.pattern}/`;
  return `${watch.value} of ${what}`;
}

/** A function-name predicate for a watch (compiled once per rule). */
export function watchMatcher(watch: WatchSpec): ((name: string) => boolean) | null {
  if (watch.target === 'total') return null;
  if (watch.match === 'exact') return (name) => name === watch.pattern;
  if (watch.match === 'prefix') return (name) => name.startsWith(watch.pattern);
  const regex = compileUserRegex(watch.pattern);
  return (name) => regex.matchesWhole(name);
}

/**
 * The watched value of a merged tree. `total` of a function counts each sample once even when the
 * function recurses (a node whose ancestor matched is not added again), so `total ≤ tree total`.
 */
export function watchedValue(tree: CallTree, watch: WatchSpec, matches: ((name: string) => boolean) | null): number {
  if (watch.target === 'total' || matches === null) return tree.total[0] ?? 0;
  const nameMatches = new Int8Array(tree.names.length).fill(-1);
  const matchedOrUnder = new Uint8Array(tree.nodeCount);
  let sum = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const nameIndex = tree.nameIndex[node]!;
    if (nameMatches[nameIndex] === -1) nameMatches[nameIndex] = matches(tree.names[nameIndex]!) ? 1 : 0;
    const parent = tree.parent[node]!;
    const ancestorMatched = parent > 0 && matchedOrUnder[parent] === 1;
    if (nameMatches[nameIndex] === 1) {
      if (watch.value === 'self') sum += tree.self[node]!;
      else if (!ancestorMatched) sum += tree.total[node]!;
    }
    matchedOrUnder[node] = ancestorMatched || nameMatches[nameIndex] === 1 ? 1 : 0;
  }
  return sum;
}
