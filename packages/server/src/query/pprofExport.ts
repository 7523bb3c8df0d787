/**
 * A merged call tree as a pprof message (SelectMergeProfile, exports): one location and function
 * per distinct name, one sample per node with self value, leaf first as pprof wants.
 */
import { create } from '@bufbuild/protobuf';
import { ROOT_NODE, nodeName, type CallTree } from '@cinder/core';
import { ProfileSchema, type Profile as PprofMessage } from '../gen/google/v1/profile_pb.js';

export interface PprofExportOptions {
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
  timeNanos: bigint;
  durationNanos?: bigint;
}

export function pprofFromTree(tree: CallTree, options: PprofExportOptions): PprofMessage {
  const strings: string[] = [''];
  const stringIds = new Map<string, number>([['', 0]]);
  const str = (text: string): bigint => {
    let id = stringIds.get(text);
    if (id === undefined) {
      id = strings.length;
      strings.push(text);
      stringIds.set(text, id);
    }
    return BigInt(id);
  };
  const sampleTypeId = str(options.sampleType);
  const sampleUnitId = str(options.sampleUnit);
  const functions: { id: bigint; name: bigint }[] = [];
  const locations: { id: bigint; line: { functionId: bigint }[] }[] = [];
  const locationOfName = new Map<number, bigint>();
  const locationOf = (node: number): bigint => {
    const nameIndex = tree.nameIndex[node]!;
    let id = locationOfName.get(nameIndex);
    if (id === undefined) {
      id = BigInt(functions.length + 1);
      functions.push({ id, name: str(nodeName(tree, node)) });
      locations.push({ id, line: [{ functionId: id }] });
      locationOfName.set(nameIndex, id);
    }
    return id;
  };
  const samples: { locationId: bigint[]; value: bigint[] }[] = [];
  for (let node = 1; node < tree.nodeCount; node++) {
    const value = tree.self[node]!;
    if (value === 0) continue;
    const stack: bigint[] = [];
    for (let up = node; up !== ROOT_NODE; up = tree.parent[up]!) stack.push(locationOf(up));
    samples.push({ locationId: stack, value: [BigInt(Math.round(value))] });
  }
  return create(ProfileSchema, {
    sampleType: [{ type: sampleTypeId, unit: sampleUnitId }],
    sample: samples,
    location: locations,
    function: functions,
    periodType: { type: str(options.periodType), unit: str(options.periodUnit) },
    period: 0n,
    timeNanos: options.timeNanos,
    durationNanos: options.durationNanos ?? 0n,
    defaultSampleType: sampleTypeId,
    stringTable: strings,
  });
}
