/**
 * A merged call tree as a speedscope file (https://www.speedscope.app/file-format-schema.json): one
 * `sampled` profile, one frame per distinct name, one sample per node with a self value (its
 * root-first path) weighted by that value. speedscope opens it as is; `decodeSpeedscope` reads it
 * back to the same stacks and, once the pipeline scales time units, the same totals.
 *
 * Units: Cinder's time units map to speedscope's, `bytes` stays bytes, everything else (count,
 * objects) becomes `none`. Values of the virtual root itself (samples with an empty stack) are not
 * written, as in the pprof export: speedscope has no frame to put them on.
 *
 * Example: `main;a 3`, `main 1` (unit count) →
 *   {"shared":{"frames":[{"name":"main"},{"name":"a"}]},"profiles":[{"type":"sampled","unit":"none",
 *    "samples":[[0],[0,1]],"weights":[1,3],…}]}
 */
import { ROOT_NODE, nodeName, type CallTree } from '../tree/callTree.js';

const SPEEDSCOPE_UNITS: ReadonlySet<string> = new Set(['nanoseconds', 'microseconds', 'milliseconds', 'seconds', 'bytes']);

export function speedscopeUnitOf(unit: string): string {
  return SPEEDSCOPE_UNITS.has(unit) ? unit : 'none';
}

export interface SpeedscopeExportOptions {
  /** Shown as the profile's and the file's name, e.g. the profile type id. */
  name: string;
  /** Cinder's unit of the tree's values (`nanoseconds`, `bytes`, `count`, …). */
  unit: string;
}

export function speedscopeFromTree(tree: CallTree, options: SpeedscopeExportOptions): string {
  const frameOfName = new Int32Array(tree.names.length).fill(-1);
  const frames: { name: string }[] = [];
  const paths: (number[] | undefined)[] = new Array<number[] | undefined>(tree.nodeCount);
  paths[ROOT_NODE] = [];
  const samples: number[][] = [];
  const weights: number[] = [];
  let total = 0;
  // Parents come before children (CallTree's invariant), so one forward pass builds every path.
  for (let node = 1; node < tree.nodeCount; node++) {
    const nameIndex = tree.nameIndex[node]!;
    let frame = frameOfName[nameIndex]!;
    if (frame < 0) {
      frame = frames.length;
      frames.push({ name: nodeName(tree, node) });
      frameOfName[nameIndex] = frame;
    }
    const path = [...paths[tree.parent[node]!]!, frame];
    paths[node] = path;
    const self = tree.self[node]!;
    if (self !== 0) {
      samples.push(path);
      weights.push(self);
      total += self;
    }
  }
  return JSON.stringify({
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles: [{ type: 'sampled', name: options.name, unit: speedscopeUnitOf(options.unit), startValue: 0, endValue: total, samples, weights }],
    name: options.name,
    activeProfileIndex: 0,
    exporter: 'cinder',
  });
}
