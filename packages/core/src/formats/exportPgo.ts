/**
 * A merged CPU call tree as a pprof that Go's profile-guided optimisation reads (`go build -pgo`,
 * `default.pgo`): sample types `samples/count` and `cpu/nanoseconds` (Go takes the first of the
 * two it finds), period type cpu/nanoseconds, one function per distinct frame with its name and a
 * `start_line`, one location per function with a line.
 *
 * What Go uses, and what Cinder can give: Go builds a weighted call graph keyed by
 * (caller, callee, call-site line − caller's start_line) and refuses a profile in which no function
 * has a start_line. Cinder's call trees are by name; beside them the store keeps code metadata
 * from pprof uploads (storage/codeLines.ts: each name's file and start_line, each caller → callee
 * edge's call-site line), which arrives here as `options.code` (read back from the server's pprof).
 *   - A frame with a recorded start_line gets it and its file; where it calls a callee whose
 *     call-site line was recorded, its location carries that line, so Go sees the real offset.
 *     The tree has one edge per (caller, callee) name pair, so when a caller calls one callee from
 *     two places only one call site (the store's pick) carries the edge's whole weight.
 *   - A frame without metadata whose name carries a location an SDK put there (`file:function:line`
 *     from Node.js, `file:line - function` from pyroscope-rs, `function (file:line)`) gets that file
 *     and line as its start_line; any other frame gets start_line 1. Its calls are written on its
 *     start line (offset 0), which Go recognises only for calls on a function's first line.
 * Profiles ingested in other formats (folded, JFR, …), uploads older than the code tables, and Go
 * builds before 1.20 (no start_line in their profiles) give frames without metadata. The report
 * counts functions with a real start_line and edges with a real call-site line;
 * `cinder pgo --help` says the same.
 *
 * Trimming (`trimPercent` < 100): edges (caller → callee name pairs, weighted by the callee
 * node's total) are sorted hottest first and kept until they cover that share of all edge weight;
 * a node reached through a dropped edge is cut with its subtree and its value moves to the nearest
 * kept ancestor, so totals stay the same and only cold call paths disappear.
 */
import { Function as PprofFunction, Line, Location, Profile as PprofProfile, Sample, StringTable, ValueType as PprofValueType } from 'pprof-format';
import { CallTreeBuilder, ROOT_NODE, nodeName, type CallTree } from '../tree/callTree.js';
import type { CodeLines } from './codeLines.js';

/** Go's default CPU profiling rate is 100 Hz. */
export const GO_CPU_PERIOD_NS = 10_000_000;

export interface PgoOptions {
  /** Unit of the tree's values: CPU time or CPU sample counts. */
  valueUnit: 'nanoseconds' | 'count';
  /** Nanoseconds per sample, to convert between the two sample types; default 10 ms (Go's rate). */
  periodNs?: number;
  /** Keep the hottest edges covering this share (0 < N ≤ 100) of all edge weight; 100 = all. */
  trimPercent?: number;
  timeNanos?: bigint;
  /** Recorded file, start line and call-site lines (see the module comment). */
  code?: CodeLines;
}

export interface PgoReport {
  functions: number;
  /** Distinct caller → callee name pairs before trimming. */
  edges: number;
  keptEdges: number;
  /** Share (0..1) of all edge weight the kept edges carry. */
  keptEdgeWeightShare: number;
  /** Sum of CPU nanoseconds, the same before and after trimming. */
  totalNanoseconds: number;
  /** Functions with a real start_line (recorded, or from their stored name); the rest got start_line 1. */
  functionsWithLines: number;
  /** Share (0..1) of self CPU time whose leaf frame had a real start_line. */
  lineWeightShare: number;
  /** Kept caller → callee edges written with a recorded call-site line (a real offset for Go). */
  edgesWithCallSites: number;
  /** Share (0..1) of kept edge weight on those edges. */
  callSiteWeightShare: number;
}

export interface FrameLocation {
  functionName: string;
  file: string;
  /** 0 = unknown */
  line: number;
}

/**
 * The file and line an SDK put in a frame name, if any:
 * `./app.js:handler:42` (Node.js SDK), `app.py:17 - work` (pyroscope-rs), `work (app.py:17)`.
 */
export function parseFrameLocation(name: string): FrameLocation {
  let match = /^(.+) - (.+)$/.exec(name);
  if (match) {
    const at = /^(.*):(-?\d+)$/.exec(match[1]!);
    if (at) return { functionName: match[2]!, file: at[1]!, line: Math.max(0, Number(at[2])) };
  }
  match = /^(.+) \(([^()]+):(\d+)\)$/.exec(name);
  if (match) return { functionName: match[1]!, file: match[2]!, line: Number(match[3]) };
  match = /^([^:]*):([^:]+):(\d+)$/.exec(name);
  if (match && match[1] !== '') return { functionName: match[2]!, file: match[1]!, line: Number(match[3]) };
  return { functionName: name, file: '', line: 0 };
}

interface Trimmed {
  tree: CallTree;
  edges: number;
  keptEdges: number;
  keptEdgeWeightShare: number;
}

function trimTree(tree: CallTree, trimPercent: number): Trimmed {
  const edgeWeight = new Map<string, number>();
  const edgeKey = (node: number): string => `${tree.nameIndex[tree.parent[node]!]},${tree.nameIndex[node]}`;
  for (let node = 1; node < tree.nodeCount; node++) {
    if (tree.parent[node] === ROOT_NODE) continue;
    const key = edgeKey(node);
    edgeWeight.set(key, (edgeWeight.get(key) ?? 0) + tree.total[node]!);
  }
  const sorted = [...edgeWeight.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let allWeight = 0;
  for (const [, weight] of sorted) allWeight += weight;
  const kept = new Set<string>();
  let keptWeight = 0;
  const target = (Math.min(100, trimPercent) / 100) * allWeight;
  for (const [key, weight] of sorted) {
    if (trimPercent < 100 && keptWeight >= target) break;
    kept.add(key);
    keptWeight += weight;
  }
  const builder = new CallTreeBuilder();
  // Kept nodes map to their copy; a cut node maps to its nearest kept ancestor's copy (negated − 1).
  const copyOf = new Int32Array(tree.nodeCount);
  const isKept = new Uint8Array(tree.nodeCount);
  copyOf[ROOT_NODE] = ROOT_NODE;
  isKept[ROOT_NODE] = 1;
  if (tree.self[ROOT_NODE]) builder.addSelf(ROOT_NODE, tree.self[ROOT_NODE]!);
  for (let node = 1; node < tree.nodeCount; node++) {
    const parent = tree.parent[node]!;
    const keep = isKept[parent] === 1 && (parent === ROOT_NODE || kept.has(edgeKey(node)));
    if (keep) {
      copyOf[node] = builder.child(copyOf[parent]!, builder.nameId(nodeName(tree, node)));
      isKept[node] = 1;
    } else {
      copyOf[node] = copyOf[parent]!;
    }
    if (tree.self[node]) builder.addSelf(copyOf[node]!, tree.self[node]!);
  }
  return { tree: builder.build(), edges: sorted.length, keptEdges: kept.size, keptEdgeWeightShare: allWeight > 0 ? keptWeight / allWeight : 1 };
}

export function pgoProfileFromTree(input: CallTree, options: PgoOptions): { bytes: Uint8Array; report: PgoReport } {
  const periodNs = options.periodNs ?? GO_CPU_PERIOD_NS;
  const trimmed = trimTree(input, options.trimPercent ?? 100);
  const tree = trimmed.tree;
  const toNanoseconds = (value: number): number => (options.valueUnit === 'count' ? value * periodNs : value);
  // Counts are what Go's profiler records; from CPU time they are derived, at least 1 per stack seen.
  const toSamples = (value: number): number => (options.valueUnit === 'count' ? Math.round(value) : Math.max(1, Math.round(value / periodNs)));
  const strings = new StringTable();
  const code = options.code;
  const functionIdOfName = new Int32Array(tree.names.length);
  /** Per name: its start line, and whether call-site lines may be used (a recorded start_line). */
  const startLineOfName = new Int32Array(tree.names.length);
  const recordedStart = new Uint8Array(tree.names.length);
  const functions: PprofFunction[] = [];
  const hasLine: boolean[] = [];
  for (let nameIndex = 0; nameIndex < tree.names.length; nameIndex++) {
    const raw = tree.names[nameIndex]!;
    const known = code?.functions.get(raw);
    let functionName = raw;
    let file = known?.file ?? '';
    let startLine = known?.startLine ?? 0;
    if (startLine > 0) recordedStart[nameIndex] = 1;
    else {
      const parsed = parseFrameLocation(raw);
      functionName = parsed.functionName;
      if (file === '') file = parsed.file;
      startLine = parsed.line;
    }
    hasLine.push(startLine > 0);
    if (startLine <= 0) startLine = 1;
    const id = functions.length + 1;
    functions.push(new PprofFunction({ id, name: strings.dedup(functionName), systemName: strings.dedup(raw), filename: strings.dedup(file), startLine }));
    functionIdOfName[nameIndex] = id;
    startLineOfName[nameIndex] = startLine;
  }
  const locations: Location[] = [];
  const locationIds = new Map<string, number>();
  const locationOf = (nameIndex: number, line: number): number => {
    const functionId = functionIdOfName[nameIndex]!;
    const key = `${functionId}:${line}`;
    let id = locationIds.get(key);
    if (id === undefined) {
      id = locations.length + 1;
      locations.push(new Location({ id, line: [new Line({ functionId, line })] }));
      locationIds.set(key, id);
    }
    return id;
  };
  // Per node: the location of its parent as the caller of it; counted once per distinct edge.
  const callerLocation = new Int32Array(tree.nodeCount);
  const callSiteEdges = new Set<string>();
  let edgeWeight = 0;
  let callSiteWeight = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const parent = tree.parent[node]!;
    if (parent === ROOT_NODE) continue;
    const callerName = tree.nameIndex[parent]!;
    const callSite = recordedStart[callerName] === 1 ? code?.callSites.get(tree.names[callerName]!)?.get(nodeName(tree, node)) : undefined;
    callerLocation[node] = locationOf(callerName, callSite ?? startLineOfName[callerName]!);
    edgeWeight += tree.total[node]!;
    if (callSite !== undefined) {
      callSiteWeight += tree.total[node]!;
      callSiteEdges.add(`${callerName},${tree.nameIndex[node]}`);
    }
  }
  const samples: Sample[] = [];
  let totalNanoseconds = 0;
  let lineNanoseconds = 0;
  const stack: number[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    const self = tree.self[node]!;
    if (self === 0) continue;
    stack.length = 0;
    const leafName = tree.nameIndex[node]!;
    stack.push(locationOf(leafName, startLineOfName[leafName]!));
    for (let up = node; tree.parent[up] !== ROOT_NODE; up = tree.parent[up]!) stack.push(callerLocation[up]!);
    const nanoseconds = toNanoseconds(self);
    totalNanoseconds += nanoseconds;
    if (hasLine[leafName]) lineNanoseconds += nanoseconds;
    samples.push(new Sample({ locationId: [...stack], value: [toSamples(self), Math.round(nanoseconds)] }));
  }
  const profile = new PprofProfile({
    sampleType: [
      new PprofValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      new PprofValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: options.timeNanos ?? 0n,
    periodType: new PprofValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: periodNs,
  });
  return {
    bytes: profile.encode(),
    report: {
      functions: functions.length,
      edges: trimmed.edges,
      keptEdges: trimmed.keptEdges,
      keptEdgeWeightShare: trimmed.keptEdgeWeightShare,
      totalNanoseconds,
      functionsWithLines: hasLine.filter(Boolean).length,
      lineWeightShare: totalNanoseconds > 0 ? lineNanoseconds / totalNanoseconds : 0,
      edgesWithCallSites: callSiteEdges.size,
      callSiteWeightShare: edgeWeight > 0 ? callSiteWeight / edgeWeight : 0,
    },
  };
}
