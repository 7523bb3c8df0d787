/**
 * Call tree → the wire shapes: Pyroscope flame-graph levels with max_nodes truncation (API spec
 * §3.3), the 7-int diff encoding (§3.4), tree bytes (§3.5), top tables and sandwich views.
 */
import type { FlameGraphData, TopRow, TruncationInfo } from '../api.js';
import { CallTreeBuilder, ROOT_NODE, childIndex, childrenOfNode, nodeName, type CallTree, type ChildIndex } from './callTree.js';
import { ProtoWriter } from '../protoWriter.js';
import { StringTable } from '../stringTable.js';

export const DEFAULT_MAX_NODES = 8192;
export const OTHER_NAME = 'other';

/**
 * The smallest total a node may have and still be drawn: the max_nodes-th largest total of the
 * real nodes. 0 = draw everything.
 */
export function truncationThreshold(totals: ArrayLike<number>, realNodeCount: number, maxNodes: number, firstReal = 1): number {
  if (maxNodes <= 0 || realNodeCount <= maxNodes) return 0;
  const values = new Float64Array(realNodeCount);
  for (let i = 0; i < realNodeCount; i++) values[i] = totals[firstReal + i]!;
  // The k-th smallest by selection, not a full sort: O(n) instead of O(n log n) on a million totals.
  return selectKth(values, realNodeCount - maxNodes);
}

/** The k-th smallest value (0-based) of `values`, reordering it (Hoare's selection, median of three). */
function selectKth(values: Float64Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  while (high > low) {
    const mid = (low + high) >>> 1;
    // Median of three as the pivot keeps sorted and reversed inputs linear.
    const a = values[low]!;
    const b = values[mid]!;
    const c = values[high]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else return values[k]!;
  }
  return values[k]!;
}

function subtreeSizes(tree: CallTree): Int32Array {
  const size = new Int32Array(tree.nodeCount).fill(1);
  for (let node = tree.nodeCount - 1; node > 0; node--) size[tree.parent[node]!]! += size[node]!;
  return size;
}

export interface RenderedFlameGraph {
  flamegraph: FlameGraphData;
  truncation: TruncationInfo;
}

/** Levels as in §3.3.2: children at x(parent)+self(parent) in name order, `other` last. */
export function flameGraphFromTree(tree: CallTree, maxNodes = DEFAULT_MAX_NODES): RenderedFlameGraph {
  const index = childIndex(tree);
  const threshold = truncationThreshold(tree.total, tree.nodeCount - 1, maxNodes);
  const sizes = subtreeSizes(tree);
  const nameTable = new StringTable(['total']);
  const names = nameTable.strings;
  const idOf = (name: string): number => nameTable.id(name);
  const levels: number[][] = [];
  const levelEnd: number[] = [];
  const truncation: TruncationInfo = { hiddenNodes: 0, hiddenValue: 0, otherNodes: 0 };
  let maxSelf = 0;
  const emit = (depth: number, x: number, total: number, self: number, nameId: number): void => {
    const level = (levels[depth] ??= []);
    level.push(x - (levelEnd[depth] ?? 0), total, self, nameId);
    levelEnd[depth] = x + total;
    if (self > maxSelf) maxSelf = self;
  };
  // Explicit stack: deep profiles (1000+ frames) must not hit the JS recursion limit. An entry with
  // `otherValue` is the synthetic `other` child, pushed before (so drawn after) its kept siblings.
  type Entry = { node: number; depth: number; x: number; otherValue?: number };
  const stack: Entry[] = [{ node: ROOT_NODE, depth: 0, x: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.otherValue !== undefined) {
      emit(entry.depth, entry.x, entry.otherValue, entry.otherValue, idOf(OTHER_NAME));
      truncation.otherNodes++;
      continue;
    }
    const { node, depth, x } = entry;
    emit(depth, x, tree.total[node]!, tree.self[node]!, node === ROOT_NODE ? 0 : idOf(nodeName(tree, node)));
    let childX = x + tree.self[node]!;
    let otherValue = 0;
    let otherCount = 0;
    const pending: Entry[] = [];
    for (const child of childrenOfNode(index, node)) {
      const total = tree.total[child]!;
      if (total < threshold || nodeName(tree, child) === OTHER_NAME) {
        otherValue += total;
        otherCount++;
        truncation.hiddenNodes += sizes[child]!;
        truncation.hiddenValue += total;
        continue;
      }
      pending.push({ node: child, depth: depth + 1, x: childX });
      childX += total;
    }
    if (otherCount > 0) stack.push({ node: -1, depth: depth + 1, x: childX, otherValue });
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!);
  }
  return { flamegraph: { names, levels, total: tree.total[ROOT_NODE]!, maxSelf }, truncation };
}

/** The nodes a max_nodes flame graph would draw, the rest folded into `other` children. */
export function truncateTree(tree: CallTree, maxNodes: number): CallTree {
  const threshold = truncationThreshold(tree.total, tree.nodeCount - 1, maxNodes);
  if (threshold === 0) return tree;
  const builder = new CallTreeBuilder();
  const otherId = builder.nameId(OTHER_NAME);
  const mapped = new Int32Array(tree.nodeCount).fill(-1);
  mapped[ROOT_NODE] = ROOT_NODE;
  for (let node = 1; node < tree.nodeCount; node++) {
    const parentCopy = mapped[tree.parent[node]!]!;
    if (parentCopy < 0) continue;
    if (tree.total[node]! < threshold || nodeName(tree, node) === OTHER_NAME) {
      builder.addSelf(builder.child(parentCopy, otherId), tree.total[node]!);
      continue;
    }
    const copy = builder.child(parentCopy, builder.nameId(nodeName(tree, node)));
    mapped[node] = copy;
    builder.addSelf(copy, tree.self[node]!);
  }
  return builder.build();
}

/** Upstream's empty answer: one level with the zero root. */
export function emptyFlameGraph(): FlameGraphData {
  return { names: ['total'], levels: [[0, 0, 0, 0]], total: 0, maxSelf: 0 };
}

/**
 * Per function: self = Σ self of its nodes; total = Σ total of its nodes that have no ancestor of
 * the same name (recursion counted once). Sorted by self, then total, descending.
 */
export function topTable(tree: CallTree, limit = Infinity): TopRow[] {
  return topTableAt(tree, ROOT_NODE, [], limit);
}

/**
 * The top table of the subtree at `viewRoot` as the focused tree (focusTree with keepPrefix)
 * presents it, without building that tree: `chain` are the names above V (root first, V excluded),
 * each counted once with V's total and no self, as the focused tree's prefix nodes are.
 */
export function topTableAt(tree: CallTree, viewRoot: number, chain: readonly string[], limit = Infinity): TopRow[] {
  const nameCount = tree.names.length;
  const self = new Float64Array(nameCount);
  const total = new Float64Array(nameCount);
  // onPath[name] = how many ancestors-or-self carry the name; kept along an iterative DFS.
  const onPath = new Int32Array(nameCount);
  if (viewRoot !== ROOT_NODE) {
    const idOf = new Map<string, number>();
    for (let n = 0; n < nameCount; n++) idOf.set(tree.names[n]!, n);
    const seen = new Set<string>();
    for (const name of chain) {
      if (seen.has(name)) continue;
      seen.add(name);
      // Chain names are names of V's ancestors, so they are in the table.
      const id = idOf.get(name);
      if (id === undefined) continue;
      onPath[id] = 1;
      total[id]! += tree.total[viewRoot]!;
    }
  }
  const index = childIndex(tree);
  const { start, children } = index;
  // Entries ≥ 0 enter a node, ~node leaves it (each node is on the stack at most twice).
  const stack = new Int32Array(2 * Math.max(1, tree.nodeCount));
  let top = 0;
  if (viewRoot === ROOT_NODE) for (let i = start[ROOT_NODE + 1]! - 1; i >= start[ROOT_NODE]!; i--) stack[top++] = children[i]!;
  else stack[top++] = viewRoot;
  while (top > 0) {
    const entry = stack[--top]!;
    if (entry < 0) {
      onPath[tree.nameIndex[~entry]!]!--;
      continue;
    }
    const name = tree.nameIndex[entry]!;
    self[name]! += tree.self[entry]!;
    if (onPath[name] === 0) total[name]! += tree.total[entry]!;
    onPath[name]!++;
    stack[top++] = ~entry;
    for (let i = start[entry + 1]! - 1; i >= start[entry]!; i--) stack[top++] = children[i]!;
  }
  const rows: TopRow[] = [];
  for (let n = 0; n < nameCount; n++) {
    if (self[n] === 0 && total[n] === 0) continue;
    rows.push({ name: tree.names[n]!, self: self[n]!, total: total[n]! });
  }
  rows.sort((a, b) => b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Number.isFinite(limit) ? rows.slice(0, limit) : rows;
}

export interface SandwichTrees {
  /** Root = the function; children = its callers, their children the callers' callers. */
  callers: CallTree;
  /** Root = the function; below it everything it calls. */
  callees: CallTree;
  self: number;
  total: number;
}

/**
 * Both sides of one function. Recursion: only occurrences with no ancestor of the same name
 * count, so nothing is counted twice.
 */
export function sandwich(tree: CallTree, functionName: string): SandwichTrees {
  const callers = new CallTreeBuilder();
  const callees = new CallTreeBuilder();
  const target = tree.names.indexOf(functionName);
  let self = 0;
  let total = 0;
  if (target >= 0) {
    const calleesRoot = callees.child(ROOT_NODE, callees.nameId(functionName));
    const callersRoot = callers.child(ROOT_NODE, callers.nameId(functionName));
    // mapped[n] = copy of node n under calleesRoot (for nodes below a topmost occurrence).
    const mapped = new Int32Array(tree.nodeCount).fill(-1);
    const hasTargetAbove = new Uint8Array(tree.nodeCount);
    for (let node = 1; node < tree.nodeCount; node++) {
      const parent = tree.parent[node]!;
      const isTarget = tree.nameIndex[node] === target;
      if (isTarget) self += tree.self[node]!;
      if (parent > 0 && (hasTargetAbove[parent] || tree.nameIndex[parent] === target)) hasTargetAbove[node] = 1;
      if (isTarget && !hasTargetAbove[node]) {
        total += tree.total[node]!;
        mapped[node] = calleesRoot;
        callees.addSelf(calleesRoot, tree.self[node]!);
        // Callers: walk up, root-most caller deepest.
        let callerNode = callersRoot;
        for (let up = parent; up > 0; up = tree.parent[up]!) callerNode = callers.child(callerNode, callers.nameId(nodeName(tree, up)));
        callers.addSelf(callerNode, tree.total[node]!);
      } else if (parent > 0 && mapped[parent]! >= 0) {
        const copy = callees.child(mapped[parent]!, callees.nameId(nodeName(tree, node)));
        mapped[node] = copy;
        callees.addSelf(copy, tree.self[node]!);
      }
    }
  }
  return { callers: callers.build(), callees: callees.build(), self, total };
}

export interface FlameGraphDiffData {
  names: string[];
  /** Per level, groups of [xL_delta, totalL, selfL, xR_delta, totalR, selfR, name_index]. */
  levels: number[][];
  total: number;
  maxSelf: number;
  leftTicks: number;
  rightTicks: number;
}

/** §3.4: both trees aligned by name path; truncation by the larger side's total. */
export function diffFlameGraph(left: CallTree, right: CallTree, maxNodes = DEFAULT_MAX_NODES): FlameGraphDiffData {
  // Align into one tree whose nodes carry both sides.
  const builder = new CallTreeBuilder();
  const leftOf: number[] = [];
  const rightOf: number[] = [];
  const mapInto = (tree: CallTree, into: number[]): void => {
    const mapped = new Int32Array(tree.nodeCount);
    mapped[0] = ROOT_NODE;
    into[ROOT_NODE] = 0;
    for (let node = 1; node < tree.nodeCount; node++) {
      const copy = builder.child(mapped[tree.parent[node]!]!, builder.nameId(nodeName(tree, node)));
      mapped[node] = copy;
      into[copy] = node;
    }
  };
  mapInto(left, leftOf);
  mapInto(right, rightOf);
  const merged = builder.build();
  const count = merged.nodeCount;
  const totalL = new Float64Array(count);
  const selfL = new Float64Array(count);
  const totalR = new Float64Array(count);
  const selfR = new Float64Array(count);
  for (let node = 0; node < count; node++) {
    const l = leftOf[node];
    const r = rightOf[node];
    if (l !== undefined) {
      totalL[node] = left.total[l]!;
      selfL[node] = left.self[l]!;
    }
    if (r !== undefined) {
      totalR[node] = right.total[r]!;
      selfR[node] = right.self[r]!;
    }
  }
  const larger = new Float64Array(count);
  for (let node = 0; node < count; node++) larger[node] = Math.max(totalL[node]!, totalR[node]!);
  const threshold = truncationThreshold(larger, count - 1, maxNodes);
  const index: ChildIndex = childIndex(merged);
  const nameTable = new StringTable(['total']);
  const names = nameTable.strings;
  const idOf = (name: string): number => nameTable.id(name);
  const levels: number[][] = [];
  const endL: number[] = [];
  const endR: number[] = [];
  let maxSelf = 0;
  const emit = (depth: number, xl: number, tl: number, sl: number, xr: number, tr: number, sr: number, nameId: number): void => {
    const level = (levels[depth] ??= []);
    level.push(xl - (endL[depth] ?? 0), tl, sl, xr - (endR[depth] ?? 0), tr, sr, nameId);
    endL[depth] = xl + tl;
    endR[depth] = xr + tr;
    maxSelf = Math.max(maxSelf, sl, sr);
  };
  type Entry = { node: number; depth: number; xl: number; xr: number; other?: [number, number] };
  const stack: Entry[] = [{ node: ROOT_NODE, depth: 0, xl: 0, xr: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.other) {
      const [ol, or] = entry.other;
      emit(entry.depth, entry.xl, ol, ol, entry.xr, or, or, idOf(OTHER_NAME));
      continue;
    }
    const { node, depth, xl, xr } = entry;
    emit(depth, xl, totalL[node]!, selfL[node]!, xr, totalR[node]!, selfR[node]!, node === ROOT_NODE ? 0 : idOf(nodeName(merged, node)));
    let childXl = xl + selfL[node]!;
    let childXr = xr + selfR[node]!;
    let otherL = 0;
    let otherR = 0;
    let hasOther = false;
    const pending: Entry[] = [];
    for (const child of childrenOfNode(index, node)) {
      if (larger[child]! < threshold || nodeName(merged, child) === OTHER_NAME) {
        otherL += totalL[child]!;
        otherR += totalR[child]!;
        hasOther = true;
        continue;
      }
      pending.push({ node: child, depth: depth + 1, xl: childXl, xr: childXr });
      childXl += totalL[child]!;
      childXr += totalR[child]!;
    }
    if (hasOther) stack.push({ node: -1, depth: depth + 1, xl: childXl, xr: childXr, other: [otherL, otherR] });
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!);
  }
  const leftTicks = totalL[ROOT_NODE]!;
  const rightTicks = totalR[ROOT_NODE]!;
  return { names, levels, total: leftTicks + rightTicks, maxSelf, leftTicks, rightTicks };
}

/** §3.5 tree bytes: pre-order, `uvarint nameLen, name, uvarint self, uvarint childCount`. */
export function treeBytes(tree: CallTree, maxNodes = DEFAULT_MAX_NODES): Uint8Array {
  const encoder = new TextEncoder();
  const index = childIndex(tree);
  const threshold = truncationThreshold(tree.total, tree.nodeCount - 1, maxNodes);
  const out = new ProtoWriter();
  type Entry = { node: number } | { other: number };
  const stack: Entry[] = [{ node: ROOT_NODE }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if ('other' in entry) {
      out.bytes(encoder.encode(OTHER_NAME));
      out.uvarint(entry.other);
      out.uvarint(0);
      continue;
    }
    const node = entry.node;
    const kept: number[] = [];
    let otherValue = 0;
    let hasOther = false;
    for (const child of childrenOfNode(index, node)) {
      if (tree.total[child]! < threshold || nodeName(tree, child) === OTHER_NAME) {
        otherValue += tree.total[child]!;
        hasOther = true;
      } else kept.push(child);
    }
    out.bytes(node === ROOT_NODE ? new Uint8Array(0) : encoder.encode(nodeName(tree, node)));
    out.uvarint(tree.self[node]!);
    out.uvarint(kept.length + (hasOther ? 1 : 0));
    if (hasOther) stack.push({ other: otherValue });
    for (let i = kept.length - 1; i >= 0; i--) stack.push({ node: kept[i]! });
  }
  return out.finish();
}

/** Collapsed text (`a;b;c 3`) of every node with self > 0, for exports and tests. */
export function collapsedFromTree(tree: CallTree): string {
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
