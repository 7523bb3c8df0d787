/**
 * The stack nodes and names of recently read day partitions, in memory, for merges.
 *
 * A merge needs every ancestor of the leaves it sums. Reading them from DuckDB costs either a scan
 * of the range's symbol partitions per query or a recursive query with one step per stack level
 * (~100 for Java); both made the merge several times the cost of summing the leaves. A day's
 * partition changes only by appends, and the writer is in this process, so a day is read once and
 * then kept up to date by the writer (`written`) until it is evicted: least recently used first,
 * within a byte budget. A day that does not fit sends the merge to the SQL walk instead.
 */
import { IdIndex } from './idIndex.js';
import type { Pacer } from '../pace.js';

/**
 * Default memory budget for cached day partitions when the caller gives none (tests, benchmarks);
 * the server passes --merge-cache-size (64MiB, so a 1M-node day fits: ~40 MiB once resolved).
 */
export const DEFAULT_MERGE_CACHE_BYTES = 32 * 1024 * 1024;
/** Four 32-bit words per node not resolved yet: parent and name id halves. */
const LINK_BYTES_PER_NODE = 16;
/** A V8 string header and the array slot that holds it. */
const NAME_OVERHEAD_BYTES = 40;
/** Two 32-bit rows per node once resolved: the parent's row and the name's row. */
const RESOLVED_BYTES_PER_NODE = 8;
/** The cached merge layout: position, parent position and name rank per node. */
const LAYOUT_BYTES_PER_NODE = 12;

/**
 * A day's rows in merge-answer order (by depth, parent, name): position p's parent position and
 * name rank, and each row's position. Any merge's answer is this order restricted to the rows it
 * touches, so a merge filters it instead of sorting (reader.ts mergeByLayout).
 */
export interface DayLayout {
  nodeCount: number;
  nameCount: number;
  /** Per row: its position. */
  posOfRow: Int32Array;
  /** Per position: the parent's position (−1 under the root); always smaller than the position. */
  parentPos: Int32Array;
  /** Per position: the rank of its name in `names`. */
  rankPos: Int32Array;
  /** The day's names used by nodes, sorted. */
  names: string[];
}

/** One day partition's symbols. */
export class DaySymbols {
  readonly nodes: IdIndex;
  /**
   * Per node row from `linksBase` on: parent lo, parent hi, name lo, name hi. Rows before it are
   * resolved, and their parent and name ids are read back through parentRow/nameRow and the
   * indexes (linkOf), so a loaded day keeps 8 bytes a node for its links instead of 24.
   */
  private links: Uint32Array;
  private linksBase = 0;
  /** Rows before linksBase whose parent or name was not in the day when they were resolved. */
  private readonly pendingLinks = new Map<number, Uint32Array>();
  readonly names: IdIndex;
  readonly nameText: string[] = [];
  private nameBytes = 0;
  /**
   * Per node row, filled by resolvePaced(): the parent's row (-1 under the root, -2 not in this day yet)
   * and the name's row in `names` (-1 not known yet). Merges then walk rows, not 64-bit ids.
   */
  parentRow = new Int32Array(0);
  nameRow = new Int32Array(0);
  private resolvedRows = 0;
  /**
   * The day's first `nodeCount` rows laid out as a merge answer is (by depth, parent, name): any
   * merge of those rows is this order restricted to the rows it touches, so a merge filters it
   * instead of sorting (see layoutCovering for why appends do not spoil it).
   */
  private dayLayout: DayLayout | null = null;
  /** The layout being built (one build per day at a time: a warm-up and a query share it). */
  layoutBuild: { nodeCount: number; promise: Promise<DayLayout | null> } | null = null;
  /** The paced resolve under way, if any (concurrent resolves would race on the row arrays). */
  private resolving: Promise<void> | null = null;

  /** `expectedNodes`/`expectedNames`: sizes known before a load, so the indexes never rehash 1M ids mid-load. */
  constructor(expectedNodes = 512, expectedNames = 128) {
    this.nodes = new IdIndex(expectedNodes);
    this.links = new Uint32Array(4 * Math.max(256, expectedNodes));
    this.names = new IdIndex(expectedNames);
  }

  /**
   * The latest layout when it covers rows 0..maxRow. A layout of the first n rows stays right for
   * them after appends: they were all resolved when it was built, so their ancestors are among them
   * and their names were known; rows appended later are simply not in it. So a merge whose leaves
   * all predate the layout keeps using it while ingest goes on.
   */
  layoutCovering(maxRow: number): DayLayout | null {
    const layout = this.dayLayout;
    return layout !== null && maxRow < layout.nodeCount ? layout : null;
  }

  /** Rows the latest layout covers (0 = none yet). */
  get laidOutRows(): number {
    return this.dayLayout?.nodeCount ?? 0;
  }

  setLayout(layout: DayLayout): void {
    if (this.dayLayout === null || layout.nodeCount >= this.dayLayout.nodeCount) this.dayLayout = layout;
  }

  get bytes(): number {
    const layoutBytes = this.dayLayout ? this.dayLayout.posOfRow.byteLength + this.dayLayout.parentPos.byteLength + this.dayLayout.rankPos.byteLength : 0;
    return this.nodes.byteLength + this.names.byteLength + this.links.byteLength + 20 * this.pendingLinks.size + this.parentRow.byteLength + this.nameRow.byteLength + layoutBytes + this.nameBytes;
  }

  /**
   * The parent's and the name's id halves of `row`: [parent lo, parent hi, name lo, name hi]
   * ([0, 0] for the parent of a root child).
   */
  linkOf(row: number, into: Uint32Array): void {
    if (row >= this.linksBase) {
      into.set(this.links.subarray(4 * (row - this.linksBase), 4 * (row - this.linksBase) + 4));
      return;
    }
    const pending = this.pendingLinks.get(row);
    if (pending) {
      into.set(pending);
      return;
    }
    const parent = this.parentRow[row]!;
    into[0] = parent < 0 ? 0 : this.nodes.loHalf(parent);
    into[1] = parent < 0 ? 0 : this.nodes.hiHalf(parent);
    const name = this.nameRow[row]!;
    into[2] = this.names.loHalf(name);
    into[3] = this.names.hiHalf(name);
  }

  /**
   * Resolves parent and name rows of the nodes added since the last call, offering `pacer` a tick
   * every 1,024 rows (a 1M-node day takes a few hundred ms).
   * One resolve runs at a time; callers that arrive meanwhile wait for it, then resolve what was
   * added since.
   */
  async resolvePaced(pacer: Pacer): Promise<void> {
    for (let round = 0; round < 1_000 && this.resolvedRows < this.nodes.size; round++) {
      if (this.resolving) {
        await this.resolving;
        continue;
      }
      const running = this.resolveRange(pacer);
      this.resolving = running;
      try {
        await running;
      } finally {
        if (this.resolving === running) this.resolving = null;
      }
    }
  }

  private async resolveRange(pacer: Pacer): Promise<void> {
    const count = this.nodes.size;
    this.growResolved(count);
    const from = this.resolvedRows;
    for (let row = from; row < count; row++) {
      if ((row & 1023) === 0) {
        const pause = pacer.tick();
        if (pause) await pause;
      }
      this.resolveRow(row);
    }
    this.resolvedRows = Math.max(this.resolvedRows, count);
    this.dropResolvedLinks();
  }

  /** Keeps links only for rows not resolved yet (and for the few whose parent or name is missing). */
  private dropResolvedLinks(): void {
    const upTo = this.resolvedRows;
    if (upTo <= this.linksBase) return;
    const links = this.links;
    for (let row = this.linksBase; row < upTo; row++) {
      if (this.parentRow[row] !== -2 && this.nameRow[row]! >= 0) continue;
      const at = 4 * (row - this.linksBase);
      this.pendingLinks.set(row, links.slice(at, at + 4));
    }
    const tail = this.nodes.size - upTo;
    const kept = new Uint32Array(4 * Math.max(256, 2 * tail));
    kept.set(links.subarray(4 * (upTo - this.linksBase), 4 * (this.nodes.size - this.linksBase)));
    this.links = kept;
    this.linksBase = upTo;
  }

  private growResolved(count: number): void {
    if (this.parentRow.length < count) {
      const capacity = Math.max(count, Math.min(2 * count, this.linksBase + this.links.length / 4));
      const parents = new Int32Array(capacity);
      parents.set(this.parentRow.subarray(0, this.resolvedRows));
      const names = new Int32Array(capacity);
      names.set(this.nameRow.subarray(0, this.resolvedRows));
      this.parentRow = parents;
      this.nameRow = names;
    }
  }

  /** (Re)resolves one row: a parent or name added after the row was first resolved is found now. */
  resolveRow(row: number): void {
    let links: Uint32Array;
    let at = 0;
    const pending = row < this.linksBase ? this.pendingLinks.get(row) : undefined;
    if (row >= this.linksBase) {
      links = this.links;
      at = 4 * (row - this.linksBase);
    } else if (pending) links = pending;
    else return; // resolved for good: its parent and name were found
    const parentLo = links[at]!;
    const parentHi = links[at + 1]!;
    const parent = parentLo === 0 && parentHi === 0 ? -1 : this.nodes.get(parentLo, parentHi);
    this.parentRow[row] = parent === -1 && (parentLo !== 0 || parentHi !== 0) ? -2 : parent;
    this.nameRow[row] = this.names.get(links[at + 2]!, links[at + 3]!);
    if (pending && this.parentRow[row] !== -2 && this.nameRow[row]! >= 0) this.pendingLinks.delete(row);
  }

  addNode(lo: number, hi: number, parentLo: number, parentHi: number, nameLo: number, nameHi: number): void {
    const before = this.nodes.size;
    const row = this.nodes.add(lo, hi);
    if (row < before) return;
    const at = 4 * (row - this.linksBase);
    if (at + 4 > this.links.length) {
      const grown = new Uint32Array(this.links.length * 2);
      grown.set(this.links);
      this.links = grown;
    }
    this.links[at] = parentLo;
    this.links[at + 1] = parentHi;
    this.links[at + 2] = nameLo;
    this.links[at + 3] = nameHi;
  }

  addName(lo: number, hi: number, text: string): void {
    const before = this.names.size;
    const index = this.names.add(lo, hi);
    if (index < before) return;
    this.nameText[index] = text;
    this.nameBytes += 2 * text.length + NAME_OVERHEAD_BYTES;
  }

  /** The name of (lo, hi), or undefined. */
  name(lo: number, hi: number): string | undefined {
    const index = this.names.get(lo, hi);
    return index < 0 ? undefined : this.nameText[index];
  }
}

/** What the writer committed for one profile's day (see writer.ts ProfileSymbols). */
export interface WrittenSymbols {
  day: number;
  names: readonly string[];
  /** [lo, hi] per name. */
  nameHalves: Uint32Array;
  /** [lo, hi] per node. */
  nodeHalves: Uint32Array;
  /** [lo, hi] of each node's parent id ([0, 0] under the root). */
  nodeParentHalves: Uint32Array;
  /** Per node: index into names. */
  nodeNames: Int32Array;
}

/** Loaded days, least recently used first (Map order), within a byte budget. */
export class DaySymbolCache {
  private readonly loaded = new Map<number, DaySymbols>();
  private readonly loading = new Map<number, { promise: Promise<DaySymbols>; pending: WrittenSymbols[] }>();
  /** Days known to hold no symbols (so a long range does not look for them at every merge). */
  private readonly empty = new Set<number>();
  /** Counts writes; per day, the count at its last write (an emptiness seen before it is stale). */
  private writes = 0;
  private readonly lastWrite = new Map<number, number>();

  constructor(readonly budgetBytes: number) {}

  /** The cached day (marked recently used), or undefined. */
  get(day: number): DaySymbols | undefined {
    const symbols = this.loaded.get(day);
    if (symbols) {
      this.loaded.delete(day);
      this.loaded.set(day, symbols);
    }
    return symbols;
  }

  /** The cached day without marking it used (a warm-up must not reorder what users read). */
  peek(day: number): DaySymbols | undefined {
    return this.loaded.get(day);
  }

  /** Whether the day is being loaded now. */
  isLoading(day: number): boolean {
    return this.loading.has(day);
  }

  /** Estimated bytes a day of `rows` node rows and `nameRows` names takes once loaded. */
  static estimate(rows: number, nameRows: number, nameChars: number): number {
    // Links are held while a load runs and freed once its rows are resolved; the peak counts them.
    return indexBytes(rows) + rows * (LAYOUT_BYTES_PER_NODE + LINK_BYTES_PER_NODE + RESOLVED_BYTES_PER_NODE) + indexBytes(nameRows) + nameRows * NAME_OVERHEAD_BYTES + 2 * nameChars;
  }

  /**
   * The day, loading it with `load` once (concurrent callers share the load). Symbols the writer
   * commits while the load runs are applied after it, so nothing committed is missed whichever
   * side of the load's snapshot it fell on.
   */
  async ensure(day: number, load: (into: DaySymbols) => Promise<void>, expected?: { nodes: number; names: number }): Promise<DaySymbols> {
    const cached = this.get(day);
    if (cached) return cached;
    const running = this.loading.get(day);
    if (running) return running.promise;
    const entry = { promise: null as unknown as Promise<DaySymbols>, pending: [] as WrittenSymbols[] };
    entry.promise = (async () => {
      const symbols = new DaySymbols(expected?.nodes, expected?.names);
      try {
        await load(symbols);
        for (const written of entry.pending) apply(symbols, written);
        this.loaded.set(day, symbols);
        this.evict();
        return symbols;
      } finally {
        this.loading.delete(day);
      }
    })();
    this.loading.set(day, entry);
    return entry.promise;
  }

  /** The write count now: pass it to markEmpty for what a read that starts now finds empty. */
  get writeCount(): number {
    return this.writes;
  }

  isEmpty(day: number): boolean {
    return this.empty.has(day);
  }

  /** A read that started at writeCount `since` found no symbols of the day. */
  markEmpty(day: number, since: number): void {
    if ((this.lastWrite.get(day) ?? -1) < since) this.empty.add(day);
  }

  /** The writer committed these: loaded (and loading) days learn them. */
  written(batch: readonly WrittenSymbols[]): void {
    this.writes++;
    for (const written of batch) {
      this.lastWrite.set(written.day, this.writes);
      this.empty.delete(written.day);
    }
    if (this.loaded.size === 0 && this.loading.size === 0) return;
    for (const written of batch) {
      const symbols = this.loaded.get(written.day);
      if (symbols) apply(symbols, written);
      else this.loading.get(written.day)?.pending.push(written);
    }
    this.evict();
  }

  /** Retention dropped these days. */
  dropBefore(firstKeptDay: number): void {
    for (const day of [...this.loaded.keys()]) if (day < firstKeptDay) this.loaded.delete(day);
    for (const day of [...this.lastWrite.keys()]) if (day < firstKeptDay) this.lastWrite.delete(day);
    // Dropped days are empty now; the set only shrinks when written to, so cap what it remembers.
    if (this.empty.size > 100_000) this.empty.clear();
  }

  /** Forgets a day (its partition is not what the cache holds, e.g. a merge found a leaf missing). */
  forget(day: number): void {
    this.loaded.delete(day);
  }

  get size(): number {
    return this.loaded.size;
  }

  get bytes(): number {
    let bytes = 0;
    for (const symbols of this.loaded.values()) bytes += symbols.bytes;
    return bytes;
  }

  private evict(): void {
    let bytes = this.bytes;
    for (const [day, symbols] of this.loaded) {
      if (bytes <= this.budgetBytes) break;
      this.loaded.delete(day);
      bytes -= symbols.bytes;
    }
  }
}

/** Bytes of an IdIndex sized for `entries` (4 a slot at ≤ half load, 8 an entry). */
function indexBytes(entries: number): number {
  let slots = 1024;
  while (slots < entries * 2) slots *= 2;
  return 4 * slots + 8 * Math.max(16, entries);
}

function apply(symbols: DaySymbols, written: WrittenSymbols): void {
  const names = written.nameHalves;
  for (let i = 0; i < written.names.length; i++) symbols.addName(names[2 * i]!, names[2 * i + 1]!, written.names[i]!);
  const nodes = written.nodeHalves;
  const parents = written.nodeParentHalves;
  for (let n = 0; n < written.nodeNames.length; n++) {
    const lo = nodes[2 * n]!;
    const hi = nodes[2 * n + 1]!;
    if (symbols.nodes.get(lo, hi) >= 0) continue;
    const name = written.nodeNames[n]!;
    symbols.addNode(lo, hi, parents[2 * n]!, parents[2 * n + 1]!, names[2 * name]!, names[2 * name + 1]!);
  }
}
