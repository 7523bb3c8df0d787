import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CallTreeBuilder, ROOT_NODE, collapsedChunks, collapsedFromTree, nodeName, type CallTree } from '@cinder/core';

/** The definition the fast walk must match: every node's path and self as a line, lines sorted. */
function sortedLines(tree: CallTree): string {
  const paths: string[] = new Array<string>(tree.nodeCount);
  paths[ROOT_NODE] = '';
  const lines: string[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    const parentPath = paths[tree.parent[node]!]!;
    paths[node] = parentPath === '' ? nodeName(tree, node) : `${parentPath};${nodeName(tree, node)}`;
    if (tree.self[node]! !== 0) lines.push(`${paths[node]} ${tree.self[node]}`);
  }
  lines.sort();
  return lines.join('\n');
}

/** All chunks joined; `steps` counts every yield (chunks and pause points). */
function run(tree: CallTree, chunkBytes?: number): { bytes: Uint8Array; steps: number; chunks: number } {
  const parts: Uint8Array[] = [];
  let steps = 0;
  for (const chunk of collapsedChunks(tree, chunkBytes)) {
    steps++;
    if (chunk) parts.push(chunk);
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, steps, chunks: parts.length };
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Byte equality without vitest's element-wise diffing (slow on a megabyte); the text on failure. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  const same = actual.length === expected.length && actual.every((byte, i) => byte === expected[i]);
  if (!same) expect(new TextDecoder().decode(actual)).toBe(new TextDecoder().decode(expected));
  expect(same).toBe(true);
}

/**
 * A raw CallTree (parents before children), so siblings may share a name and names may hold
 * anything; totals are not used by the collapsed encoders.
 */
function rawTree(names: string[], nodes: Array<{ parent: number; name: number; self: number }>): CallTree {
  const count = nodes.length + 1;
  const parent = new Int32Array(count);
  const nameIndex = new Int32Array(count);
  const self = new Float64Array(count);
  parent[0] = -1;
  nameIndex[0] = -1;
  nodes.forEach((node, i) => {
    parent[i + 1] = node.parent;
    nameIndex[i + 1] = node.name;
    self[i + 1] = node.self;
  });
  return { names, nodeCount: count, parent, nameIndex, self, total: new Float64Array(count) };
}

// Names that break a naive "walk the tree in name order": prefixes followed by characters below and
// above ';' and ' ', names with ';' or spaces, empty names, non-ASCII, pairs and lone surrogates.
const TRICKY_NAMES = ['', 'a', 'a.b', 'a b', 'a!', 'a;b', 'a\t', 'a 1', 'a1', 'ab', 'b', 'B', 'é', '😀', '\ud800', '\udc00x', 'main.work', 'main.work.func1', 'x;'];

const treeArbitrary = (namePool: string[]) =>
  fc
    .array(fc.record({ parentPick: fc.nat(), name: fc.nat({ max: namePool.length - 1 }), self: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0.5, 1e21, -3, 123456789012)) }), { maxLength: 60 })
    .map((raw) => rawTree(namePool, raw.map((r, i) => ({ parent: r.parentPick % (i + 1), name: r.name, self: r.self }))));

describe('collapsedChunks (paced folded text)', () => {
  it('writes the sorted lines for the worked example', () => {
    const builder = new CallTreeBuilder();
    for (const [path, value] of [['main;a;b', 3], ['main;a', 1], ['main;c', 2], ['gc', 4]] as const) builder.addStack(path.split(';'), value);
    const tree = builder.build();
    expect(new TextDecoder().decode(run(tree).bytes)).toBe('gc 4\nmain;a 1\nmain;a;b 3\nmain;c 2');
    expect(run(tree).bytes).toEqual(utf8(sortedLines(tree)));
  });

  it('equals the sorted lines on random trees of tricky names (the walk, and the sorting fallback)', () => {
    fc.assert(
      fc.property(treeArbitrary(TRICKY_NAMES), fc.integer({ min: 1, max: 64 }), (tree, chunkBytes) => {
        expect(run(tree, chunkBytes).bytes).toEqual(utf8(sortedLines(tree)));
      }),
      { numRuns: 2000, seed: 10 },
    );
  });

  it('equals the sorted lines when no name needs the fallback (prefix names handled by the walk)', () => {
    const walkable = TRICKY_NAMES.filter((n) => n !== '' && !n.includes(';'));
    fc.assert(
      fc.property(treeArbitrary(walkable), (tree) => {
        expect(run(tree).bytes).toEqual(utf8(sortedLines(tree)));
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('sorts like the sorted lines when siblings share a name', () => {
    const tree = rawTree(['a', 'a', 'b'], [
      { parent: 0, name: 0, self: 1 },
      { parent: 0, name: 1, self: 2 },
      { parent: 1, name: 2, self: 3 },
      { parent: 2, name: 2, self: 4 },
    ]);
    expect(new TextDecoder().decode(run(tree).bytes)).toBe(sortedLines(tree));
    expect(collapsedFromTree(tree)).toBe('a 1\na 2\na;b 3\na;b 4');
  });

  it('gives the caller pause points on a big tree, in both paths', () => {
    for (const name of ['f', 'f;g']) {
      const builder = new CallTreeBuilder();
      for (let i = 0; i < 50_000; i++) builder.addStack(['main', `${name}${i % 5000}`, `leaf${i}`], 1);
      const tree = builder.build();
      const { bytes, steps, chunks } = run(tree, 4096);
      expectSameBytes(bytes, utf8(sortedLines(tree)));
      // ~55k nodes and ~1 MB of text: many more steps than chunks (pauses while sorting and walking).
      expect(chunks).toBeGreaterThan(100);
      expect(steps).toBeGreaterThan(chunks + 20);
    }
  });

  it('writes nothing for a tree without self values', () => {
    const tree = rawTree(['a'], [{ parent: 0, name: 0, self: 0 }]);
    expect(run(tree).bytes.length).toBe(0);
    expect(collapsedFromTree(tree)).toBe('');
  });
});
