/**
 * Client-side half of level-of-detail flame graphs (flamegraph/treeWire.ts is the wire half):
 * splicing a zoom answer into the tree already shown, laying a partial tree out as flame-graph
 * frames, and the exact search totals the server sends with an answer.
 *
 * Invariant the tests hold: every node of a spliced tree has the total and self of the node with
 * the same path in the untruncated tree, and the root total never changes.
 */
import { substringTest, type FlameFrames } from '../flamegraph/layout.js';
import type { DecodedTreeWire, LodTree } from '../flamegraph/treeWire.js';
import { compileUserRegex } from '../regex.js';
import { ChildTable, ROOT_NODE, type CallTree } from './callTree.js';
import { StringTable } from '../stringTable.js';

function powerOfTwoAtLeast(n: number): number {
  let p = 1 << 4;
  while (p < n) p *= 2;
  return p;
}

/**
 * `base` with `detail` (an answer for the subtree at `detail.header.focusPath`) merged in: the union
 * of both node sets, matched by path. Nodes `detail` carries take its values (the newer read); a
 * node stays truncated only while the union still lacks some of its value.
 */
export function spliceLod(base: LodTree, detail: Pick<DecodedTreeWire, 'tree'> & { header: { viewRootNode: number } }): LodTree {
  const add = detail.tree;
  if (detail.header.viewRootNode < 0 || add.nodeCount === 0) return base;
  if (base.nodeCount === 0) return add;
  const capacity = base.nodeCount + add.nodeCount;
  const names = new StringTable();
  const children = new ChildTable(powerOfTwoAtLeast(capacity * 2));
  const parent = new Int32Array(capacity);
  const nameIndex = new Int32Array(capacity);
  const self = new Float64Array(capacity);
  const total = new Float64Array(capacity);
  const truncated = new Uint8Array(capacity);
  parent[0] = -1;
  nameIndex[0] = -1;
  self[0] = base.self[0]!;
  total[0] = base.total[0]!;
  truncated[0] = base.truncated[0]!;
  let count = 1;
  const baseNames = base.names.map((name) => names.id(name));
  for (let node = 1; node < base.nodeCount; node++) {
    const name = baseNames[base.nameIndex[node]!]!;
    parent[node] = base.parent[node]!;
    nameIndex[node] = name;
    self[node] = base.self[node]!;
    total[node] = base.total[node]!;
    truncated[node] = base.truncated[node]!;
    children.set(parent[node]!, name, node);
    count++;
  }
  const addNames = add.names.map((name) => names.id(name));
  const mapped = new Int32Array(add.nodeCount);
  for (let node = 0; node < add.nodeCount; node++) {
    let into = ROOT_NODE;
    if (node !== ROOT_NODE) {
      const p = mapped[add.parent[node]!]!;
      const name = addNames[add.nameIndex[node]!]!;
      into = children.get(p, name);
      if (into < 0) {
        into = count++;
        parent[into] = p;
        nameIndex[into] = name;
        truncated[into] = add.truncated[node]!;
        children.set(p, name, into);
      } else truncated[into] = truncated[into]! & add.truncated[node]!;
    } else truncated[into] = truncated[into]! & add.truncated[node]!;
    mapped[node] = into;
    self[into] = add.self[node]!;
    total[into] = add.total[node]!;
  }
  // Two partial answers can together hold every child of a node each one had cut.
  const childSum = new Float64Array(count);
  for (let node = 1; node < count; node++) childSum[parent[node]!]! += total[node]!;
  for (let node = 0; node < count; node++) {
    if (truncated[node] === 1 && self[node]! + childSum[node]! >= total[node]!) truncated[node] = 0;
  }
  return {
    names: names.strings,
    nodeCount: count,
    parent: parent.slice(0, count),
    nameIndex: nameIndex.slice(0, count),
    self: self.slice(0, count),
    total: total.slice(0, count),
    truncated: truncated.slice(0, count),
  };
}

/** Frames of a partial tree, plus which tree node each frame is and whether it is truncated. */
export interface LodFrames extends FlameFrames {
  /** frame → node of the LodTree it was laid out from. */
  readonly treeNode: Int32Array;
  /** 1 when the frame's children were not all sent (its hidden part is blank space at its right end). */
  readonly truncated: Uint8Array;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lays a partial tree out as the renderer's frames (flamegraph/layout.ts), unchanged renderer:
 * children sit at x(parent) + self(parent) in ascending name order, exactly as for a full tree;
 * the value of children that were not sent is left blank after the last sent child.
 * `names[0]` is `total` (the virtual root), tree name i is frame name i + 1.
 */
export function framesFromLodTree(tree: CallTree & { truncated?: Uint8Array }): LodFrames {
  const count = tree.nodeCount;
  const names = ['total', ...tree.names];
  // Sorted children in CSR form.
  const start = new Int32Array(count + 1);
  for (let node = 1; node < count; node++) start[tree.parent[node]! + 1]!++;
  for (let node = 0; node < count; node++) start[node + 1]! += start[node]!;
  const fill = start.slice(0, count);
  const kids = new Int32Array(Math.max(0, count - 1));
  for (let node = 1; node < count; node++) kids[fill[tree.parent[node]!]!++] = node;
  const nameOf = (node: number): string => tree.names[tree.nameIndex[node]!]!;
  for (let node = 0; node < count; node++) {
    const from = start[node]!;
    const to = start[node + 1]!;
    if (to - from > 1) kids.set(Array.from(kids.subarray(from, to)).sort((a, b) => compareNames(nameOf(a), nameOf(b))), from);
  }
  const depth = new Uint32Array(count);
  const startValue = new Float64Array(count);
  const totalValues = new Float64Array(count);
  const selfValues = new Float64Array(count);
  const nameIndex = new Uint32Array(count);
  const parent = new Int32Array(count);
  const treeNode = new Int32Array(count);
  const truncated = new Uint8Array(count);
  const frameOf = new Int32Array(count);
  const xOf = new Float64Array(count);
  // Breadth-first with children in name order = level order with ascending x in each row.
  let head = 0;
  let tail = 0;
  const rowStarts: number[] = [];
  if (count > 0) {
    treeNode[tail++] = ROOT_NODE;
    frameOf[ROOT_NODE] = 0;
  }
  while (head < tail) {
    const frame = head++;
    const node = treeNode[frame]!;
    const p = node === ROOT_NODE ? -1 : tree.parent[node]!;
    const d = p < 0 ? 0 : depth[frameOf[p]!]! + 1;
    if (rowStarts.length === d) rowStarts.push(frame);
    depth[frame] = d;
    startValue[frame] = xOf[node]!;
    totalValues[frame] = tree.total[node]!;
    selfValues[frame] = tree.self[node]!;
    nameIndex[frame] = node === ROOT_NODE ? 0 : tree.nameIndex[node]! + 1;
    parent[frame] = p < 0 ? -1 : frameOf[p]!;
    truncated[frame] = tree.truncated?.[node] ?? 0;
    let childX = xOf[node]! + tree.self[node]!;
    for (let i = start[node]!; i < start[node + 1]!; i++) {
      const child = kids[i]!;
      xOf[child] = childX;
      childX += tree.total[child]!;
      frameOf[child] = tail;
      treeNode[tail++] = child;
    }
  }
  const rowStart = new Uint32Array(rowStarts.length + 1);
  rowStart.set(rowStarts);
  rowStart[rowStarts.length] = count;
  return {
    count,
    names,
    totalValue: count > 0 ? tree.total[ROOT_NODE]! : 0,
    depth,
    startValue,
    totalValues,
    selfValues,
    nameIndex,
    parent,
    rowStart,
    rowCount: rowStarts.length,
    treeNode,
    truncated,
  };
}

export interface TreeSearchQuery {
  text: string;
  /** RE2 syntax, case-insensitive; otherwise a case-insensitive substring. */
  regex: boolean;
}

/** A name test as the flame graph's search box applies it; throws UserRegexError for a bad pattern. */
export function frameNameMatcher(query: TreeSearchQuery): (name: string) => boolean {
  if (query.regex) {
    const pattern = compileUserRegex(query.text, { caseInsensitive: true });
    return (name) => pattern.matchesPart(name);
  }
  return substringTest(query.text);
}
