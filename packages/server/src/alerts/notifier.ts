/**
 * Webhook delivery: one POST per target with a timeout, retried with exponential back-off
 * (base, 2·base, 4·base … capped) up to a fixed number of attempts; every attempt is logged.
 * Deliveries run in the background and never hold up an evaluation round.
 */
import type { AlertRecord, AlertRule, AlertWebhookPayload, DeliveryLogEntry, NotifyTarget } from '@cinder/core';

export interface NotifierOptions {
  /** Delay before the 2nd attempt; doubles each time. */
  retryBaseMs: number;
  maxAttempts: number;
  timeoutMs: number;
  now: () => number;
  /** Every attempt's outcome (the engine keeps a bounded log per rule). */
  onAttempt(tenant: string, entry: DeliveryLogEntry): void;
}

const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Deliveries waiting or running at once; beyond this new ones are dropped (and logged as such). */
const MAX_IN_FLIGHT = 1_000;

export class Notifier {
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: NotifierOptions) {}

  /** Body for one target format. */
  static body(target: NotifyTarget, payload: AlertWebhookPayload, rule: AlertRule, nowMs: number): unknown {
    if (target.format === 'cinder') return payload;
    return [alertmanagerAlert(payload, nowMs + 4 * alertmanagerResendMs(rule))];
  }

  /** Sends in the background with retries. */
  deliver(tenant: string, rule: AlertRule, target: NotifyTarget, payload: AlertWebhookPayload): void {
    if (this.closed) return;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.options.onAttempt(tenant, this.entry(rule, target, payload, 1, { ok: false, httpStatus: null, error: `dropped: ${MAX_IN_FLIGHT} deliveries already pending`, durationMs: 0 }, null));
      return;
    }
    this.inFlight++;
    const attempt = async (n: number): Promise<void> => {
      if (this.closed) return this.done();
      const outcome = await this.post(target, payload, rule);
      const retry = !outcome.ok && n < this.options.maxAttempts;
      const delayMs = Math.min(MAX_RETRY_DELAY_MS, this.options.retryBaseMs * 2 ** (n - 1));
      this.options.onAttempt(tenant, this.entry(rule, target, payload, n, outcome, retry ? this.options.now() + delayMs : null));
      if (!retry) return this.done();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void attempt(n + 1);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    };
    void attempt(1);
  }

  /** One attempt, awaited (the "send test" button shows its outcome). */
  async sendOnce(tenant: string, rule: AlertRule, target: NotifyTarget, payload: AlertWebhookPayload): Promise<DeliveryLogEntry> {
    const entry = this.entry(rule, target, payload, 1, await this.post(target, payload, rule), null);
    this.options.onAttempt(tenant, entry);
    return entry;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private done(): void {
    this.inFlight--;
  }

  private entry(
    rule: AlertRule,
    target: NotifyTarget,
    payload: AlertWebhookPayload,
    attempt: number,
    outcome: { ok: boolean; httpStatus: number | null; error: string | null; durationMs: number },
    nextAttemptMs: number | null,
  ): DeliveryLogEntry {
    return {
      timeMs: this.options.now(),
      ruleId: rule.id,
      alertId: payload.status === 'test' ? null : payload.alert.id,
      kind: payload.status,
      url: target.url,
      format: target.format,
      attempt,
      ...outcome,
      nextAttemptMs,
    };
  }

  private async post(target: NotifyTarget, payload: AlertWebhookPayload, rule: AlertRule): Promise<{ ok: boolean; httpStatus: number | null; error: string | null; durationMs: number }> {
    const startedMs = performance.now();
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cinder-alerts/1' },
        body: JSON.stringify(Notifier.body(target, payload, rule, this.options.now())),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'manual',
      });
      // Drain so the connection is released; receivers' bodies are not read further.
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return { ok, httpStatus: response.status, error: ok ? null : `receiver answered HTTP ${response.status}`, durationMs: performance.now() - startedMs };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const message = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
      return { ok: false, httpStatus: null, error: String(message).slice(0, 300), durationMs: performance.now() - startedMs };
    }
  }
}

/**
 * Alertmanager forgets a firing alert that is not sent again before its `endsAt` (as Prometheus
 * does, Cinder re-sends while it fires, at least a minute apart, and sets `endsAt` four re-sends ahead).
 */
export function alertmanagerResendMs(rule: AlertRule): number {
  return Math.max(60_000, rule.intervalMs);
}

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it (a list of these). */
export function alertmanagerAlert(payload: AlertWebhookPayload, firingEndsAtMs: number): Record<string, unknown> {
  const alert: AlertRecord = payload.alert;
  const labels: Record<string, string> = {
    alertname: payload.rule.name,
    severity: alert.severity === 'alert' ? 'critical' : 'warning',
    cinder_rule_id: payload.rule.id,
    tenant: payload.tenant,
    ...payload.rule.labels,
  };
  const service = /service_name="([^"]*)"/.exec(payload.rule.query)?.[1];
  if (service !== undefined && labels.service_name === undefined) labels.service_name = service;
  const annotations: Record<string, string> = {
    summary: payload.summary,
    watched: alert.watched,
    ratio: alert.ratio === null ? 'new' : alert.ratio.toFixed(3),
    top_functions: alert.topFunctions.map((f) => f.name).join(', '),
    compare_url: payload.compareUrl,
  };
  if (payload.snapshotUrl) annotations.snapshot_url = payload.snapshotUrl;
  const startsMs = alert.firingSinceMs ?? alert.pendingSinceMs;
  return {
    labels,
    annotations,
    startsAt: new Date(startsMs).toISOString(),
    endsAt: new Date(payload.status === 'resolved' && alert.resolvedMs !== null ? alert.resolvedMs : firingEndsAtMs).toISOString(),
    generatorURL: payload.snapshotUrl ?? payload.compareUrl,
  };
}
