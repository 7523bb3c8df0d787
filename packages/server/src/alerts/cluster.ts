/**
 * Rules and alert state shared by every Cinder server on one ClickHouse database, and which server
 * evaluates which rule. Servers heartbeat into `alert_servers`; the live ones (a beat within
 * DEAD_AFTER_BEATS heartbeats, not marked leaving), sorted by id, are ranks 0…n−1, and a rule
 * belongs to rank hash(tenant, rule id) mod n — so each rule is evaluated (and notified) by one
 * server, and a server that stops beating hands its rules over within a few heartbeats. The owner
 * writes the rule's state after each round; the others read it, so every server lists the same
 * statuses and alerts, and a new owner continues a firing alert instead of firing it again.
 *
 * Tables (18.16-compatible: no query parameters, TTL or Map; newest row per key by `version`, read
 * with argMax so unmerged parts never show an old row):
 *   alert_rules       (tenant, id, version, deleted, body)  body = AlertRule JSON; deleted = tombstone
 *   alert_rule_state  (tenant, id, version, body)           body = ClusterRuleState JSON
 *   alert_servers     (server_id, beat_ms, leaving)
 * `version` = ms · 1000 + a per-process counter, so two writes in one ms still order.
 *
 * During a membership change two servers can disagree about n for up to one heartbeat; a rule
 * evaluated twice in that moment can notify twice. That is the price of needing no lock service.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AlertRecord, AlertRule, DeliveryLogEntry, RuleStatus } from '@cinder/core';
import { ClickHouseDb, type ClickHouseConnection } from '../storage/clickhouse/db.js';
import { ms, tsvField, unescapeTsv } from '../storage/clickhouse/sql.js';

export const DEFAULT_HEARTBEAT_MS = 2_000;
/** A server whose last beat is older than this many heartbeats is taken for dead. */
const DEAD_AFTER_BEATS = 3;

/** What the owner writes for one rule after a round. */
export interface ClusterRuleState {
  status: RuleStatus;
  active: AlertRecord | null;
  deliveries: DeliveryLogEntry[];
  /** The rule's own newest history records (firing and resolved). */
  history: AlertRecord[];
}

export interface AlertClusterOptions {
  connection: ClickHouseConnection;
  now: () => number;
  heartbeatMs?: number;
  /** Tests pin it; default random per process. */
  serverId?: string;
}

export function ruleKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

export class AlertCluster {
  readonly serverId: string;
  readonly heartbeatMs: number;
  private readonly db: ClickHouseDb;
  private live: string[] = [];
  private sequence = 0;
  private rulesMark = '';
  private statesMark = '';

  constructor(private readonly options: AlertClusterOptions) {
    this.serverId = options.serverId ?? randomBytes(8).toString('hex');
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.db = new ClickHouseDb(options.connection);
  }

  async start(): Promise<void> {
    // The store created the database; these tables are the alerting's own.
    for (const sql of [
      'CREATE TABLE IF NOT EXISTS alert_rules (tenant String, id String, version UInt64, deleted UInt8, body String) ENGINE = ReplacingMergeTree(version) ORDER BY (tenant, id)',
      'CREATE TABLE IF NOT EXISTS alert_rule_state (tenant String, id String, version UInt64, body String) ENGINE = ReplacingMergeTree(version) ORDER BY (tenant, id)',
      'CREATE TABLE IF NOT EXISTS alert_servers (server_id String, beat_ms UInt64, leaving UInt8) ENGINE = ReplacingMergeTree(beat_ms) ORDER BY server_id',
    ]) {
      await this.db.exec(sql);
    }
    await this.beat();
    await this.refreshLive();
  }

  private version(): string {
    this.sequence = (this.sequence + 1) % 1000;
    return ms(this.options.now() * 1000 + this.sequence);
  }

  async beat(leaving = false): Promise<void> {
    await this.db.insertTsv('alert_servers', `${tsvField(this.serverId)}\t${ms(this.options.now())}\t${leaving ? 1 : 0}\n`);
  }

  /** Re-reads the live servers; returns whether the membership changed. */
  async refreshLive(): Promise<boolean> {
    const sinceMs = this.options.now() - DEAD_AFTER_BEATS * this.heartbeatMs;
    const rows = await this.db.rows(
      `SELECT server_id FROM alert_servers GROUP BY server_id HAVING max(beat_ms) > ${ms(sinceMs)} AND argMax(leaving, beat_ms) = 0 ORDER BY server_id`,
    );
    const live = rows.map((row) => unescapeTsv(row[0]!));
    // This server counts itself while it runs, even if its own beat was slow to land.
    if (!live.includes(this.serverId)) {
      live.push(this.serverId);
      live.sort();
    }
    const changed = live.join(',') !== this.live.join(',');
    this.live = live;
    return changed;
  }

  liveServers(): readonly string[] {
    return this.live;
  }

  owns(tenant: string, id: string): boolean {
    if (this.live.length === 0) return false;
    const hash = createHash('sha256').update(ruleKey(tenant, id)).digest();
    return this.live[hash.readUInt32BE(0) % this.live.length] === this.serverId;
  }

  async putRule(tenant: string, id: string, rule: AlertRule | null): Promise<void> {
    await this.db.insertTsv('alert_rules', `${tsvField(tenant)}\t${tsvField(id)}\t${this.version()}\t${rule ? 0 : 1}\t${tsvField(rule ? JSON.stringify(rule) : '')}\n`);
  }

  async putStates(states: { tenant: string; id: string; state: ClusterRuleState }[]): Promise<void> {
    if (states.length === 0) return;
    const version = this.version();
    await this.db.insertTsv('alert_rule_state', states.map(({ tenant, id, state }) => `${tsvField(tenant)}\t${tsvField(id)}\t${version}\t${tsvField(JSON.stringify(state))}\n`).join(''));
  }

  /** API rules by tenant (tombstones left out); null when nothing changed since the last call. */
  async pullRules(force = false): Promise<Map<string, AlertRule[]> | null> {
    const mark = (await this.db.rows('SELECT count(), max(version) FROM alert_rules'))[0]?.join('/') ?? '';
    if (!force && mark === this.rulesMark) return null;
    const rows = await this.db.rows('SELECT tenant, id, argMax(deleted, version), argMax(body, version) FROM alert_rules GROUP BY tenant, id');
    const byTenant = new Map<string, AlertRule[]>();
    for (const row of rows) {
      if (row[2] === '1' || row.length < 4) continue;
      const tenant = unescapeTsv(row[0]!);
      let list = byTenant.get(tenant);
      if (!list) byTenant.set(tenant, (list = []));
      list.push(JSON.parse(unescapeTsv(row[3]!)) as AlertRule);
    }
    this.rulesMark = mark;
    return byTenant;
  }

  /** Every rule's newest state by ruleKey; null when nothing changed since the last call. */
  async pullStates(force = false): Promise<Map<string, ClusterRuleState> | null> {
    const mark = (await this.db.rows('SELECT count(), max(version) FROM alert_rule_state'))[0]?.join('/') ?? '';
    if (!force && mark === this.statesMark) return null;
    const rows = await this.db.rows('SELECT tenant, id, argMax(body, version) FROM alert_rule_state GROUP BY tenant, id');
    const states = new Map<string, ClusterRuleState>();
    for (const row of rows) {
      if (row.length < 3) continue;
      states.set(ruleKey(unescapeTsv(row[0]!), unescapeTsv(row[1]!)), JSON.parse(unescapeTsv(row[2]!)) as ClusterRuleState);
    }
    this.statesMark = mark;
    return states;
  }

  /** Marks this server as leaving (its rules move at once) and closes the connection. */
  async close(): Promise<void> {
    try {
      await this.beat(true);
    } finally {
      await this.db.close();
    }
  }
}
