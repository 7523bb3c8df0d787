/**
 * pprof (profile.proto) ↔ the profile model. Decoding is ingest's hot path and has its own reader
 * (pprofReader.ts: one pass into flat arrays, the limits of DecodeLimits applied as it goes);
 * encoding, used by tests and tools, goes through the `pprof-format` codec.
 * Input bytes are already decompressed (gzip is the server's concern).
 */
import { Function as PprofFunction, Line, Location, Profile as PprofProfile, Sample, StringTable, ValueType as PprofValueType } from 'pprof-format';
import type { Profile } from '../model.js';
import { readPprof, type DecodePprofOptions } from './pprofReader.js';

export { SCRIPTING_SPIES, type DecodePprofOptions } from './pprofReader.js';

export function decodePprof(bytes: Uint8Array, options: DecodePprofOptions = {}): Profile {
  // A plain Uint8Array: element reads from a Node Buffer as well as a Uint8Array would make every
  // byte read in the reader polymorphic.
  const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readPprof(plain, options);
}

/** The model back to pprof: one function and location per distinct frame name. */
export function encodePprof(profile: Profile): Uint8Array {
  const stringTable = new StringTable();
  const functions: PprofFunction[] = profile.names.map(
    (name, i) => new PprofFunction({ id: i + 1, name: stringTable.dedup(name), systemName: stringTable.dedup(name) }),
  );
  const locations: Location[] = profile.names.map((_, i) => new Location({ id: i + 1, line: [new Line({ functionId: i + 1 })] }));
  const samples: Sample[] = [];
  for (let s = 0; s < profile.stacks.length; s++) {
    const stack = profile.stacks[s]!;
    const locationId: number[] = [];
    for (let i = stack.length - 1; i >= 0; i--) locationId.push(stack[i]! + 1);
    const labels = profile.sampleLabels[s];
    samples.push(
      new Sample({
        locationId,
        value: profile.values.map((column) => Math.round(column[s]!)),
        label: labels ? labels.map(([key, value]) => ({ key: stringTable.dedup(key), str: stringTable.dedup(value) })) : [],
      }),
    );
  }
  const encoded = new PprofProfile({
    sampleType: profile.sampleTypes.map((st) => new PprofValueType({ type: stringTable.dedup(st.type), unit: stringTable.dedup(st.unit) })),
    sample: samples,
    location: locations,
    function: functions,
    stringTable,
    timeNanos: BigInt(Math.round(profile.timeMs)) * 1_000_000n,
    durationNanos: Math.round(profile.durationNs),
    period: Math.round(profile.period),
    ...(profile.periodType
      ? { periodType: new PprofValueType({ type: stringTable.dedup(profile.periodType.type), unit: stringTable.dedup(profile.periodType.unit) }) }
      : {}),
  });
  return encoded.encode();
}
