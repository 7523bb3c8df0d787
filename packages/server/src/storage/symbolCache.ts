/**
 * Which (day, symbol id) pairs are known to be stored, so a writer does not send a symbol row
 * again: exact, within a byte budget, in typed arrays. Both backends' writers use it (a miss only
 * costs a duplicate symbol row, which readers DISTINCT away).
 */

/** Default memory budget of the symbol cache. */
export const DEFAULT_SYMBOL_CACHE_BYTES = 32 * 1024 * 1024;
/** A slot: day and the two id halves. Two generations at most half full: ≤ 24 bytes per cached id. */
const BYTES_PER_SLOT = 12;
const LOW_32 = 0xffffffffn;

/**
 * Open-addressing set of (day, 64-bit id) in typed arrays: no bigint or Set entry per id (those
 * cost ~60 B and a GC-scanned object each). Ids are hashes already, so the low half picks the slot.
 * A slot is 3 words side by side (day + 1 with 0 = empty, lo, hi): one cache miss per probe, which
 * is what a lookup costs once the table outgrows the CPU cache (1M-node profiles).
 */
class IdTable {
  readonly slots: Uint32Array;
  size = 0;
  /** Days with an entry here: a day absent from both generations needs no lookup per id. */
  readonly days = new Set<number>();
  private lastDay = Number.NaN;

  constructor(readonly capacity: number) {
    this.slots = new Uint32Array(3 * capacity);
  }

  /** Slot of the entry, or −(empty slot + 1) where it would go. */
  find(day: number, lo: number, hi: number): number {
    const slots = this.slots;
    const mask = this.capacity - 1;
    const tag = (day + 1) >>> 0;
    let slot = (lo ^ Math.imul(tag, 0x9e3779b1)) & mask;
    for (;;) {
      const at = slots[3 * slot]!;
      if (at === 0) return -(slot + 1);
      if (at === tag && slots[3 * slot + 1] === lo && slots[3 * slot + 2] === hi) return slot;
      slot = (slot + 1) & mask;
    }
  }

  insertAt(emptySlot: number, day: number, lo: number, hi: number): void {
    if (day !== this.lastDay) {
      this.days.add(day);
      this.lastDay = day;
    }
    this.slots[3 * emptySlot] = (day + 1) >>> 0;
    this.slots[3 * emptySlot + 1] = lo;
    this.slots[3 * emptySlot + 2] = hi;
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

  /** Whether any id of `day` is cached (false: every lookup of the day would miss). */
  holdsDay(day: number): boolean {
    return this.young.days.has(day) || (this.old !== null && this.old.days.has(day));
  }

  /** Most ids both generations hold: adding more in one go only keeps the last of them. */
  get maxEntries(): number {
    return 2 * this.limit;
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
        const tag = table.slots[3 * slot]! | 0;
        if (tag === 0 || tag - 1 < day) continue;
        const lo = table.slots[3 * slot + 1]!;
        const hi = table.slots[3 * slot + 2]!;
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

