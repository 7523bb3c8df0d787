/**
 * A merged call tree as a Chrome/V8 `.cpuprofile` (what `node --cpu-prof` and DevTools write, and
 * what DevTools, VS Code and speedscope open): `nodes` is the call tree itself (node ids are tree
 * node index + 1, id 1 is `(root)`), and time is carried by `samples` + `timeDeltas` in µs.
 *
 * Readers disagree on which delta belongs to a sample: V8 stamps sample i at startTime + Σ
 * timeDeltas[0..i], and some readers weigh sample i by timeDeltas[i] (time since the previous
 * sample), others by timeDeltas[i + 1] (time until the next one, as DevTools draws it). So each
 * node with a self value is written as two samples with deltas [0, self]: under either reading
 * that node gets exactly `self`, and endTime is the last sample's time so nothing trails after it.
 *
 * Only time profiles fit (a `.cpuprofile` holds microseconds); bytes or counts are refused with
 * QUERY_INVALID_ARGUMENT. Values of the virtual root itself are not written, as in the pprof export.
 *
 * Example: `main;a 3000` ns → nodes (root)→main→a, samples [3,3], timeDeltas [0,3] (µs).
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ROOT_NODE, nodeName, type CallTree } from '../tree/callTree.js';

const NANOSECONDS_PER: Readonly<Record<string, number>> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

export interface CpuprofileExportOptions {
  /** Cinder's unit of the tree's values; must be a time unit. */
  unit: string;
  /** Start of the selection, µs since the Unix epoch (V8 uses a monotonic clock; any origin works). */
  startTimeUs?: number;
}

export interface CpuprofileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children?: number[];
}

export interface Cpuprofile {
  nodes: CpuprofileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function isCpuprofileUnit(unit: string): boolean {
  return unit in NANOSECONDS_PER;
}

/** Nanoseconds per unit of a time unit; a CinderError (QUERY_INVALID_ARGUMENT) for any other unit. */
export function cpuprofileNanosecondsPerUnit(unit: string): number {
  const nanosecondsPerUnit = NANOSECONDS_PER[unit];
  if (nanosecondsPerUnit === undefined) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `a .cpuprofile holds time, but this profile type is in "${unit}": export it as pprof, speedscope or folded instead`);
  }
  return nanosecondsPerUnit;
}

export function cpuprofileFromTree(tree: CallTree, options: CpuprofileExportOptions): Cpuprofile {
  const nanosecondsPerUnit = cpuprofileNanosecondsPerUnit(options.unit);
  const nodes: CpuprofileNode[] = new Array<CpuprofileNode>(tree.nodeCount);
  for (let node = 0; node < tree.nodeCount; node++) {
    nodes[node] = {
      id: node + 1,
      callFrame: { functionName: node === ROOT_NODE ? '(root)' : nodeName(tree, node), scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 },
      hitCount: 0,
    };
  }
  for (let node = 1; node < tree.nodeCount; node++) (nodes[tree.parent[node]!]!.children ??= []).push(node + 1);
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  const startTime = options.startTimeUs ?? 0;
  let elapsedUs = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const self = tree.self[node]!;
    if (self === 0) continue;
    const selfUs = (self * nanosecondsPerUnit) / 1000;
    samples.push(node + 1, node + 1);
    timeDeltas.push(0, selfUs);
    nodes[node]!.hitCount += 2;
    elapsedUs += selfUs;
  }
  return { nodes, startTime, endTime: startTime + elapsedUs, samples, timeDeltas };
}

export function cpuprofileJsonFromTree(tree: CallTree, options: CpuprofileExportOptions): string {
  return JSON.stringify(cpuprofileFromTree(tree, options));
}
