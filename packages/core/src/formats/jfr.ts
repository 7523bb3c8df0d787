/**
 * JFR recordings (`format=jfr`, what the Pyroscope Java agent and async-profiler send) → one
 * profile per kind of event, the way Pyroscope's converter (grafana/jfr-parser `pprof/`) derives
 * them, so the same upload gives the same profile types, stacks and values:
 *
 *   event                                   __name__     sample types (period type)
 *   jdk.ExecutionSample, thread not asleep  process_cpu  cpu:nanoseconds (cpu:nanoseconds)
 *   jdk.ExecutionSample when event=wall,    wall         wall:nanoseconds (wall:nanoseconds)
 *     profiler.WallClockSample (× samples)
 *   jdk.ObjectAllocationInNewTLAB           memory       alloc_in_new_tlab_objects:count, alloc_in_new_tlab_bytes:bytes (space:bytes)
 *   jdk.ObjectAllocationOutsideTLAB         memory       alloc_outside_tlab_objects:count, alloc_outside_tlab_bytes:bytes (space:bytes)
 *   jdk.ObjectAllocationSample              memory       alloc_sample_objects:count, alloc_sample_bytes:bytes (space:bytes)
 *   jdk.JavaMonitorEnter                    mutex        contentions:count, delay:nanoseconds (mutex:count)
 *   jdk.ThreadPark                          block        contentions:count, delay:nanoseconds (block:count)
 *   profiler.LiveObject                     memory       live:count (objects:count)
 *   profiler.Malloc                         memory       malloc_objects:count, malloc_bytes:bytes (none)
 *
 * CPU and wall samples are worth `1e9 / sampleRate` ns each (the agent's sampling interval; 0 or no
 * rate means async-profiler's default 100 Hz, where upstream would store zeros). Allocation values
 * are the TLAB size / allocation size / weight of the event; lock and park delays are the event's
 * `duration` as recorded, in ticks, exactly as upstream stores them (async-profiler's ticks are
 * TSC cycles, so upstream's "nanoseconds" are really ticks: kept, so both servers agree).
 *
 * Frames are `<class>.<method>` from the chunk's constant pools (`java/lang/Thread.run`), with
 * JVM-generated names merged as upstream does (`App$$Lambda$12/0x0000000800c03000` →
 * `App$$Lambda_`, `GeneratedMethodAccessor42` → `GeneratedMethodAccessor_`, …); a frame whose
 * method or class is missing is left out. Samples with the same stack and context add up.
 *
 * Labels: with a `labels` part (a LabelsSnapshot, see jfrLabels.ts) each event's `contextId` adds
 * its label pairs to the sample; a `spanId` becomes `profile_id` (16 hex digits) and a `spanName`
 * `span_name`, as upstream. The value of async-profiler's `event` setting is returned as `jfrEvent`.
 */
import type { LabelPairs, Profile, ValueType } from '../model.js';
import { StringTable } from '../stringTable.js';
import { decodeJfrLabels, type JfrLabelsSnapshot } from './jfrLabels.js';
import { JfrObject, readJfr, type JfrChunk, type JfrLong, type JfrValue } from './jfrReader.js';
import { MAX_SAMPLE_VALUE, resolveDecodeLimits, valueOutOfRange, WorkBudget, type DecodeLimits } from './limits.js';

export interface DecodeJfrOptions {
  /** The `labels` part of a multipart upload, already gunzipped; absent = no context labels. */
  labels?: Uint8Array | null;
  /** The agent's CPU/wall sampling rate in Hz (`sampleRate`); 0 or absent = 100. */
  sampleRate?: number;
  limits?: Partial<DecodeLimits>;
}

export interface JfrProfile {
  /** `__name__` of the series: process_cpu, wall, memory, mutex or block. */
  metricName: string;
  profile: Profile;
}

export interface DecodedJfr {
  /** async-profiler's `event` setting (cpu, itimer, wall, …); '' when the recording has none. */
  jfrEvent: string;
  profiles: JfrProfile[];
}

export const JFR_DEFAULT_SAMPLE_RATE = 100;

interface KindSpec {
  metricName: string;
  sampleTypes: ValueType[];
  periodType: ValueType | null;
  /** Values are sample counts worth one sampling period each. */
  timed: boolean;
}

const vt = (type: string, unit: string): ValueType => ({ type, unit });
const KINDS = {
  cpu: { metricName: 'process_cpu', sampleTypes: [vt('cpu', 'nanoseconds')], periodType: vt('cpu', 'nanoseconds'), timed: true },
  wall: { metricName: 'wall', sampleTypes: [vt('wall', 'nanoseconds')], periodType: vt('wall', 'nanoseconds'), timed: true },
  inTlab: {
    metricName: 'memory',
    sampleTypes: [vt('alloc_in_new_tlab_objects', 'count'), vt('alloc_in_new_tlab_bytes', 'bytes')],
    periodType: vt('space', 'bytes'),
    timed: false,
  },
  outsideTlab: {
    metricName: 'memory',
    sampleTypes: [vt('alloc_outside_tlab_objects', 'count'), vt('alloc_outside_tlab_bytes', 'bytes')],
    periodType: vt('space', 'bytes'),
    timed: false,
  },
  allocSample: { metricName: 'memory', sampleTypes: [vt('alloc_sample_objects', 'count'), vt('alloc_sample_bytes', 'bytes')], periodType: vt('space', 'bytes'), timed: false },
  lock: { metricName: 'mutex', sampleTypes: [vt('contentions', 'count'), vt('delay', 'nanoseconds')], periodType: vt('mutex', 'count'), timed: false },
  park: { metricName: 'block', sampleTypes: [vt('contentions', 'count'), vt('delay', 'nanoseconds')], periodType: vt('block', 'count'), timed: false },
  live: { metricName: 'memory', sampleTypes: [vt('live', 'count')], periodType: vt('objects', 'count'), timed: false },
  malloc: { metricName: 'memory', sampleTypes: [vt('malloc_objects', 'count'), vt('malloc_bytes', 'bytes')], periodType: null, timed: false },
} satisfies Record<string, KindSpec>;
type Kind = keyof typeof KINDS;

const EVENT_TYPES = [
  'jdk.ExecutionSample',
  'profiler.WallClockSample',
  'jdk.ObjectAllocationInNewTLAB',
  'jdk.ObjectAllocationOutsideTLAB',
  'jdk.ObjectAllocationSample',
  'jdk.JavaMonitorEnter',
  'jdk.ThreadPark',
  'profiler.LiveObject',
  'profiler.Malloc',
  'jdk.ActiveSetting',
];
const POOL_TYPES = ['jdk.types.StackTrace', 'jdk.types.Method', 'java.lang.Class', 'jdk.types.Symbol', 'jdk.types.ThreadState'];

// Upstream's merging of JVM-generated names (grafana/jfr-parser parser/symbols.go), applied to every
// class and method name so that per-process numbering does not split one function into many.
const GENERATED_NAMES: [RegExp, string][] = [
  [/^(jdk\/internal\/reflect\/GeneratedMethodAccessor)(\d+)$/, '$1_'],
  [/^(.+\$\$Lambda)(\$?\d*[./](0x)?[\da-f]+|\d+)$/, '$1_'],
  [/^(\.?\/tmp\/)?(libzstd-jni-\d+\.\d+\.\d+-)(\d+)(\.so)( \(deleted\))?$/, 'libzstd-jni-_.so'],
  [/^(\.?\/tmp\/)?(lib)?(amazonCorrettoCryptoProvider)(NativeLibraries\.)?([0-9a-f]{16})(\/libcrypto|\/libamazonCorrettoCryptoProvider)?(\.so)( \(deleted\))?$/, 'libamazonCorrettoCryptoProvider_.so'],
  [/^(\.?\/tmp\/)?(libasyncProfiler)-(linux-arm64|linux-musl-x64|linux-x64|macos)-(17b9a1d8156277a98ccc871afa9a8f69215f92)(\.so)( \(deleted\))?$/, 'libasyncProfiler-_.so'],
];

export function mergeGeneratedJvmName(name: string): string {
  let merged = name;
  for (const [pattern, replacement] of GENERATED_NAMES) merged = merged.replace(pattern, replacement);
  return merged;
}

/**
 * One output profile being built: samples keyed by (stack, context) within a chunk so equal ones
 * add up. Keys of the constant pools are only meaningful within their chunk, so the per-chunk maps
 * start over with each chunk.
 */
class KindBuilder {
  readonly names = new StringTable();
  readonly stacks: Uint32Array[] = [];
  readonly values: number[][];
  readonly labels: (LabelPairs | null)[] = [];
  chunk = -1;
  /** Samples without context (the common case, keyed by stack key alone) … */
  samplesByStack = new Map<JfrLong, number>();
  /** … and with one (stack key → context key → sample). */
  samplesByContext = new Map<JfrLong, Map<JfrLong | string, number>>();
  /** Stack key → root-first name ids in this builder's table (null: no such stack). */
  stackIds = new Map<JfrLong, Uint32Array | null>();
  /** Method key → name id in this builder's table (-1: unnamed, left out). */
  methodIds = new Map<JfrLong, number>();
  readonly budget: WorkBudget;

  enter(chunk: number): void {
    if (chunk === this.chunk) return;
    this.chunk = chunk;
    this.samplesByStack = new Map();
    this.samplesByContext = new Map();
    this.stackIds = new Map();
    this.methodIds = new Map();
  }

  constructor(
    readonly kind: Kind,
    limits: DecodeLimits,
  ) {
    this.values = KINDS[kind].sampleTypes.map(() => []);
    this.budget = new WorkBudget(limits);
  }
}

const NO_CONTEXT = { key: null, labels: null };

function numberField(value: JfrValue | undefined, what: () => string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!(value >= 0 && value <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(what(), value);
    return value;
  }
  if (typeof value === 'bigint') throw valueOutOfRange(what(), value);
  return 0;
}

/** A value that must be an object (a crafted file may declare any field as anything). */
function asObject(value: JfrValue | undefined): JfrObject | null {
  return value instanceof JfrObject ? value : null;
}

function longKey(value: JfrValue | undefined): JfrLong {
  return typeof value === 'number' || typeof value === 'bigint' ? value : 0;
}

export function decodeJfr(bytes: Uint8Array, options: DecodeJfrOptions = {}): DecodedJfr {
  const limits = resolveDecodeLimits(options.limits);
  const rate = options.sampleRate !== undefined && options.sampleRate > 0 ? options.sampleRate : JFR_DEFAULT_SAMPLE_RATE;
  const periodNs = Math.floor(1e9 / rate);
  const snapshot: JfrLabelsSnapshot | null = options.labels && options.labels.length > 0 ? decodeJfrLabels(options.labels) : null;
  const builders = new Map<Kind, KindBuilder>();
  let jfrEvent = '';
  let firstStartNanos = -1;
  let durationNanos = 0;

  // Per chunk: constant-pool keys are only meaningful within their chunk.
  let chunkIndex = -1;
  let frameNames = new Map<JfrLong, string | null>();
  let threadStates = new Map<JfrLong, string | null>();
  const labelCache = new Map<JfrLong | string, LabelPairs | null>();

  const methodName = (chunk: JfrChunk, methodKey: JfrLong): string | null => {
    let name = frameNames.get(methodKey);
    if (name !== undefined) return name;
    name = null;
    const method = asObject(chunk.pool('jdk.types.Method')?.get(methodKey));
    if (method) {
      const cls = asObject(chunk.pool('java.lang.Class')?.get(longKey(method.get('type'))));
      if (cls) name = `${symbol(chunk, cls.get('name'))}.${symbol(chunk, method.get('name'))}`;
    }
    frameNames.set(methodKey, name);
    return name;
  };

  const symbol = (chunk: JfrChunk, key: JfrValue | undefined): string => {
    const entry = asObject(chunk.pool('jdk.types.Symbol')?.get(longKey(key)));
    const text = entry ? chunk.text(entry.get('string')) : null;
    return text === null ? '' : mergeGeneratedJvmName(text);
  };

  const threadState = (chunk: JfrChunk, key: JfrValue | undefined): string | null => {
    const k = longKey(key);
    let state = threadStates.get(k);
    if (state === undefined) {
      const entry = asObject(chunk.pool('jdk.types.ThreadState')?.get(k));
      state = entry ? chunk.text(entry.get('name')) : null;
      threadStates.set(k, state);
    }
    return state;
  };

  const stackOf = (builder: KindBuilder, chunk: JfrChunk, stackKey: JfrLong): Uint32Array | null => {
    let ids = builder.stackIds.get(stackKey);
    if (ids !== undefined) return ids;
    ids = null;
    const trace = asObject(chunk.pool('jdk.types.StackTrace')?.get(stackKey));
    const frames = trace?.get('frames');
    if (Array.isArray(frames)) {
      // JFR lists frames leaf first; the model wants root first.
      const rootFirst: number[] = [];
      for (let f = frames.length - 1; f >= 0; f--) {
        // Frames are read as their method key (the StackFrame projection in readJfr's options).
        const method = frames[f];
        if (typeof method !== 'number' && typeof method !== 'bigint') continue;
        let id = builder.methodIds.get(method);
        if (id === undefined) {
          const name = methodName(chunk, method);
          builder.methodIds.set(method, (id = name === null ? -1 : builder.names.id(name)));
        }
        if (id >= 0) rootFirst.push(id);
      }
      ids = Uint32Array.from(rootFirst);
    }
    builder.stackIds.set(stackKey, ids);
    return ids;
  };

  /** The labels of an event's context, and the key they are cached and aggregated by (null = none). */
  const sampleLabels = (event: JfrObject): { key: JfrLong | string | null; labels: LabelPairs | null } => {
    const contextId = longKey(event.get('contextId'));
    const spanId = longKey(event.get('spanId'));
    const spanName = longKey(event.get('spanName'));
    if (contextId === 0 && spanId === 0 && spanName === 0) return NO_CONTEXT;
    // The context id alone (a number, no string to build) unless span fields are set too.
    const key = spanId === 0 && spanName === 0 ? contextId : `${String(contextId)}:${String(spanId)}:${String(spanName)}`;
    let labels = labelCache.get(key);
    if (labels === undefined) {
      const pairs: [string, string][] = [];
      const context = snapshot && contextId !== 0 ? snapshot.contexts.get(contextId) : undefined;
      if (context) {
        for (const [nameId, valueId] of context) {
          const name = snapshot!.strings.get(nameId);
          const value = snapshot!.strings.get(valueId);
          if (name && value) pairs.push([name, value]);
        }
      }
      if (spanId !== 0) pairs.push(['profile_id', BigInt.asUintN(64, BigInt(spanId)).toString(16).padStart(16, '0')]);
      const spanNameText = snapshot && spanName !== 0 ? snapshot.strings.get(spanName) : undefined;
      if (spanNameText) pairs.push(['span_name', spanNameText]);
      labels = pairs.length > 0 ? pairs : null;
      labelCache.set(key, labels);
    }
    return { key, labels };
  };

  const add = (kind: Kind, chunk: JfrChunk, event: JfrObject, values: readonly number[]): void => {
    let builder = builders.get(kind);
    if (!builder) builders.set(kind, (builder = new KindBuilder(kind, limits)));
    builder.enter(chunk.index);
    const stackKey = longKey(event.get('stackTrace'));
    const ids = stackOf(builder, chunk, stackKey);
    if (ids === null) return; // upstream drops events whose stack trace is not in the pool
    const { key: contextKey, labels } = sampleLabels(event);
    let byContext: Map<JfrLong | string, number> | undefined;
    if (contextKey !== null) {
      byContext = builder.samplesByContext.get(stackKey);
      if (!byContext) builder.samplesByContext.set(stackKey, (byContext = new Map()));
    }
    let s = byContext ? byContext.get(contextKey!) : builder.samplesByStack.get(stackKey);
    if (s === undefined) {
      const kept = builder.budget.sample(ids.length);
      // Over-deep stacks keep their root-most frames.
      builder.stacks.push(kept === ids.length ? ids : ids.slice(0, kept));
      builder.labels.push(labels);
      for (const column of builder.values) column.push(0);
      s = builder.stacks.length - 1;
      if (byContext) byContext.set(contextKey!, s);
      else builder.samplesByStack.set(stackKey, s);
    }
    for (let t = 0; t < values.length; t++) builder.values[t]![s]! += values[t]!;
  };

  readJfr(bytes, { poolTypes: POOL_TYPES, eventTypes: EVENT_TYPES, projections: { 'jdk.types.StackFrame': 'method' } }, (typeName, event, chunk) => {
    if (chunk.index !== chunkIndex) {
      chunkIndex = chunk.index;
      frameNames = new Map();
      threadStates = new Map();
      if (firstStartNanos < 0) firstStartNanos = chunk.startNanos;
      durationNanos += chunk.durationNanos;
    }
    const what = (field: string) => () => `${typeName}.${field}`;
    switch (typeName) {
      case 'jdk.ActiveSetting':
        if (chunk.text(event.get('name')) === 'event') jfrEvent = chunk.text(event.get('value')) ?? '';
        return;
      case 'jdk.ExecutionSample': {
        const state = threadState(chunk, event.get('state'));
        if (state !== null && state !== 'STATE_SLEEPING') add('cpu', chunk, event, [periodNs]);
        if (jfrEvent === 'wall') add('wall', chunk, event, [periodNs]);
        return;
      }
      case 'profiler.WallClockSample':
        add('wall', chunk, event, [numberField(event.get('samples'), what('samples')) * periodNs]);
        return;
      case 'jdk.ObjectAllocationInNewTLAB':
        add('inTlab', chunk, event, [1, numberField(event.get('tlabSize'), what('tlabSize'))]);
        return;
      case 'jdk.ObjectAllocationOutsideTLAB':
        add('outsideTlab', chunk, event, [1, numberField(event.get('allocationSize'), what('allocationSize'))]);
        return;
      case 'jdk.ObjectAllocationSample':
        add('allocSample', chunk, event, [1, numberField(event.get('weight'), what('weight'))]);
        return;
      case 'jdk.JavaMonitorEnter':
        add('lock', chunk, event, [1, numberField(event.get('duration'), what('duration'))]);
        return;
      case 'jdk.ThreadPark':
        add('park', chunk, event, [1, numberField(event.get('duration'), what('duration'))]);
        return;
      case 'profiler.LiveObject':
        add('live', chunk, event, [1]);
        return;
      case 'profiler.Malloc':
        add('malloc', chunk, event, [1, numberField(event.get('size'), what('size'))]);
        return;
    }
  });

  const profiles: JfrProfile[] = [];
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const builder = builders.get(kind);
    if (!builder || builder.stacks.length === 0) continue;
    const spec: KindSpec = KINDS[kind];
    const values = builder.values.map((column, t) => {
      const typed = Float64Array.from(column);
      for (let s = 0; s < typed.length; s++) {
        if (!(typed[s]! <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(`the sum of ${spec.sampleTypes[t]!.type} of one JFR stack`, typed[s]!);
      }
      return typed;
    });
    profiles.push({
      metricName: spec.metricName,
      profile: {
        sampleTypes: spec.sampleTypes,
        periodType: spec.periodType,
        period: spec.timed ? periodNs : 0,
        timeMs: firstStartNanos > 0 ? Math.floor(firstStartNanos / 1e6) : 0,
        durationNs: durationNanos,
        names: builder.names.strings,
        stacks: builder.stacks,
        values,
        sampleLabels: builder.labels,
      },
    });
  }
  return { jfrEvent, profiles };
}
