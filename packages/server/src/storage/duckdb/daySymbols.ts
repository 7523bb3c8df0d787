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

/** Default memory budget for cached day partitions. */
export const DEFAULT_MERGE_CACHE_BYTES = 32 * 1024 * 1024;
/** IdIndex keeps ≤ half its slots used, 12 bytes a slot (two halves + index). */
const INDEX_BYTES_PER_ENTRY = 24;
/** Four 32-bit words per node: parent and name id halves. */
const LINK_BYTES_PER_NODE = 16;
/** A V8 string header and the array slot that holds it. */
const NAME_OVERHEAD_BYTES = 40;

/** One day partition's symbols. */
export class DaySymbols {
  readonly nodes = new IdIndex(1024);
  /** Per node row: parent lo, parent hi, name lo, name hi. */
  links = new Uint32Array(4096);
  readonly names = new IdIndex(256);
  readonly nameText: string[] = [];
  private nameBytes = 0;

  get bytes(): number {
    return (this.nodes.size + this.names.size) * INDEX_BYTES_PER_ENTRY + this.links.length * 4 + this.nameBytes;
  }

  addNode(lo: number, hi: number, parentLo: number, parentHi: number, nameLo: number, nameHi: number): void {
    const before = this.nodes.size;
    const row = this.nodes.add(lo, hi);
    if (row < before) return;
    if (4 * (row + 1) > this.links.length) {
      const grown = new Uint32Array(this.links.length * 2);
      grown.set(this.links);
      this.links = grown;
    }
    const at = 4 * row;
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
  /** Per node: parent id. */
  nodeParents: readonly bigint[];
  /** Per node: index into names. */
  nodeNames: Int32Array;
}

const LOW_32 = 0xffffffffn;

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

  /** Estimated bytes a day of `rows` node rows and `nameRows` names takes once loaded. */
  static estimate(rows: number, nameRows: number, nameChars: number): number {
    return rows * (INDEX_BYTES_PER_ENTRY + LINK_BYTES_PER_NODE * 2) + nameRows * (INDEX_BYTES_PER_ENTRY + NAME_OVERHEAD_BYTES) + 2 * nameChars;
  }

  /**
   * The day, loading it with `load` once (concurrent callers share the load). Symbols the writer
   * commits while the load runs are applied after it, so nothing committed is missed whichever
   * side of the load's snapshot it fell on.
   */
  async ensure(day: number, load: (into: DaySymbols) => Promise<void>): Promise<DaySymbols> {
    const cached = this.get(day);
    if (cached) return cached;
    const running = this.loading.get(day);
    if (running) return running.promise;
    const entry = { promise: null as unknown as Promise<DaySymbols>, pending: [] as WrittenSymbols[] };
    entry.promise = (async () => {
      const symbols = new DaySymbols();
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

function apply(symbols: DaySymbols, written: WrittenSymbols): void {
  const names = written.nameHalves;
  for (let i = 0; i < written.names.length; i++) symbols.addName(names[2 * i]!, names[2 * i + 1]!, written.names[i]!);
  const nodes = written.nodeHalves;
  for (let n = 0; n < written.nodeParents.length; n++) {
    const lo = nodes[2 * n]!;
    const hi = nodes[2 * n + 1]!;
    if (symbols.nodes.get(lo, hi) >= 0) continue;
    const parent = written.nodeParents[n]!;
    const name = written.nodeNames[n]!;
    symbols.addNode(lo, hi, Number(parent & LOW_32), Number(parent >> 32n), names[2 * name]!, names[2 * name + 1]!);
  }
}
