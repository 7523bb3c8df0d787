/**
 * The server's half of level-of-detail answers, on a merged tree that serves many requests (the
 * query cache keeps it): finding the view root, cutting the nodes one pixel wide, and the exact top
 * table and search totals of the focused subtree, each in time proportional to what it reads —
 * the sent nodes, or the focused subtree — never to the whole tree.
 *
 * flamegraph/treeWire.ts selectLod and tree/render.ts topTableAt define the answers; these give
 * identical results (tested against them on every fixture) but walk the cached name-sorted child
 * index from V instead of scanning every node of the tree, resolve the focus path by name ids instead of
 * building a name map per request, and reuse per-tree scratch arrays. On a 1M-node tree that is the
 * difference between a zoom costing tens of ms and costing what its subtree holds.
 */
import type { TopRow } from '../api.js';
import type { LodSelection, LodTree } from '../flamegraph/treeWire.js';
import { childIndex, ROOT_NODE, type CallTree, type ChildIndex } from './callTree.js';
import { frameNameMatcher, type TreeSearchQuery } from './lodSplice.js';

/** What a tree keeps for answering many views of it; built on first use, weak so it goes with the tree. */
interface ViewIndex {
  children: ChildIndex;
  /** Nodes in each node's subtree, itself included. */
  subtreeSize: Int32Array;
  /** name → first name id with that text. */
  nameIds: Map<string, number>;
  /** Per-name scratch of the top table: cleared after each use (only the names it touched). */
  topSelf: Float64Array;
  topTotal: Float64Array;
  onPath: Int32Array;
  touched: Int32Array;
  /** DFS stack, grown on demand. */
  stack: Int32Array;
}

const viewIndexes = new WeakMap<CallTree, ViewIndex>();

/** Bytes a tree's view index adds per node (subtree sizes); the child index is counted with the tree. */
export const VIEW_INDEX_BYTES_PER_NODE = 4;
/** Per name: the name → id map entry and the top table's scratch (two doubles, two ints). */
export const VIEW_INDEX_BYTES_PER_NAME = 64 + 24;

/** Whether the tree's view index is built (the first answer for a big tree builds it: ~10–20 ms per 1M nodes). */
export function hasViewIndex(tree: CallTree): boolean {
  return viewIndexes.has(tree);
}

function viewIndex(tree: CallTree): ViewIndex {
  let index = viewIndexes.get(tree);
  if (index) return index;
  const subtreeSize = new Int32Array(tree.nodeCount).fill(1);
  // Parents have smaller indices than their children: one backward pass sums the sizes.
  for (let node = tree.nodeCount - 1; node > 0; node--) subtreeSize[tree.parent[node]!]! += subtreeSize[node]!;
  const nameIds = new Map<string, number>();
  for (let id = 0; id < tree.names.length; id++) if (!nameIds.has(tree.names[id]!)) nameIds.set(tree.names[id]!, id);
  const nameCount = tree.names.length;
  index = {
    children: childIndex(tree),
    subtreeSize,
    nameIds,
    topSelf: new Float64Array(nameCount),
    topTotal: new Float64Array(nameCount),
    onPath: new Int32Array(nameCount),
    touched: new Int32Array(nameCount),
    stack: new Int32Array(1024),
  };
  viewIndexes.set(tree, index);
  return index;
}

function grown(array: Int32Array, needed: number): Int32Array {
  if (needed <= array.length) return array;
  const out = new Int32Array(Math.max(needed, 2 * array.length));
  out.set(array);
  return out;
}

/**
 * The node at a root-first path (as findPathNode finds it), or -1: one step per path name through
 * the sorted children, comparing name ids (a step falls back to the text only when the tree repeats
 * a name under two ids).
 */
export function viewRootAt(tree: CallTree, path: readonly string[]): number {
  if (tree.nodeCount === 0) return -1;
  if (path.length === 0) return ROOT_NODE;
  const { children, nameIds } = viewIndex(tree);
  const { start } = children;
  const kids = children.children;
  let node = ROOT_NODE;
  for (const name of path) {
    const id = nameIds.get(name);
    if (id === undefined) return -1;
    let next = -1;
    for (let i = start[node]!; i < start[node + 1]!; i++) {
      const child = kids[i]!;
      if (tree.nameIndex[child] === id) {
        next = child;
        break;
      }
    }
    if (next < 0) {
      for (let i = start[node]!; i < start[node + 1]! && next < 0; i++) if (tree.names[tree.nameIndex[kids[i]!]!] === name) next = kids[i]!;
      if (next < 0) return -1;
    }
    node = next;
  }
  return node;
}

/**
 * selectLod (flamegraph/treeWire.ts), identical answer: the chain root → V, then V's subtree in
 * pre-order with siblings by name, entering only children at least one pixel wide. Reads the chain,
 * the sent nodes and their children; nothing else of the tree.
 */
export function selectLodIndexed(tree: CallTree, options: { widthCssPx: number; focusPath?: readonly string[] }): LodSelection {
  const width = options.widthCssPx;
  const path = options.focusPath ?? [];
  const view = viewRootAt(tree, path);
  if (view < 0) {
    const lone: LodTree = {
      names: [],
      nodeCount: tree.nodeCount > 0 ? 1 : 0,
      parent: Int32Array.of(-1).subarray(0, tree.nodeCount > 0 ? 1 : 0),
      nameIndex: Int32Array.of(-1).subarray(0, tree.nodeCount > 0 ? 1 : 0),
      self: Float64Array.of(tree.self[ROOT_NODE] ?? 0).subarray(0, tree.nodeCount > 0 ? 1 : 0),
      total: Float64Array.of(tree.total[ROOT_NODE] ?? 0).subarray(0, tree.nodeCount > 0 ? 1 : 0),
      truncated: Uint8Array.of(tree.nodeCount > 1 ? 1 : 0).subarray(0, tree.nodeCount > 0 ? 1 : 0),
    };
    return { tree: lone, viewRootNode: -1, fullNodeCount: 1, sourceViewRoot: -1 };
  }
  const index = viewIndex(tree);
  const { start } = index.children;
  const kids = index.children.children;
  const viewTotal = tree.total[view]!;
  // The chain, root first.
  const chain: number[] = [];
  for (let node = view; node !== ROOT_NODE; node = tree.parent[node]!) chain.push(node);
  chain.push(ROOT_NODE);
  chain.reverse();
  let capacity = Math.max(64, chain.length + 2 * (start[view + 1]! - start[view]!));
  let source = new Int32Array(capacity);
  let outParent = new Int32Array(capacity);
  let outTruncated = new Uint8Array(capacity);
  let count = 0;
  const emit = (node: number, parentOut: number, truncatedFlag: number): number => {
    if (count === capacity) {
      capacity *= 2;
      const s = new Int32Array(capacity);
      s.set(source);
      source = s;
      const p = new Int32Array(capacity);
      p.set(outParent);
      outParent = p;
      const t = new Uint8Array(capacity);
      t.set(outTruncated);
      outTruncated = t;
    }
    source[count] = node;
    outParent[count] = parentOut;
    outTruncated[count] = truncatedFlag;
    return count++;
  };
  for (let i = 0; i < chain.length - 1; i++) {
    const node = chain[i]!;
    emit(node, i - 1, start[node + 1]! - start[node]! > 1 ? 1 : 0);
  }
  // Pre-order from V: stack entries are (node, its parent's output index); children pushed in
  // reverse name order so the smallest name comes out first.
  let stack = index.stack;
  stack[0] = view;
  stack[1] = chain.length - 2;
  let top = 2;
  while (top > 0) {
    const parentOut = stack[--top]!;
    const node = stack[--top]!;
    const at = emit(node, parentOut, 0);
    const from = start[node]!;
    const to = start[node + 1]!;
    stack = grown(stack, top + 2 * (to - from));
    for (let i = to - 1; i >= from; i--) {
      const child = kids[i]!;
      if (tree.total[child]! * width >= viewTotal) {
        stack[top++] = child;
        stack[top++] = at;
      } else outTruncated[at] = 1;
    }
  }
  index.stack = stack;
  const outName = new Int32Array(count);
  const outTotal = new Float64Array(count);
  const outSelf = new Float64Array(count);
  const names: string[] = [];
  const nameMap = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const node = source[i]!;
    outTotal[i] = tree.total[node]!;
    outSelf[i] = tree.self[node]!;
    if (node === ROOT_NODE) {
      outName[i] = -1;
      continue;
    }
    const sourceName = tree.nameIndex[node]!;
    let mapped = nameMap.get(sourceName);
    if (mapped === undefined) {
      mapped = names.length;
      names.push(tree.names[sourceName]!);
      nameMap.set(sourceName, mapped);
    }
    outName[i] = mapped;
  }
  return {
    tree: { names, nodeCount: count, parent: outParent.slice(0, count), nameIndex: outName, self: outSelf, total: outTotal, truncated: outTruncated.slice(0, count) },
    viewRootNode: chain.length - 1,
    fullNodeCount: path.length > 0 ? 1 + (path.length - 1) + index.subtreeSize[view]! : tree.nodeCount,
    sourceViewRoot: view,
  };
}

/**
 * topTableAt (tree/render.ts), identical rows: the top table of V's subtree as the focused tree
 * presents it, `chain` being the names above V (root first, V excluded), each counted once with
 * V's total. Walks V's subtree only; per-name sums live in per-tree scratch arrays, and only the
 * names the walk touched are read back (and cleared).
 */
export function topTableOfView(tree: CallTree, viewRoot: number, chain: readonly string[], limit = Infinity): TopRow[] {
  if (viewRoot < 0 || viewRoot >= tree.nodeCount) return [];
  const walk = new TopTableWalk(tree, viewRoot, chain, true);
  walk.step(Infinity);
  return walk.rows(limit);
}

/**
 * topTableOfView in steps, for a caller that gives the event loop a turn between them (the full
 * top table of a 1M-node tree is ~50–100 ms of walking): `while (!walk.step(n)) await …;
 * walk.rows(limit)`. Each walk has its own per-name arrays, so walks of one tree may interleave.
 */
export function topTableWalk(tree: CallTree, viewRoot: number, chain: readonly string[]): { step(maxNodes: number): boolean; rows(limit?: number): TopRow[] } {
  return new TopTableWalk(tree, viewRoot, chain, false);
}

class TopTableWalk {
  private readonly index: ViewIndex;
  private readonly self: Float64Array;
  private readonly total: Float64Array;
  private readonly onPath: Int32Array;
  private readonly touched: Int32Array;
  /** seen[name] = 1 once the name is in `touched`. */
  private readonly seen: Uint8Array;
  private touchedCount = 0;
  private readonly chainNames: number[] = [];
  /** Entries ≥ 0 enter a node, ~node leaves it. */
  private stack: Int32Array;
  private top = 0;
  private finished = false;

  constructor(
    private readonly tree: CallTree,
    viewRoot: number,
    chain: readonly string[],
    /** Use the tree's scratch arrays (a walk run to its end synchronously, then rows()). */
    private readonly shared: boolean,
  ) {
    this.index = viewIndex(tree);
    const nameCount = tree.names.length;
    this.self = shared ? this.index.topSelf : new Float64Array(nameCount);
    this.total = shared ? this.index.topTotal : new Float64Array(nameCount);
    this.onPath = shared ? this.index.onPath : new Int32Array(nameCount);
    this.touched = shared ? this.index.touched : new Int32Array(nameCount);
    this.stack = shared ? this.index.stack : new Int32Array(1024);
    this.seen = new Uint8Array(nameCount);
    if (viewRoot < 0 || viewRoot >= tree.nodeCount) {
      this.finished = true;
      return;
    }
    if (viewRoot !== ROOT_NODE) {
      for (const name of chain) {
        // Chain names are names of V's ancestors, so they are in the table.
        const id = this.index.nameIds.get(name);
        if (id === undefined || this.onPath[id] === 1) continue;
        this.onPath[id] = 1;
        this.chainNames.push(id);
        this.seen[id] = 1;
        this.touched[this.touchedCount++] = id;
        this.total[id]! += tree.total[viewRoot]!;
      }
    }
    const { start, children } = this.index.children;
    if (viewRoot === ROOT_NODE) {
      this.stack = grown(this.stack, start[ROOT_NODE + 1]! - start[ROOT_NODE]!);
      for (let i = start[ROOT_NODE + 1]! - 1; i >= start[ROOT_NODE]!; i--) this.stack[this.top++] = children[i]!;
    } else this.stack[this.top++] = viewRoot;
  }

  /** Walks up to `maxNodes` more nodes; true when the walk is done. */
  step(maxNodes: number): boolean {
    if (this.finished) return true;
    const { self, total, onPath, touched, seen } = this;
    const { start } = this.index.children;
    const kids = this.index.children.children;
    const nameIndex = this.tree.nameIndex;
    const nodeSelf = this.tree.self;
    const nodeTotal = this.tree.total;
    let stack = this.stack;
    let top = this.top;
    let touchedCount = this.touchedCount;
    let entered = 0;
    while (top > 0 && entered < maxNodes) {
      const entry = stack[--top]!;
      if (entry < 0) {
        onPath[nameIndex[~entry]!]!--;
        continue;
      }
      entered++;
      const name = nameIndex[entry]!;
      if (seen[name] === 0) {
        seen[name] = 1;
        touched[touchedCount++] = name;
      }
      self[name]! += nodeSelf[entry]!;
      if (onPath[name] === 0) total[name]! += nodeTotal[entry]!;
      onPath[name]!++;
      const from = start[entry]!;
      const to = start[entry + 1]!;
      if (top + 1 + (to - from) > stack.length) stack = grown(stack, top + 1 + (to - from));
      stack[top++] = ~entry;
      for (let i = to - 1; i >= from; i--) stack[top++] = kids[i]!;
    }
    this.stack = stack;
    if (this.shared) this.index.stack = stack;
    this.top = top;
    this.touchedCount = touchedCount;
    this.finished = top === 0;
    return this.finished;
  }

  /** The rows (first `limit` in top-table order) once the walk is done; clears shared scratch. */
  rows(limit = Infinity): TopRow[] {
    if (!this.finished) this.step(Infinity);
    const { self, total, touched, touchedCount } = this;
    let rowCount = 0;
    for (let i = 0; i < touchedCount; i++) {
      const n = touched[i]!;
      if (self[n] !== 0 || total[n] !== 0) touched[rowCount++] = n;
    }
    const rows = topRows(this.tree.names, touched.subarray(0, rowCount), self, total, limit);
    if (this.shared) {
      for (let i = 0; i < touchedCount; i++) {
        self[touched[i]!] = 0;
        total[touched[i]!] = 0;
      }
      for (const id of this.chainNames) this.onPath[id] = 0;
    }
    return rows;
  }
}

function compareRows(a: TopRow, b: TopRow): number {
  return b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The first `limit` rows in top-table order (self, then total descending, then name) of the names
 * `ids`. Sorting every row compares long names sharing a prefix for every tie (most of a 20k-node
 * subtree's cost); with a limit, only rows at or above the limit-th largest self (and, among a
 * crowd tied there, total) are made and sorted.
 */
function topRows(names: readonly string[], ids: Int32Array, self: Float64Array, total: Float64Array, limit: number): TopRow[] {
  const rowOf = (n: number): TopRow => ({ name: names[n]!, self: self[n]!, total: total[n]! });
  if (!(limit < ids.length)) return Array.from(ids, rowOf).sort(compareRows);
  if (limit <= 0) return [];
  // kth: the limit-th largest value of `value` over `from`; keeps ids above it, and those equal to it.
  const cut = (from: Int32Array, value: Float64Array, keep: number): { above: Int32Array; tied: Int32Array } => {
    const values = new Float64Array(from.length);
    for (let i = 0; i < from.length; i++) values[i] = value[from[i]!]!;
    values.sort();
    const kth = values[from.length - keep]!;
    let aboveCount = 0;
    let tiedCount = 0;
    for (let i = 0; i < from.length; i++) {
      const v = value[from[i]!]!;
      if (v > kth) aboveCount++;
      else if (v === kth) tiedCount++;
    }
    const above = new Int32Array(aboveCount);
    const tied = new Int32Array(tiedCount);
    aboveCount = 0;
    tiedCount = 0;
    for (let i = 0; i < from.length; i++) {
      const v = value[from[i]!]!;
      if (v > kth) above[aboveCount++] = from[i]!;
      else if (v === kth) tied[tiedCount++] = from[i]!;
    }
    return { above, tied };
  };
  const bySelf = cut(ids, self, limit);
  let candidates: number[] = [...bySelf.above, ...bySelf.tied];
  const stillNeeded = limit - bySelf.above.length;
  if (bySelf.tied.length > stillNeeded && bySelf.tied.length > 2 * limit) {
    // Many names share the cut's self (often 0): among them, total decides next.
    const byTotal = cut(bySelf.tied, total, stillNeeded);
    candidates = [...bySelf.above, ...byTotal.above, ...byTotal.tied];
  }
  return candidates.map(rowOf).sort(compareRows).slice(0, limit);
}

/**
 * Exact search totals over the subtree of `viewRoot` as the focused tree presents it, walking V's
 * subtree only: the chain above V counts as V's callers (a match there covers all of V);
 * matchedTotal counts a match inside a match once (as searchFrames does); matchedSelf sums the
 * matching nodes' self.
 */
export function searchTotalsOfView(tree: CallTree, query: TreeSearchQuery, viewRoot = ROOT_NODE): { matchedTotal: number; matchedSelf: number } {
  if (query.text === '' || viewRoot < 0 || viewRoot >= tree.nodeCount) return { matchedTotal: 0, matchedSelf: 0 };
  const test = frameNameMatcher(query);
  const index = viewIndex(tree);
  const { start } = index.children;
  const kids = index.children.children;
  const nameMatches = new Int8Array(tree.names.length).fill(-1);
  const matches = (node: number): boolean => {
    const n = tree.nameIndex[node]!;
    if (nameMatches[n] === -1) nameMatches[n] = test(tree.names[n]!) ? 1 : 0;
    return nameMatches[n] === 1;
  };
  let chainMatched = false;
  for (let up = tree.parent[viewRoot]!; up > ROOT_NODE; up = tree.parent[up]!) if (matches(up)) chainMatched = true;
  let matchedTotal = 0;
  let matchedSelf = 0;
  // Stack entries: node, and whether a match covers it from above (1) or not (0).
  let stack = index.stack;
  let top = 0;
  stack[top++] = viewRoot;
  stack[top++] = chainMatched ? 1 : 0;
  while (top > 0) {
    const covered = stack[--top]!;
    const node = stack[--top]!;
    const isMatch = node !== ROOT_NODE && matches(node);
    if (isMatch) {
      matchedSelf += tree.self[node]!;
      if (covered === 0) matchedTotal += tree.total[node]!;
    }
    const childCovered = isMatch || covered === 1 ? 1 : 0;
    const from = start[node]!;
    const to = start[node + 1]!;
    if (top + 2 * (to - from) > stack.length) stack = grown(stack, top + 2 * (to - from));
    for (let i = from; i < to; i++) {
      stack[top++] = kids[i]!;
      stack[top++] = childCovered;
    }
  }
  index.stack = stack;
  if (chainMatched) matchedTotal = tree.total[viewRoot]!;
  return { matchedTotal, matchedSelf };
}
