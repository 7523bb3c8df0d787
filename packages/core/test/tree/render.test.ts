import { describe, expect, it } from 'vitest';
import {
  CallTreeBuilder,
  callTreeFromStackTable,
  collapsedFromTree,
  diffFlameGraph,
  flameGraphFromTree,
  focusTree,
  sandwich,
  topTable,
  treeBytes,
  type CallTree,
} from '@cinder/core';

function treeOf(stacks: Array<[string, number]>): CallTree {
  const builder = new CallTreeBuilder();
  for (const [path, value] of stacks) builder.addStack(path.split(';'), value);
  return builder.build();
}

// The worked example of the API spec §3.3.3.
const example = (): CallTree => treeOf([['main;a;b', 3], ['main;a', 1], ['main;c', 2], ['gc', 4]]);

/** Decodes levels into "name@depth x total self" lines, independent of the names-table order. */
function frames(data: { names: string[]; levels: number[][] }): string[] {
  const out: string[] = [];
  data.levels.forEach((level, depth) => {
    let end = 0;
    for (let i = 0; i < level.length; i += 4) {
      const x = end + level[i]!;
      out.push(`${data.names[level[i + 3]!]}@${depth} x=${x} t=${level[i + 1]} s=${level[i + 2]}`);
      end = x + level[i + 1]!;
    }
  });
  return out;
}

describe('flameGraphFromTree', () => {
  it('encodes the spec worked example exactly', () => {
    const { flamegraph, truncation } = flameGraphFromTree(example(), 8192);
    expect(flamegraph.total).toBe(10);
    expect(flamegraph.maxSelf).toBe(4);
    expect(frames(flamegraph)).toEqual([
      'total@0 x=0 t=10 s=0',
      'gc@1 x=0 t=4 s=4',
      'main@1 x=4 t=6 s=0',
      'a@2 x=4 t=4 s=1',
      'c@2 x=8 t=2 s=2',
      'b@3 x=5 t=3 s=3',
    ]);
    // Raw levels as the spec lists them, names remapped through our table.
    const idx = (name: string): number => flamegraph.names.indexOf(name);
    expect(flamegraph.levels).toEqual([
      [0, 10, 0, 0],
      [0, 4, 4, idx('gc'), 0, 6, 0, idx('main')],
      [4, 4, 1, idx('a'), 0, 2, 2, idx('c')],
      [5, 3, 3, idx('b')],
    ]);
    expect(truncation).toEqual({ hiddenNodes: 0, hiddenValue: 0, otherNodes: 0 });
  });

  it('truncates with max_nodes=3 as the spec says, keeping totals', () => {
    const { flamegraph, truncation } = flameGraphFromTree(example(), 3);
    expect(frames(flamegraph)).toEqual([
      'total@0 x=0 t=10 s=0',
      'gc@1 x=0 t=4 s=4',
      'main@1 x=4 t=6 s=0',
      'a@2 x=4 t=4 s=1',
      'other@2 x=8 t=2 s=2',
      'other@3 x=5 t=3 s=3',
    ]);
    expect(truncation).toEqual({ hiddenNodes: 2, hiddenValue: 5, otherNodes: 2 });
  });

  it('handles an empty tree and a deep stack without recursion', () => {
    expect(flameGraphFromTree(new CallTreeBuilder().build()).flamegraph.levels).toEqual([[0, 0, 0, 0]]);
    const deep = Array.from({ length: 20000 }, (_, i) => `f${i}`).join(';');
    const { flamegraph } = flameGraphFromTree(treeOf([[deep, 1]]), 0);
    expect(flamegraph.levels).toHaveLength(20001);
  });
});

describe('tree helpers', () => {
  it('builds from a storage stack table, merging same-name siblings', () => {
    const tree = callTreeFromStackTable({
      names: ['main', 'a'],
      parent: Int32Array.from([-1, 0, 0]),
      nameIndex: Int32Array.from([0, 1, 1]),
      self: Float64Array.from([1, 2, 3]),
    });
    expect(collapsedFromTree(tree)).toBe('main 1\nmain;a 5');
  });

  it('top table counts recursion once', () => {
    const rows = topTable(treeOf([['f;g;f', 2], ['f', 1]]));
    expect(rows).toEqual([
      { name: 'f', self: 3, total: 3 },
      { name: 'g', self: 0, total: 2 },
    ]);
  });

  it('focus re-roots at a path', () => {
    expect(collapsedFromTree(focusTree(example(), ['main', 'a']))).toBe('a 1\na;b 3');
    expect(focusTree(example(), ['nope']).nodeCount).toBe(1);
  });

  it('sandwich splits callers and callees', () => {
    const s = sandwich(treeOf([['main;a;b', 3], ['main;x;a', 2], ['a', 1]]), 'a');
    expect(s.total).toBe(6);
    expect(s.self).toBe(3);
    expect(collapsedFromTree(s.callees)).toBe('a 3\na;b 3');
    expect(collapsedFromTree(s.callers)).toBe('a 1\na;main 3\na;x;main 2');
  });

  it('diff aligns both sides (spec §3.4 example)', () => {
    const diff = diffFlameGraph(treeOf([['main;a', 3], ['main;b', 1]]), treeOf([['main;a', 1], ['main;b', 4]]));
    const idx = (name: string): number => diff.names.indexOf(name);
    expect(diff.levels).toEqual([
      [0, 4, 0, 0, 5, 0, 0],
      [0, 4, 0, 0, 5, 0, idx('main')],
      [0, 3, 3, 0, 1, 1, idx('a'), 0, 1, 1, 0, 4, 4, idx('b')],
    ]);
    expect([diff.total, diff.leftTicks, diff.rightTicks, diff.maxSelf]).toEqual([9, 4, 5, 4]);
  });

  it('tree bytes are pre-order uvarints', () => {
    const bytes = treeBytes(treeOf([['a', 300]]));
    // root: len 0, self 0, 1 child; a: len 1 'a', self 300 (0xac 0x02), 0 children
    expect(Array.from(bytes)).toEqual([0, 0, 1, 1, 97, 0xac, 0x02, 0]);
  });
});

describe('treeBytes refuses values it cannot encode (issue 10: uvarint(Infinity) looped forever)', () => {
  it.each([Infinity, -Infinity, NaN])('self value %s → an Error, not a hang', (value) => {
    const builder = new CallTreeBuilder();
    builder.addStack(['main', 'work'], value);
    expect(() => treeBytes(builder.build())).toThrow(/cannot encode .* as an unsigned varint/);
  });

  it('a value above 2^53 still ends (and round-trips its magnitude)', () => {
    const builder = new CallTreeBuilder();
    builder.addStack(['main'], 2 ** 60);
    expect(treeBytes(builder.build()).length).toBeGreaterThan(0);
  });
});
