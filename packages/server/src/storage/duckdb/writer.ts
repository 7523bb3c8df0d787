/**
 * The write path of the embedded store: profiles → rows (content-addressed ids, the active-series
 * limit), group commit, and the one transaction a batch is written in.
 *
 * Hashing follows storage/ids.ts's rule: per profile, stacks are first interned into a
 * profile-local prefix tree (small ints), then each distinct local node is hashed once (in JS on
 * 32-bit halves, nodeHash.ts: ids never become bigints on this path). Symbol and sample rows go to
 * DuckDB a data chunk at a time (chunks.ts). Symbol rows
 * (names, stack nodes, series) are written into the day partition of the data unless the bounded
 * SymbolCache knows they are there already; a miss only writes a duplicate row (readers DISTINCT).
 * The cache learns ids only after COMMIT, so a failed batch never makes a later one skip a row.
 */
import { CinderError, ErrorCodes, type LabelPairs } from '@cinder/core';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { nameId, seriesId } from '../ids.js';
import type { ValidatedProfile } from '../store.js';
import { HOUR_MS, MINUTE_MS, type StoreState } from './context.js';
import { IdIndex } from './idIndex.js';
import { SymbolCache } from '../symbolCache.js';

export { DEFAULT_SYMBOL_CACHE_BYTES, SymbolCache } from '../symbolCache.js';
import { ChunkAppender } from './chunks.js';
import { stackNodeIdInto } from './nodeHash.js';
import { withDerivedLabels } from '../labels.js';
import { Pacer } from '../pace.js';
import { dayOf, seriesRowSql } from './schema.js';

export const DEFAULT_ACTIVE_SERIES_WINDOW_MS = HOUR_MS;
const LOW_32 = 0xffffffffn;

/** One profile's symbols: local nodes in parent-first order, every id as [lo, hi] halves. */
interface ProfileSymbols {
  day: number;
  names: string[];
  /** [lo, hi] per name. */
  nameHalves: Uint32Array;
  /** [lo, hi] per node. */
  nodeHalves: Uint32Array;
  /** [lo, hi] of each node's parent id ([0, 0] under the root). */
  nodeParentHalves: Uint32Array;
  /** Per node: index into names. */
  nodeNames: Int32Array;
}

interface SeriesRow {
  day: number;
  id: bigint;
  tenant: string;
  profileTypeId: string;
  labels: LabelPairs;
}

/** One stored profile (per type): its sample rows are rows [firstRow, firstRow + rowCount). */
interface ProfileRow {
  pid: bigint;
  seriesId: bigint;
  timeMs: number;
  profileId: string;
  total: number;
  period: number;
  firstRow: number;
  rowCount: number;
}

/**
 * Sample rows of one append, columnar: stack id halves and value per row (series, time and pid
 * come from the row's ProfileRow). Span and trace ids exist only once a row has one.
 */
class SampleRows {
  count = 0;
  stackHalves = new Uint32Array(512);
  values = new Float64Array(256);
  spanIds: (string | null)[] | null = null;
  traceIds: (string | null)[] | null = null;

  add(stackLo: number, stackHi: number, value: number, spanId: string | null, traceId: string | null): number {
    const row = this.count++;
    if (row === this.values.length) {
      const halves = new Uint32Array(4 * row);
      halves.set(this.stackHalves);
      this.stackHalves = halves;
      const values = new Float64Array(2 * row);
      values.set(this.values);
      this.values = values;
    }
    this.stackHalves[2 * row] = stackLo;
    this.stackHalves[2 * row + 1] = stackHi;
    this.values[row] = value;
    if (spanId !== null || this.spanIds !== null) (this.spanIds ??= new Array<string | null>(row).fill(null)).push(spanId);
    if (traceId !== null || this.traceIds !== null) (this.traceIds ??= new Array<string | null>(row).fill(null)).push(traceId);
    return row;
  }
}

export interface PendingRows {
  samples: SampleRows;
  profiles: ProfileRow[];
  symbols: ProfileSymbols[];
  series: SeriesRow[];
}

function emptyRows(): PendingRows {
  return { samples: new SampleRows(), profiles: [], symbols: [], series: [] };
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

const MIN_TREE_SLOTS = 2048;

/**
 * One profile's prefix tree in typed arrays (node = (parent, name index), parents first), reused
 * from profile to profile: an open-addressing index, no Map entry or key per frame.
 */
class LocalTree {
  parent = new Int32Array(1024);
  name = new Int32Array(1024);
  count = 0;
  /**
   * Open addressing, 3 ints a slot: node (−1 = empty), parent, name. The key sits beside the node
   * so a probe is one cache miss, not three (with 1M nodes the table is far larger than the cache
   * and this lookup was the costliest line of the write path).
   */
  private slots = new Int32Array(3 * MIN_TREE_SLOTS).fill(-1);
  private mask = MIN_TREE_SLOTS - 1;

  /** Empty again; a table sized for a much bigger profile is replaced, so a reset costs O(nodes). */
  reset(): void {
    if (this.count === 0) return;
    if (this.mask + 1 > 2 * MIN_TREE_SLOTS && this.count * 16 < this.mask + 1) {
      this.slots = new Int32Array(3 * MIN_TREE_SLOTS).fill(-1);
      this.mask = MIN_TREE_SLOTS - 1;
    } else this.slots.fill(-1);
    this.count = 0;
  }

  get slotCount(): number {
    return this.mask + 1;
  }

  /**
   * Mixed down to the low bits: linear probing over (parent·c1 ^ name·c2) & mask formed long runs
   * (new nodes come as chains with consecutive parents), and probes walked them.
   */
  private static slotOf(parent: number, name: number, mask: number): number {
    let h = Math.imul(parent + 1, 0x9e3779b1) ^ name;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & mask;
  }

  /** The node for frame `name` under `parent` (−1 = root), created on first use. */
  child(parent: number, name: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let slot = LocalTree.slotOf(parent, name, mask);
    for (;;) {
      const node = slots[3 * slot]!;
      if (node === -1) break;
      if (slots[3 * slot + 1] === parent && slots[3 * slot + 2] === name) return node;
      slot = (slot + 1) & mask;
    }
    return this.insert(slot, parent, name);
  }

  /** A node known to be new: `parent` was created by this walk, so it has no children yet. */
  newChild(parent: number, name: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let slot = LocalTree.slotOf(parent, name, mask);
    while (slots[3 * slot] !== -1) slot = (slot + 1) & mask;
    return this.insert(slot, parent, name);
  }

  private insert(slot: number, parent: number, name: number): number {
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
    this.slots[3 * slot] = node;
    this.slots[3 * slot + 1] = parent;
    this.slots[3 * slot + 2] = name;
    // Grows 4× at half full: a 1M-node profile rehashes 5 times instead of 10.
    if (this.count * 2 > this.mask + 1) this.rehash(4 * (this.mask + 1));
    return node;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(3 * size).fill(-1);
    const mask = size - 1;
    for (let node = 0; node < this.count; node++) {
      const parent = this.parent[node]!;
      const name = this.name[node]!;
      let slot = LocalTree.slotOf(parent, name, mask);
      while (slots[3 * slot] !== -1) slot = (slot + 1) & mask;
      slots[3 * slot] = node;
      slots[3 * slot + 1] = parent;
      slots[3 * slot + 2] = name;
    }
    this.slots = slots;
    this.mask = mask;
  }
}


/**
 * name → id halves for names seen in recent profiles: an SDK sends the same few hundred names in
 * every profile, and hashing each one (UTF-8 encode + wasm + bigint) was a third of laying out a
 * small profile's rows. Bounded: dropped whole when full (ids are content hashes, so forgetting
 * costs only a re-hash).
 */
class NameIds {
  private readonly slots = new Map<string, number>();
  private halves: Uint32Array;

  constructor(private readonly maxNames: number) {
    this.halves = new Uint32Array(2 * Math.min(maxNames, 4096));
  }

  /** Writes the name's id halves at out[at], out[at + 1]. */
  into(name: string, out: Uint32Array, at: number): void {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      if (this.slots.size >= this.maxNames) this.slots.clear();
      slot = this.slots.size;
      if (2 * slot === this.halves.length) {
        const grown = new Uint32Array(Math.min(2 * this.halves.length, 2 * this.maxNames));
        grown.set(this.halves);
        this.halves = grown;
      }
      const id = nameId(name);
      this.halves[2 * slot] = Number(id & LOW_32);
      this.halves[2 * slot + 1] = Number(id >> 32n);
      this.slots.set(name, slot);
    }
    out[at] = this.halves[2 * slot]!;
    out[at + 1] = this.halves[2 * slot + 1]!;
  }
}

const MAX_CACHED_NAMES = 65_536;
const SPARE_TREE_MAX_NODES = 65_536;

export class RowBuilder {
  private readonly nameIds = new NameIds(MAX_CACHED_NAMES);
  /** A tree kept between appends (an SDK profile's rows are laid out in ~0.1 ms: allocating one is not free). */
  private spareTree: LocalTree | null = null;

  constructor(
    private readonly active: ActiveSeries,
    private readonly maxSeriesPerTenant: number,
    private readonly now: () => number,
  ) {}

  /**
   * Checks the active-series limit and marks the series active (synchronously, so concurrent
   * appends agree), then lays out rows, giving the event loop a turn between profiles once a
   * slice is used up (a 1M-node profile takes ~0.15 s).
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
    const tree = this.spareTree ?? new LocalTree();
    this.spareTree = null;
    const pacer = new Pacer();
    let path = new Int32Array(64);
    for (let p = 0; p < profiles.length; p++) {
      const validated = profiles[p]!;
      const profile = validated.profile;
      const stacks = profile.stacks;
      const day = dayOf(validated.timeMs);
      tree.reset();
      const leaf = new Int32Array(stacks.length);
      // Consecutive samples often share a long root-side prefix (profilers emit them in tree
      // order): the part equal to the previous stack reuses its nodes without a hash lookup.
      let previous: Uint32Array | null = null;
      for (let s = 0; s < stacks.length; s++) {
        const stack = stacks[s]!;
        const length = stack.length;
        if (length > path.length) {
          const grown = new Int32Array(Math.max(length, 2 * path.length));
          grown.set(path);
          path = grown;
        }
        let i = 0;
        if (previous !== null) {
          const shared = Math.min(length, previous.length);
          while (i < shared && stack[i] === previous[i]) i++;
        }
        let node = i > 0 ? path[i - 1]! : -1;
        // Below the first node this walk creates, every node is new: no lookup needed.
        for (; i < length; i++) {
          const before = tree.count;
          path[i] = node = tree.child(node, stack[i]!);
          if (tree.count > before) {
            for (i++; i < length; i++) path[i] = node = tree.newChild(node, stack[i]!);
            break;
          }
        }
        leaf[s] = node;
        previous = stack;
        const pause = pacer.tick();
        if (pause) await pause;
      }
      const symbols = await this.symbolsOf(tree, profile.names, day, pacer);
      const nodeHalves = symbols.nodeHalves;
      const samples = rows.samples;
      // Per type: the row of each leaf (index leaf + 1; 0 = a sample with no frames) in this profile.
      const rowOfLeaf = new Int32Array(tree.count + 1);
      let used = false;
      for (let t = 0; t < validated.profileTypeIds.length; t++) {
        const values = profile.values[t]!;
        const firstRow = samples.count;
        rowOfLeaf.fill(-1);
        // Rows of (leaf, span, trace) for samples with a span or trace id.
        let labelled: Map<string, number> | null = null;
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
          const node = leaf[s]!;
          if (spanId === null && traceId === null) {
            const row = rowOfLeaf[node + 1]!;
            if (row >= 0) samples.values[row]! += value;
            // Stack id 0 = a sample with no frames (kept: it is part of the profile's total).
            else rowOfLeaf[node + 1] = node < 0 ? samples.add(0, 0, value, null, null) : samples.add(nodeHalves[2 * node]!, nodeHalves[2 * node + 1]!, value, null, null);
            continue;
          }
          const key = `${node}\u0000${spanId ?? ''}\u0000${traceId ?? ''}`;
          const row = (labelled ??= new Map()).get(key);
          if (row !== undefined) samples.values[row]! += value;
          else labelled.set(key, node < 0 ? samples.add(0, 0, value, spanId, traceId) : samples.add(nodeHalves[2 * node]!, nodeHalves[2 * node + 1]!, value, spanId, traceId));
        }
        // A sample type with nothing in it (e.g. a cumulative delta that did not move) is not stored.
        const rowCount = samples.count - firstRow;
        if (rowCount === 0) continue;
        used = true;
        const series = seriesIds[p]![t]!;
        rows.series.push({ day, id: series, tenant: validated.tenant, profileTypeId: validated.profileTypeIds[t]!, labels: validated.seriesLabels });
        rows.profiles.push({ pid: randomPid(), seriesId: series, timeMs: validated.timeMs, profileId: validated.profileId, total, period: profile.period, firstRow, rowCount });
      }
      if (used) rows.symbols.push(symbols);
    }
    // A tree grown for a huge profile is let go rather than kept.
    if (tree.slotCount <= 2 * SPARE_TREE_MAX_NODES) {
      tree.reset();
      this.spareTree = tree;
    }
    return rows;
  }

  /** Ids of the tree's nodes (parents first, so a parent's id is known) and of the names they use. */
  private async symbolsOf(tree: LocalTree, profileNames: readonly string[], day: number, pacer: Pacer): Promise<ProfileSymbols> {
    const nodeCount = tree.count;
    const nodeParentLocal = tree.parent;
    const nodeNameLocal = tree.name;
    const usedNames = new Int32Array(profileNames.length).fill(-1);
    const names: string[] = [];
    let nameHalves = new Uint32Array(2 * Math.min(nodeCount, profileNames.length));
    const nodeHalves = new Uint32Array(2 * nodeCount);
    const nodeParentHalves = new Uint32Array(2 * nodeCount);
    const nodeNames = new Int32Array(nodeCount);
    for (let n = 0; n < nodeCount; n++) {
      const local = nodeNameLocal[n]!;
      let name = usedNames[local]!;
      if (name === -1) {
        name = usedNames[local] = names.length;
        names.push(profileNames[local]!);
        this.nameIds.into(profileNames[local]!, nameHalves, 2 * name);
      }
      nodeNames[n] = name;
      const parent = nodeParentLocal[n]!;
      const parentLo = parent < 0 ? 0 : nodeHalves[2 * parent]!;
      const parentHi = parent < 0 ? 0 : nodeHalves[2 * parent + 1]!;
      nodeParentHalves[2 * n] = parentLo;
      nodeParentHalves[2 * n + 1] = parentHi;
      stackNodeIdInto(nodeHalves, 2 * n, parentLo, parentHi, nameHalves[2 * name]!, nameHalves[2 * name + 1]!);
      const pause = pacer.tick();
      if (pause) await pause;
    }
    if (nameHalves.length > 2 * names.length) nameHalves = nameHalves.slice(0, 2 * names.length);
    return { day, names, nameHalves, nodeHalves, nodeParentHalves, nodeNames };
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

/** Which of one profile's symbols this batch writes (1 = not known to be stored yet). */
interface SymbolPlan {
  symbols: ProfileSymbols;
  freshNames: Uint8Array;
  freshNodes: Uint8Array;
}

/**
 * The writer connection's appenders, kept open from batch to batch: creating one is a catalog
 * lookup and a round trip, and each batch used to create and close four. An appender is not tied
 * to a transaction: a flush appends what it holds to the connection's open transaction (DuckDB
 * looks the table up again then), so every batch flushes all it appended before COMMIT, and a
 * failed batch clears what they hold and drops them (releaseAppenders) before its ROLLBACK.
 */
interface WriterAppenders {
  names: ChunkAppender;
  stacks: ChunkAppender;
  samples: ChunkAppender;
  profiles: DuckDBAppender;
}

const openAppenders = new WeakMap<DuckDBConnection, WriterAppenders>();

async function appendersOf(connection: DuckDBConnection): Promise<WriterAppenders> {
  let appenders = openAppenders.get(connection);
  if (!appenders) {
    const created: DuckDBAppender[] = [];
    const create = async (table: string): Promise<DuckDBAppender> => {
      const appender = await connection.createAppender(table);
      created.push(appender);
      return appender;
    };
    try {
      appenders = {
        names: new ChunkAppender(await create('names'), ['i32', 'u64', 'str']),
        stacks: new ChunkAppender(await create('stacks'), ['i32', 'u64', 'u64', 'u64']),
        samples: new ChunkAppender(await create('samples'), ['u64', 'i64', 'u64', 'u64', 'f64', 'str', 'str']),
        profiles: await create('profiles'),
      };
    } catch (error) {
      for (const appender of created) {
        try {
          appender.closeSync();
        } catch {
          // gone with its connection
        }
      }
      throw error;
    }
    openAppenders.set(connection, appenders);
  }
  return appenders;
}

/**
 * Drops the connection's appenders and what they hold without writing it: after a failed batch,
 * and before the connection closes (an appender left to the garbage collector would flush its
 * rows on its own and keep the database instance alive).
 */
export function releaseAppenders(connection: DuckDBConnection): void {
  const appenders = openAppenders.get(connection);
  if (!appenders) return;
  openAppenders.delete(connection);
  for (const appender of [appenders.names.appender, appenders.stacks.appender, appenders.samples.appender, appenders.profiles]) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // The connection or instance is gone already: nothing is left to flush.
    }
  }
}

/**
 * Writes queued batches in one transaction. Resolves, once it committed, to what teaches the caches
 * its symbols: the caller runs it after acknowledging the batch and before the next one is planned
 * (for a 1M-node profile that is ~0.1 s the acknowledgement need not wait for).
 */
export async function writeRows(connection: DuckDBConnection, batches: PendingRows[], caches: SymbolCaches, state: StoreState, committedDespite: (error: unknown) => boolean): Promise<() => void> {
  // Appending is synchronous: a big batch yields between slices. Nothing else uses the writer
  // connection meanwhile (writes run one at a time under the store's write lock).
  const pacer = new Pacer();
  const plans: SymbolPlan[] = [];
  const learnedSeries: number[] = [];
  // Profiles per day in this batch: a day with one profile needs no dedup index (its nodes are
  // distinct already); with several, a node they share is written once.
  const profilesPerDay = new Map<number, number>();
  for (const rows of batches) for (const symbols of rows.symbols) profilesPerDay.set(symbols.day, (profilesPerDay.get(symbols.day) ?? 0) + 1);
  const seen = { names: new Map<number, IdIndex>(), stacks: new Map<number, IdIndex>(), series: new Map<number, IdIndex>() };
  const seenIn = (kind: keyof typeof seen, day: number): IdIndex => {
    let ids = seen[kind].get(day);
    if (!ids) seen[kind].set(day, (ids = new IdIndex()));
    return ids;
  };
  /** Flags the ids not known to be stored (nor flagged by this batch already); returns how many. */
  const mark = async (cache: SymbolCache, ids: IdIndex | null, day: number, halves: Uint32Array, fresh: Uint8Array): Promise<number> => {
    let count = 0;
    // A day the cache holds nothing of (the first profile of a day, a restart): 1M lookups that
    // would all miss cost ~0.1 s, so they are skipped.
    const cached = cache.holdsDay(day);
    for (let i = 0; i < fresh.length; i++) {
      const pause = pacer.tick();
      if (pause) await pause;
      const lo = halves[2 * i]!;
      const hi = halves[2 * i + 1]!;
      if (cached && cache.hasHalves(day, lo, hi)) continue;
      if (ids !== null) {
        const before = ids.size;
        if (ids.add(lo, hi) < before) continue;
      }
      fresh[i] = 1;
      count++;
    }
    return count;
  };
  // What is new is worked out before the transaction: a batch of SDK profiles whose symbols are
  // all cached opens no names or stacks appender (creating and closing one costs ~0.1 ms).
  let freshNameCount = 0;
  let freshNodeCount = 0;
  const seriesValues: string[] = [];
  for (const rows of batches) {
    for (const symbols of rows.symbols) {
      const day = symbols.day;
      const shared = profilesPerDay.get(day)! > 1;
      const plan: SymbolPlan = { symbols, freshNames: new Uint8Array(symbols.names.length), freshNodes: new Uint8Array(symbols.nodeNames.length) };
      plans.push(plan);
      freshNameCount += await mark(caches.names, shared ? seenIn('names', day) : null, day, symbols.nameHalves, plan.freshNames);
      freshNodeCount += await mark(caches.stacks, shared ? seenIn('stacks', day) : null, day, symbols.nodeHalves, plan.freshNodes);
    }
    for (const series of rows.series) {
      const lo = Number(series.id & LOW_32);
      const hi = Number(series.id >> 32n);
      if (caches.series.hasHalves(series.day, lo, hi)) continue;
      const ids = seenIn('series', series.day);
      const before = ids.size;
      if (ids.add(lo, hi) < before) continue;
      learnedSeries.push(series.day, lo, hi);
      seriesValues.push(seriesRowSql(series.day, series.id, series.tenant, series.profileTypeId, withDerivedLabels(series.labels, series.profileTypeId)));
    }
  }
  const appenders = await appendersOf(connection);
  await connection.run('BEGIN TRANSACTION');
  try {
    if (freshNameCount > 0) {
      const names = appenders.names;
      for (const { symbols, freshNames } of plans) {
        const nameHalves = symbols.nameHalves;
        for (let i = 0; i < freshNames.length; i++) {
          if (freshNames[i] === 0) continue;
          const row = names.row();
          names.i32[0]![row] = symbols.day;
          names.halves[1]![2 * row] = nameHalves[2 * i]!;
          names.halves[1]![2 * row + 1] = nameHalves[2 * i + 1]!;
          names.str[2]![row] = symbols.names[i]!;
        }
      }
      names.flush();
      names.appender.flushSync();
    }
    if (freshNodeCount > 0) {
      const stacks = appenders.stacks;
      const days = stacks.i32[0]!;
      const ids = stacks.halves[1]!;
      const parents = stacks.halves[2]!;
      const nameIds = stacks.halves[3]!;
      for (const { symbols, freshNodes } of plans) {
        const day = symbols.day;
        const nameHalves = symbols.nameHalves;
        const nodeHalves = symbols.nodeHalves;
        const parentHalves = symbols.nodeParentHalves;
        const nodeNames = symbols.nodeNames;
        for (let n = 0; n < freshNodes.length; n++) {
          if (freshNodes[n] === 0) continue;
          const row = stacks.row();
          days[row] = day;
          ids[2 * row] = nodeHalves[2 * n]!;
          ids[2 * row + 1] = nodeHalves[2 * n + 1]!;
          parents[2 * row] = parentHalves[2 * n]!;
          parents[2 * row + 1] = parentHalves[2 * n + 1]!;
          const name = nodeNames[n]!;
          nameIds[2 * row] = nameHalves[2 * name]!;
          nameIds[2 * row + 1] = nameHalves[2 * name + 1]!;
          const pause = pacer.tick();
          if (pause) await pause;
        }
      }
      stacks.flush();
      stacks.appender.flushSync();
    }
    for (let i = 0; i < seriesValues.length; i += 500) await connection.run(`INSERT INTO series VALUES ${seriesValues.slice(i, i + 500).join(', ')}`);
    const samples = appenders.samples;
    // Profile rows by appender too: as SQL VALUES (parsed on DuckDB's side, off the event loop)
    // they cost ~300 µs more CPU per SDK profile than the appender flush they saved.
    const profiles = appenders.profiles;
    const late: Record<'rollup_1m' | 'rollup_1h', [bigint, number, bigint, number][]> = { rollup_1m: [], rollup_1h: [] };
    const seriesColumn = samples.halves[0]!;
    const pidColumn = samples.halves[2]!;
    const stackColumn = samples.halves[3]!;
    const valueColumn = samples.f64[4]!;
    const spanColumn = samples.str[5]!;
    const traceColumn = samples.str[6]!;
    for (const rows of batches) {
      const sampleRows = rows.samples;
      const { stackHalves, values, spanIds, traceIds } = sampleRows;
      for (const profile of rows.profiles) {
        const seriesLo = Number(profile.seriesId & LOW_32);
        const seriesHi = Number(profile.seriesId >> 32n);
        const pidLo = Number(profile.pid & LOW_32);
        const pidHi = Number(profile.pid >> 32n);
        const timeMs = profile.timeMs;
        const lateFor1m = timeMs < state.rollupUntil1m;
        const lateFor1h = timeMs < state.rollupUntil1h;
        const end = profile.firstRow + profile.rowCount;
        for (let r = profile.firstRow; r < end; r++) {
          const row = samples.row();
          seriesColumn[2 * row] = seriesLo;
          seriesColumn[2 * row + 1] = seriesHi;
          samples.setI64(1, row, timeMs);
          pidColumn[2 * row] = pidLo;
          pidColumn[2 * row + 1] = pidHi;
          stackColumn[2 * row] = stackHalves[2 * r]!;
          stackColumn[2 * row + 1] = stackHalves[2 * r + 1]!;
          valueColumn[row] = values[r]!;
          if (spanIds !== null) spanColumn[row] = spanIds[r]!;
          if (traceIds !== null) traceColumn[row] = traceIds[r]!;
          const pause = pacer.tick();
          if (pause) await pause;
          // Rows older than a rollup watermark go straight into that rollup (late data).
          if (lateFor1m || lateFor1h) {
            const stackId = BigInt(stackHalves[2 * r]!) | (BigInt(stackHalves[2 * r + 1]!) << 32n);
            if (lateFor1m) late.rollup_1m.push([profile.seriesId, timeMs - (timeMs % MINUTE_MS), stackId, values[r]!]);
            if (lateFor1h) late.rollup_1h.push([profile.seriesId, timeMs - (timeMs % HOUR_MS), stackId, values[r]!]);
          }
        }
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
    // A table this batch added nothing to is not touched (each flush is a statement of its own).
    samples.flush();
    if (batches.some((batch) => batch.samples.count > 0)) samples.appender.flushSync();
    if (batches.some((batch) => batch.profiles.length > 0)) profiles.flushSync();
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
    releaseAppenders(connection);
    if (!committedDespite(error)) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    learn();
    throw error;
  }
  return learn;

  function learn(): void {
    // More new nodes than the cache holds (a 1M-node profile): only the last ones would stay.
    let skipNodes = Math.max(0, freshNodeCount - caches.stacks.maxEntries);
    for (const { symbols, freshNames, freshNodes } of plans) {
      const day = symbols.day;
      for (let i = 0; i < freshNames.length; i++) if (freshNames[i] === 1) caches.names.addHalves(day, symbols.nameHalves[2 * i]!, symbols.nameHalves[2 * i + 1]!);
      for (let n = 0; n < freshNodes.length; n++) {
        if (freshNodes[n] === 0) continue;
        if (skipNodes > 0) skipNodes--;
        else caches.stacks.addHalves(day, symbols.nodeHalves[2 * n]!, symbols.nodeHalves[2 * n + 1]!);
      }
    }
    for (let i = 0; i < learnedSeries.length; i += 3) caches.series.addHalves(learnedSeries[i]!, learnedSeries[i + 1]!, learnedSeries[i + 2]!);
  }
}

interface QueuedAppend {
  rows: PendingRows;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Longest a batch waits for more appends to join it (see GroupCommit). */
export const MAX_GATHER_MS = 4;

/**
 * Group commit: concurrent appends queue up and the next flush writes all of them in one
 * transaction; each promise settles after COMMIT (DuckDB syncs its WAL), so an acknowledged
 * profile survives kill -9. All or nothing per batch: every request in it gets the same answer.
 *
 * Batches alternated between big and tiny under load (median 1 profile, mean 11 at 32 in flight):
 * the first append to arrive after a commit went alone while the rest queued behind it, and every
 * batch pays the same fixed cost (appender flushes, COMMIT, a WAL sync). So when the last batch
 * was big, the next one waits for about half as many appends to queue, at most for half as long
 * as the last write took (and MAX_GATHER_MS): a single client never waits, and under load an
 * append waits less than it would have behind the tiny batch.
 */
export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private flushing = false;
  private lastBatchSize = 0;
  private lastWriteMs = 0;
  /** While gathering: called when an append joins the queue. */
  private joined: (() => void) | null = null;

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
      else this.joined?.();
    });
  }

  /** Under load, lets more appends join the next batch (bounded in count and time). */
  private async gather(): Promise<void> {
    const target = Math.ceil(this.lastBatchSize / 2);
    if (this.queue.length >= target) return;
    const waitMs = Math.min(MAX_GATHER_MS, this.lastWriteMs / 2);
    if (waitMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.joined = null;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.joined = () => {
        if (this.queue.length >= target) done();
      };
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        if (this.lastBatchSize > 1) await this.gather();
        const batch = this.queue;
        this.queue = [];
        const refusal = this.refusal();
        if (refusal !== null) {
          for (const entry of batch) entry.reject(refusal);
          continue;
        }
        const startedMs = performance.now();
        try {
          await this.write(batch.map((entry) => entry.rows));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
        this.lastBatchSize = batch.length;
        this.lastWriteMs = performance.now() - startedMs;
      }
    } finally {
      this.flushing = false;
    }
  }
}
