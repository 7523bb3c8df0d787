import { describe, expect, it } from 'vitest';
import { ROOT_PARENT_ID, nameId, seriesId, stackNodeId } from '../../src/storage/ids.js';

describe('content-addressed ids', () => {
  it('are stable: the stored format depends on these exact values', () => {
    // Pinned: if one of these changes, every stored id changes (a schema change).
    expect(nameId('main').toString(16)).toMatchInlineSnapshot(`"ed7f331899a88369"`);
    expect(stackNodeId(ROOT_PARENT_ID, nameId('main')).toString(16)).toMatchInlineSnapshot(`"3775f1257a0fa9a"`);
    expect(seriesId('anonymous', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', [['__name__', 'process_cpu'], ['service_name', 'api']]).toString(16)).toMatchInlineSnapshot(`"d1d655d1796d43da"`);
  });

  it('depend on every part of the content', () => {
    const main = nameId('main');
    expect(nameId('main')).toBe(main);
    expect(nameId('main ')).not.toBe(main);
    expect(stackNodeId(ROOT_PARENT_ID, main)).not.toBe(stackNodeId(stackNodeId(ROOT_PARENT_ID, main), main));
    expect(stackNodeId(1n, 2n)).not.toBe(stackNodeId(2n, 1n));
    expect(seriesId('a', 't', [['x', '1']])).not.toBe(seriesId('b', 't', [['x', '1']]));
    expect(seriesId('a', 't', [['x', '1']])).not.toBe(seriesId('a', 't', [['x', '2']]));
    // No character of a field reads as a separator.
    expect(seriesId('a', 'b', [['c', 'd']])).not.toBe(seriesId('a', 'b\u0000c=d', []));
    expect(seriesId('a', 'b', [['c', 'd=e']])).not.toBe(seriesId('a', 'b', [['c=d', 'e']]));
  });

  it('give 3 million distinct stack nodes 3 million distinct ids', () => {
    const seen = new Set<bigint>();
    let parent = ROOT_PARENT_ID;
    for (let i = 0; i < 3_000_000; i++) {
      // Wide and deep at once: every 1000th node starts a new chain under the root.
      if (i % 1000 === 0) parent = ROOT_PARENT_ID;
      const id = stackNodeId(parent, BigInt(i));
      seen.add(id);
      parent = id;
    }
    expect(seen.size).toBe(3_000_000);
  });
});
