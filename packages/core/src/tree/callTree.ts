/**
 * The merged call tree every query answer is drawn from: flame graphs, top tables, sandwich views,
 * diffs and tree bytes. Columnar so a 100k-node tree is a handful of typed arrays, not 100k objects.
 *
 * Node 0 is the virtual root ("total"); every other node has a parent with a smaller index, so a
 * backward pass accumulates totals and a forward pass visits parents before children.
 * Siblings never share a name (nodes are keyed by parent × function name).
 *
 * Example: stacks `main;a 3`, `main 1`, `gc 2` →
 *   node 0 root (self 0, total 6); node 1 main (self 1, total 4); node 2 a (self 3, total 3);
 *   node 3 gc (self 2, total 2)
 */
import type { Profile } from '../model.js';
import type { StackNodeTable } from '../stackTable.js';
import { StringTable } from '../stringTable.js';

export interface CallTree {
  /** Distinct function names; nodes refer to them by index. */
  readonly names: readonly string[];
  readonly nodeCount: number;
  /** -1 for the virtual root. */
  readonly parent: Int32Array;
  /** -1 for the virtual root. */
  readonly nameIndex: Int32Array;
  readonly self: Float64Array;
  readonly total: Float64Array;
}

export const ROOT_NODE = 0;

/**
 * An exact map (parent node, name id) → child node on typed arrays: open addressing with linear
 * probing. A JS number key `parent · 2^32 + name` stops being exact past 2^21 parents (two children
 * would share a node: it happened in the store), and a Map of such keys costs an entry object each.
 */
export class ChildTable {
  private parents: Int32Array;
  private names: Int32Array;
  private nodes: Int32Array;
  private mask: number;
  private size = 0;

  constructor(capacityPowerOfTwo = 1 << 12) {
    this.parents = new Int32Array(capacityPowerOfTwo).fill(-1);
    this.names = new Int32Array(capacityPowerOfTwo);
    this.nodes = new Int32Array(capacityPowerOfTwo);
    this.mask = capacityPowerOfTwo - 1;
  }

  private slotOf(parent: number, name: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(name + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    let slot = h & this.mask;
    while (this.parents[slot] !== -1 && (this.parents[slot] !== parent || this.names[slot] !== name)) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** The child, or -1. */
  get(parent: number, name: number): number {
    const slot = this.slotOf(parent, name);
    return this.parents[slot] === -1 ? -1 : this.nodes[slot]!;
  }

  set(parent: number, name: number, node: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const slot = this.slotOf(parent, name);
    if (this.parents[slot] === -1) this.size++;
    this.parents[slot] = parent;
    this.names[slot] = name;
    this.nodes[slot] = node;
  }

  private grow(): void {
    const { parents, names, nodes } = this;
    const capacity = (this.mask + 1) * 2;
    this.parents = new Int32Array(capacity).fill(-1);
    this.names = new Int32Array(capacity);
    this.nodes = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < parents.length; i++) {
      if (parents[i] === -1) continue;
      const slot = this.slotOf(parents[i]!, names[i]!);
      this.parents[slot] = parents[i]!;
      this.names[slot] = names[i]!;
      this.nodes[slot] = nodes[i]!;
    }
  }
}

/** Collects stacks into a tree; `build()` computes totals. */
export class CallTreeBuilder {
  private readonly nameTable = new StringTable();
  private readonly children = new ChildTable();
  private parent: number[] = [-1];
  private nameIndex: number[] = [-1];
  private self: number[] = [0];

  nameId(name: string): number {
    return this.nameTable.id(name);
  }

  /** The child of `parentNode` called `nameId`, created on first use. */
  child(parentNode: number, nameId: number): number {
    let node = this.children.get(parentNode, nameId);
    if (node === -1) {
      node = this.parent.length;
      this.parent.push(parentNode);
      this.nameIndex.push(nameId);
      this.self.push(0);
      this.children.set(parentNode, nameId, node);
    }
    return node;
  }

  addSelf(node: number, value: number): void {
    this.self[node]! += value;
  }

  /** Frames root first. */
  addStack(framesRootFirst: readonly string[], value: number): void {
    let node = ROOT_NODE;
    for (const frame of framesRootFirst) node = this.child(node, this.nameId(frame));
    this.addSelf(node, value);
  }

  build(): CallTree {
    const nodeCount = this.parent.length;
    const parent = Int32Array.from(this.parent);
    const self = Float64Array.from(this.self);
    const total = Float64Array.from(this.self);
    for (let node = nodeCount - 1; node > 0; node--) total[parent[node]!]! += total[node]!;
    return { names: this.nameTable.strings, nodeCount, parent, nameIndex: Int32Array.from(this.nameIndex), self, total };
  }
}

/** Storage's answer → call tree (merging any siblings that share a name). */
export function callTreeFromStackTable(table: StackNodeTable): CallTree {
  const steps = orderedTableSteps(table);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value ?? callTreeFromStackTableSlow(table);
}

/**
 * callTreeFromStackTable for a caller that must keep an event loop answering (a 1M-node table is
 * ~50–150 ms of work): `pause()` is offered a turn every ORDERED_TABLE_STEP_ROWS rows and awaited
 * when it returns a promise. Core has no clock; the server passes its pacer.
 */
export async function callTreeFromStackTablePaced(table: StackNodeTable, pause: () => Promise<void> | undefined): Promise<CallTree> {
  const steps = orderedTableSteps(table);
  let step = steps.next();
  while (!step.done) {
    const waiting = pause();
    if (waiting) await waiting;
    step = steps.next();
  }
  return step.value ?? callTreeFromStackTableSlow(table);
}

/** Rows between the turns callTreeFromStackTablePaced offers (a few ms of work). */
const ORDERED_TABLE_STEP_ROWS = 1 << 16;

/**
 * The store's tables are laid out parents first, each parent's children one run in name order,
 * with sorted, distinct names (duckdb/reader.ts TableBuilder). Such a table already is a call tree
 * shifted by one row (the virtual root): no hashing, one pass for parents, one for totals, and the
 * name-sorted child index comes for free. Null when the table is not laid out so (then the general
 * builder merges siblings that share a name).
 */
function* orderedTableSteps(table: StackNodeTable): Generator<void, CallTree | null> {
  const rows = table.parent.length;
  const names = table.names;
  for (let i = 1; i < names.length; i++) if (!(names[i - 1]! < names[i]!)) return null;
  const nodeCount = rows + 1;
  const parent = new Int32Array(nodeCount);
  const nameIndex = new Int32Array(nodeCount);
  const self = new Float64Array(nodeCount);
  parent[0] = -1;
  nameIndex[0] = -1;
  self[0] = table.rootSelf ?? 0;
  // runDone[p] = p's run of children has ended: a child of p after that means siblings are split.
  const runDone = new Uint8Array(nodeCount);
  const start = new Int32Array(nodeCount + 1);
  let previousParent = -1;
  for (let i = 0; i < rows; i++) {
    if ((i & (ORDERED_TABLE_STEP_ROWS - 1)) === ORDERED_TABLE_STEP_ROWS - 1) yield;
    const p = table.parent[i]! + 1;
    const node = i + 1;
    const name = table.nameIndex[i]!;
    if (p >= node || name < 0 || name >= names.length) return null;
    if (p === previousParent) {
      if (!(nameIndex[node - 1]! < name)) return null;
    } else {
      if (runDone[p] === 1) return null;
      if (previousParent >= 0) runDone[previousParent] = 1;
      previousParent = p;
    }
    parent[node] = p;
    nameIndex[node] = name;
    self[node] = table.self[i]!;
    start[p + 1]!++;
  }
  yield;
  const total = Float64Array.from(self);
  for (let node = nodeCount - 1; node > 0; node--) {
    if ((node & (ORDERED_TABLE_STEP_ROWS - 1)) === 0) yield;
    total[parent[node]!]! += total[node]!;
  }
  yield;
  // Child index: runs are contiguous and name-sorted, so children[] is each run in row order.
  for (let n = 0; n < nodeCount; n++) start[n + 1]! += start[n]!;
  const children = new Int32Array(Math.max(0, nodeCount - 1));
  const fill = start.slice(0, nodeCount);
  yield;
  for (let node = 1; node < nodeCount; node++) {
    if ((node & (ORDERED_TABLE_STEP_ROWS - 1)) === 0) yield;
    children[fill[parent[node]!]!++] = node;
  }
  const tree: CallTree = { names, nodeCount, parent, nameIndex, self, total };
  childIndexCache.set(tree, { start, children });
  return tree;
}

function callTreeFromStackTableSlow(table: StackNodeTable): CallTree {
  const builder = new CallTreeBuilder();
  const nameIds = table.names.map((name) => builder.nameId(name));
  const nodeOf = new Int32Array(table.parent.length);
  for (let i = 0; i < table.parent.length; i++) {
    const parentRow = table.parent[i]!;
    const parentNode = parentRow < 0 ? ROOT_NODE : nodeOf[parentRow]!;
    const node = builder.child(parentNode, nameIds[table.nameIndex[i]!]!);
    nodeOf[i] = node;
    const value = table.self[i]!;
    if (value !== 0) builder.addSelf(node, value);
  }
  if (table.rootSelf) builder.addSelf(ROOT_NODE, table.rootSelf);
  return builder.build();
}

/** One sample type of a decoded profile → call tree. */
export function callTreeFromProfile(profile: Profile, sampleTypeIndex: number): CallTree {
  const builder = new CallTreeBuilder();
  const nameIds = profile.names.map((name) => builder.nameId(name));
  const values = profile.values[sampleTypeIndex];
  if (!values) return builder.build();
  for (let s = 0; s < profile.stacks.length; s++) {
    const value = values[s]!;
    if (value === 0) continue;
    const stack = profile.stacks[s]!;
    let node = ROOT_NODE;
    for (let i = 0; i < stack.length; i++) node = builder.child(node, nameIds[stack[i]!]!);
    // An empty stack stays on the root: its value is part of the total but of no frame.
    builder.addSelf(node, value);
  }
  return builder.build();
}

export function nodeName(tree: CallTree, node: number): string {
  return node === ROOT_NODE ? 'total' : tree.names[tree.nameIndex[node]!]!;
}

function compareBytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Children of every node, sorted by name (byte-wise): CSR layout, `children.subarray(start[n], start[n+1])`.
 */
export interface ChildIndex {
  start: Int32Array;
  children: Int32Array;
}

/** Child indexes already computed (a tree is immutable once built; cached trees are reused by many answers). */
const childIndexCache = new WeakMap<CallTree, ChildIndex>();

export function childIndex(tree: CallTree): ChildIndex {
  const cached = childIndexCache.get(tree);
  if (cached) return cached;
  const counts = new Int32Array(tree.nodeCount + 1);
  for (let node = 1; node < tree.nodeCount; node++) counts[tree.parent[node]! + 1]!++;
  const start = new Int32Array(tree.nodeCount + 1);
  for (let n = 0; n < tree.nodeCount; n++) start[n + 1] = start[n]! + counts[n + 1]!;
  const fill = start.slice(0, tree.nodeCount);
  const children = new Int32Array(Math.max(0, tree.nodeCount - 1));
  for (let node = 1; node < tree.nodeCount; node++) children[fill[tree.parent[node]!]!++] = node;
  // Sorting by name rank (integers) instead of comparing strings per pair: rank every name once.
  const rank = nameRanks(tree.names);
  for (let n = 0; n < tree.nodeCount; n++) {
    const from = start[n]!;
    const to = start[n + 1]!;
    if (to - from > 1) {
      const run = children.subarray(from, to);
      let sorted = true;
      for (let i = 1; i < run.length && sorted; i++) if (rank[tree.nameIndex[run[i - 1]!]!]! > rank[tree.nameIndex[run[i]!]!]!) sorted = false;
      if (!sorted) children.set(Array.from(run).sort((a, b) => rank[tree.nameIndex[a]!]! - rank[tree.nameIndex[b]!]!), from);
    }
  }
  const index = { start, children };
  childIndexCache.set(tree, index);
  return index;
}

/** rank[i] = position of names[i] in byte-wise order (equal names share a rank). */
function nameRanks(names: readonly string[]): Int32Array {
  const order = Array.from(names.keys()).sort((a, b) => compareBytewise(names[a]!, names[b]!));
  const rank = new Int32Array(names.length);
  for (let i = 0; i < order.length; i++) rank[order[i]!] = i > 0 && names[order[i]!] === names[order[i - 1]!] ? rank[order[i - 1]!]! : i;
  return rank;
}

export function childrenOfNode(index: ChildIndex, node: number): Int32Array {
  return index.children.subarray(index.start[node]!, index.start[node + 1]!);
}

/** The node reached by following names root-first from the virtual root, or -1. */
export function nodeAtPath(tree: CallTree, path: readonly string[]): number {
  const index = childIndex(tree);
  let node = ROOT_NODE;
  for (const name of path) {
    let next = -1;
    for (const child of childrenOfNode(index, node)) {
      if (nodeName(tree, child) === name) {
        next = child;
        break;
      }
    }
    if (next < 0) return -1;
    node = next;
  }
  return node;
}

/**
 * The tree re-rooted at `path`: the result's only root child is the node at `path` (keeping its
 * name), with its whole subtree. Empty tree when the path does not exist.
 */
export function focusTree(tree: CallTree, path: readonly string[], options: { keepPrefix?: boolean } = {}): CallTree {
  const builder = new CallTreeBuilder();
  if (path.length === 0) return tree;
  const target = nodeAtPath(tree, path);
  if (target < 0) return builder.build();
  const mapped = new Int32Array(tree.nodeCount).fill(-1);
  // keepPrefix: the path's callers stay as ancestors (with no self), as a call-site filter wants.
  let parentOfTarget = ROOT_NODE;
  if (options.keepPrefix) for (const name of path.slice(0, -1)) parentOfTarget = builder.child(parentOfTarget, builder.nameId(name));
  mapped[target] = builder.child(parentOfTarget, builder.nameId(nodeName(tree, target)));
  builder.addSelf(mapped[target]!, tree.self[target]!);
  for (let node = target + 1; node < tree.nodeCount; node++) {
    const parentMapped = mapped[tree.parent[node]!]!;
    if (parentMapped < 0) continue;
    const copy = builder.child(parentMapped, builder.nameId(nodeName(tree, node)));
    mapped[node] = copy;
    builder.addSelf(copy, tree.self[node]!);
  }
  return builder.build();
}

/** Sum over all samples (the root's total). */
export function treeTotal(tree: CallTree): number {
  return tree.total[ROOT_NODE] ?? 0;
}
