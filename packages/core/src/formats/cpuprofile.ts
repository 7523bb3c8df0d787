/**
 * V8 / Chrome `.cpuprofile` JSON (`node --cpu-prof`, DevTools "Save profile", the inspector's
 * `Profiler.stop`), in both shapes V8 has written:
 *
 *   current: {"nodes": [{"id": 1, "callFrame": {"functionName": "(root)", "url": "", "lineNumber": -1},
 *             "children": [2]}, …], "startTime": µs, "endTime": µs, "samples": [nodeId…], "timeDeltas": [µs…]}
 *   legacy:  {"head": {"functionName": "(root)", "id": 1, "children": [{…nested nodes…}]},
 *             "startTime": s, "endTime": s, "samples": [nodeId…], "timestamps": [µs…]}
 *
 * Type: `wall:wall:nanoseconds:wall:nanoseconds` (`__name__` wall). V8's sampler ticks on a timer
 * whether JavaScript runs or not (idle time is the "(idle)" node), which is what Pyroscope's own
 * Node.js SDK stores as `wall` from the same sampler; so a `.cpuprofile` and an SDK profile of the
 * same program land in the same profile type.
 *
 * Values: each sample lasts until the next one (DevTools' and speedscope's reading), the last one
 * until `endTime` (legacy files: the extra trailing timestamp). Times are µs and become ns (× 1000).
 * Out-of-order timestamps (V8 emits a few) never count twice: a sample starts at the latest time
 * seen so far, so the total is the sampled span, last end − first sample. Frames are the function
 * name ("(anonymous)" when empty) prefixed with `url:` and suffixed with the 1-based `:line` when
 * the node has a script URL (`file:///app/main.js:fib:12`, as the Node SDK names them), the
 * synthetic "(root)" node left out.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import type { Profile } from '../model.js';
import { StringTable } from '../stringTable.js';
import { MAX_SAMPLE_VALUE, resolveDecodeLimits, tooComplex, valueOutOfRange, WorkBudget, type DecodeLimits } from './limits.js';

function malformed(message: string): never {
  throw new CinderError(ErrorCodes.INGEST_MALFORMED_CPUPROFILE, `not a V8 .cpuprofile: ${message} (expected "nodes", "samples" and "timeDeltas", as node --cpu-prof writes)`);
}

interface FlatNode {
  id: number;
  name: string;
  parent: number | undefined;
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_SAMPLE_VALUE;

function frameName(callFrame: Record<string, unknown>): string {
  const fn = typeof callFrame.functionName === 'string' && callFrame.functionName !== '' ? callFrame.functionName : '(anonymous)';
  const url = typeof callFrame.url === 'string' ? callFrame.url : '';
  if (url === '') return fn;
  const line = isInt(callFrame.lineNumber) && callFrame.lineNumber >= 0 ? `:${callFrame.lineNumber + 1}` : '';
  return `${url}:${fn}${line}`;
}

/** Legacy `head` tree → flat nodes, iteratively (a deep tree must not overflow the call stack). */
function flattenHead(head: unknown, maxNodes: number): FlatNode[] {
  const nodes: FlatNode[] = [];
  const pending: [unknown, number | undefined][] = [[head, undefined]];
  while (pending.length > 0) {
    const [raw, parent] = pending.pop()!;
    if (raw === null || typeof raw !== 'object') malformed('a node of "head" is not an object');
    const node = raw as Record<string, unknown>;
    if (!isInt(node.id)) malformed('a node of "head" has no integer "id"');
    if (nodes.length >= maxNodes) throw tooComplex('maxNodes', `more than ${maxNodes}`, maxNodes);
    nodes.push({ id: node.id, name: frameName(node), parent });
    const children = node.children ?? [];
    if (!Array.isArray(children)) malformed(`"children" of node ${node.id} is not an array`);
    for (const child of children) pending.push([child, node.id]);
  }
  return nodes;
}

function flattenNodes(raw: unknown[], maxNodes: number): FlatNode[] {
  if (raw.length > maxNodes) throw tooComplex('maxNodes', String(raw.length), maxNodes);
  const nodes: FlatNode[] = [];
  const parentOf = new Map<number, number>();
  for (const entry of raw) {
    if (entry === null || typeof entry !== 'object') malformed('an entry of "nodes" is not an object');
    const node = entry as Record<string, unknown>;
    if (!isInt(node.id)) malformed('a node has no integer "id"');
    const callFrame = node.callFrame;
    if (callFrame === null || typeof callFrame !== 'object') malformed(`node ${node.id} has no "callFrame"`);
    const children = node.children ?? [];
    if (!Array.isArray(children)) malformed(`"children" of node ${node.id} is not an array`);
    for (const child of children) {
      if (!isInt(child)) malformed(`a child of node ${node.id} is not a node id`);
      parentOf.set(child, node.id);
    }
    nodes.push({ id: node.id, name: frameName(callFrame as Record<string, unknown>), parent: isInt(node.parent) ? node.parent : undefined });
  }
  for (const node of nodes) node.parent ??= parentOf.get(node.id);
  return nodes;
}

export function decodeCpuprofile(text: string, limits?: Partial<DecodeLimits>): Profile {
  const resolved = resolveDecodeLimits(limits);
  let file: Record<string, unknown>;
  try {
    file = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `.cpuprofile body is not valid JSON: ${(error as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || Array.isArray(file)) malformed('the top level is not an object');
  const samples = file.samples;
  if (!Array.isArray(samples)) malformed('"samples" is missing');

  let nodes: FlatNode[];
  // Sample start times in µs, one per sample, and when the last one ends.
  const times: number[] = [];
  let endUs: number;
  if (Array.isArray(file.nodes)) {
    nodes = flattenNodes(file.nodes, resolved.maxNodes);
    const deltas = file.timeDeltas;
    if (!Array.isArray(deltas) || deltas.length !== samples.length) malformed('"timeDeltas" must be an array as long as "samples"');
    if (!isTime(file.startTime)) malformed('"startTime" is not a number of µs');
    let at = file.startTime;
    for (let i = 0; i < deltas.length; i++) {
      const delta = deltas[i];
      if (!isTime(delta)) malformed(`timeDeltas[${i}] is not a number`);
      at += delta;
      if (!isTime(at)) throw valueOutOfRange(`the time of sample ${i}`, at);
      times.push(at);
    }
    endUs = isTime(file.endTime) ? file.endTime : at;
  } else if (file.head !== undefined) {
    nodes = flattenHead(file.head, resolved.maxNodes);
    const timestamps = file.timestamps;
    if (!Array.isArray(timestamps) || timestamps.length < samples.length) malformed('"timestamps" must have one entry per sample');
    for (let i = 0; i < timestamps.length; i++) if (!isTime(timestamps[i])) malformed(`timestamps[${i}] is not a number`);
    for (let i = 0; i < samples.length; i++) times.push(timestamps[i] as number);
    // Legacy files carry one timestamp more than samples (the end); their endTime is in seconds.
    endUs = timestamps.length > samples.length ? (timestamps[samples.length] as number) : isTime(file.endTime) ? file.endTime * 1e6 : (times[times.length - 1] ?? 0);
  } else {
    malformed('neither "nodes" nor "head" is present');
  }
  if (samples.length > resolved.maxSamples * 64) throw tooComplex('maxSamples', String(samples.length), resolved.maxSamples * 64);

  const byId = new Map<number, FlatNode>();
  for (const node of nodes) {
    if (byId.has(node.id)) malformed(`node id ${node.id} appears twice`);
    byId.set(node.id, node);
  }
  const sampled = new Set<number>();
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    if (!isInt(id) || !byId.has(id)) malformed(`samples[${i}] refers to node ${String(id)}, which does not exist`);
    sampled.add(id);
  }
  const names = new StringTable();
  const budget = new WorkBudget(resolved);
  // Root-first name ids of every sampled node, from one walk down the tree that keeps the current
  // path (its root-most maxStackDepth frames): linear in the nodes however deep the tree is.
  const stackOfNode = new Map<number, Uint32Array>();
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  for (const node of nodes) {
    if (node.parent === undefined || !byId.has(node.parent)) roots.push(node.id);
    else {
      let list = children.get(node.parent);
      if (!list) children.set(node.parent, (list = []));
      list.push(node.id);
    }
  }
  const path: number[] = [];
  const visited = new Set<number>();
  const pending: [id: number, depth: number][] = [];
  for (const root of roots) {
    const rootNode = byId.get(root)!;
    // The synthetic "(root)" node is not a frame: its children start the stacks.
    if (rootNode.name === '(root)') {
      visited.add(root);
      for (const child of children.get(root) ?? []) pending.push([child, 0]);
    } else pending.push([root, 0]);
    while (pending.length > 0) {
      const [id, depth] = pending.pop()!;
      if (visited.has(id)) malformed(`node ${id} is reached twice (the tree has a cycle)`);
      visited.add(id);
      if (depth < resolved.maxStackDepth) {
        path.length = depth;
        path.push(names.id(byId.get(id)!.name));
      }
      if (sampled.has(id)) {
        const kept = budget.sample(depth + 1);
        stackOfNode.set(id, Uint32Array.from(path.slice(0, kept)));
      }
      for (const child of children.get(id) ?? []) pending.push([child, depth + 1]);
    }
  }
  for (const id of sampled) if (!visited.has(id)) malformed(`node ${id} is not reachable from the root (its parents form a cycle)`);

  // Samples with the same node add up; weights are the time until the next sample.
  const sampleOfNode = new Map<number, number>();
  const stacks: Uint32Array[] = [];
  const values: number[] = [];
  let latest = -Infinity;
  const starts = times.map((t) => (latest = Math.max(latest, t)));
  const end = Math.max(latest, endUs);
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    const durationNs = Math.round(((i + 1 < starts.length ? starts[i + 1]! : end) - starts[i]!) * 1000);
    if (durationNs <= 0) continue;
    let s = sampleOfNode.get(id);
    if (s === undefined) {
      const stack = stackOfNode.get(id);
      if (!stack) continue; // the "(root)" node itself: no frame to charge
      stacks.push(stack);
      values.push(0);
      s = stacks.length - 1;
      sampleOfNode.set(id, s);
    }
    values[s]! += durationNs;
  }
  for (let s = 0; s < values.length; s++) if (!(values[s]! <= MAX_SAMPLE_VALUE)) throw valueOutOfRange('the time of one .cpuprofile node', values[s]!);
  const intervals = starts.slice(1).map((t, i) => t - starts[i]!).filter((d) => d > 0).sort((a, b) => a - b);
  const startUs = starts[0] ?? 0;
  return {
    sampleTypes: [{ type: 'wall', unit: 'nanoseconds' }],
    periodType: { type: 'wall', unit: 'nanoseconds' },
    // The typical sampling interval (informational).
    period: intervals.length > 0 ? Math.round(intervals[intervals.length >> 1]! * 1000) : 0,
    timeMs: 0,
    durationNs: Math.max(0, Math.round((end - startUs) * 1000)),
    names: names.strings,
    stacks,
    values: [Float64Array.from(values)],
    sampleLabels: stacks.map(() => null),
  };
}
