/**
 * The merge cache's building blocks (storage/duckdb/idIndex.ts, daySymbols.ts): the id index
 * against a Map of bigints, and a day's links read back the same after its rows are resolved and
 * their link words dropped, including rows whose parent or name arrived later.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../src/storage/duckdb/idIndex.js';
import { DaySymbolCache, DaySymbols } from '../../src/storage/duckdb/daySymbols.js';
import { Pacer } from '../../src/storage/pace.js';

const halvesOf = (id: bigint): [number, number] => [Number(id & 0xffffffffn), Number(id >> 32n)];

describe('IdIndex', () => {
  it('maps ids to dense indexes as a Map does, through growth, and reads ids back', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 40n })), { maxLength: 5000 }), fc.integer({ min: 0, max: 3000 }), (ids, expected) => {
        const index = new IdIndex(expected);
        const oracle = new Map<bigint, number>();
        for (const id of ids) {
          const [lo, hi] = halvesOf(id);
          const at = index.add(lo, hi);
          if (!oracle.has(id)) oracle.set(id, oracle.size);
          expect(at).toBe(oracle.get(id));
        }
        expect(index.size).toBe(oracle.size);
        for (const [id, at] of oracle) {
          const [lo, hi] = halvesOf(id);
          expect(index.get(lo, hi)).toBe(at);
          expect([index.loHalf(at), index.hiHalf(at)]).toEqual([lo, hi]);
        }
        // Ids never added miss (a different high half of each id).
        for (const id of [...oracle.keys()].slice(0, 50)) {
          const [lo, hi] = halvesOf(id ^ (1n << 63n));
          if (!oracle.has(id ^ (1n << 63n))) expect(index.get(lo, hi)).toBe(-1);
        }
      }),
      { numRuns: 60, seed: 11 },
    );
  });
});

describe('DaySymbols links', () => {
  it('reads back every row’s parent and name ids after resolving drops the link words, and resolves late parents', async () => {
    // A tree of 20k nodes: node k's parent is a random earlier node (or the root), names from 300.
    let seed = 7;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const nodeCount = 20_000;
    const id = (k: number): [number, number] => [(k * 2654435761) >>> 0, k + 1];
    const name = (j: number): [number, number] => [j + 17, 0x5000 + j];
    const parentOf = Array.from({ length: nodeCount }, (_, k) => (k === 0 || random() < 0.05 ? -1 : Math.floor(random() * k)));
    const nameOf = Array.from({ length: nodeCount }, () => Math.floor(random() * 300));
    const expectedLink = (k: number): number[] => [...(parentOf[k]! < 0 ? [0, 0] : id(parentOf[k]!)), ...name(nameOf[k]!)];
    const day = new DaySymbols(1000, 100);
    for (let j = 0; j < 300; j++) day.addName(...name(j), `f${j}`);
    // The last 100 nodes arrive before their parents' row (a late parent) and name 299 is missing at first.
    const order = [...Array(nodeCount).keys()];
    const link = new Uint32Array(4);
    for (const k of order) day.addNode(...id(k), ...(expectedLink(k) as [number, number, number, number]));
    const orphanParent: [number, number] = [0xdead, 0xbeef];
    day.addNode(0xabc, 0xdef, ...orphanParent, ...name(1));
    for (let k = 0; k < nodeCount; k++) {
      day.linkOf(k, link);
      expect([...link]).toEqual(expectedLink(k));
    }
    const before = day.bytes;
    await day.resolvePaced(new Pacer());
    expect(day.bytes).toBeLessThan(before);
    for (let k = 0; k < nodeCount; k++) {
      day.linkOf(k, link);
      expect([...link]).toEqual(expectedLink(k));
      expect(day.parentRow[k]).toBe(parentOf[k]);
    }
    // The orphan keeps its links (its parent is not in the day yet) and resolves once it arrives.
    const orphanRow = nodeCount;
    expect(day.parentRow[orphanRow]).toBe(-2);
    day.linkOf(orphanRow, link);
    expect([...link.subarray(0, 2)]).toEqual(orphanParent);
    day.addNode(...orphanParent, 0, 0, ...name(2));
    await day.resolvePaced(new Pacer());
    day.resolveRow(orphanRow);
    expect(day.parentRow[orphanRow]).toBe(nodeCount + 1);
    day.linkOf(orphanRow, link);
    expect([...link]).toEqual([...orphanParent, ...name(1)]);
    // The estimate a load plans with is not below what a loaded day holds.
    expect(DaySymbolCache.estimate(nodeCount + 2, 300, 300 * 4)).toBeGreaterThanOrEqual(day.bytes);
  });
});
