/**
 * The alerting service: rules per tenant (API rules persisted in the data folder, file rules from
 * --rules-file), a timer that evaluates due rules with bounded concurrency, the state machine
 * inactive → pending → firing → resolved, history, notifications with frozen diff snapshots, and
 * the Prometheus series (`cinder_alerts_firing`, `cinder_profile_metric`, evaluation time).
 *
 * Disk layout (both JSON, written atomically; `version` is checked on load):
 *   <data>/alerts/rules.json  {"version":1,"tenants":{"anonymous":[AlertRule, …]}}
 *   <data>/alerts/state.json  {"version":1,"tenants":{"anonymous":{"statuses":{ruleId:RuleStatus},
 *                              "active":{ruleId:AlertRecord},"history":[AlertRecord…],"deliveries":{ruleId:[…]}}}}
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  CinderError,
  ErrorCodes,
  RULE_LIMITS,
  isSameOriginPath,
  splitRuleQuery,
  validateProfileTypeId,
  validateRuleSpec,
  type AlertRecord,
  type AlertRule,
  type AlertRuleSpec,
  type AlertWebhookPayload,
  type AlertsResponse,
  type DeliveryLogEntry,
  type DiffResponse,
  type FlameGraphResponse,
  type RuleSeriesResponse,
  type RuleStatus,
  type RuleView,
} from '@cinder/core';
import type { ReadPath } from '../query/readPath.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
import { readJsonFile, writeJsonAtomic } from '../atomicFile.js';
import { RoundCache, VersionTracker, grownFunctions, measureRule, sideQuery, type Measurement } from './evaluate.js';
import { ruleKey, type AlertCluster, type ClusterRuleState } from './cluster.js';
import { Notifier, alertmanagerResendMs } from './notifier.js';
import { ruleSeries } from './series.js';

const FILE_VERSION = 1;
const HISTORY_PER_TENANT = 200;
const DELIVERIES_PER_RULE = 50;
const RULE_ID = /^[0-9a-f]{16}$/;

export interface AlertEngineOptions {
  dataDir: string;
  read: ReadPath;
  snapshots: SnapshotStore;
  registry: Registry;
  now: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Rules from --rules-file (validated), with the tenant each belongs to. */
  fileRules?: { tenant: string; spec: AlertRuleSpec }[];
  /** How often the scheduler looks for due rules. */
  tickMs?: number;
  /** Rules evaluated at once. */
  concurrency?: number;
  retryBaseMs?: number;
  maxAttempts?: number;
  webhookTimeoutMs?: number;
  /**
   * ClickHouse deployments: rules and alert state live in the database (shared by every server)
   * instead of the data folder, and each rule is evaluated by its owner only (cluster.ts).
   */
  cluster?: AlertCluster;
}

/** A rule's own history records kept in its shared state (the tenant's list merges them). */
const CLUSTER_HISTORY_PER_RULE = 20;

interface TenantState {
  rules: Map<string, AlertRule>;
  statuses: Map<string, RuleStatus>;
  active: Map<string, AlertRecord>;
  history: AlertRecord[];
  deliveries: Map<string, DeliveryLogEntry[]>;
}

function emptyStatus(): RuleStatus {
  return { state: 'inactive', severity: null, lastEvaluationMs: null, lastEvaluationDurationMs: null, lastNote: null, lastRatio: null, lastValuePerSecond: null, activeAlertId: null };
}

export class AlertEngine {
  private readonly tenants = new Map<string, TenantState>();
  private readonly nextDueMs = new Map<string, number>();
  private readonly versions = new VersionTracker();
  /** When each firing alert was last sent to Alertmanager targets (re-sent while it fires). */
  private readonly alertmanagerSentMs = new Map<string, number>();
  private readonly notifier: Notifier;
  private readonly rulesFile: string;
  private readonly stateFile: string;
  private baseUrl = '';
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  private stateDirty = false;
  /** Cluster mode: rules whose state changed since it was last written (ruleKey). */
  private readonly dirtyRules = new Set<string>();
  /** Cluster mode: the rules this server evaluated at the last sync (ruleKey), to spot hand-overs. */
  private owned = new Set<string>();
  private lastStates = new Map<string, ClusterRuleState>();
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private closed = false;

  private readonly firingGauge: Gauge;
  private readonly profileMetric: Gauge;
  private readonly ruleEvalSeconds: Gauge;
  private readonly evalHistogram: Histogram;
  private readonly roundHistogram: Histogram;
  private readonly notifications: Counter;

  constructor(private readonly options: AlertEngineOptions) {
    this.rulesFile = path.join(options.dataDir, 'alerts', 'rules.json');
    this.stateFile = path.join(options.dataDir, 'alerts', 'state.json');
    const registers = [options.registry];
    this.firingGauge = new Gauge({ name: 'cinder_alerts_firing', help: 'Alert rules firing (1) or not (0)', labelNames: ['tenant', 'rule', 'severity'], registers });
    this.profileMetric = new Gauge({
      name: 'cinder_profile_metric',
      help: 'Recording rules: the watched value per second of the rule window (sample unit per second, e.g. CPU nanoseconds per second)',
      labelNames: ['tenant', 'rule', 'unit'],
      registers,
    });
    this.ruleEvalSeconds = new Gauge({ name: 'cinder_alert_rule_evaluation_seconds', help: 'Duration of the last evaluation of each rule', labelNames: ['tenant', 'rule'], registers });
    this.evalHistogram = new Histogram({
      name: 'cinder_alert_rule_evaluation_duration_seconds',
      help: 'Rule evaluation durations',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.roundHistogram = new Histogram({
      name: 'cinder_alert_evaluation_round_seconds',
      help: 'Duration of one evaluation round (every due rule)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.notifications = new Counter({ name: 'cinder_alert_notifications_total', help: 'Webhook delivery attempts by outcome', labelNames: ['result'], registers });
    this.notifier = new Notifier({
      retryBaseMs: options.retryBaseMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 5,
      timeoutMs: options.webhookTimeoutMs ?? 10_000,
      now: options.now,
      onAttempt: (tenant, entry) => this.logDelivery(tenant, entry),
    });
  }

  /** Loads persisted rules and state, adds file rules, starts the timer. */
  async start(): Promise<void> {
    const cluster = this.options.cluster;
    if (cluster) {
      await cluster.start();
      await this.loadFromCluster(cluster);
    } else {
      await this.load();
    }
    for (const { tenant, spec } of this.options.fileRules ?? []) {
      const state = this.tenant(tenant);
      const id = createHash('sha256').update(`${tenant}\u0000${spec.name}`).digest('hex').slice(0, 16);
      const clash = [...state.rules.values()].find((r) => r.name === spec.name && r.id !== id);
      if (clash) {
        this.options.log.warn({ tenant, rule: spec.name }, 'a rules-file rule replaces an API rule of the same name');
        this.removeRule(tenant, clash.id);
      }
      const nowMs = this.options.now();
      state.rules.set(id, { ...spec, id, source: 'file', createdMs: nowMs, updatedMs: nowMs });
    }
    // File rules that left the file are gone; API rules came from rules.json.
    for (const [tenant, state] of this.tenants) {
      for (const [id, rule] of state.rules) {
        if (rule.source === 'file' && !(this.options.fileRules ?? []).some((f) => f.tenant === tenant && f.spec.name === rule.name)) this.removeRule(tenant, id);
      }
      for (const rule of state.rules.values()) this.publishRule(tenant, rule);
    }
    const tickMs = this.options.tickMs ?? 1_000;
    this.timer = setInterval(() => {
      if (this.round === null && !this.closed) {
        this.round = this.evaluateDue(this.options.now()).finally(() => (this.round = null));
      }
    }, tickMs);
    this.timer.unref();
    if (cluster) {
      this.owned = this.ownedKeys(cluster);
      this.syncTimer = setInterval(() => {
        if (this.syncing === null && !this.closed) {
          this.syncing = this.sync(cluster)
            .catch((error: unknown) => this.options.log.warn({ err: error }, 'alert rules could not be synchronised with ClickHouse'))
            .finally(() => (this.syncing = null));
        }
      }, cluster.heartbeatMs);
      this.syncTimer.unref();
    }
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.notifier.close();
    await this.round?.catch(() => undefined);
    await this.syncing;
    await this.flushState().catch((error: unknown) => this.options.log.error({ err: error }, 'alert state could not be written'));
    await this.options.cluster?.close().catch((error: unknown) => this.options.log.warn({ err: error }, 'could not leave the alerting cluster cleanly'));
  }

  // ---- rules -------------------------------------------------------------------------------

  list(tenant: string): RuleView[] {
    const state = this.tenants.get(tenant);
    if (!state) return [];
    return [...state.rules.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((rule) => this.view(state, rule));
  }

  get(tenant: string, id: string): RuleView & { deliveries: DeliveryLogEntry[] } {
    const state = this.tenants.get(tenant);
    const rule = this.ruleOf(state, id);
    return { ...this.view(state!, rule), deliveries: [...(state!.deliveries.get(id) ?? [])].reverse() };
  }

  async create(tenant: string, body: unknown): Promise<RuleView> {
    const spec = validateRuleSpec(body);
    const state = this.tenant(tenant);
    if (state.rules.size >= RULE_LIMITS.maxRulesPerTenant) throw new CinderError(ErrorCodes.RULE_LIMIT, `this tenant already has ${state.rules.size} rules (the limit is ${RULE_LIMITS.maxRulesPerTenant})`);
    this.checkUniqueName(state, spec.name, null);
    const nowMs = this.options.now();
    const rule: AlertRule = { ...spec, id: randomBytes(8).toString('hex'), source: 'api', createdMs: nowMs, updatedMs: nowMs };
    state.rules.set(rule.id, rule);
    this.publishRule(tenant, rule);
    await this.saveRules(tenant, rule.id);
    return this.view(state, rule);
  }

  async update(tenant: string, id: string, body: unknown): Promise<RuleView> {
    const state = this.tenants.get(tenant);
    const existing = this.ruleOf(state, id);
    if (existing.source === 'file') throw new CinderError(ErrorCodes.RULE_READ_ONLY, `rule "${existing.name}" comes from the rules file: change it there`);
    const spec = validateRuleSpec(body);
    this.checkUniqueName(state!, spec.name, id);
    if (spec.name !== existing.name) this.unpublishRule(tenant, existing);
    const rule: AlertRule = { ...spec, id, source: 'api', createdMs: existing.createdMs, updatedMs: this.options.now() };
    state!.rules.set(id, rule);
    // A changed rule starts over: its old breach was measured against other settings.
    this.resetRule(tenant, state!, id);
    this.publishRule(tenant, rule);
    await this.saveRules(tenant, id);
    return this.view(state!, rule);
  }

  async delete(tenant: string, id: string): Promise<void> {
    const state = this.tenants.get(tenant);
    const rule = this.ruleOf(state, id);
    if (rule.source === 'file') throw new CinderError(ErrorCodes.RULE_READ_ONLY, `rule "${rule.name}" comes from the rules file: remove it there`);
    this.removeRule(tenant, id);
    await this.saveRules(tenant, id);
  }

  /** Sends a `test` notification to every target of the rule, one attempt each. */
  async sendTest(tenant: string, id: string): Promise<DeliveryLogEntry[]> {
    const state = this.tenants.get(tenant);
    const rule = this.ruleOf(state, id);
    if (rule.notify.length === 0) throw new CinderError(ErrorCodes.RULE_INVALID, `rule "${rule.name}" has no notify targets to test`);
    const nowMs = this.options.now();
    const record: AlertRecord = {
      id: 'test',
      ruleId: rule.id,
      ruleName: rule.name,
      state: 'firing',
      severity: 'warn',
      watched: 'test notification',
      unit: '',
      ratio: rule.thresholds.alertRatio,
      currentValue: 0,
      baselineValue: 0,
      currentProfiles: 0,
      baselineProfiles: 0,
      pendingSinceMs: nowMs,
      firingSinceMs: nowMs,
      resolvedMs: null,
      lastSeenMs: nowMs,
      current: { query: rule.query, fromMs: nowMs - rule.windowMs, untilMs: nowMs },
      baseline: { query: rule.query, fromMs: nowMs - 2 * rule.windowMs, untilMs: nowMs - rule.windowMs },
      topFunctions: [],
      snapshotId: null,
      compareUrl: '/compare',
    };
    const payload = this.payload(tenant, rule, record, 'test');
    const results = await Promise.all(rule.notify.map((target) => this.notifier.sendOnce(tenant, rule, target, payload)));
    this.markDirty(tenant, rule.id);
    return results;
  }

  /** The rule's watched value per second over `[fromMs, untilMs]` (series.ts). */
  series(tenant: string, id: string, fromMs: number, untilMs: number, points?: number): Promise<RuleSeriesResponse> {
    const rule = this.ruleOf(this.tenants.get(tenant), id);
    return ruleSeries(this.options.read, tenant, rule, fromMs, untilMs, points);
  }

  nowMs(): number {
    return this.options.now();
  }

  alerts(tenant: string): AlertsResponse {
    const state = this.tenants.get(tenant);
    if (!state) return { firing: [], pending: [], recent: [] };
    const active = [...state.active.values()].sort((a, b) => b.pendingSinceMs - a.pendingSinceMs);
    return {
      firing: active.filter((a) => a.state === 'firing'),
      pending: active.filter((a) => a.state === 'pending'),
      recent: state.history.filter((a) => a.state === 'resolved'),
    };
  }

  // ---- evaluation --------------------------------------------------------------------------

  /** Evaluates every enabled rule now (the benchmark and tests); returns the round's duration. */
  async evaluateAll(nowMs = this.options.now()): Promise<{ durationMs: number; rules: number; merges: number }> {
    const due: [string, AlertRule][] = [];
    for (const [tenant, state] of this.tenants) for (const rule of state.rules.values()) if (rule.enabled) due.push([tenant, rule]);
    return this.evaluateRules(due, nowMs);
  }

  private async evaluateDue(nowMs: number): Promise<void> {
    const due: [string, AlertRule][] = [];
    for (const [tenant, state] of this.tenants) {
      for (const rule of state.rules.values()) {
        if (!rule.enabled) continue;
        // Another server evaluates (and notifies) this one.
        if (this.options.cluster && !this.options.cluster.owns(tenant, rule.id)) continue;
        const key = `${tenant}\u0000${rule.id}`;
        if ((this.nextDueMs.get(key) ?? 0) <= nowMs) due.push([tenant, rule]);
      }
    }
    if (due.length === 0) return;
    await this.evaluateRules(due, nowMs);
    await this.flushState();
  }

  private async evaluateRules(due: [string, AlertRule][], nowMs: number): Promise<{ durationMs: number; rules: number; merges: number }> {
    const startedMs = performance.now();
    const cache = new RoundCache(this.options.read, this.versions);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length && !this.closed) {
        const [tenant, rule] = due[next++]!;
        this.nextDueMs.set(`${tenant}\u0000${rule.id}`, nowMs + rule.intervalMs);
        await this.evaluateOne(tenant, rule, nowMs, cache);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, due.length) }, worker));
    const durationMs = performance.now() - startedMs;
    this.roundHistogram.observe(durationMs / 1000);
    return { durationMs, rules: due.length, merges: cache.merges };
  }

  private async evaluateOne(tenant: string, rule: AlertRule, nowMs: number, cache: RoundCache): Promise<void> {
    const state = this.tenants.get(tenant);
    // Deleted or replaced while the round ran.
    if (!state || state.rules.get(rule.id) !== rule) return;
    const status = this.status(state, rule.id);
    const startedMs = performance.now();
    let measurement: Measurement;
    try {
      measurement = await measureRule(rule, tenant, nowMs, cache);
    } catch (error) {
      status.lastEvaluationMs = nowMs;
      status.lastNote = `evaluation failed: ${(error as Error).message.slice(0, 300)}`;
      this.options.log.warn({ err: error, tenant, rule: rule.name }, 'alert rule evaluation failed');
      this.markDirty(tenant, rule.id);
      return;
    } finally {
      const seconds = (performance.now() - startedMs) / 1000;
      status.lastEvaluationDurationMs = seconds * 1000;
      this.evalHistogram.observe(seconds);
      this.ruleEvalSeconds.set({ tenant, rule: rule.name }, seconds);
    }
    if (state.rules.get(rule.id) !== rule) return;
    status.lastEvaluationMs = nowMs;
    status.lastNote = measurement.note;
    status.lastRatio = measurement.ratio;
    status.lastValuePerSecond = measurement.currentPerSecond;
    if (this.options.cluster) status.evaluatedBy = this.options.cluster.serverId;
    this.markDirty(tenant, rule.id);
    if (rule.kind === 'recording') {
      if (measurement.currentPerSecond !== null) this.profileMetric.set({ tenant, rule: rule.name, unit: measurement.unit }, measurement.currentPerSecond);
      return;
    }
    await this.transition(tenant, state, rule, status, measurement, nowMs);
  }

  /** The state machine: a breach opens (pending) or keeps an alert; no breach resolves it. */
  private async transition(tenant: string, state: TenantState, rule: AlertRule, status: RuleStatus, m: Measurement, nowMs: number): Promise<void> {
    let record = state.active.get(rule.id);
    if (m.breach !== null && m.current && m.baseline) {
      if (!record) {
        record = {
          id: randomBytes(8).toString('hex'),
          ruleId: rule.id,
          ruleName: rule.name,
          state: 'pending',
          severity: m.breach,
          watched: m.watched,
          unit: m.unit,
          ratio: m.ratio,
          currentValue: m.currentValue,
          baselineValue: m.baselineValue,
          currentProfiles: m.current.profiles,
          baselineProfiles: m.baseline.profiles,
          pendingSinceMs: nowMs,
          firingSinceMs: null,
          resolvedMs: null,
          lastSeenMs: nowMs,
          current: sideQuery(m.current),
          baseline: sideQuery(m.baseline),
          topFunctions: [],
          snapshotId: null,
          compareUrl: compareUrl(rule, m),
        };
        state.active.set(rule.id, record);
      } else {
        record.severity = record.severity === 'alert' ? 'alert' : m.breach;
        record.ratio = m.ratio;
        record.currentValue = m.currentValue;
        record.baselineValue = m.baselineValue;
        record.currentProfiles = m.current.profiles;
        record.baselineProfiles = m.baseline.profiles;
        record.lastSeenMs = nowMs;
      }
      if (record.state === 'pending' && nowMs - record.pendingSinceMs >= rule.forMs) {
        record.state = 'firing';
        record.firingSinceMs = nowMs;
        record.current = sideQuery(m.current);
        record.baseline = sideQuery(m.baseline);
        record.compareUrl = compareUrl(rule, m);
        record.topFunctions = grownFunctions(m);
        try {
          record.snapshotId = await this.freezeDiff(tenant, rule, record, m);
        } catch (error) {
          this.options.log.error({ err: error, rule: rule.name }, 'alert snapshot could not be written; notifying without it');
        }
        state.history.unshift(record);
        if (state.history.length > HISTORY_PER_TENANT) state.history.length = HISTORY_PER_TENANT;
        this.notify(tenant, rule, record, 'firing');
        this.alertmanagerSentMs.set(record.id, nowMs);
      } else if (record.state === 'firing' && nowMs - (this.alertmanagerSentMs.get(record.id) ?? 0) >= alertmanagerResendMs(rule)) {
        // Still firing: Alertmanager targets hear it again before the `endsAt` they were given.
        const payload = this.payload(tenant, rule, structuredClone(record), 'firing');
        for (const target of rule.notify) if (target.format === 'alertmanager') this.notifier.deliver(tenant, rule, target, payload);
        this.alertmanagerSentMs.set(record.id, nowMs);
      }
      status.state = record.state === 'firing' ? 'firing' : 'pending';
      status.severity = record.severity;
      status.activeAlertId = record.id;
    } else {
      if (record) {
        state.active.delete(rule.id);
        this.alertmanagerSentMs.delete(record.id);
        if (record.state === 'firing') {
          record.state = 'resolved';
          record.resolvedMs = nowMs;
          if (m.ratio !== null || m.current) record.ratio = m.ratio;
          this.notify(tenant, rule, record, 'resolved');
        }
      }
      status.state = 'inactive';
      status.severity = null;
      status.activeAlertId = null;
    }
    this.firingGauge.set({ tenant, rule: rule.name, severity: status.severity ?? 'none' }, status.state === 'firing' ? 1 : 0);
    for (const severity of ['warn', 'alert', 'none'] as const) {
      if (severity !== (status.severity ?? 'none')) this.firingGauge.remove({ tenant, rule: rule.name, severity });
    }
  }

  /** Baseline vs current at firing time, frozen through the snapshot store (outlives retention). */
  private async freezeDiff(tenant: string, rule: AlertRule, record: AlertRecord, m: Measurement): Promise<string> {
    const current = m.current!;
    const baseline = m.baseline!;
    const currentRequest = { profileTypeId: current.profileTypeId, labelSelector: current.labelSelector, fromMs: current.fromMs, toMs: current.untilMs };
    const baselineRequest = { profileTypeId: baseline.profileTypeId, labelSelector: baseline.labelSelector, fromMs: baseline.fromMs, toMs: baseline.untilMs };
    const read = this.options.read;
    const answer = await read.flameGraph(tenant, currentRequest);
    const result: FlameGraphResponse = {
      profileTypeId: answer.profileTypeId,
      unit: answer.unit,
      flamegraph: answer.flamegraph,
      truncation: answer.truncation,
      top: read.topTable(answer, 500),
      profileCount: current.profiles,
      fromMs: current.fromMs,
      untilMs: current.untilMs,
    };
    // Version baselines compare per profile: the diff is scaled the same way as the ratio.
    const diffAnswer = await read.diff(tenant, { baseline: baselineRequest, comparison: currentRequest, mode: 'absolute', normalize: rule.baseline.kind === 'previous_version' ? 'none' : 'duration' });
    const scale = rule.baseline.kind === 'previous_version' ? m.baselineScale : diffAnswer.normalization.baselineScale;
    const diff: DiffResponse = {
      profileTypeId: diffAnswer.profileTypeId,
      unit: diffAnswer.unit,
      mode: 'absolute',
      normalization:
        rule.baseline.kind === 'previous_version'
          ? { kind: 'none', baselineScale: scale, description: `baseline ×${scale.toPrecision(3)}: per profile (previous version had ${baseline.profiles}, current ${current.profiles})` }
          : diffAnswer.normalization,
      flamegraph: diffAnswer.flamegraph,
      table: diffAnswer.table(500),
      baselineTotal: (diffAnswer.baselineTree.total[0] ?? 0) * (rule.baseline.kind === 'previous_version' ? scale : 1),
      comparisonTotal: diffAnswer.comparisonTree.total[0] ?? 0,
    };
    if (rule.baseline.kind === 'previous_version') {
      diff.table = diff.table.map((row) => {
        const baselineSelf = row.baselineSelf * scale;
        const baselineTotal = row.baselineTotal * scale;
        const change = row.comparisonTotal - baselineTotal;
        return { ...row, baselineSelf, baselineTotal, change, changeRatio: baselineTotal > 0 ? change / baselineTotal : row.changeRatio };
      });
    }
    const ratioText = record.ratio === null ? 'new' : `×${record.ratio.toFixed(2)}`;
    const viewUrl = isSameOriginPath(record.compareUrl) ? record.compareUrl : '';
    const meta = await this.options.snapshots.create(tenant, {
      title: `Alert ${rule.name}: ${record.watched} ${ratioText}`.slice(0, 200),
      viewUrl,
      profileTypeId: current.profileTypeId,
      fromMs: current.fromMs,
      untilMs: current.untilMs,
      result,
      diff,
    });
    return meta.id;
  }

  private payload(tenant: string, rule: AlertRule, record: AlertRecord, status: AlertWebhookPayload['status']): AlertWebhookPayload {
    const ratioText = record.ratio === null ? 'new (no baseline value)' : `${record.ratio.toFixed(2)}× the baseline`;
    const top = record.topFunctions.length > 0 ? `; grew most: ${record.topFunctions.slice(0, 3).map((f) => f.name).join(', ')}` : '';
    const summary =
      status === 'test'
        ? `Test notification for rule "${rule.name}"`
        : status === 'resolved'
          ? `Resolved: ${rule.name} (${record.watched}) is back under ${rule.thresholds.warnRatio}× the baseline`
          : `${record.severity === 'alert' ? 'ALERT' : 'WARN'}: ${rule.name}: ${record.watched} is ${ratioText}${top}`;
    return {
      version: 1,
      status,
      tenant,
      rule: { id: rule.id, name: rule.name, query: rule.query, labels: rule.labels },
      alert: record,
      snapshotUrl: record.snapshotId ? `${this.baseUrl}/snapshots/${record.snapshotId}` : null,
      compareUrl: `${this.baseUrl}${record.compareUrl}`,
      summary,
    };
  }

  private notify(tenant: string, rule: AlertRule, record: AlertRecord, status: 'firing' | 'resolved'): void {
    const payload = this.payload(tenant, rule, structuredClone(record), status);
    for (const target of rule.notify) this.notifier.deliver(tenant, rule, target, payload);
  }

  private logDelivery(tenant: string, entry: DeliveryLogEntry): void {
    this.notifications.inc({ result: entry.ok ? 'ok' : 'failed' });
    const state = this.tenants.get(tenant);
    if (!state || !state.rules.has(entry.ruleId)) return;
    let log = state.deliveries.get(entry.ruleId);
    if (!log) state.deliveries.set(entry.ruleId, (log = []));
    log.push(entry);
    if (log.length > DELIVERIES_PER_RULE) log.splice(0, log.length - DELIVERIES_PER_RULE);
    if (!entry.ok) this.options.log.warn({ tenant, rule: entry.ruleId, url: entry.url, attempt: entry.attempt, error: entry.error }, 'alert notification failed');
    this.markDirty(tenant, entry.ruleId);
    void this.flushState();
  }

  // ---- state and persistence ---------------------------------------------------------------

  private tenant(tenant: string): TenantState {
    let state = this.tenants.get(tenant);
    if (!state) {
      state = { rules: new Map(), statuses: new Map(), active: new Map(), history: [], deliveries: new Map() };
      this.tenants.set(tenant, state);
    }
    return state;
  }

  private status(state: TenantState, id: string): RuleStatus {
    let status = state.statuses.get(id);
    if (!status) state.statuses.set(id, (status = emptyStatus()));
    return status;
  }

  private view(state: TenantState, rule: AlertRule): RuleView {
    return { rule, status: { ...this.status(state, rule.id) } };
  }

  private ruleOf(state: TenantState | undefined, id: string): AlertRule {
    const rule = RULE_ID.test(id) ? state?.rules.get(id) : undefined;
    if (!rule) throw new CinderError(ErrorCodes.NOT_FOUND, `no rule "${id.slice(0, 40)}" (rule ids are 16 hex characters; GET /api/v1/rules lists them)`);
    return rule;
  }

  private checkUniqueName(state: TenantState, name: string, exceptId: string | null): void {
    for (const rule of state.rules.values()) {
      if (rule.name === name && rule.id !== exceptId) throw new CinderError(ErrorCodes.RULE_INVALID, `rule name: a rule named "${name}" already exists (names label the /metrics series)`);
    }
  }

  private publishRule(tenant: string, rule: AlertRule): void {
    if (rule.kind === 'alert') {
      const status = this.tenants.get(tenant)?.statuses.get(rule.id);
      this.firingGauge.set({ tenant, rule: rule.name, severity: status?.severity ?? 'none' }, status?.state === 'firing' ? 1 : 0);
    }
  }

  private unpublishRule(tenant: string, rule: AlertRule): void {
    for (const severity of ['warn', 'alert', 'none']) this.firingGauge.remove({ tenant, rule: rule.name, severity });
    this.profileMetric.remove({ tenant, rule: rule.name, unit: validateProfileTypeId(splitRuleQuery(rule.query).profileTypeId).sampleUnit });
    this.ruleEvalSeconds.remove({ tenant, rule: rule.name });
  }

  private resetRule(tenant: string, state: TenantState, id: string): void {
    const active = state.active.get(id);
    if (active) this.alertmanagerSentMs.delete(active.id);
    state.statuses.delete(id);
    state.active.delete(id);
    this.nextDueMs.delete(`${tenant}\u0000${id}`);
    this.markDirty(tenant, id);
  }

  private removeRule(tenant: string, id: string): void {
    const state = this.tenants.get(tenant);
    const rule = state?.rules.get(id);
    if (!state || !rule) return;
    state.rules.delete(id);
    state.deliveries.delete(id);
    this.resetRule(tenant, state, id);
    this.unpublishRule(tenant, rule);
  }

  private markDirty(tenant?: string, id?: string): void {
    this.stateDirty = true;
    if (tenant !== undefined && id !== undefined) this.dirtyRules.add(ruleKey(tenant, id));
  }

  private queueWrite(write: () => Promise<void>): Promise<void> {
    const next = this.writeChain.then(write, write);
    this.writeChain = next.catch((error: unknown) => this.options.log.error({ err: error }, 'alert state could not be written'));
    return next;
  }

  private saveRules(changedTenant: string, changedId: string): Promise<void> {
    const cluster = this.options.cluster;
    if (cluster) {
      const rule = this.tenants.get(changedTenant)?.rules.get(changedId);
      return this.queueWrite(() => cluster.putRule(changedTenant, changedId, rule?.source === 'api' ? rule : null)).then(() => this.flushState());
    }
    const tenants: Record<string, AlertRule[]> = {};
    for (const [tenant, state] of this.tenants) {
      const rules = [...state.rules.values()].filter((r) => r.source === 'api');
      if (rules.length > 0) tenants[tenant] = rules;
    }
    const snapshot = structuredClone({ version: FILE_VERSION, tenants });
    this.markDirty();
    return this.queueWrite(() => writeJsonAtomic(this.rulesFile, snapshot)).then(() => this.flushState());
  }

  private flushState(): Promise<void> {
    if (!this.stateDirty) return this.writeChain;
    this.stateDirty = false;
    const cluster = this.options.cluster;
    if (cluster) {
      const states: { tenant: string; id: string; state: ClusterRuleState }[] = [];
      for (const key of this.dirtyRules) {
        const [tenant, id] = key.split('\u0000') as [string, string];
        const state = this.tenants.get(tenant);
        if (!state?.rules.has(id)) continue;
        states.push({
          tenant,
          id,
          state: structuredClone({
            status: this.status(state, id),
            active: state.active.get(id) ?? null,
            deliveries: state.deliveries.get(id) ?? [],
            history: state.history.filter((record) => record.ruleId === id).slice(0, CLUSTER_HISTORY_PER_RULE),
          }),
        });
      }
      this.dirtyRules.clear();
      return this.queueWrite(() => cluster.putStates(states));
    }
    const tenants: Record<string, unknown> = {};
    for (const [tenant, state] of this.tenants) {
      tenants[tenant] = {
        statuses: Object.fromEntries(state.statuses),
        active: Object.fromEntries(state.active),
        history: state.history,
        deliveries: Object.fromEntries(state.deliveries),
      };
    }
    const snapshot = structuredClone({ version: FILE_VERSION, tenants });
    return this.queueWrite(() => writeJsonAtomic(this.stateFile, snapshot));
  }

  // ---- cluster (ClickHouse deployments) ------------------------------------------------------

  private ownedKeys(cluster: AlertCluster): Set<string> {
    const keys = new Set<string>();
    for (const [tenant, state] of this.tenants) for (const id of state.rules.keys()) if (cluster.owns(tenant, id)) keys.add(ruleKey(tenant, id));
    return keys;
  }

  private async loadFromCluster(cluster: AlertCluster): Promise<void> {
    this.applyRules((await cluster.pullRules(true))!);
    this.lastStates = (await cluster.pullStates(true))!;
    for (const [tenant, state] of this.tenants) for (const id of state.rules.keys()) this.adoptState(tenant, state, id);
  }

  /** One heartbeat: beat, re-read who is alive, then other servers' rule changes and states. */
  private async sync(cluster: AlertCluster): Promise<void> {
    await cluster.beat();
    await cluster.refreshLive();
    const rules = await cluster.pullRules();
    if (rules) this.applyRules(rules);
    const states = await cluster.pullStates();
    if (states) this.lastStates = states;
    const owned = this.ownedKeys(cluster);
    for (const [tenant, state] of this.tenants) {
      for (const id of state.rules.keys()) {
        const key = ruleKey(tenant, id);
        // Rules another server evaluates show its state here; a rule handed over to this server
        // continues from its last owner's state (a firing alert is not fired again).
        if (!owned.has(key) ? states !== null : !this.owned.has(key)) this.adoptState(tenant, state, id);
      }
    }
    this.owned = owned;
  }

  /** Makes the in-memory API rules equal to the shared ones (file rules stay this server's own). */
  private applyRules(shared: Map<string, AlertRule[]>): void {
    for (const [tenant, list] of shared) {
      const state = this.tenant(tenant);
      for (const stored of list) {
        const existing = state.rules.get(stored.id);
        if (existing && existing.updatedMs === stored.updatedMs && existing.name === stored.name) continue;
        // This server's --rules-file rule of the same name wins here, as it does at start.
        if ([...state.rules.values()].some((r) => r.source === 'file' && r.name === stored.name)) continue;
        let rule: AlertRule;
        try {
          rule = { ...validateRuleSpec(stored), id: stored.id, source: 'api', createdMs: stored.createdMs, updatedMs: stored.updatedMs };
        } catch (error) {
          this.options.log.error({ err: error, tenant, rule: stored?.name }, 'a stored rule is not valid and was skipped');
          continue;
        }
        if (existing) {
          if (existing.name !== rule.name) this.unpublishRule(tenant, existing);
          // Changed elsewhere: it starts over there, and its state comes from there (not written from here).
          state.statuses.delete(rule.id);
          state.active.delete(rule.id);
          this.nextDueMs.delete(`${tenant}\u0000${rule.id}`);
        }
        state.rules.set(rule.id, rule);
        this.publishRule(tenant, rule);
      }
    }
    for (const [tenant, state] of this.tenants) {
      const ids = new Set((shared.get(tenant) ?? []).map((r) => r.id));
      for (const [id, rule] of state.rules) if (rule.source === 'api' && !ids.has(id)) this.removeRule(tenant, id);
    }
  }

  private adoptState(tenant: string, state: TenantState, id: string): void {
    const shared = this.lastStates.get(ruleKey(tenant, id));
    if (!shared) return;
    const history = shared.history.slice(0, CLUSTER_HISTORY_PER_RULE);
    const byId = new Map(history.map((record) => [record.id, record]));
    state.statuses.set(id, shared.status);
    if (shared.active) state.active.set(id, byId.get(shared.active.id) ?? shared.active);
    else state.active.delete(id);
    state.deliveries.set(id, shared.deliveries.slice(-DELIVERIES_PER_RULE));
    const timeOf = (record: AlertRecord): number => record.firingSinceMs ?? record.pendingSinceMs;
    state.history = [...state.history.filter((record) => record.ruleId !== id), ...history].sort((a, b) => timeOf(b) - timeOf(a)).slice(0, HISTORY_PER_TENANT);
  }

  private async load(): Promise<void> {
    const rules = (await readJsonFile(this.rulesFile)) as { version?: number; tenants?: Record<string, AlertRule[]> } | null;
    if (rules) {
      if (rules.version !== FILE_VERSION) throw new CinderError(ErrorCodes.STORE_NEWER_SCHEMA, `${this.rulesFile} has version ${rules.version}; this Cinder reads version ${FILE_VERSION}`);
      for (const [tenant, list] of Object.entries(rules.tenants ?? {})) {
        const state = this.tenant(tenant);
        for (const stored of list) {
          try {
            // Re-validated: a hand-edited file must not put a bad rule into the evaluator.
            const spec = validateRuleSpec(stored);
            state.rules.set(stored.id, { ...spec, id: stored.id, source: 'api', createdMs: stored.createdMs, updatedMs: stored.updatedMs });
          } catch (error) {
            this.options.log.error({ err: error, tenant, rule: stored?.name }, 'a stored rule is not valid and was skipped');
          }
        }
      }
    }
    const saved = (await readJsonFile(this.stateFile).catch((error: unknown) => {
      this.options.log.warn({ err: error }, 'alert state file unreadable; starting with empty alert state');
      return null;
    })) as { version?: number; tenants?: Record<string, { statuses?: Record<string, RuleStatus>; active?: Record<string, AlertRecord>; history?: AlertRecord[]; deliveries?: Record<string, DeliveryLogEntry[]> }> } | null;
    if (saved?.version === FILE_VERSION) {
      for (const [tenant, entry] of Object.entries(saved.tenants ?? {})) {
        const state = this.tenant(tenant);
        const history = (entry.history ?? []).slice(0, HISTORY_PER_TENANT);
        const byId = new Map(history.map((record) => [record.id, record]));
        for (const [id, status] of Object.entries(entry.statuses ?? {})) state.statuses.set(id, status);
        // Active alerts and their history entries are one object in memory, as before the restart.
        for (const [id, record] of Object.entries(entry.active ?? {})) state.active.set(id, byId.get(record.id) ?? record);
        state.history = history;
        for (const [id, log] of Object.entries(entry.deliveries ?? {})) state.deliveries.set(id, log.slice(-DELIVERIES_PER_RULE));
      }
    }
  }
}

/** A live comparison in the UI for the alert's two sides. */
function compareUrl(rule: AlertRule, m: Measurement): string {
  const service = /service_name="([^"]*)"/.exec(rule.query)?.[1] ?? '';
  const current = m.current!;
  const params = new URLSearchParams({ type: current.profileTypeId, from: String(current.fromMs), until: String(current.untilMs) });
  if (service) params.set('service', service);
  if (rule.baseline.kind === 'previous_version') {
    const valueOf = (selector: string): string => new RegExp(`${rule.baseline.kind === 'previous_version' ? rule.baseline.label : ''}="((?:[^"\\\\]|\\\\.)*)"\\}?$`).exec(selector)?.[1] ?? '';
    params.set('preset', 'labels');
    params.set('label', rule.baseline.label);
    params.set('a', valueOf(m.baseline?.labelSelector ?? ''));
    params.set('b', valueOf(current.labelSelector));
  } else if (rule.baseline.kind === 'previous_period') {
    params.set('preset', 'previous');
  }
  return `/compare?${params.toString()}`;
}

