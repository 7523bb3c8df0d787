import { describe, expect, it } from 'vitest';
import { ROOT_PARENT_ID, nameId, stackNodeId } from '../../src/storage/ids.js';
import { stackNodeIdInto } from '../../src/storage/duckdb/nodeHash.js';

const LOW_32 = 0xffffffffn;

function viaHalves(parent: bigint, name: bigint): bigint {
  const out = new Uint32Array(2);
  stackNodeIdInto(out, 0, Number(parent & LOW_32), Number(parent >> 32n), Number(name & LOW_32), Number(name >> 32n));
  return BigInt(out[0]!) | (BigInt(out[1]!) << 32n);
}

describe('stackNodeIdInto', () => {
  it('equals ids.ts stackNodeId (the stored layout) on edge and seeded random ids', () => {
    const edges = [0n, 1n, LOW_32, LOW_32 + 1n, 0x8000_0000n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n];
    for (const parent of edges) for (const name of edges) expect(viaHalves(parent, name)).toBe(stackNodeId(parent, name));
    let seed = 7;
    const next32 = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return BigInt((t ^ (t >>> 14)) >>> 0);
    };
    for (let i = 0; i < 20_000; i++) {
      const parent = i % 10 === 0 ? ROOT_PARENT_ID : (next32() << 32n) | next32();
      const name = nameId(`fn${i}`);
      expect(viaHalves(parent, name)).toBe(stackNodeId(parent, name));
    }
  });
});
