/**
 * storage/ids.ts's stack node id (xxHash64 of le64(parent id) ‖ le64(name id), seed 2) computed on
 * 32-bit halves in plain JS. The writer hashes every distinct node of every profile (a 1M-node
 * profile: 1M hashes); through the wasm hasher each one costs a DataView write of two bigints, a
 * call into wasm and a bigint back (~450 ns); this is ~30 ns and allocates nothing. The two must
 * agree bit for bit: test/storage/nodeHash.test.ts checks this one against ids.ts.
 */

// xxHash64 primes as [lo, hi].
const P1_LO = 0x85ebca87;
const P1_HI = 0x9e3779b1;
const P2_LO = 0x27d4eb4f;
const P2_HI = 0xc2b2ae3d;
const P3_LO = 0x9e3779f9;
const P3_HI = 0x165667b1;
const P4_LO = 0xc2b2ae63;
const P4_HI = 0x85ebca77;
// seed (2) + P5 (0x27D4EB2F165667C5) + input length (16).
const START_LO = (0x165667c5 + 2 + 16) >>> 0;
const START_HI = 0x27d4eb2f;

// Results of mul64 and the accumulator: a typed array, because module-level `let`s holding uint32s
// above 2^30 are boxed as heap numbers on every write (that made this 20× slower).
const scratch = new Uint32Array(4);
const MUL_LO = 0;
const MUL_HI = 1;
const ACC_LO = 2;
const ACC_HI = 3;

/**
 * (aHi:aLo) × (bHi:bLo) mod 2^64 into scratch, in 16-bit limbs (as Long.js does): every product is
 * a small integer, so no double rounding and no fmod.
 */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const a48 = aHi >>> 16;
  const a32 = aHi & 0xffff;
  const a16 = aLo >>> 16;
  const a00 = aLo & 0xffff;
  const b48 = bHi >>> 16;
  const b32 = bHi & 0xffff;
  const b16 = bLo >>> 16;
  const b00 = bLo & 0xffff;
  let c00 = a00 * b00;
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * b00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * b16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * b00;
  let c48 = c32 >>> 16;
  c32 &= 0xffff;
  c32 += a16 * b16;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c32 += a00 * b32;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c48 += a48 * b00 + a32 * b16 + a16 * b32 + a00 * b48;
  scratch[MUL_LO] = (c16 << 16) | c00;
  scratch[MUL_HI] = (c48 << 16) | c32;
}

/** One 8-byte lane of XXH64 for inputs shorter than 32 bytes. */
function lane(lo: number, hi: number): void {
  // k = rotl(lane × P2, 31) × P1
  mul64(lo, hi, P2_LO, P2_HI);
  let mulLo = scratch[MUL_LO]!;
  let mulHi = scratch[MUL_HI]!;
  const rLo = ((mulLo << 31) | (mulHi >>> 1)) >>> 0;
  const rHi = ((mulHi << 31) | (mulLo >>> 1)) >>> 0;
  mul64(rLo, rHi, P1_LO, P1_HI);
  mulLo = scratch[MUL_LO]!;
  mulHi = scratch[MUL_HI]!;
  // acc = rotl(acc ^ k, 27) × P1 + P4
  const xLo = (scratch[ACC_LO]! ^ mulLo) >>> 0;
  const xHi = (scratch[ACC_HI]! ^ mulHi) >>> 0;
  const sLo = ((xLo << 27) | (xHi >>> 5)) >>> 0;
  const sHi = ((xHi << 27) | (xLo >>> 5)) >>> 0;
  mul64(sLo, sHi, P1_LO, P1_HI);
  const sumLo = scratch[MUL_LO]! + P4_LO;
  scratch[ACC_LO] = sumLo;
  scratch[ACC_HI] = scratch[MUL_HI]! + P4_HI + (sumLo > 0xffffffff ? 1 : 0);
}

/**
 * Writes the node id of (parent, name) as [lo, hi] at out[at], out[at + 1]. Root-level nodes have
 * parent 0 (ids.ts ROOT_PARENT_ID).
 */
export function stackNodeIdInto(out: Uint32Array, at: number, parentLo: number, parentHi: number, nameLo: number, nameHi: number): void {
  scratch[ACC_LO] = START_LO;
  scratch[ACC_HI] = START_HI;
  lane(parentLo, parentHi);
  lane(nameLo, nameHi);
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  const accHi = scratch[ACC_HI]!;
  mul64((scratch[ACC_LO]! ^ (accHi >>> 1)) >>> 0, accHi, P2_LO, P2_HI);
  let mulLo = scratch[MUL_LO]!;
  let mulHi = scratch[MUL_HI]!;
  mul64((mulLo ^ ((mulLo >>> 29) | (mulHi << 3))) >>> 0, (mulHi ^ (mulHi >>> 29)) >>> 0, P3_LO, P3_HI);
  mulLo = scratch[MUL_LO]!;
  mulHi = scratch[MUL_HI]!;
  out[at] = mulLo ^ mulHi;
  out[at + 1] = mulHi;
}
