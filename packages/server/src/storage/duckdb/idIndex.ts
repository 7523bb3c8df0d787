/** A hash map for 64-bit content ids held as two 32-bit halves, so hot loops touch no bigint. */

/**
 * Open-addressing map of 64-bit ids (as two 32-bit halves) to dense indexes 0, 1, 2…, growable.
 * The halves are stored once per index (not per slot), so the table costs 4 bytes a slot plus
 * 8 an entry (~16 B an entry at ≤ half load, against 24–48 with halves per slot: a 1M-node day of
 * the merge cache is ~9 MB smaller), and an index's id can be read back (loHalf/hiHalf).
 */
export class IdIndex {
  /** Per slot: the index stored there, −1 for empty. */
  private slots: Int32Array;
  /** Per index: the id's halves. */
  private lo: Uint32Array;
  private hi: Uint32Array;
  size = 0;

  constructor(expected = 512) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    const entries = Math.max(16, expected);
    this.lo = new Uint32Array(entries);
    this.hi = new Uint32Array(entries);
  }

  /** The index of (lo, hi), or −1. */
  get(lo: number, hi: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      const at = slots[slot]!;
      if (at === -1) return -1;
      if (this.lo[at] === lo && this.hi[at] === hi) return at;
    }
  }

  /** Adds (lo, hi) → the next index unless present; returns its index. */
  add(lo: number, hi: number): number {
    const found = this.get(lo, hi);
    if (found >= 0) return found;
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    if (this.size === this.lo.length) {
      const lows = new Uint32Array(this.lo.length * 2);
      lows.set(this.lo);
      this.lo = lows;
      const highs = new Uint32Array(this.hi.length * 2);
      highs.set(this.hi);
      this.hi = highs;
    }
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (slots[slot] !== -1) slot = (slot + 1) & mask;
    slots[slot] = this.size;
    this.lo[this.size] = lo;
    this.hi[this.size] = hi;
    return this.size++;
  }

  /** The low half of index `at`'s id. */
  loHalf(at: number): number {
    return this.lo[at]!;
  }

  /** The high half of index `at`'s id. */
  hiHalf(at: number): number {
    return this.hi[at]!;
  }

  /** Bytes the table holds. */
  get byteLength(): number {
    return this.slots.byteLength + this.lo.byteLength + this.hi.byteLength;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let at = 0; at < this.size; at++) {
      let slot = (this.lo[at]! ^ Math.imul(this.hi[at]!, 0x9e3779b1)) & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = at;
    }
    this.slots = slots;
  }
}

/** The [lo, hi] halves of each id (little-endian view of a BigUint64Array). */
export function idHalves(ids: readonly bigint[]): Uint32Array {
  const words = new Uint32Array(BigUint64Array.from(ids).buffer);
  if (LITTLE_ENDIAN) return words;
  for (let i = 0; i < words.length; i += 2) [words[i], words[i + 1]] = [words[i + 1]!, words[i]!];
  return words;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
