/**
 * Level-of-detail flame-graph trees and their binary wire format (`format=tree` of
 * /api/v1/flamegraph; the contract is /work/notes/lod.md, summarised here).
 *
 * The server keeps the whole merged tree and sends, for the client's width in CSS pixels, only the
 * nodes at least one pixel wide under the view root V (the focused node or the virtual root):
 * node n is sent iff total(n) · width ≥ total(V). Every sent value is exact (from the untruncated
 * tree); a node whose children were not all sent is marked `truncated`, its hidden part is blank
 * space, never a made-up `other` frame. With a focus, the chain root → V is sent too, with the
 * chain nodes' real values, so the client can splice the answer into what it already has
 * (tree/lodSplice.ts).
 *
 * Layout (little-endian):
 *   0  "CFT1"; 4 u32 headerByteLength H; 8 header JSON (UTF-8) padded with zeros to a multiple of 8;
 *   then Float64 total[n], Float64 self[n], Int32 parent[n], Int32 nameIndex[n],
 *   Uint32 nameOffset[nameCount + 1] (byte offsets into the names blob), Uint8 truncated[n],
 *   the UTF-8 names blob, zero padding to a multiple of 8.
 * Nodes are in pre-order with siblings in ascending (byte-wise) name order, so parent[i] < i.
 */
import type { TopRow } from '../api.js';
import { ROOT_NODE, type CallTree } from '../tree/callTree.js';

export const TREE_WIRE_MAGIC = 'CFT1';
export const TREE_WIRE_CONTENT_TYPE = 'application/vnd.cinder.tree';
export const DEFAULT_LOD_WIDTH_CSS_PX = 1200;
export const MAX_LOD_WIDTH_CSS_PX = 16384;

/** A call tree of which only some nodes are present; truncated[n] = 1 when some children of n are not. */
export interface LodTree extends CallTree {
  readonly truncated: Uint8Array;
}

export interface TreeWireSearch {
  text: string;
  regex: boolean;
  /** Σ total of matching nodes that have no matching ancestor (a match inside a match counts once). */
  matchedTotal: number;
  /** Σ self of matching nodes. */
  matchedSelf: number;
}

export interface TreeWireHeader {
  profileTypeId: string;
  unit: string;
  profileCount: number;
  /**
   * How Cinder's API reports this type: 'average' for gauges (in-use memory, goroutines), whose
   * JSON answer is the mean over `profileCount`. Values on the wire are always the exact sums (so
   * answers splice exactly); a client shows value / profileCount for 'average'.
   */
  aggregation: 'sum' | 'average';
  fromMs: number;
  untilMs: number;
  nodeCount: number;
  nameCount: number;
  namesByteLength: number;
  width: number;
  /** Root-first path of the view root V; [] = the virtual root. */
  focusPath: string[];
  /** Index of V in this answer; -1 when the focus path does not exist in the selection. */
  viewRootNode: number;
  /** Nodes of the untruncated (focused) tree the answer was cut from. */
  fullNodeCount: number;
  /** Exact, on the untruncated (focused) tree. */
  top: TopRow[];
  search?: TreeWireSearch;
}

/** What the caller provides; the node/name counts and blob length come from the tree. */
export type TreeWireMeta = Omit<TreeWireHeader, 'nodeCount' | 'nameCount' | 'namesByteLength'>;

export interface DecodedTreeWire {
  header: TreeWireHeader;
  tree: LodTree;
}

export interface LodSelection {
  tree: LodTree;
  /** V's index in `tree`; -1 when the focus path is not in the tree (then `tree` is the root alone). */
  viewRootNode: number;
  /** Node count of the untruncated tree the client would otherwise get (the focused one with a focus). */
  fullNodeCount: number;
  /** V's index in the source tree; -1 when missing. */
  sourceViewRoot: number;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The node at a root-first path, found in one forward scan: a node's children all have larger
 * indices than it, so walking the indices once meets each path step after the previous one
 * (siblings never share a name). No child index is built, so this is O(nodes) with no allocation.
 */
export function findPathNode(tree: CallTree, path: readonly string[]): number {
  if (path.length === 0) return ROOT_NODE;
  const wanted = new Map<string, number>();
  for (let i = 0; i < tree.names.length; i++) wanted.set(tree.names[i]!, i);
  const ids: number[] = [];
  for (const name of path) {
    const id = wanted.get(name);
    if (id === undefined) return -1;
    ids.push(id);
  }
  let current = ROOT_NODE;
  let depth = 0;
  for (let node = 1; node < tree.nodeCount && depth < ids.length; node++) {
    if (tree.parent[node] === current && tree.nameIndex[node] === ids[depth]) {
      current = node;
      depth++;
    }
  }
  return depth === ids.length ? current : -1;
}

/**
 * The level-of-detail cut of `tree` for a client `widthCssPx` wide, viewing the node at `focusPath`.
 * One pass over the typed arrays decides what is sent; only the sent nodes (≤ width per depth) are
 * then sorted and ordered.
 */
export function selectLod(tree: CallTree, options: { widthCssPx: number; focusPath?: readonly string[] }): LodSelection {
  const width = options.widthCssPx;
  const path = options.focusPath ?? [];
  const nodeCount = tree.nodeCount;
  const { parent, total } = tree;
  const view = nodeCount > 0 ? findPathNode(tree, path) : -1;
  // sent: 1 = in the answer. Chain nodes (strict ancestors of V) are sent too.
  const sent = new Uint8Array(nodeCount);
  const truncated = new Uint8Array(nodeCount);
  const onChain = new Uint8Array(nodeCount);
  let fullNodeCount = nodeCount;
  if (view < 0) {
    sent[ROOT_NODE] = 1;
    truncated[ROOT_NODE] = nodeCount > 1 ? 1 : 0;
    fullNodeCount = 1;
  } else {
    for (let node = view; node >= 0; node = node === ROOT_NODE ? -1 : parent[node]!) {
      sent[node] = 1;
      if (node !== view) onChain[node] = 1;
    }
    const viewTotal = total[view]!;
    // inSubtree: V or below it; parents come first, so one forward pass classifies every node.
    const inSubtree = new Uint8Array(nodeCount);
    inSubtree[view] = 1;
    let subtreeCount = 1;
    for (let node = 1; node < nodeCount; node++) {
      const p = parent[node]!;
      if (inSubtree[p] === 1) {
        inSubtree[node] = 1;
        subtreeCount++;
        if (sent[p] === 1) {
          if (total[node]! * width >= viewTotal) sent[node] = 1;
          else truncated[p] = 1;
        }
      } else if (onChain[p] === 1 && onChain[node] === 0 && node !== view) truncated[p] = 1;
    }
    if (path.length > 0) fullNodeCount = 1 + (path.length - 1) + subtreeCount;
  }
  const lod = orderedCut(tree, sent, truncated);
  return { tree: lod.tree, viewRootNode: view < 0 ? -1 : lod.newIndex[view]!, fullNodeCount, sourceViewRoot: view };
}

/** The sent nodes of `tree` in wire order (pre-order, siblings by name), names remapped to the used ones. */
function orderedCut(tree: CallTree, sent: Uint8Array, truncatedIn: Uint8Array): { tree: LodTree; newIndex: Int32Array } {
  const nodeCount = tree.nodeCount;
  // Compact ids of sent nodes in index order (parents first).
  const compact = new Int32Array(nodeCount).fill(-1);
  const original: number[] = [];
  for (let node = 0; node < nodeCount; node++) {
    if (sent[node] === 1) {
      compact[node] = original.length;
      original.push(node);
    }
  }
  const count = original.length;
  // CSR of sent children per sent parent.
  const start = new Int32Array(count + 1);
  for (let c = 1; c < count; c++) start[compact[tree.parent[original[c]!]!]! + 1]!++;
  for (let c = 0; c < count; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, count);
  const children = new Int32Array(Math.max(0, count - 1));
  for (let c = 1; c < count; c++) children[fill[compact[tree.parent[original[c]!]!]!]!++] = c;
  const nameOf = (c: number): string => tree.names[tree.nameIndex[original[c]!]!]!;
  for (let c = 0; c < count; c++) {
    const from = start[c]!;
    const to = start[c + 1]!;
    if (to - from > 1) {
      const sorted = Array.from(children.subarray(from, to)).sort((a, b) => compareNames(nameOf(a), nameOf(b)));
      children.set(sorted, from);
    }
  }
  const outTotal = new Float64Array(count);
  const outSelf = new Float64Array(count);
  const outParent = new Int32Array(count);
  const outName = new Int32Array(count);
  const outTruncated = new Uint8Array(count);
  const names: string[] = [];
  const nameMap = new Int32Array(tree.names.length).fill(-1);
  const newIndex = new Int32Array(nodeCount).fill(-1);
  const newOfCompact = new Int32Array(count);
  // Pre-order with an explicit stack (deep stacks must not hit the recursion limit).
  const stack = new Int32Array(count);
  let top = 0;
  if (count > 0) stack[top++] = 0;
  let next = 0;
  while (top > 0) {
    const c = stack[--top]!;
    const node = original[c]!;
    const index = next++;
    newOfCompact[c] = index;
    newIndex[node] = index;
    outTotal[index] = tree.total[node]!;
    outSelf[index] = tree.self[node]!;
    outTruncated[index] = truncatedIn[node]!;
    if (node === ROOT_NODE) {
      outParent[index] = -1;
      outName[index] = -1;
    } else {
      outParent[index] = newOfCompact[compact[tree.parent[node]!]!]!;
      const sourceName = tree.nameIndex[node]!;
      let mapped = nameMap[sourceName]!;
      if (mapped < 0) {
        mapped = names.length;
        names.push(tree.names[sourceName]!);
        nameMap[sourceName] = mapped;
      }
      outName[index] = mapped;
    }
    for (let i = start[c + 1]! - 1; i >= start[c]!; i--) stack[top++] = children[i]!;
  }
  return {
    tree: { names, nodeCount: count, parent: outParent, nameIndex: outName, self: outSelf, total: outTotal, truncated: outTruncated },
    newIndex,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** The answer's bytes. `tree` must be in wire order (as selectLod returns it). */
export function encodeTreeWire(meta: TreeWireMeta, tree: LodTree): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('the tree wire format is little-endian; this host is big-endian');
  const encoder = new TextEncoder();
  const n = tree.nodeCount;
  const nameBytes = tree.names.map((name) => encoder.encode(name));
  let namesByteLength = 0;
  for (const bytes of nameBytes) namesByteLength += bytes.length;
  const header: TreeWireHeader = {
    profileTypeId: meta.profileTypeId,
    unit: meta.unit,
    profileCount: meta.profileCount,
    aggregation: meta.aggregation,
    fromMs: meta.fromMs,
    untilMs: meta.untilMs,
    nodeCount: n,
    nameCount: tree.names.length,
    namesByteLength,
    width: meta.width,
    focusPath: meta.focusPath,
    viewRootNode: meta.viewRootNode,
    fullNodeCount: meta.fullNodeCount,
    top: meta.top,
    ...(meta.search ? { search: meta.search } : {}),
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const layout = wireLayout(headerBytes.length, n, tree.names.length, namesByteLength);
  const buffer = new ArrayBuffer(layout.byteLength);
  const bytes = new Uint8Array(buffer);
  bytes.set([0x43, 0x46, 0x54, 0x31], 0); // "CFT1"
  new DataView(buffer).setUint32(4, headerBytes.length, true);
  bytes.set(headerBytes, 8);
  new Float64Array(buffer, layout.total, n).set(tree.total.subarray(0, n));
  new Float64Array(buffer, layout.self, n).set(tree.self.subarray(0, n));
  new Int32Array(buffer, layout.parent, n).set(tree.parent.subarray(0, n));
  new Int32Array(buffer, layout.nameIndex, n).set(tree.nameIndex.subarray(0, n));
  const offsets = new Uint32Array(buffer, layout.nameOffset, tree.names.length + 1);
  let at = 0;
  for (let i = 0; i < nameBytes.length; i++) {
    offsets[i] = at;
    bytes.set(nameBytes[i]!, layout.names + at);
    at += nameBytes[i]!.length;
  }
  offsets[nameBytes.length] = at;
  bytes.set(tree.truncated.subarray(0, n), layout.truncated);
  return bytes;
}

interface WireLayout {
  total: number;
  self: number;
  parent: number;
  nameIndex: number;
  nameOffset: number;
  truncated: number;
  names: number;
  byteLength: number;
}

function wireLayout(headerByteLength: number, nodeCount: number, nameCount: number, namesByteLength: number): WireLayout {
  const total = 8 + pad8(headerByteLength);
  const self = total + 8 * nodeCount;
  const parent = self + 8 * nodeCount;
  const nameIndex = parent + 4 * nodeCount;
  const nameOffset = nameIndex + 4 * nodeCount;
  const truncated = nameOffset + 4 * (nameCount + 1);
  const names = truncated + nodeCount;
  return { total, self, parent, nameIndex, nameOffset, truncated, names, byteLength: pad8(names + namesByteLength) };
}

function wireError(message: string): Error {
  return new Error(`not a Cinder tree answer: ${message}`);
}

/**
 * The answer as typed-array views over `input` (no copy when it is an 8-byte-aligned ArrayBuffer or
 * view; one copy otherwise). Checks every length and parent index, so a cut or corrupt body is an
 * error, never an endless loop in a renderer.
 */
export function decodeTreeWire(input: ArrayBuffer | Uint8Array): DecodedTreeWire {
  if (!LITTLE_ENDIAN) throw new Error('the tree wire format is little-endian; this host is big-endian');
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const buffer = bytes.buffer;
  const base = bytes.byteOffset;
  if (bytes.length < 8) throw wireError(`${bytes.length} bytes`);
  if (bytes[0] !== 0x43 || bytes[1] !== 0x46 || bytes[2] !== 0x54 || bytes[3] !== 0x31) throw wireError('bad magic');
  const headerByteLength = new DataView(buffer, base, 8).getUint32(4, true);
  if (8 + headerByteLength > bytes.length) throw wireError(`header of ${headerByteLength} bytes past the end`);
  let header: TreeWireHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerByteLength))) as TreeWireHeader;
  } catch {
    throw wireError('header is not JSON');
  }
  const n = header.nodeCount;
  const m = header.nameCount;
  const blobLength = header.namesByteLength;
  for (const [key, value] of [['nodeCount', n], ['nameCount', m], ['namesByteLength', blobLength]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw wireError(`${key} ${String(value)}`);
  }
  const layout = wireLayout(headerByteLength, n, m, blobLength);
  if (layout.names + blobLength > bytes.length) throw wireError(`${bytes.length} bytes, the header announces ${layout.names + blobLength}`);
  const total = new Float64Array(buffer, base + layout.total, n);
  const self = new Float64Array(buffer, base + layout.self, n);
  const parent = new Int32Array(buffer, base + layout.parent, n);
  const nameIndex = new Int32Array(buffer, base + layout.nameIndex, n);
  const offsets = new Uint32Array(buffer, base + layout.nameOffset, m + 1);
  const truncated = new Uint8Array(buffer, base + layout.truncated, n);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    const name = nameIndex[i]!;
    if (i === 0 ? p !== -1 || name !== -1 : p < 0 || p >= i || name < 0 || name >= m) throw wireError(`node ${i} has parent ${p} and name ${name}`);
  }
  if (offsets[0] !== 0 || offsets[m] !== blobLength) throw wireError('name offsets do not span the names blob');
  for (let i = 0; i < m; i++) if (offsets[i + 1]! < offsets[i]!) throw wireError(`name offset ${i + 1} goes backwards`);
  const blob = bytes.subarray(layout.names, layout.names + blobLength);
  const decoder = new TextDecoder();
  const text = decoder.decode(blob);
  const names = new Array<string>(m);
  if (text.length === blobLength) {
    // All ASCII: byte offsets are character offsets, so the one decode is sliced.
    for (let i = 0; i < m; i++) names[i] = text.slice(offsets[i]!, offsets[i + 1]!);
  } else {
    for (let i = 0; i < m; i++) names[i] = decoder.decode(blob.subarray(offsets[i]!, offsets[i + 1]!));
  }
  return { header, tree: { names, nodeCount: n, parent, nameIndex, self, total, truncated } };
}
