/**
 * Level-of-detail trees (flamegraph/treeWire.ts, tree/lodSplice.ts): exact values on every sent
 * node, the one-pixel rule, wire round trips, splicing after seeded random zooms, and exact search
 * totals, on crafted trees and on every pprof/folded fixture of testdata/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CallTreeBuilder,
  callTreeFromProfile,
  callTreeFromStackTable,
  callTreeFromStackTablePaced,
  collapsedFromTree,
  decodeCollapsed,
  decodeLevels,
  decodePprof,
  decodeTreeWire,
  encodeTreeWire,
  flameGraphFromTree,
  focusTree,
  framesFromLodTree,
  searchFrames,
  searchTotalsOfView,
  selectLod,
  selectLodIndexed,
  sniffFormat,
  spliceLod,
  topTable,
  topTableAt,
  topTableOfView,
  topTableWalk,
  truncationThreshold,
  viewRootAt,
  type CallTree,
  type LodTree,
  type TreeWireMeta,
} from '@cinder/core';
import { testdataDir } from '../testdata.js';

function treeOf(stacks: Array<[string, number]>): CallTree {
  const builder = new CallTreeBuilder();
  for (const [p, value] of stacks) builder.addStack(p.split(';'), value);
  return builder.build();
}

function meta(over: Partial<TreeWireMeta> = {}): TreeWireMeta {
  return { profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', unit: 'nanoseconds', profileCount: 1, aggregation: 'sum', fromMs: 1, untilMs: 2, width: 1200, focusPath: [], viewRootNode: 0, fullNodeCount: 0, top: [], ...over };
}

const childMaps = new WeakMap<CallTree, Map<string, number>>();

/** (parent node, name) → child node of the full tree, built once per tree. */
function childMap(full: CallTree): Map<string, number> {
  let map = childMaps.get(full);
  if (!map) {
    map = new Map();
    for (let node = 1; node < full.nodeCount; node++) map.set(`${full.parent[node]}\u0000${full.names[full.nameIndex[node]!]}`, node);
    childMaps.set(full, map);
  }
  return map;
}

/** For each node of `tree`, the node of `full` with the same path (-1 when there is none). */
function matchInto(full: CallTree, tree: CallTree): Int32Array {
  const map = childMap(full);
  const out = new Int32Array(tree.nodeCount).fill(-1);
  if (tree.nodeCount > 0) out[0] = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const p = out[tree.parent[node]!]!;
    out[node] = p < 0 ? -1 : (map.get(`${p}\u0000${tree.names[tree.nameIndex[node]!]}`) ?? -1);
  }
  return out;
}

function nodeAt(full: CallTree, focus: readonly string[]): number {
  const map = childMap(full);
  let node = 0;
  for (const name of focus) {
    node = map.get(`${node}\u0000${name}`) ?? -1;
    if (node < 0) return -1;
  }
  return node;
}

function childCounts(tree: CallTree): Int32Array {
  const counts = new Int32Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) counts[tree.parent[node]!]!++;
  return counts;
}

/**
 * Every node of `lod` is the node of `full` with the same path (total and self), no path is there
 * twice, and its truncated flag says whether some of the full node's children are missing.
 */
function expectExactOn(full: CallTree, lod: LodTree): Int32Array {
  const match = matchInto(full, lod);
  const fullChildren = childCounts(full);
  const lodChildren = childCounts(lod);
  expect(lod.total[0]).toBe(full.total[0]);
  const childSum = new Float64Array(lod.nodeCount);
  for (let c = 1; c < lod.nodeCount; c++) childSum[lod.parent[c]!]! += lod.total[c]!;
  const seen = new Uint8Array(full.nodeCount);
  // Failures collected, one expect at the end: an expect per node would dominate the run time.
  const failures: string[] = [];
  for (let node = 0; node < lod.nodeCount && failures.length < 10; node++) {
    const f = match[node]!;
    if (f < 0) {
      failures.push(`node ${node} (${lod.names[lod.nameIndex[node]!]}) is not in the full tree`);
      continue;
    }
    if (seen[f]) failures.push(`full node ${f} is there twice`);
    seen[f] = 1;
    if (lod.total[node] !== full.total[f] || lod.self[node] !== full.self[f]) {
      failures.push(`full node ${f}: total/self ${lod.total[node]}/${lod.self[node]}, expected ${full.total[f]}/${full.self[f]}`);
    }
    const missing = lodChildren[node]! < fullChildren[f]!;
    // Not truncated yet incomplete only when what is missing holds no value (splicing clears such flags).
    if (lod.truncated[node] === 0 && missing && lod.self[node]! + childSum[node]! !== lod.total[node]) failures.push(`full node ${f} misses value but is not truncated`);
    if (lod.truncated[node] === 1 && !missing) failures.push(`full node ${f} is truncated but complete`);
  }
  expect(failures).toEqual([]);
  return match;
}

/** The full-tree nodes the contract says to send, computed from the full tree and the contract's rule. */
function expectedSent(full: CallTree, width: number, focus: string[]): number[] {
  const view = nodeAt(full, focus);
  if (view < 0) return [0];
  const out = new Set<number>();
  for (let n = view; n > 0; n = full.parent[n]!) out.add(n);
  out.add(0);
  const viewTotal = full.total[view]!;
  const qualifies = new Uint8Array(full.nodeCount);
  qualifies[view] = 1;
  for (let node = view + 1; node < full.nodeCount; node++) {
    if (qualifies[full.parent[node]!] === 1 && full.total[node]! * width >= viewTotal) {
      qualifies[node] = 1;
      out.add(node);
    }
  }
  return [...out].sort((x, y) => x - y);
}

function sentOf(full: CallTree, tree: CallTree): number[] {
  return Array.from(matchInto(full, tree)).sort((x, y) => x - y);
}

function roundTrip(full: CallTree, width: number, focusPath: string[] = []) {
  const selection = selectLod(full, { widthCssPx: width, focusPath });
  const bytes = encodeTreeWire(meta({ width, focusPath, viewRootNode: selection.viewRootNode, fullNodeCount: selection.fullNodeCount }), selection.tree);
  // Through an unaligned copy too: the decoder must not depend on the caller's alignment.
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const decoded = decodeTreeWire(shifted.subarray(3));
  return { selection, bytes, decoded };
}

/** Seeded xorshift32 in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function fixtureFiles(dir = testdataDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return fixtureFiles(full);
      return entry === 'README.md' || entry === 'expected.json' ? [] : [full];
    });
}

/** Every pprof and folded fixture as call trees, one per sample type with a non-zero total. */
function fixtureTrees(): Array<{ name: string; tree: CallTree }> {
  const out: Array<{ name: string; tree: CallTree }> = [];
  for (const file of fixtureFiles()) {
    let bytes: Uint8Array = readFileSync(file);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    const format = sniffFormat(bytes).format;
    let profile;
    try {
      if (format === 'pprof') profile = decodePprof(bytes);
      else if (format === 'folded') profile = decodeCollapsed(new TextDecoder().decode(bytes));
      else continue;
    } catch {
      continue; // broken/ fixtures the decoders refuse are not trees
    }
    for (let t = 0; t < profile.sampleTypes.length; t++) {
      const tree = callTreeFromProfile(profile, t);
      if (tree.nodeCount > 1) out.push({ name: `${path.relative(testdataDir, file)}#${t}`, tree });
    }
  }
  return out;
}

describe('selectLod + encodeTreeWire/decodeTreeWire', () => {
  // total 100: main 90 (a 60 (b 59, c 1), d 29 (e 0.5·… )), gc 10
  const small = (): CallTree =>
    treeOf([
      ['main;a;b', 59],
      ['main;a;c', 1],
      ['main;d', 29],
      ['main', 1],
      ['gc', 10],
    ]);

  it('sends the nodes at least one pixel wide, in pre-order by name, with exact values', () => {
    const { decoded } = roundTrip(small(), 20); // 1 px = 5
    const t = decoded.tree;
    const rows = Array.from({ length: t.nodeCount }, (_, i) => `${i === 0 ? 'total' : t.names[t.nameIndex[i]!]}<${t.parent[i]} ${t.total[i]}/${t.self[i]}${t.truncated[i] ? ' T' : ''}`);
    expect(rows).toEqual(['total<-1 100/0', 'gc<0 10/10', 'main<0 90/1', 'a<2 60/0 T', 'b<3 59/59', 'd<2 29/29']);
    expect(decoded.header.viewRootNode).toBe(0);
    expect(decoded.header.nodeCount).toBe(6);
    expect(decoded.header.fullNodeCount).toBe(small().nodeCount);
  });

  it('width 1 sends the root and children as wide as the root only; 10^4 sends all', () => {
    expect(roundTrip(small(), 1).decoded.tree.nodeCount).toBe(1);
    expect(roundTrip(small(), 1).decoded.tree.truncated[0]).toBe(1);
    const all = roundTrip(small(), 10_000).decoded.tree;
    expect(all.nodeCount).toBe(small().nodeCount);
    expect(Array.from(all.truncated).every((v) => v === 0)).toBe(true);
  });

  it('with a focus: the chain with real values, V detailed at its own width, siblings of the path cut', () => {
    const { decoded } = roundTrip(small(), 2, ['main', 'a']); // 1 px = 30 of a's 60
    const t = decoded.tree;
    const rows = Array.from({ length: t.nodeCount }, (_, i) => `${i === 0 ? 'total' : t.names[t.nameIndex[i]!]} ${t.total[i]}/${t.self[i]}${t.truncated[i] ? ' T' : ''}`);
    expect(rows).toEqual(['total 100/0 T', 'main 90/1 T', 'a 60/0 T', 'b 59/59']);
    expect(decoded.header.viewRootNode).toBe(2);
    expect(decoded.header.focusPath).toEqual(['main', 'a']);
    // The focused tree of today's JSON answer: total, main, a, b, c.
    expect(decoded.header.fullNodeCount).toBe(focusTree(small(), ['main', 'a'], { keepPrefix: true }).nodeCount);
  });

  it('a focus path that is not in the tree: the root alone and viewRootNode -1', () => {
    const { decoded } = roundTrip(small(), 100, ['main', 'nope']);
    expect(decoded.header.viewRootNode).toBe(-1);
    expect(decoded.tree.nodeCount).toBe(1);
    expect(decoded.tree.total[0]).toBe(100);
  });

  it('keeps non-ASCII names and the header intact', () => {
    const tree = treeOf([['main;größe→π', 5], ['main;日本', 5]]);
    const selection = selectLod(tree, { widthCssPx: 100 });
    const top = [{ name: 'größe→π', self: 5, total: 5 }];
    const bytes = encodeTreeWire(meta({ top, search: { text: 'π', regex: false, matchedTotal: 5, matchedSelf: 5 } }), selection.tree);
    expect(bytes.length % 8).toBe(0);
    const decoded = decodeTreeWire(bytes.slice().buffer);
    expect([...decoded.tree.names].sort()).toEqual(['main', 'größe→π', '日本'].sort());
    expect(decoded.header.top).toEqual(top);
    expect(decoded.header.search?.matchedTotal).toBe(5);
    expectExactOn(tree, decoded.tree);
  });

  it('refuses cut, corrupt and foreign bodies with an error', () => {
    const { bytes } = roundTrip(small(), 100);
    expect(() => decodeTreeWire(bytes.subarray(0, bytes.length - 16))).toThrow(/not a Cinder tree answer/);
    expect(() => decodeTreeWire(new TextEncoder().encode('{"flamegraph":{}}'))).toThrow(/bad magic/);
    const corrupt = bytes.slice();
    const header = JSON.parse(new TextDecoder().decode(corrupt.subarray(8, 8 + new DataView(corrupt.buffer).getUint32(4, true)))) as { nodeCount: number };
    const parentAt = 8 + ((new DataView(corrupt.buffer).getUint32(4, true) + 7) & ~7) + 16 * header.nodeCount;
    new DataView(corrupt.buffer).setInt32(parentAt + 4, 5, true); // node 1's parent after itself
    expect(() => decodeTreeWire(corrupt)).toThrow(/node 1 has parent 5/);
  });
});

describe('level of detail on every pprof and folded fixture', () => {
  const trees = fixtureTrees();
  it('finds the fixtures', () => expect(trees.length).toBeGreaterThan(20));
  for (const { name, tree } of trees) {
    it(name, () => {
      for (const width of [1, 37, 1200]) {
        const { decoded } = roundTrip(tree, width);
        expectExactOn(tree, decoded.tree);
        expect(sentOf(tree, decoded.tree)).toEqual(expectedSent(tree, width, []));
      }
      // Seeded zooms: each fetch is the detail of a node the user can see; the spliced tree stays exact.
      const next = random(name.length * 7919 + tree.nodeCount);
      let shown: LodTree = roundTrip(tree, 800).decoded.tree;
      const rootTotal = shown.total[0];
      for (let zoom = 0; zoom < 12; zoom++) {
        const frames = framesFromLodTree(shown);
        if (frames.count < 2) break;
        const frame = 1 + Math.floor(next() * (frames.count - 1));
        const focus: string[] = [];
        for (let f = frame; f > 0; f = frames.parent[f]!) focus.unshift(frames.names[frames.nameIndex[f]!]!);
        const width = 200 + Math.floor(next() * 1800);
        const { decoded } = roundTrip(tree, width, focus);
        expect(sentOf(tree, decoded.tree)).toEqual(expectedSent(tree, width, focus));
        shown = spliceLod(shown, decoded);
        expect(shown.total[0]).toBe(rootTotal);
        expectExactOn(tree, shown);
        // The zoomed node is now detailed to one pixel of the client's width.
        const shownNodes = new Set(sentOf(tree, shown));
        expect(expectedSent(tree, width, focus).filter((node) => !shownNodes.has(node))).toEqual([]);
        expectFramesConsistent(framesFromLodTree(shown));
      }
    });
  }
});

/** Every frame lies inside its parent, after the parent's self, and rows are sorted by x. */
function expectFramesConsistent(frames: ReturnType<typeof framesFromLodTree>): void {
  for (let d = 0; d < frames.rowCount; d++) {
    for (let i = frames.rowStart[d]! + 1; i < frames.rowStart[d + 1]!; i++) expect(frames.startValue[i]! >= frames.startValue[i - 1]!).toBe(true);
  }
  for (let i = 1; i < frames.count; i++) {
    const p = frames.parent[i]!;
    expect(frames.depth[i]).toBe(frames.depth[p]! + 1);
    expect(frames.startValue[i]! >= frames.startValue[p]! + frames.selfValues[p]!).toBe(true);
    expect(frames.startValue[i]! + frames.totalValues[i]! <= frames.startValue[p]! + frames.totalValues[p]! + 1e-6).toBe(true);
  }
}

describe('framesFromLodTree', () => {
  it('lays out a complete tree exactly as the levels of the JSON answer', () => {
    const tree = treeOf([['main;a;b', 3], ['main;a', 1], ['main;c', 2], ['gc', 4]]);
    const lod = selectLod(tree, { widthCssPx: 1e6 }).tree;
    const ours = framesFromLodTree(lod);
    const levels = decodeLevels(flameGraphFromTree(tree, 0).flamegraph);
    const describe = (f: typeof levels): string[] =>
      Array.from({ length: f.count }, (_, i) => `${f.names[f.nameIndex[i]!]}@${f.depth[i]} x=${f.startValue[i]} t=${f.totalValues[i]} s=${f.selfValues[i]} p=${f.parent[i]}`);
    expect(describe(ours)).toEqual(describe(levels));
    expect(Array.from(ours.rowStart)).toEqual(Array.from(levels.rowStart));
  });
});

describe('searchTotalsOfView equals searching the untruncated flame graph', () => {
  const trees = fixtureTrees().slice(0, 12);
  const queries = [
    { text: 'a', regex: false },
    { text: 'runtime', regex: false },
    { text: '^main|Thread', regex: true },
    { text: 'zzzz-nothing', regex: false },
  ];
  for (const { name, tree } of trees) {
    it(name, () => {
      const focusNode = Math.min(tree.nodeCount - 1, 1 + (tree.nodeCount >> 3));
      const focus: string[] = [];
      for (let n = focusNode; n > 0; n = tree.parent[n]!) focus.unshift(tree.names[tree.nameIndex[n]!]!);
      for (const query of queries) {
        for (const f of [[], focus]) {
          const focused = f.length ? focusTree(tree, f, { keepPrefix: true }) : tree;
          const frames = decodeLevels(flameGraphFromTree(focused, 0).flamegraph);
          const expected = searchFrames(frames, query);
          let selfSum = 0;
          for (let i = 0; i < frames.count; i++) if (expected.matched[i]) selfSum += frames.selfValues[i]!;
          const view = selectLod(tree, { widthCssPx: 10, focusPath: f }).sourceViewRoot;
          const ours = searchTotalsOfView(tree, query, view);
          expect(ours.matchedTotal).toBeCloseTo(expected.matchedValue, 6);
          expect(ours.matchedSelf).toBeCloseTo(selfSum, 6);
        }
      }
    });
  }
});

describe('the query hot path on typed arrays', () => {
  it('callTreeFromStackTable: a store-ordered table becomes the same tree as through the builder', () => {
    // Parents first, each parent's children one run in name order, names sorted: the store's layout.
    const table = {
      names: ['a', 'b', 'gc', 'main'],
      parent: Int32Array.from([-1, -1, 1, 1, 2]),
      nameIndex: Int32Array.from([2, 3, 0, 1, 1]),
      self: Float64Array.from([4, 1, 1, 2, 3]),
      rootSelf: 5,
    };
    const fast = callTreeFromStackTable(table);
    expect(collapsedFromTree(fast)).toBe('gc 4\nmain 1\nmain;a 1\nmain;a;b 3\nmain;b 2');
    expect(fast.total[0]).toBe(16);
    // Split sibling runs or unsorted names take the general builder, which merges equal siblings.
    const split = { ...table, parent: Int32Array.from([-1, -1, 1, 1, 1]), nameIndex: Int32Array.from([2, 3, 0, 1, 0]) };
    expect(collapsedFromTree(callTreeFromStackTable(split))).toBe('gc 4\nmain 1\nmain;a 4\nmain;b 2');
  });

  it('topTableAt(view) equals topTable of the focused tree, with recursion counted once', () => {
    const tree = treeOf([
      ['main;a;b;a', 3],
      ['main;a;c', 2],
      ['main;a', 1],
      ['main;d;a', 4],
      ['gc;a', 5],
    ]);
    for (const focus of [['main'], ['main', 'a'], ['main', 'a', 'b'], ['main', 'd', 'a'], ['gc']]) {
      const view = selectLod(tree, { widthCssPx: 1, focusPath: focus }).sourceViewRoot;
      expect(topTableAt(tree, view, focus.slice(0, -1)), focus.join(';')).toEqual(topTable(focusTree(tree, focus, { keepPrefix: true })));
    }
    expect(topTableAt(tree, 0, [])).toEqual(topTable(tree));
  });

  it('truncation by selection keeps the max_nodes-th largest total (ties, sorted and reversed input)', () => {
    let seed = 99;
    const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % 50;
    for (const totals of [Float64Array.from({ length: 5000 }, next), Float64Array.from({ length: 3000 }, (_, i) => i), Float64Array.from({ length: 3000 }, (_, i) => 3000 - i), new Float64Array(100).fill(7)]) {
      for (const maxNodes of [1, 10, 999, totals.length - 1]) {
        const sorted = Float64Array.from(totals).sort();
        expect(truncationThreshold(totals, totals.length, maxNodes, 0)).toBe(maxNodes >= totals.length ? 0 : sorted[totals.length - maxNodes]);
      }
    }
  });
});

/**
 * The indexed server path (tree/lodQuery.ts) must answer exactly what the reference functions do:
 * same bytes of the cut and same top rows, for views at every depth (search totals are checked
 * against searchFrames on the untruncated graph above).
 */
describe('indexed level-of-detail queries equal the reference ones', () => {
  const trees = fixtureTrees();
  /** Views: the root, and nodes spread over the tree (by index, so every depth gets some). */
  function viewsOf(tree: CallTree, count: number): string[][] {
    const next = random(tree.nodeCount * 31 + 7);
    const out: string[][] = [[]];
    for (let i = 0; i < count && tree.nodeCount > 1; i++) {
      const node = 1 + Math.floor(next() * (tree.nodeCount - 1));
      const focus: string[] = [];
      for (let n = node; n > 0; n = tree.parent[n]!) focus.unshift(tree.names[tree.nameIndex[n]!]!);
      out.push(focus);
    }
    out.push(['no such frame'], [...(out[1] ?? []), 'no such frame']);
    return out;
  }
  for (const { name, tree } of trees) {
    it(name, { timeout: 30_000 }, () => {
      for (const focus of viewsOf(tree, 8)) {
        const view = selectLod(tree, { widthCssPx: 1, focusPath: focus }).sourceViewRoot;
        expect(viewRootAt(tree, focus), focus.join(';')).toBe(view);
        for (const width of [1, 37, 1200]) {
          const reference = selectLod(tree, { widthCssPx: width, focusPath: focus });
          const indexed = selectLodIndexed(tree, { widthCssPx: width, focusPath: focus });
          expect(indexed.viewRootNode).toBe(reference.viewRootNode);
          expect(indexed.fullNodeCount).toBe(reference.fullNodeCount);
          expect(indexed.sourceViewRoot).toBe(reference.sourceViewRoot);
          const encode = (s: typeof reference) => encodeTreeWire(meta({ width, focusPath: focus, viewRootNode: s.viewRootNode, fullNodeCount: s.fullNodeCount }), s.tree);
          expect(Buffer.from(encode(indexed)).equals(Buffer.from(encode(reference))), `${focus.join(';')} @ ${width}`).toBe(true);
        }
        if (view >= 0) {
          expect(topTableOfView(tree, view, focus.slice(0, -1))).toEqual(topTableAt(tree, view, focus.slice(0, -1)));
          expect(topTableOfView(tree, view, focus.slice(0, -1), 5)).toEqual(topTableAt(tree, view, focus.slice(0, -1), 5));
        }
      }
    });
  }

  it('recursion and repeated chain names are counted once, as in the focused tree', () => {
    const tree = treeOf([
      ['main;a;b;a', 3],
      ['main;a;c', 2],
      ['main;a', 1],
      ['main;d;a', 4],
      ['gc;a', 5],
      ['a;a;a;b', 6],
      ['a;a;c', 0],
    ]);
    for (const focus of [[], ['main'], ['main', 'a'], ['main', 'a', 'b'], ['main', 'a', 'b', 'a'], ['main', 'd', 'a'], ['gc'], ['a', 'a'], ['a', 'a', 'a', 'b'], ['a', 'a', 'c']]) {
      const view = viewRootAt(tree, focus);
      expect(view, focus.join(';')).toBeGreaterThanOrEqual(0);
      const expected = topTable(focusTree(tree, focus, { keepPrefix: true }));
      // Twice: the per-tree scratch arrays must come back clean.
      expect(topTableOfView(tree, view, focus.slice(0, -1)), focus.join(';')).toEqual(expected);
      expect(topTableOfView(tree, view, focus.slice(0, -1)), focus.join(';')).toEqual(expected);
    }
  });

  it('a store-ordered tree (child index from the table) answers as the builder\'s', () => {
    const table = {
      names: ['a', 'b', 'gc', 'main'],
      parent: Int32Array.from([-1, -1, 1, 1, 2]),
      nameIndex: Int32Array.from([2, 3, 0, 1, 1]),
      self: Float64Array.from([4, 1, 1, 2, 3]),
      rootSelf: 5,
    };
    const fast = callTreeFromStackTable(table);
    for (const focus of [[], ['main'], ['main', 'a']]) {
      const reference = selectLod(fast, { widthCssPx: 100, focusPath: focus });
      const indexed = selectLodIndexed(fast, { widthCssPx: 100, focusPath: focus });
      expect(indexed.tree).toEqual(reference.tree);
      expect(topTableOfView(fast, indexed.sourceViewRoot, focus.slice(0, -1))).toEqual(topTableAt(fast, reference.sourceViewRoot, focus.slice(0, -1)));
    }
  });

  it('a limited top table is the full one cut, whatever the ties on self and total', () => {
    const next = random(4242);
    const stacks: Array<[string, number]> = [];
    // Many names tied on self (0 among them) and on total, so the cut meets crowds at its edge.
    for (let i = 0; i < 3000; i++) stacks.push([`main;f${i % 1700};g${Math.floor(next() * 300)}`, [0, 1, 2, 5][Math.floor(next() * 4)]!]);
    const tree = treeOf(stacks);
    for (const focus of [[], ['main']]) {
      const view = viewRootAt(tree, focus);
      const all = topTableAt(tree, view, focus.slice(0, -1));
      for (const limit of [0, 1, 7, 500, 1699, all.length - 1, all.length, all.length + 10]) {
        expect(topTableOfView(tree, view, focus.slice(0, -1), limit), `${focus.join(';')} limit ${limit}`).toEqual(all.slice(0, limit));
      }
    }
  });

  it('a top table walked in steps, two walks of one tree interleaved, equals the reference', () => {
    for (const { tree } of trees.filter((t) => t.tree.nodeCount > 500).slice(0, 6)) {
      const focus: string[] = [];
      for (let n = tree.nodeCount >> 1; n > 0; n = tree.parent[n]!) focus.unshift(tree.names[tree.nameIndex[n]!]!);
      const view = viewRootAt(tree, focus);
      const root = topTableWalk(tree, 0, []);
      const focused = topTableWalk(tree, view, focus.slice(0, -1));
      let rounds = 0;
      for (let done = [false, false]; !(done[0] && done[1]) && rounds < 1_000_000; rounds++) {
        done = [root.step(7), focused.step(3)];
        // A synchronous table of the same tree in between must not disturb either walk.
        if (rounds === 5) expect(topTableOfView(tree, view, focus.slice(0, -1), 3)).toEqual(topTableAt(tree, view, focus.slice(0, -1), 3));
      }
      expect(rounds).toBeGreaterThan(10);
      expect(root.rows(50)).toEqual(topTableAt(tree, 0, [], 50));
      expect(focused.rows()).toEqual(topTableAt(tree, view, focus.slice(0, -1)));
    }
  });

  it('callTreeFromStackTablePaced builds the same tree, offering turns on a big table', async () => {
    // A store-ordered table (parents first, each parent's children one name-sorted run): 1 + 300 + 300·300 rows.
    const names = Array.from({ length: 301 }, (_, i) => `f${String(i).padStart(3, '0')}`);
    const parent: number[] = [-1];
    const nameIndex: number[] = [300];
    for (let p = 0; p <= 300; p++) {
      for (let i = 0; i < 300; i++) {
        parent.push(p);
        nameIndex.push(i);
      }
    }
    const table = { names, parent: Int32Array.from(parent), nameIndex: Int32Array.from(nameIndex), self: Float64Array.from(parent, (_, i) => i % 7), rootSelf: 3 };
    let turns = 0;
    const paced = await callTreeFromStackTablePaced(table, () => {
      turns++;
      return turns % 2 === 0 ? Promise.resolve() : undefined;
    });
    const sync = callTreeFromStackTable(table);
    expect(turns).toBeGreaterThan(3);
    expect(paced).toEqual(sync);
    expect(selectLod(paced, { widthCssPx: 50 }).tree).toEqual(selectLodIndexed(sync, { widthCssPx: 50 }).tree);
    // Not store-ordered (a split run): the builder path, same answer as the sync call.
    const split = { names: ['a', 'b'], parent: Int32Array.from([-1, -1, 0, 1, 0]), nameIndex: Int32Array.from([0, 1, 1, 0, 1]), self: Float64Array.from([1, 2, 3, 4, 5]) };
    expect(collapsedFromTree(await callTreeFromStackTablePaced(split, () => undefined))).toBe(collapsedFromTree(callTreeFromStackTable(split)));
  });

  it('an empty tree and a lone root', () => {
    const empty: CallTree = { names: [], nodeCount: 0, parent: new Int32Array(0), nameIndex: new Int32Array(0), self: new Float64Array(0), total: new Float64Array(0) };
    const lone = new CallTreeBuilder().build();
    for (const tree of [empty, lone]) {
      for (const focus of [[], ['x']]) {
        const reference = selectLod(tree, { widthCssPx: 10, focusPath: focus });
        const indexed = selectLodIndexed(tree, { widthCssPx: 10, focusPath: focus });
        expect({ ...indexed, tree: { ...indexed.tree } }).toEqual({ ...reference, tree: { ...reference.tree } });
      }
    }
  });
});
