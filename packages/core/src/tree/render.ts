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
  // Output ids by the tree's name index: hashing a long frame name once per node was most of the cost.
  const outputIdOfName = new Int32Array(tree.names.length).fill(-1);
  const idOfNode = (node: number): number => {
    const nameIdx = tree.nameIndex[node]!;
    let id = outputIdOfName[nameIdx]!;
    if (id < 0) outputIdOfName[nameIdx] = id = idOf(tree.names[nameIdx]!);
    return id;
  };
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
    emit(depth, x, tree.total[node]!, tree.self[node]!, node === ROOT_NODE ? 0 : idOfNode(node));
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
    // Builder ids by name index: each distinct name is hashed once, not once per node.
    const builderIdOfName = new Int32Array(tree.names.length).fill(-1);
    for (let node = 1; node < tree.nodeCount; node++) {
      const nameIdx = tree.nameIndex[node]!;
      let nameId = builderIdOfName[nameIdx]!;
      if (nameId < 0) builderIdOfName[nameIdx] = nameId = builder.nameId(tree.names[nameIdx]!);
      const copy = builder.child(mapped[tree.parent[node]!]!, nameId);
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
  const outputIdOfName = new Int32Array(merged.names.length).fill(-1);
  const idOfNode = (node: number): number => {
    const nameIdx = merged.nameIndex[node]!;
    let id = outputIdOfName[nameIdx]!;
    if (id < 0) outputIdOfName[nameIdx] = id = idOf(merged.names[nameIdx]!);
    return id;
  };
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
    emit(depth, xl, totalL[node]!, selfL[node]!, xr, totalR[node]!, selfR[node]!, node === ROOT_NODE ? 0 : idOfNode(node));
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
  const encodedNames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(tree.names.length);
  const encodedName = (node: number): Uint8Array => {
    const nameIdx = tree.nameIndex[node]!;
    return (encodedNames[nameIdx] ??= encoder.encode(tree.names[nameIdx]!));
  };
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
    out.bytes(node === ROOT_NODE ? new Uint8Array(0) : encodedName(node));
    out.uvarint(tree.self[node]!);
    out.uvarint(kept.length + (hasOther ? 1 : 0));
    if (hasOther) stack.push({ other: otherValue });
    for (let i = kept.length - 1; i >= 0; i--) stack.push({ node: kept[i]! });
  }
  return out.finish();
}

/**
 * Collapsed text (`a;b;c 3`) of every node with self > 0, lines sorted, for exports: collapsedChunks
 * drained at once (the server drains it in paced slices instead).
 */
export function collapsedFromTree(tree: CallTree): string {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (const chunk of collapsedChunks(tree)) {
    if (chunk === null) continue;
    chunks.push(chunk);
    length += chunk.length;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/** Work units (items sorted, nodes visited, lines written) between two pause points of a paced encoder. */
const PACED_STEP = 4096;

/**
 * `collapsedFromTree`'s text as UTF-8, made a slice at a time: yields a chunk when ~chunkBytes are
 * ready and `null` where the caller may pause with no bytes ready, so a server can give the event
 * loop a turn between slices. A merged tree's folded text is easily 10+ MB; built as one string,
 * sorted, joined and encoded on the main thread, it blocked the loop for 100–500 ms.
 *
 * Folded text, every node with self > 0 as `a;b;c 3`, lines in UTF-16 code-unit order (a property
 * test compares it with sorting the lines). Instead of sorting the lines it walks the tree: all lines below a node share its path plus
 * `;`, so they form one contiguous run of the sorted output, and the runs and lines of siblings
 * sort by their keys `name;` and `name value`. That holds unless a name contains `;` (a sibling's
 * line could then fall inside another's run), siblings share a name, or a top-level name is empty
 * (its children's lines have no `;` prefix); then the lines are sorted, in paced merge passes.
 */
export function* collapsedChunks(tree: CallTree, chunkBytes = 64 * 1024): Generator<Uint8Array | null, void, undefined> {
  const { names, nameIndex, parent, self, nodeCount } = tree;
  let simple = true;
  for (let i = 0; i < names.length && simple; i++) {
    if (names[i]!.includes(';')) simple = false;
    if (i % PACED_STEP === PACED_STEP - 1) yield null;
  }
  // Children of every node in CSR layout, sorted by name below.
  const start = new Int32Array(nodeCount + 1);
  for (let node = 1; node < nodeCount; node++) start[parent[node]! + 1]!++;
  for (let n = 0; n < nodeCount; n++) start[n + 1]! += start[n]!;
  const fill = start.slice(0, nodeCount);
  const children = new Int32Array(Math.max(0, nodeCount - 1));
  for (let node = 1; node < nodeCount; node++) {
    children[fill[parent[node]!]!++] = node;
    if (node % (PACED_STEP * 16) === 0) yield null;
  }
  for (let i = start[ROOT_NODE]!; i < start[ROOT_NODE + 1]! && simple; i++) if (names[nameIndex[children[i]!]!] === '') simple = false;
  if (!simple) {
    yield* collapsedBySort(tree, chunkBytes);
    return;
  }
  const rank = yield* nameRanksPaced(names);
  const byRank = (a: number, b: number): boolean => rank[nameIndex[a]!]! < rank[nameIndex[b]!]!;
  let work = 0;
  for (let n = 0; n < nodeCount; n++) {
    const from = start[n]!;
    const to = start[n + 1]!;
    work++;
    if (to - from > 1) {
      let sorted = true;
      for (let i = from + 1; i < to && sorted; i++) if (!byRank(children[i - 1]!, children[i]!)) sorted = false;
      if (!sorted) {
        children.set(yield* sortPaced(Array.from(children.subarray(from, to)), byRank), from);
        for (let i = from + 1; i < to; i++) if (rank[nameIndex[children[i - 1]!]!] === rank[nameIndex[children[i]!]!]) simple = false;
      }
      work += to - from;
    }
    if (work >= PACED_STEP) {
      work = 0;
      yield null;
    }
  }
  if (!simple) {
    yield* collapsedBySort(tree, chunkBytes);
    return;
  }

  const out = new ChunkedBytes(chunkBytes);
  // The UTF-8 bytes of the path being walked; each frame keeps the length of its own path.
  let path = new Uint8Array(4096);
  const ensurePath = (length: number): void => {
    if (length <= path.length) return;
    const bigger = new Uint8Array(Math.max(length, path.length * 2));
    bigger.set(path);
    path = bigger;
  };
  /** Appends `;name` (or `name` after an empty path) at `pathLength`; returns the new length. */
  const pushName = (pathLength: number, name: string): number => {
    ensurePath(pathLength + 1 + 3 * name.length);
    let at = pathLength;
    if (pathLength > 0) path[at++] = 0x3b;
    return writeUtf8(path, at, name);
  };
  // A frame walks its node's items: item 2i is child i's line, 2i+1 the run of lines below it; in
  // name order unless a sibling's name extends another's (`a` and `a.b`: `a;…` sorts after `a.b …`).
  const frameNode: number[] = [];
  const framePath: number[] = [];
  const framePos: number[] = [];
  const frameItems: (number[] | null)[] = [];
  const enter = function* (node: number, pathLength: number): Generator<null, void, undefined> {
    frameNode.push(node);
    framePath.push(pathLength);
    framePos.push(0);
    const from = start[node]!;
    const to = start[node + 1]!;
    let extended = false;
    for (let i = from + 1; i < to && !extended; i++) if (names[nameIndex[children[i]!]!]!.startsWith(names[nameIndex[children[i - 1]!]!]!)) extended = true;
    if (!extended) {
      frameItems.push(null);
      return;
    }
    const keys: string[] = [];
    const itemOfKey: number[] = [];
    for (let c = from; c < to; c++) {
      const child = children[c]!;
      const name = names[nameIndex[child]!]!;
      if (self[child] !== 0) {
        keys.push(`${name} ${self[child]}`);
        itemOfKey.push(2 * (c - from));
      }
      if (start[child + 1]! > start[child]!) {
        keys.push(`${name};`);
        itemOfKey.push(2 * (c - from) + 1);
      }
    }
    const order = yield* sortPaced(Array.from(keys.keys()), (x, y) => keys[x]! < keys[y]!);
    const items = order.map((k) => itemOfKey[k]!);
    frameItems.push(items);
  };
  yield* enter(ROOT_NODE, 0);
  let first = true;
  while (frameNode.length > 0) {
    const top = frameNode.length - 1;
    const node = frameNode[top]!;
    const items = frameItems[top]!;
    const itemCount = items ? items.length : 2 * (start[node + 1]! - start[node]!);
    const pos = framePos[top]!;
    if (pos >= itemCount) {
      frameNode.pop();
      framePath.pop();
      framePos.pop();
      frameItems.pop();
      continue;
    }
    framePos[top] = pos + 1;
    const item = items ? items[pos]! : pos;
    const child = children[start[node]! + (item >> 1)]!;
    const parentPath = framePath[top]!;
    if ((item & 1) === 1) {
      if (start[child + 1]! > start[child]!) yield* enter(child, pushName(parentPath, names[nameIndex[child]!]!));
    } else if (self[child] !== 0) {
      const end = pushName(parentPath, names[nameIndex[child]!]!);
      const value = `${self[child]}`;
      const line = out.reserve(end + value.length + 2);
      let at = out.length;
      if (!first) line[at++] = 0x0a;
      first = false;
      line.set(path.subarray(0, end), at);
      at += end;
      line[at++] = 0x20;
      for (let i = 0; i < value.length; i++) line[at++] = value.charCodeAt(i);
      out.length = at;
      const full = out.takeIfFull();
      if (full) yield full;
    }
    if (++work >= PACED_STEP) {
      work = 0;
      yield null;
    }
  }
  const rest = out.take();
  if (rest) yield rest;
}

/** The general case of collapsedChunks: every line made, then sorted in paced merge passes. */
function* collapsedBySort(tree: CallTree, chunkBytes: number): Generator<Uint8Array | null, void, undefined> {
  const paths: string[] = new Array<string>(tree.nodeCount);
  paths[ROOT_NODE] = '';
  const lines: string[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    const parentPath = paths[tree.parent[node]!]!;
    paths[node] = parentPath === '' ? nodeName(tree, node) : `${parentPath};${nodeName(tree, node)}`;
    if (tree.self[node]! !== 0) lines.push(`${paths[node]} ${tree.self[node]}`);
    if (node % PACED_STEP === 0) yield null;
  }
  const sorted = yield* sortPaced(lines, (a, b) => a < b);
  const out = new ChunkedBytes(chunkBytes);
  for (let i = 0; i < sorted.length; i++) {
    const line = sorted[i]!;
    const bytes = out.reserve(3 * line.length + 1);
    let at = out.length;
    if (i > 0) bytes[at++] = 0x0a;
    out.length = writeUtf8(bytes, at, line);
    const full = out.takeIfFull();
    if (full) yield full;
    else if (i % PACED_STEP === PACED_STEP - 1) yield null;
  }
  const rest = out.take();
  if (rest) yield rest;
}

/** rank[i] = position of names[i] in UTF-16 code-unit order (equal names share a rank). */
function* nameRanksPaced(names: readonly string[]): Generator<null, Int32Array, undefined> {
  const order = yield* sortPaced(Array.from(names.keys()), (a, b) => names[a]! < names[b]!);
  const rank = new Int32Array(names.length);
  for (let i = 0; i < order.length; i++) rank[order[i]!] = i > 0 && names[order[i]!] === names[order[i - 1]!] ? rank[order[i - 1]!]! : i;
  return rank;
}

/**
 * A stable merge sort that yields `null` every PACED_STEP moves: `Array.prototype.sort` cannot be
 * interrupted, and on a million strings it is a block of its own.
 */
function* sortPaced<T>(items: T[], before: (a: T, b: T) => boolean): Generator<null, T[], undefined> {
  const n = items.length;
  let src = items;
  if (n < 2) return src;
  let work = 0;
  // Runs of 16 by insertion sort, then merges of doubling width.
  const run = 16;
  for (let low = 0; low < n; low += run) {
    const high = Math.min(low + run, n);
    for (let i = low + 1; i < high; i++) {
      const value = src[i]!;
      let j = i - 1;
      while (j >= low && before(value, src[j]!)) {
        src[j + 1] = src[j]!;
        j--;
      }
      src[j + 1] = value;
    }
    work += 4 * run;
    if (work >= PACED_STEP) {
      work = 0;
      yield null;
    }
  }
  let dst = new Array<T>(n);
  for (let width = run; width < n; width *= 2) {
    for (let low = 0; low < n; low += 2 * width) {
      const mid = Math.min(low + width, n);
      const high = Math.min(low + 2 * width, n);
      let i = low;
      let j = mid;
      let k = low;
      while (k < high) {
        dst[k++] = j >= high || (i < mid && !before(src[j]!, src[i]!)) ? src[i++]! : src[j++]!;
        if (++work >= PACED_STEP) {
          work = 0;
          yield null;
        }
      }
    }
    const swap = src;
    src = dst;
    dst = swap;
  }
  return src;
}

/** Output bytes in chunks of about `chunkBytes`: write at `length` into `reserve(n)`'s array. */
class ChunkedBytes {
  private buffer: Uint8Array;
  private pending: Uint8Array[] = [];
  length = 0;

  constructor(private readonly chunkBytes: number) {
    this.buffer = new Uint8Array(chunkBytes);
  }

  /** The current chunk with room for `bytes` more at `length` (a new chunk if it had no room; the full one is kept for takeIfFull). */
  reserve(bytes: number): Uint8Array {
    if (this.length + bytes <= this.buffer.length) return this.buffer;
    if (this.length > 0) this.pending.push(this.buffer.subarray(0, this.length));
    this.buffer = new Uint8Array(Math.max(this.chunkBytes, bytes));
    this.length = 0;
    return this.buffer;
  }

  /** A finished chunk, if any. */
  takeIfFull(): Uint8Array | null {
    if (this.pending.length === 0) return null;
    const chunks = this.pending;
    this.pending = [];
    return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
  }

  /** Whatever is left (call once at the end). */
  take(): Uint8Array | null {
    if (this.length > 0) this.pending.push(this.buffer.subarray(0, this.length));
    this.length = 0;
    return this.takeIfFull();
  }
}

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Writes `text` as UTF-8 at `at` (room for 3 bytes per UTF-16 unit needed); returns the end. Lone
 * surrogates become U+FFFD, as TextEncoder and Buffer write them.
 */
function writeUtf8(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
      continue;
    }
    if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[at++] = 0xf0 | (c >> 18);
        out[at++] = 0x80 | ((c >> 12) & 0x3f);
        out[at++] = 0x80 | ((c >> 6) & 0x3f);
        out[at++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[at++] = 0xe0 | (c >> 12);
    out[at++] = 0x80 | ((c >> 6) & 0x3f);
    out[at++] = 0x80 | (c & 0x3f);
  }
  return at;
}
