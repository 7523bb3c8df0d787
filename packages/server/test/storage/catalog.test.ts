import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/storage/duckdb/catalog.js';

describe('stack catalogue', () => {
  it('finds existing nodes and creates new ones, parents before children', () => {
    const catalog = new Catalog();
    const main = catalog.stackId(-1, catalog.nameId('main'));
    const a = catalog.stackId(main, catalog.nameId('a'));
    const b = catalog.stackId(main, catalog.nameId('b'));
    expect(new Set([main, a, b]).size).toBe(3);
    expect(catalog.stackId(-1, catalog.nameId('main'))).toBe(main);
    expect(catalog.stackId(main, catalog.nameId('a'))).toBe(a);
    expect(catalog.stackParent[b]).toBe(main);
    // Growth past the initial index and arrays keeps every node findable.
    const ids: number[] = [];
    for (let i = 0; i < 50_000; i++) ids.push(catalog.stackId(i % 2 === 0 ? a : b, catalog.nameId(`f${i % 5000}`)));
    for (let i = 0; i < 50_000; i += 997) expect(catalog.stackId(i % 2 === 0 ? a : b, catalog.nameId(`f${i % 5000}`))).toBe(ids[i]);
    expect(catalog.stackCount).toBe(3 + 5_000);
  });

  it('keeps (parent, name) pairs distinct past 2^21 parents, where a numeric pair key stops being exact', () => {
    const catalog = new Catalog();
    const count = 2_200_000;
    const parents = new Int32Array(count);
    const names = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      parents[i] = i - 1;
      names[i] = i % 3;
    }
    catalog.loadStacks(parents, names, count);
    const deep = count - 1;
    expect(deep).toBeGreaterThan(2 ** 21);
    // (deep + 1) · 2^32 + 0 and (deep + 1) · 2^32 + 1 are the same double.
    expect((deep + 1) * 4294967296 + 0).toBe((deep + 1) * 4294967296 + 1);
    const first = catalog.stackId(deep, 0);
    const second = catalog.stackId(deep, 1);
    expect(first).toBe(count);
    expect(second).toBe(count + 1);
    expect(catalog.stackId(deep, 0)).toBe(first);
    // Loaded nodes are found again, not duplicated.
    expect(catalog.stackId(parents[123_456]!, names[123_456]!)).toBe(123_456);
    expect(catalog.stackId(parents[deep]!, names[deep]!)).toBe(deep);
    expect(catalog.stackCount).toBe(count + 2);
  });
});
