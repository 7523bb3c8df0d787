// Seeded randomness for the fuzzer: every request is a pure function of (seed, index), so a run can
// be replayed with `--seed N` and one request regenerated from its index.

/** splitmix32-style mixing of two 32-bit integers into a new seed. */
export function mixSeed(seed, index) {
  let h = (seed ^ Math.imul(index + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: small, fast, good enough to pick mutations. */
export function createRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const rng = {
    next,
    /** Integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    /** Integer in [min, max]. */
    range: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    /** entries: [weight, value][]; returns a value. */
    weighted: (entries) => {
      const total = entries.reduce((sum, [weight]) => sum + weight, 0);
      let r = next() * total;
      for (const [weight, value] of entries) {
        r -= weight;
        if (r < 0) return value;
      }
      return entries.at(-1)[1];
    },
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    /** A fresh generator derived from this one (for sub-structures that should not shift the rest). */
    fork: () => createRng(Math.floor(next() * 4_294_967_296)),
  };
  return rng;
}
