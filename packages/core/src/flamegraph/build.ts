/**
 * Builds Pyroscope-encoded flame-graph data (§3.3 of the API spec, without truncation) from stacks.
 * The UI never needs this at run time (the server sends levels); tests, benchmarks and snapshots do,
 * and building real encodings beats hand-writing level arrays that drift from the spec.
 */
import type { FlameGraphData } from '../api.js';

interface BuildNode {
  name: string;
  self: number;
  total: number;
  children: Map<string, BuildNode>;
}

/** `stacks`: root-first frame names with a value each, e.g. [[['main','a'], 3]]. */
export function flameGraphFromStacks(stacks: ReadonlyArray<readonly [readonly string[], number]>): FlameGraphData {
  const root: BuildNode = { name: 'total', self: 0, total: 0, children: new Map() };
  for (const [frames, value] of stacks) {
    let node = root;
    node.total += value;
    for (const name of frames) {
      let child = node.children.get(name);
      if (!child) {
        child = { name, self: 0, total: 0, children: new Map() };
        node.children.set(name, child);
      }
      child.total += value;
      node = child;
    }
    node.self += value;
  }
  const names: string[] = ['total'];
  const nameIndex = new Map<string, number>([['total', 0]]);
  const indexOf = (name: string): number => {
    let index = nameIndex.get(name);
    if (index === undefined) {
      index = names.length;
      names.push(name);
      nameIndex.set(name, index);
    }
    return index;
  };
  const levels: number[][] = [];
  const previousEnd: number[] = [];
  let maxSelf = 0;
  const visit = (node: BuildNode, depth: number, x: number): void => {
    const level = (levels[depth] ??= []);
    level.push(x - (previousEnd[depth] ?? 0), node.total, node.self, indexOf(node.name));
    previousEnd[depth] = x + node.total;
    maxSelf = Math.max(maxSelf, node.self);
    let childX = x + node.self;
    // Byte-wise name order, as the reference server lays children out.
    const children = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      visit(child, depth + 1, childX);
      childX += child.total;
    }
  };
  visit(root, 0, 0);
  return { names, levels, total: root.total, maxSelf };
}

/** Parses collapsed/folded text (`a;b;c 3` per line) into stacks for flameGraphFromStacks. */
export function stacksFromCollapsed(text: string): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const space = trimmed.lastIndexOf(' ');
    const value = Number(trimmed.slice(space + 1));
    if (space <= 0 || !Number.isFinite(value)) throw new Error(`not a collapsed stack line: ${JSON.stringify(line)}`);
    out.push([trimmed.slice(0, space).split(';'), value]);
  }
  return out;
}
