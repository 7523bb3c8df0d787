/**
 * The write path of the embedded store: profiles → rows (content-addressed ids, the active-series
 * limit), group commit, and the one transaction a batch is written in.
 *
 * Hashing follows storage/ids.ts's rule: per profile, stacks are first interned into a
 * profile-local prefix tree (small ints), then each distinct local node is hashed once. Symbol rows
 * (names, stack nodes, series) are written into the day partition of the data unless the bounded
 * SymbolCache knows they are there already; a miss only writes a duplicate row (readers DISTINCT).
 * The cache learns ids only after COMMIT, so a failed batch never makes a later one skip a row.
 */
import { CinderError, ErrorCodes, type LabelPairs } from '@cinder/core';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ROOT_PARENT_ID, nameId, seriesId, stackNodeId } from '../ids.js';
import type { ValidatedProfile } from '../store.js';
import { HOUR_MS, MINUTE_MS, type StoreState } from './context.js';
import { IdIndex, idHalves } from './idIndex.js';
import { withDerivedLabels } from '../labels.js';
import { Pacer } from '../pace.js';
import { dayOf, seriesRowSql } from './schema.js';

/** Default memory budget of the symbol cache. */
export const DEFAULT_SYMBOL_CACHE_BYTES = 32 * 1024 * 1024;
/** A slot: day and the two id halves. Two generations at most half full: ≤ 24 bytes per cached id. */
const BYTES_PER_SLOT = 12;
export const DEFAULT_ACTIVE_SERIES_WINDOW_MS = HOUR_MS;
const LOW_32 = 0xffffffffn;
const EMPTY_HALVES = new Uint32Array(0);

/**
 * Open-addressing set of (day, 64-bit id) in typed arrays: no bigint or Set entry per id (those
 * cost ~60 B and a GC-scanned object each). Ids are hashes already, so the low half picks the slot.
 */
class IdTable {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
  /** day + 1; 0 = empty slot. */
  readonly day: Int32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.day = new Int32Array(capacity);
  }

  /** Slot of the entry, or −(empty slot + 1) where it would go. */
  find(day: number, lo: number, hi: number): number {
    const mask = this.capacity - 1;
    const tag = day + 1;
    let slot = (lo ^ Math.imul(tag, 0x9e3779b1)) & mask;
    for (;;) {
      const at = this.day[slot]!;
      if (at === 0) return -(slot + 1);
      if (at === tag && this.lo[slot] === lo && this.hi[slot] === hi) return slot;
      slot = (slot + 1) & mask;
    }
  }

  insertAt(emptySlot: number, day: number, lo: number, hi: number): void {
    this.day[emptySlot] = day + 1;
    this.lo[emptySlot] = lo;
    this.hi[emptySlot] = hi;
    this.size++;
  }
}

/**
 * Exact membership of (day, id) pairs known to be committed, within a memory budget: two
 * generations; when the young table holds its share it becomes the old one and the previous old one
 * is dropped. Lookups check both, so ids in use stay cached. A forgotten id only costs a duplicate
 * symbol row.
 */
export class SymbolCache {
  private young: IdTable;
  private old: IdTable | null = null;
  private readonly limit: number;

  /** Both generations' tables together take at most `budgetBytes` (≥ 16 slots each). */
  constructor(budgetBytes: number) {
    let capacity = 16;
    while (capacity * 2 * 2 * BYTES_PER_SLOT <= budgetBytes) capacity *= 2;
    // Each generation holds up to capacity/2 entries in `capacity` slots (at most half full).
    this.limit = capacity / 2;
    this.young = new IdTable(capacity);
  }

  has(day: number, id: bigint): boolean {
    return this.hasHalves(day, Number(id & LOW_32), Number(id >> 32n));
  }

  hasHalves(day: number, lo: number, hi: number): boolean {
    return this.young.find(day, lo, hi) >= 0 || (this.old !== null && this.old.find(day, lo, hi) >= 0);
  }

  add(day: number, id: bigint): void {
    this.addHalves(day, Number(id & LOW_32), Number(id >> 32n));
  }

  addHalves(day: number, lo: number, hi: number): void {
    const slot = this.young.find(day, lo, hi);
    if (slot >= 0) return;
    this.young.insertAt(-slot - 1, day, lo, hi);
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new IdTable(this.young.capacity);
    }
  }

  /** Forget days before `day` (their partitions were dropped): rebuilds the tables without them. */
  dropBefore(day: number): void {
    const rebuild = (table: IdTable): IdTable => {
      const next = new IdTable(table.capacity);
      for (let slot = 0; slot < table.capacity; slot++) {
        const tag = table.day[slot]!;
        if (tag === 0 || tag - 1 < day) continue;
        const lo = table.lo[slot]!;
        const hi = table.hi[slot]!;
        next.insertAt(-next.find(tag - 1, lo, hi) - 1, tag - 1, lo, hi);
      }
      return next;
    };
    this.young = rebuild(this.young);
    if (this.old !== null) this.old = rebuild(this.old);
  }

  clear(): void {
    this.young = new IdTable(this.young.capacity);
    this.old = null;
  }

  get size(): number {
    return this.young.size + (this.old?.size ?? 0);
  }

  /** Bytes the tables take (both generations allocated). */
  get bytes(): number {
    return 2 * this.young.capacity * BYTES_PER_SLOT;
  }
}

/** One profile's symbols: local nodes in parent-first order. */
interface ProfileSymbols {
  day: number;
  names: string[];
  nameIds: bigint[];
  nodeIds: bigint[];
  /** [lo, hi] of each name id / node id (for the cache, without bigint work). */
  nameHalves: Uint32Array;
  nodeHalves: Uint32Array;
  nodeParents: bigint[];
  nodeNames: Int32Array;
}

interface SeriesRow {
  day: number;
  id: bigint;
  tenant: string;
  profileTypeId: string;
  labels: LabelPairs;
}

export interface PendingRows {
  seriesId: bigint[];
  timeMs: number[];
  pid: bigint[];
  stackId: bigint[];
  value: number[];
  spanId: (string | null)[];
  traceId: (string | null)[];
  profiles: { pid: bigint; seriesId: bigint; timeMs: number; profileId: string; total: number; period: number }[];
  symbols: ProfileSymbols[];
  series: SeriesRow[];
}

function emptyRows(): PendingRows {
  return { seriesId: [], timeMs: [], pid: [], stackId: [], value: [], spanId: [], traceId: [], profiles: [], symbols: [], series: [] };
}

const randomIds = new BigUint64Array(256);
let randomNext = randomIds.length;

/** A random 64-bit profile row id: no counter to load at start or to share between writers. */
function randomPid(): bigint {
  if (randomNext === randomIds.length) {
    crypto.getRandomValues(randomIds);
    randomNext = 0;
  }
  return randomIds[randomNext++]!;
}

/**
 * Series with data in the last `windowMs` per tenant (ingest wall time), for the series limit.
 * Bounded by the limit itself plus what one window brings: expired entries are swept on use.
 */
export class ActiveSeries {
  private readonly lastSeen = new Map<string, Map<bigint, number>>();

  constructor(private readonly windowMs: number) {}

  touch(tenant: string, id: bigint, atMs: number): void {
    let map = this.lastSeen.get(tenant);
    if (!map) this.lastSeen.set(tenant, (map = new Map()));
    map.set(id, Math.max(map.get(id) ?? 0, atMs));
  }

  isActive(tenant: string, id: bigint, nowMs: number): boolean {
    const seen = this.lastSeen.get(tenant)?.get(id);
    return seen !== undefined && seen > nowMs - this.windowMs;
  }

  count(tenant: string, nowMs: number): number {
    const map = this.lastSeen.get(tenant);
    if (!map) return 0;
    const cutoff = nowMs - this.windowMs;
    for (const [id, seen] of map) if (seen <= cutoff) map.delete(id);
    if (map.size === 0) this.lastSeen.delete(tenant);
    return map.size;
  }
}

/**
 * One profile's prefix tree in typed arrays (node = (parent, name index), parents first), reused
 * from profile to profile: an open-addressing index, no Map entry or key per frame.
 */
class LocalTree {
  parent = new Int32Array(1024);
  name = new Int32Array(1024);
  count = 0;
  private index = new Int32Array(2048).fill(-1);

  reset(): void {
    if (this.count > 0) this.index.fill(-1);
    this.count = 0;
  }

  /** The node for frame `name` under `parent` (−1 = root), created on first use. */
  child(parent: number, name: number): number {
    const index = this.index;
    const mask = index.length - 1;
    let slot = (Math.imul(parent + 1, 0x9e3779b1) ^ Math.imul(name, 0x85ebca6b)) & mask;
    for (;;) {
      const node = index[slot]!;
      if (node === -1) break;
      if (this.parent[node] === parent && this.name[node] === name) return node;
      slot = (slot + 1) & mask;
    }
    const node = this.count++;
    if (node === this.parent.length) {
      const parents = new Int32Array(node * 2);
      parents.set(this.parent);
      this.parent = parents;
      const names = new Int32Array(node * 2);
      names.set(this.name);
      this.name = names;
    }
    this.parent[node] = parent;
    this.name[node] = name;
    index[slot] = node;
    if (this.count * 2 > index.length) this.rehash(index.length * 2);
    return node;
  }

  private rehash(size: number): void {
    const index = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let node = 0; node < this.count; node++) {
      let slot = (Math.imul(this.parent[node]! + 1, 0x9e3779b1) ^ Math.imul(this.name[node]!, 0x85ebca6b)) & mask;
      while (index[slot] !== -1) slot = (slot + 1) & mask;
      index[slot] = node;
    }
    this.index = index;
  }
}


export class RowBuilder {
  constructor(
    private readonly active: ActiveSeries,
    private readonly maxSeriesPerTenant: number,
    private readonly now: () => number,
  ) {}

  /**
   * Checks the active-series limit and marks the series active (synchronously, so concurrent
   * appends agree), then lays out rows, giving the event loop a turn between profiles once a
   * slice is used up (hashing a 1M-node profile takes ~0.3 s; a request of 900 small ones ~0.15 s).
   */
  async toRows(profiles: readonly ValidatedProfile[]): Promise<PendingRows> {
    const nowMs = this.now();
    const seriesIds = profiles.map((validated) => validated.profileTypeIds.map((typeId) => seriesId(validated.tenant, typeId, validated.seriesLabels)));
    if (Number.isFinite(this.maxSeriesPerTenant)) {
      const added = new Map<string, Set<bigint>>();
      profiles.forEach((validated, p) => {
        for (const id of seriesIds[p]!) {
          if (this.active.isActive(validated.tenant, id, nowMs)) continue;
          let set = added.get(validated.tenant);
          if (!set) added.set(validated.tenant, (set = new Set()));
          set.add(id);
        }
      });
      for (const [tenant, ids] of added) {
        if (this.active.count(tenant, nowMs) + ids.size > this.maxSeriesPerTenant) {
          throw new CinderError(
            ErrorCodes.INGEST_SERIES_LIMIT,
            `tenant "${tenant}" would exceed its limit of ${this.maxSeriesPerTenant} active series; reduce label cardinality or raise --max-series`,
          );
        }
      }
    }
    // Before any await: a concurrent append's check must count these.
    profiles.forEach((validated, p) => {
      for (const id of seriesIds[p]!) this.active.touch(validated.tenant, id, nowMs);
    });
    const rows = emptyRows();
    // Its own prefix tree: another append may lay out rows while this one waits for its turn.
    const tree = new LocalTree();
    const pacer = new Pacer();
    for (let p = 0; p < profiles.length; p++) {
      const validated = profiles[p]!;
      const profile = validated.profile;
      const day = dayOf(validated.timeMs);
      const nameCount = profile.names.length;
      tree.reset();
      const leaf = new Int32Array(profile.stacks.length);
      for (let s = 0; s < profile.stacks.length; s++) {
        const stack = profile.stacks[s]!;
        let node = -1;
        for (let i = 0; i < stack.length; i++) node = tree.child(node, stack[i]!);
        leaf[s] = node;
        const pause = pacer.tick();
        if (pause) await pause;
      }
      const nodeCount = tree.count;
      const nodeParentLocal = tree.parent;
      const nodeNames = tree.name;
      const usedNames = new Int32Array(nameCount).fill(-1);
      const symbols: ProfileSymbols = {
        day,
        names: [],
        nameIds: [],
        nodeIds: [],
        nodeParents: [],
        nodeNames: new Int32Array(nodeCount),
        nameHalves: EMPTY_HALVES,
        nodeHalves: EMPTY_HALVES,
      };
      const functionIds: bigint[] = [];
      for (let n = 0; n < nodeCount; n++) {
        const name = nodeNames[n]!;
        if (usedNames[name] === -1) {
          usedNames[name] = symbols.names.length;
          symbols.names.push(profile.names[name]!);
          const id = nameId(profile.names[name]!);
          symbols.nameIds.push(id);
          functionIds[name] = id;
        }
        const parentLocal = nodeParentLocal[n]!;
        const parentId = parentLocal < 0 ? ROOT_PARENT_ID : symbols.nodeIds[parentLocal]!;
        symbols.nodeIds.push(stackNodeId(parentId, functionIds[name]!));
        symbols.nodeParents.push(parentId);
        symbols.nodeNames[n] = usedNames[name]!;
        const pause = pacer.tick();
        if (pause) await pause;
      }
      symbols.nameHalves = idHalves(symbols.nameIds);
      symbols.nodeHalves = idHalves(symbols.nodeIds);
      let used = false;
      validated.profileTypeIds.forEach((typeId, t) => {
        const values = profile.values[t]!;
        // One row per distinct (stack, span, trace) of this profile.
        const merged = new Map<string, { leaf: number; spanId: string | null; traceId: string | null; value: number }>();
        let total = 0;
        for (let s = 0; s < values.length; s++) {
          const value = values[s]!;
          if (value === 0) continue;
          total += value;
          let spanId: string | null = null;
          let traceId: string | null = null;
          const labels = profile.sampleLabels[s];
          if (labels) {
            for (const [name, labelValue] of labels) {
              if (name === 'span_id') spanId = labelValue;
              else if (name === 'trace_id') traceId = labelValue.toLowerCase();
            }
          }
          const key = spanId === null && traceId === null ? String(leaf[s]) : `${leaf[s]}\u0000${spanId ?? ''}\u0000${traceId ?? ''}`;
          const entry = merged.get(key);
          if (entry === undefined) merged.set(key, { leaf: leaf[s]!, spanId, traceId, value });
          else entry.value += value;
        }
        // A sample type with nothing in it (e.g. a cumulative delta that did not move) is not stored.
        if (merged.size === 0) return;
        used = true;
        const series = seriesIds[p]![t]!;
        rows.series.push({ day, id: series, tenant: validated.tenant, profileTypeId: typeId, labels: validated.seriesLabels });
        const pid = randomPid();
        for (const entry of merged.values()) {
          rows.seriesId.push(series);
          rows.timeMs.push(validated.timeMs);
          rows.pid.push(pid);
          // 0 = a sample with no frames (kept: it is part of the profile's total).
          rows.stackId.push(entry.leaf < 0 ? ROOT_PARENT_ID : symbols.nodeIds[entry.leaf]!);
          rows.value.push(entry.value);
          rows.spanId.push(entry.spanId);
          rows.traceId.push(entry.traceId);
        }
        rows.profiles.push({ pid, seriesId: series, timeMs: validated.timeMs, profileId: validated.profileId, total, period: profile.period });
      });
      if (used) rows.symbols.push(symbols);
    }
    return rows;
  }
}

export interface SymbolCaches {
  names: SymbolCache;
  stacks: SymbolCache;
  series: SymbolCache;
}

export function symbolCaches(budgetBytes: number): SymbolCaches {
  // Stack nodes outnumber names ~10:1 and series by far more.
  return { names: new SymbolCache(budgetBytes * 0.15), stacks: new SymbolCache(budgetBytes * 0.8), series: new SymbolCache(budgetBytes * 0.05) };
}

/** Writes queued batches in one transaction; the caches learn the symbols once it committed. */
export async function writeRows(connection: DuckDBConnection, batches: PendingRows[], caches: SymbolCaches, state: StoreState, committedDespite: (error: unknown) => boolean): Promise<void> {
  // (day, lo, hi) triples written by this batch: the caches learn them after COMMIT.
  const learned = { names: [] as number[], stacks: [] as number[], series: [] as number[] };
  // Misses of this batch per day, so a node shared by several of its profiles is written once.
  const seen = { names: new Map<number, IdIndex>(), stacks: new Map<number, IdIndex>(), series: new Map<number, IdIndex>() };
  const fresh = (kind: keyof SymbolCaches, day: number, lo: number, hi: number): boolean => {
    if (caches[kind].hasHalves(day, lo, hi)) return false;
    let ids = seen[kind].get(day);
    if (!ids) seen[kind].set(day, (ids = new IdIndex()));
    const before = ids.size;
    if (ids.add(lo, hi) < before) return false;
    learned[kind].push(day, lo, hi);
    return true;
  };
  // Appending is synchronous (~1 µs a row): a big batch yields between slices. Nothing else uses
  // the writer connection meanwhile (writes run one at a time under the store's write lock).
  const pacer = new Pacer();
  await connection.run('BEGIN TRANSACTION');
  try {
    const names = await connection.createAppender('names');
    const stacks = await connection.createAppender('stacks');
    const seriesValues: string[] = [];
    for (const rows of batches) {
      for (const symbols of rows.symbols) {
        const day = symbols.day;
        const nameHalves = symbols.nameHalves;
        for (let i = 0; i < symbols.nameIds.length; i++) {
          if (!fresh('names', day, nameHalves[2 * i]!, nameHalves[2 * i + 1]!)) continue;
          names.appendInteger(day);
          names.appendUBigInt(symbols.nameIds[i]!);
          names.appendVarchar(symbols.names[i]!);
          names.endRow();
        }
        const nodeHalves = symbols.nodeHalves;
        for (let n = 0; n < symbols.nodeIds.length; n++) {
          if (!fresh('stacks', day, nodeHalves[2 * n]!, nodeHalves[2 * n + 1]!)) continue;
          stacks.appendInteger(day);
          stacks.appendUBigInt(symbols.nodeIds[n]!);
          stacks.appendUBigInt(symbols.nodeParents[n]!);
          stacks.appendUBigInt(symbols.nameIds[symbols.nodeNames[n]!]!);
          stacks.endRow();
          const pause = pacer.tick();
          if (pause) await pause;
        }
      }
      for (const series of rows.series) {
        if (!fresh('series', series.day, Number(series.id & LOW_32), Number(series.id >> 32n))) continue;
        seriesValues.push(seriesRowSql(series.day, series.id, series.tenant, series.profileTypeId, withDerivedLabels(series.labels, series.profileTypeId)));
      }
    }
    names.closeSync();
    stacks.closeSync();
    for (let i = 0; i < seriesValues.length; i += 500) await connection.run(`INSERT INTO series VALUES ${seriesValues.slice(i, i + 500).join(', ')}`);
    const samples = await connection.createAppender('samples');
    const profiles = await connection.createAppender('profiles');
    const late: Record<'rollup_1m' | 'rollup_1h', [bigint, number, bigint, number][]> = { rollup_1m: [], rollup_1h: [] };
    for (const rows of batches) {
      for (let i = 0; i < rows.seriesId.length; i++) {
        samples.appendUBigInt(rows.seriesId[i]!);
        samples.appendBigInt(BigInt(rows.timeMs[i]!));
        samples.appendUBigInt(rows.pid[i]!);
        samples.appendUBigInt(rows.stackId[i]!);
        samples.appendDouble(rows.value[i]!);
        const span = rows.spanId[i];
        if (span == null) samples.appendNull();
        else samples.appendVarchar(span);
        const trace = rows.traceId[i];
        if (trace == null) samples.appendNull();
        else samples.appendVarchar(trace);
        samples.endRow();
        const pause = pacer.tick();
        if (pause) await pause;
        // Rows older than a rollup watermark go straight into that rollup (late data).
        const timeMs = rows.timeMs[i]!;
        if (timeMs < state.rollupUntil1m) late.rollup_1m.push([rows.seriesId[i]!, timeMs - (timeMs % MINUTE_MS), rows.stackId[i]!, rows.value[i]!]);
        if (timeMs < state.rollupUntil1h) late.rollup_1h.push([rows.seriesId[i]!, timeMs - (timeMs % HOUR_MS), rows.stackId[i]!, rows.value[i]!]);
      }
      for (const profile of rows.profiles) {
        profiles.appendUBigInt(profile.pid);
        profiles.appendUBigInt(profile.seriesId);
        profiles.appendBigInt(BigInt(profile.timeMs));
        profiles.appendVarchar(profile.profileId);
        profiles.appendDouble(profile.total);
        if (profile.period > 0) profiles.appendDouble(profile.period);
        else profiles.appendNull();
        profiles.endRow();
      }
    }
    samples.closeSync();
    profiles.closeSync();
    for (const table of ['rollup_1m', 'rollup_1h'] as const) {
      if (late[table].length === 0) continue;
      const appender = await connection.createAppender(table);
      for (const [series, bucketMs, stack, value] of late[table]) {
        appender.appendUBigInt(series);
        appender.appendBigInt(BigInt(bucketMs));
        appender.appendUBigInt(stack);
        appender.appendDouble(value);
        appender.endRow();
      }
      appender.closeSync();
    }
    await connection.run('COMMIT');
  } catch (error) {
    if (!committedDespite(error)) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    learn();
    throw error;
  }
  learn();

  function learn(): void {
    for (const kind of ['names', 'stacks', 'series'] as const) {
      const triples = learned[kind];
      for (let i = 0; i < triples.length; i += 3) caches[kind].addHalves(triples[i]!, triples[i + 1]!, triples[i + 2]!);
    }
  }
}

interface QueuedAppend {
  rows: PendingRows;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent appends queue up and the next flush writes all of them in one
 * transaction; each promise settles after COMMIT (DuckDB syncs its WAL), so an acknowledged
 * profile survives kill -9. All or nothing per batch: every request in it gets the same answer.
 */
export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private flushing = false;

  constructor(
    private readonly write: (batches: PendingRows[]) => Promise<void>,
    /** Non-null = reject without writing (the store is degraded). */
    private readonly refusal: () => Error | null,
  ) {}

  get idle(): boolean {
    return !this.flushing && this.queue.length === 0;
  }

  enqueue(rows: PendingRows): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const refusal = this.refusal();
        if (refusal !== null) {
          for (const entry of batch) entry.reject(refusal);
          continue;
        }
        try {
          await this.write(batch.map((entry) => entry.rows));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
