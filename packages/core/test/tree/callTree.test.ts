import { describe, expect, it } from 'vitest';
import { CallTreeBuilder, ROOT_NODE } from '@cinder/core';

describe('CallTreeBuilder past 2^21 nodes (a parent · 2^32 + name key is not exact there)', () => {
  it('keeps siblings under a node numbered above 2^22 apart, and finds each again', () => {
    const builder = new CallTreeBuilder();
    const deep = (1 << 22) + 3;
    let node = ROOT_NODE;
    const a = builder.nameId('a');
    for (let i = 0; i < deep; i++) node = builder.child(node, a);
    const first = builder.child(node, 0);
    const second = builder.child(node, 1);
    expect(first).not.toBe(second);
    expect(builder.child(node, 0)).toBe(first);
    expect(builder.child(node, 1)).toBe(second);
    // The chain itself is found again node by node.
    let again = ROOT_NODE;
    for (let i = 0; i < 100; i++) again = builder.child(again, a);
    expect(again).toBe(100);
    const tree = builder.build();
    expect(tree.nodeCount).toBe(deep + 3);
  });

  it('builds the same tree as a Map of string keys for many random stacks (property)', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const builder = new CallTreeBuilder();
    const reference = new Map<string, number>();
    for (let s = 0; s < 20_000; s++) {
      let node = ROOT_NODE;
      let key = '';
      const depth = 1 + random(12);
      for (let d = 0; d < depth; d++) {
        const name = random(40);
        node = builder.child(node, name);
        key += `/${name}`;
        const known = reference.get(key);
        if (known === undefined) reference.set(key, node);
        else expect(node).toBe(known);
      }
    }
    expect(builder.build().nodeCount).toBe(reference.size + 1);
  });
});
