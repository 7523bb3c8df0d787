/** A hash map for 64-bit content ids held as two 32-bit halves, so hot loops touch no bigint. */

/** Open-addressing map of 64-bit ids (as two 32-bit halves) to dense indexes, growable. */
export class IdIndex {
  private lo: Uint32Array;
  private hi: Uint32Array;
  private index: Int32Array;
  size = 0;

  constructor(expected = 512) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.index = new Int32Array(capacity).fill(-1);
  }

  /** The index of (lo, hi), or −1. */
  get(lo: number, hi: number): number {
    const mask = this.index.length - 1;
    for (let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      const at = this.index[slot]!;
      if (at === -1) return -1;
      if (this.lo[slot] === lo && this.hi[slot] === hi) return at;
    }
  }

  /** Adds (lo, hi) → the next index unless present; returns its index. */
  add(lo: number, hi: number): number {
    const found = this.get(lo, hi);
    if (found >= 0) return found;
    if ((this.size + 1) * 2 > this.index.length) this.grow();
    const mask = this.index.length - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.index[slot] !== -1) slot = (slot + 1) & mask;
    this.lo[slot] = lo;
    this.hi[slot] = hi;
    this.index[slot] = this.size;
    return this.size++;
  }

  private grow(): void {
    const { lo, hi, index } = this;
    const size = index.length * 2;
    this.lo = new Uint32Array(size);
    this.hi = new Uint32Array(size);
    this.index = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let old = 0; old < index.length; old++) {
      if (index[old] === -1) continue;
      let slot = (lo[old]! ^ Math.imul(hi[old]!, 0x9e3779b1)) & mask;
      while (this.index[slot] !== -1) slot = (slot + 1) & mask;
      this.lo[slot] = lo[old]!;
      this.hi[slot] = hi[old]!;
      this.index[slot] = index[old]!;
    }
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
