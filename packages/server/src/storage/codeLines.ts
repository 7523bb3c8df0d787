/**
 * Where profiled code is (file, start line, call-site lines), kept beside the name-only call trees
 * so exports (pprof downloads, `cinder pgo`) can give Go's profile-guided optimisation real
 * call-site offsets. Both backends store the same two small tables, partitioned by UTC day like the
 * symbols (retention drops them with the day):
 *   functions (day, tenant, service, name, file, start_line, seen_ms)
 *   calls     (day, tenant, service, caller, callee, line, seen_ms)
 * seen_ms is the time of the profile that first showed the row that day.
 *
 * Keyed by service (the ingest app name) within a tenant, because PGO is per binary: two services
 * built with different Go versions have different start lines for the same runtime.* functions,
 * and every Go service has a main.main. A read for one service (the selection pins service_name)
 * uses its rows only; a read across services merges them by the rule below.
 *
 * Policy: first seen per day, newest day at read. A day's partition holds the first file/start
 * line seen for each name (a sighting with a start_line replaces one with a file only: Go before
 * 1.20 sent no start_line) and up to MAX_LINES_PER_EDGE call-site lines per (caller, callee) edge;
 * a read of a range takes, per name, a row with a start_line over one without, then the newest
 * day's, then the first seen that day; per edge the newest day's, then the first seen, then the
 * lowest line. So steady-state ingest writes nothing (one row per code item per day), a deploy is
 * reflected by the next day at the latest, and a rolling deploy with two versions reporting at
 * once cannot make rows flip back and forth.
 *
 * Cost on ingest: the recorder keeps a bounded in-memory seen-set of what it wrote (per tenant and
 * day; a miss only writes a duplicate row, which reads collapse). It also decides per upload whether
 * the decoder should extract code at all (`wanted`): every upload of a (tenant, service) while
 * uploads keep showing new code, then backing off exponentially to one upload a minute once they
 * stop, and never more than DEFAULT_MAX_EXTRACTIONS_PER_SECOND uploads a second over all services
 * (learning a new fleet is spread over seconds instead of costing every upload an extraction).
 * PGO needs the hot edges, which are in nearly every profile, so steady state pays for
 * extraction about once a minute per service; rows are written in batches every second, off the
 * ingest acknowledgement path (losing an unwritten batch in a crash only loses rows that are
 * relearned from the next profiles).
 */
import { emptyCodeLines, type CodeLines, type PprofCode } from '@cinder/core';
import type { CodeEntry } from './store.js';

/** Distinct call-site lines kept per (caller, callee) edge and day. */
export const MAX_LINES_PER_EDGE = 4;
/** Names + edges remembered as written, over every tenant and day (~60 B each). */
export const DEFAULT_MAX_SEEN_ENTRIES = 500_000;
/** Uploads a second (over every tenant and service) whose code is extracted at most. */
export const DEFAULT_MAX_EXTRACTIONS_PER_SECOND = 20;
/** Extraction back-off once uploads of a service show nothing new. */
const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** Services whose back-off is tracked at most (the map is cleared beyond; extraction just restarts). */
const MAX_TRACKED_SERVICES = 100_000;
const FLUSH_INTERVAL_MS = 1_000;
const FLUSH_ROWS = 10_000;
/** Rows waiting at most (writes failing): beyond, new code is not taken (it is relearned later). */
const MAX_PENDING_ROWS = 200_000;
const SLOT_SPACE = 2 ** 21;
const DAY_MS = 86_400_000;

/** UTC day number (days since the epoch), as both backends partition by. */
export function dayOfMs(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

export interface FunctionCodeRow {
  tenant: string;
  service: string;
  day: number;
  name: string;
  file: string;
  startLine: number;
  seenMs: number;
}

export interface CallSiteRow {
  tenant: string;
  service: string;
  day: number;
  caller: string;
  callee: string;
  line: number;
  seenMs: number;
}

export interface CodeBatch {
  functions: FunctionCodeRow[];
  calls: CallSiteRow[];
}

/** What a backend stores and reads; the recorder does the rest. */
export type WriteCodeRows = (batch: CodeBatch) => Promise<void>;

/** What the day's rows of one tenant and service already hold. */
interface DaySeen {
  day: number;
  /** Name → slot (for edge keys). */
  slots: Map<string, number>;
  /** Slots whose function row was written: 1 with a file only, 2 with a start line. */
  described: Map<number, number>;
  /** callerSlot · 2^21 + calleeSlot → call-site line(s) written. */
  calls: Map<number, number | number[]>;
}

export interface CodeRecorderOptions {
  maxSeenEntries?: number;
  flushIntervalMs?: number;
  maxExtractionsPerSecond?: number;
}

export class CodeRecorder {
  private readonly seen = new Map<string, DaySeen>();
  private seenEntries = 0;
  private newestDay = -Infinity;
  private readonly backoff = new Map<string, { nextMs: number; intervalMs: number }>();
  private pending: CodeBatch = { functions: [], calls: [] };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly maxSeenEntries: number;
  private readonly flushIntervalMs: number;
  private readonly maxExtractionsPerSecond: number;
  /** Token bucket of extractions: tokens and when they were last topped up. */
  private tokens: number;
  private tokensAtMs = -Infinity;
  /** For tests and /metrics: rows written, and code items left out because the seen-set was full. */
  readonly counts = { functionRows: 0, callRows: 0, extractions: 0, dropped: 0, failedBatches: 0 };

  constructor(
    private readonly write: WriteCodeRows,
    options: CodeRecorderOptions = {},
  ) {
    this.maxSeenEntries = options.maxSeenEntries ?? DEFAULT_MAX_SEEN_ENTRIES;
    this.flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.maxExtractionsPerSecond = options.maxExtractionsPerSecond ?? DEFAULT_MAX_EXTRACTIONS_PER_SECOND;
    this.tokens = this.maxExtractionsPerSecond;
  }

  /** Whether the decoder should extract code from this upload (see the module comment). */
  wanted(tenant: string, service: string, nowMs: number): boolean {
    if (this.closed) return false;
    const state = this.backoff.get(`${tenant}\u0000${service}`);
    if (state !== undefined && nowMs < state.nextMs) return false;
    // The bucket refills by wall-clock time, whatever the uploads' clock says.
    const wallMs = Date.now();
    if (wallMs > this.tokensAtMs) {
      this.tokens = Math.min(this.maxExtractionsPerSecond, this.tokens + ((wallMs - this.tokensAtMs) * this.maxExtractionsPerSecond) / 1000);
      this.tokensAtMs = wallMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /**
   * Takes a decoded profile's code (names: the profile's names as stored, after validation
   * clamped them). Synchronous: it only updates the seen-set and queues rows.
   */
  record(entry: CodeEntry): void {
    const { tenant, service, timeMs, nowMs, names, code } = entry;
    if (this.closed) return;
    this.counts.extractions++;
    const fresh = this.pending.functions.length + this.pending.calls.length >= MAX_PENDING_ROWS ? 0 : this.learn(tenant, entry.serviceName, timeMs, names, code);
    const key = `${tenant}\u0000${service}`;
    if (this.backoff.size >= MAX_TRACKED_SERVICES && !this.backoff.has(key)) this.backoff.clear();
    const state = this.backoff.get(key);
    const intervalMs = fresh > 0 ? 0 : Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_START_MS, (state?.intervalMs ?? 0) * 2));
    this.backoff.set(key, { nextMs: nowMs + intervalMs, intervalMs });
    if (fresh > 0) this.schedule();
  }

  /** Rows new to the seen-set are queued; returns how many. */
  private learn(tenant: string, service: string, timeMs: number, names: readonly string[], code: PprofCode): number {
    const day = dayOfMs(timeMs);
    const seen = this.daySeen(tenant, service, day);
    if (seen === null) return 0;
    const slotOfId = new Int32Array(names.length).fill(-1);
    const slotOf = (id: number): number => {
      let slot = slotOfId[id]!;
      if (slot >= 0) return slot;
      const name = names[id]!;
      const known = seen.slots.get(name);
      if (known !== undefined) slot = known;
      else if (this.seenEntries >= this.maxSeenEntries || seen.slots.size >= SLOT_SPACE) return -1;
      else {
        slot = seen.slots.size;
        seen.slots.set(name, slot);
        this.seenEntries++;
      }
      slotOfId[id] = slot;
      return slot;
    };
    let fresh = 0;
    const limit = Math.min(names.length, code.nameStartLine.length);
    for (let id = 0; id < limit; id++) {
      const fileIndex = code.nameFile[id]!;
      const startLine = code.nameStartLine[id]!;
      if (fileIndex < 0 && startLine === 0) continue;
      const slot = slotOf(id);
      if (slot < 0) {
        this.counts.dropped++;
        continue;
      }
      const level = startLine > 0 ? 2 : 1;
      if ((seen.described.get(slot) ?? 0) >= level) continue;
      seen.described.set(slot, level);
      this.pending.functions.push({ tenant, service, day, name: names[id]!, file: fileIndex < 0 ? '' : code.files[fileIndex]!, startLine, seenMs: timeMs });
      fresh++;
    }
    const edges = code.edges;
    for (let i = 0; i + 2 < edges.length; i += 3) {
      const callerId = edges[i]!;
      const calleeId = edges[i + 1]!;
      if (callerId >= names.length || calleeId >= names.length) continue;
      const caller = slotOf(callerId);
      const callee = caller < 0 ? -1 : slotOf(calleeId);
      if (callee < 0) {
        this.counts.dropped++;
        continue;
      }
      const key = caller * SLOT_SPACE + callee;
      const line = edges[i + 2]!;
      const known = seen.calls.get(key);
      if (known === undefined) {
        if (this.seenEntries >= this.maxSeenEntries) {
          this.counts.dropped++;
          continue;
        }
        seen.calls.set(key, line);
        this.seenEntries++;
      } else if (typeof known === 'number') {
        if (known === line) continue;
        seen.calls.set(key, [known, line]);
      } else {
        if (known.includes(line) || known.length >= MAX_LINES_PER_EDGE) continue;
        known.push(line);
      }
      this.pending.calls.push({ tenant, service, day, caller: names[callerId]!, callee: names[calleeId]!, line, seenMs: timeMs });
      fresh++;
    }
    return fresh;
  }

  /** The seen-set of a tenant's service's day; days more than one before the newest are let go. */
  private daySeen(tenant: string, service: string, day: number): DaySeen | null {
    if (day < this.newestDay - 1) return null; // late data of older days: not remembered, not written
    const key = seenKey(tenant, service, day);
    let seen = this.seen.get(key);
    if (seen) return seen;
    if (day > this.newestDay) {
      this.newestDay = day;
      for (const [otherKey, other] of this.seen) {
        if (other.day >= day - 1) continue;
        this.seenEntries -= other.slots.size + other.calls.size;
        this.seen.delete(otherKey);
      }
    }
    seen = { day, slots: new Map(), described: new Map(), calls: new Map() };
    this.seen.set(key, seen);
    return seen;
  }

  private schedule(): void {
    if (this.pending.functions.length + this.pending.calls.length >= FLUSH_ROWS) {
      void this.flush();
      return;
    }
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushIntervalMs);
    this.timer.unref?.();
  }

  /** Writes what is queued. A failed batch is forgotten by the seen-set, so it is relearned. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const batch = this.pending;
    if (batch.functions.length + batch.calls.length === 0) return;
    this.pending = { functions: [], calls: [] };
    this.flushing = (async () => {
      try {
        await this.write(batch);
        this.counts.functionRows += batch.functions.length;
        this.counts.callRows += batch.calls.length;
      } catch {
        this.counts.failedBatches++;
        this.forget(batch);
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  /** Drops the seen-sets (and back-off) a failed batch touched: the next uploads write them again. */
  private forget(batch: CodeBatch): void {
    for (const row of [...batch.functions, ...batch.calls]) {
      const key = seenKey(row.tenant, row.service, row.day);
      const seen = this.seen.get(key);
      if (!seen) continue;
      this.seenEntries -= seen.slots.size + seen.calls.size;
      this.seen.delete(key);
    }
    this.backoff.clear();
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
  }
}

function seenKey(tenant: string, service: string, day: number): string {
  return `${tenant}\u0000${service}\u0000${day}`;
}

export interface FunctionCodeReadRow {
  name: string;
  file: string;
  startLine: number;
  day: number;
  seenMs: number;
}

export interface CallSiteReadRow {
  caller: string;
  callee: string;
  line: number;
  day: number;
  seenMs: number;
}

/**
 * Rows of a range → one entry per name and edge (the choice is the module comment's policy), fed
 * row by row so a reader can stream and yield between chunks.
 */
export class CodeLinesCollector {
  private readonly bestFunction = new Map<string, FunctionCodeReadRow>();
  private readonly bestCall = new Map<string, Map<string, CallSiteReadRow>>();

  addFunction(name: string, file: string, startLine: number, day: number, seenMs: number): void {
    const best = this.bestFunction.get(name);
    const started = startLine > 0;
    if (!best || (started && best.startLine === 0) || (started === best.startLine > 0 && better(day, seenMs, best))) {
      this.bestFunction.set(name, { name, file, startLine, day, seenMs });
    }
  }

  addCall(caller: string, callee: string, line: number, day: number, seenMs: number): void {
    let callees = this.bestCall.get(caller);
    if (!callees) this.bestCall.set(caller, (callees = new Map()));
    const best = callees.get(callee);
    if (!best || better(day, seenMs, best) || (day === best.day && seenMs === best.seenMs && line < best.line)) callees.set(callee, { caller, callee, line, day, seenMs });
  }

  result(): CodeLines {
    const lines = emptyCodeLines();
    for (const [name, row] of this.bestFunction) lines.functions.set(name, { file: row.file, startLine: row.startLine });
    for (const [caller, callees] of this.bestCall) {
      const out = new Map<string, number>();
      for (const [callee, row] of callees) out.set(callee, row.line);
      lines.callSites.set(caller, out);
    }
    return lines;
  }
}

/** A newer day wins; within a day, the first sighting. */
function better(day: number, seenMs: number, than: { day: number; seenMs: number }): boolean {
  return day > than.day || (day === than.day && seenMs < than.seenMs);
}

export function codeLinesFromRows(functions: Iterable<FunctionCodeReadRow>, calls: Iterable<CallSiteReadRow>): CodeLines {
  const collector = new CodeLinesCollector();
  for (const row of functions) collector.addFunction(row.name, row.file, row.startLine, row.day, row.seenMs);
  for (const row of calls) collector.addCall(row.caller, row.callee, row.line, row.day, row.seenMs);
  return collector.result();
}
