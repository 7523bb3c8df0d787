/**
 * Profile-type IDs (`name:sample_type:sample_unit:period_type:period_unit`) and how ingest derives
 * them: spec profile-types.md §1 (IDs), §2 (/ingest text formats), §3 (`__name__` of a pprof).
 */
import { CinderError, ErrorCodes } from './errors.js';
import type { ProfileTypeParts } from './flamegraph/format.js';
import type { ValueType } from './model.js';

export function profileTypeId(name: string, sampleType: ValueType, periodType: ValueType | null): string {
  return `${name}:${sampleType.type}:${sampleType.unit}:${periodType?.type ?? ''}:${periodType?.unit ?? ''}`;
}

/**
 * Query side (spec §1, upstream ParseProfileTypeSelector): 5 parts, or 6 with a tolerated trailing
 * part (e.g. `:delta`, dropped). Empty parts are allowed, as upstream: `memory:inuse_space:bytes::`.
 */
export function validateProfileTypeId(id: string): ProfileTypeParts {
  const parts = id.split(':');
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CinderError(
      ErrorCodes.QUERY_INVALID_PROFILE_TYPE,
      `profile type "${id}" is not name:sample_type:sample_unit:period_type:period_unit (e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds)`,
    );
  }
  const [name = '', sampleType = '', sampleUnit = '', periodType = '', periodUnit = ''] = parts;
  return { name, sampleType, sampleUnit, periodType, periodUnit };
}

export interface SampleTypeConfigEntry {
  'display-name'?: string;
  units?: string;
  aggregation?: string;
  cumulative?: boolean;
  sampled?: boolean;
}

export type SampleTypeConfig = Record<string, SampleTypeConfigEntry>;

const DEFAULT_SAMPLE_TYPE_CONFIG: SampleTypeConfig = {
  samples: { 'display-name': 'cpu' },
  goroutine: { 'display-name': 'goroutines' },
  contentions: { 'display-name': 'mutex_count' },
  delay: { 'display-name': 'mutex_duration' },
  inuse_objects: {},
  alloc_objects: {},
  inuse_space: {},
  alloc_space: {},
};

export function parseSampleTypeConfig(json: string): SampleTypeConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `sample_type_config is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, 'sample_type_config must be a JSON object keyed by sample type, e.g. {"alloc_space": {"units": "bytes"}}');
  }
  const config: SampleTypeConfig = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object') {
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `sample_type_config entry "${key}" must be an object`);
    }
    config[key] = value as SampleTypeConfigEntry;
  }
  return config;
}

/** §3: the `__name__` of an /ingest pprof upload. */
export function pprofMetricName(sampleTypes: readonly ValueType[], config: SampleTypeConfig | null): string {
  if (sampleTypes.some((st) => st.type === 'wall')) return 'wall';
  const effective = config ?? DEFAULT_SAMPLE_TYPE_CONFIG;
  let last = '';
  for (const sampleType of sampleTypes) {
    const st = effective[sampleType.type]?.['display-name'] || sampleType.type;
    last = st;
    if (st.includes('cpu')) return 'process_cpu';
    if (st.includes('alloc_') || st.includes('inuse_') || st === 'space' || st === 'objects') return 'memory';
    if (st.includes('mutex_')) return 'mutex';
    if (st.includes('block_')) return 'block';
    if (st.includes('goroutines')) return 'goroutines';
  }
  return last;
}

interface SuffixType {
  metricName: string;
  sampleType: ValueType;
}

const SUFFIX_TYPES: Record<string, SuffixType> = (() => {
  const table: Record<string, SuffixType> = {};
  const add = (suffixes: string[], metricName: string, type: string, unit: string): void => {
    for (const suffix of suffixes) table[suffix] = { metricName, sampleType: { type, unit } };
  };
  add(['cpu', 'itimer'], 'process_cpu', 'samples', 'count');
  add(['wall', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds'], 'wall', 'samples', 'count');
  for (const t of ['inuse_objects', 'alloc_objects', 'alloc_in_new_tlab_objects', 'alloc_outside_tlab_objects']) add([t], 'memory', t, 'count');
  for (const t of ['inuse_space', 'alloc_space', 'alloc_in_new_tlab_bytes', 'alloc_outside_tlab_bytes']) add([t], 'memory', t, 'bytes');
  add(['live'], 'memory', 'live', 'count');
  add(['bytes'], 'memory', 'samples', 'bytes');
  add(['goroutines'], 'goroutine', 'goroutines', 'count');
  add(['mutex_count'], 'mutex', 'contentions', 'count');
  add(['mutex_duration'], 'mutex', 'delay', 'nanoseconds');
  add(['block_count', 'lock_count'], 'block', 'contentions', 'count');
  add(['block_duration', 'lock_duration'], 'block', 'delay', 'nanoseconds');
  add(['exceptions'], 'exceptions', 'samples', 'count');
  return table;
})();

export interface TextProfileType {
  serviceName: string;
  metricName: string;
  sampleType: ValueType;
  periodType: ValueType | null;
  /** ns when scaled, else 0 */
  period: number;
  /** Multiplier for every value (the period in ns, or 1). */
  scale: number;
}

/** §2: the type of an /ingest text upload, from the app name's last `.` segment and sampleRate. */
export function textProfileType(appName: string, sampleRate: number): TextProfileType {
  const dot = appName.lastIndexOf('.');
  const suffix = dot < 0 ? 'cpu' : appName.slice(dot + 1);
  const serviceName = dot < 0 ? appName : appName.slice(0, dot);
  const known = SUFFIX_TYPES[suffix];
  if (!known) {
    throw new CinderError(
      ErrorCodes.INGEST_UNKNOWN_PROFILE_SUFFIX,
      `unknown profile type suffix ".${suffix}" in name "${appName}": use e.g. .cpu, .wall, .alloc_space, .inuse_space, .goroutines, .mutex_duration or no suffix (cpu)`,
    );
  }
  if ((known.metricName === 'process_cpu' || known.metricName === 'wall') && sampleRate > 0) {
    const period = Math.floor(1e9 / sampleRate);
    return {
      serviceName,
      metricName: known.metricName,
      sampleType: known.metricName === 'process_cpu' ? { type: 'cpu', unit: 'nanoseconds' } : { type: 'wall', unit: 'nanoseconds' },
      periodType: { type: 'cpu', unit: 'nanoseconds' },
      period,
      scale: period,
    };
  }
  return { serviceName, metricName: known.metricName, sampleType: known.sampleType, periodType: null, period: 0, scale: 1 };
}

/*
 * Names people read for profile-type IDs: "<family> · <what is measured>", e.g. "Wall · CPU time"
 * for the Node SDK's `wall:cpu:nanoseconds:…`, which a family-only name ("Wall") made look like a
 * second wall profile. Both halves come from the ID so that any two IDs that differ in name or
 * sample type read differently; IDs that differ only in unit or period get a qualifier from
 * `profileTypeLabels` (e.g. Go's and Node's in-use memory both read "Memory · in-use bytes").
 */

const FAMILY_NAMES: Record<string, string> = {
  process_cpu: 'CPU',
  wall: 'Wall',
  memory: 'Memory',
  goroutine: 'Goroutines',
  goroutines: 'Goroutines',
  mutex: 'Mutex',
  block: 'Block',
  exceptions: 'Exceptions',
};

/** Sample types by their normalised name (`-` → `_`, as .NET agents spell some of them). */
const SAMPLE_TYPE_NAMES: Record<string, string> = {
  cpu: 'CPU time',
  wall: 'wall time',
  samples: 'samples',
  sample: 'samples',
  inuse_space: 'in-use bytes',
  inuse_objects: 'in-use objects',
  space: 'in-use bytes',
  objects: 'in-use objects',
  alloc_space: 'alloc bytes',
  alloc_objects: 'alloc objects',
  alloc_in_new_tlab_bytes: 'alloc bytes in new TLAB',
  alloc_in_new_tlab_objects: 'alloc objects in new TLAB',
  alloc_outside_tlab_bytes: 'alloc bytes outside TLAB',
  alloc_outside_tlab_objects: 'alloc objects outside TLAB',
  alloc_sample_bytes: 'sampled alloc bytes',
  alloc_sample_objects: 'sampled alloc objects',
  alloc_size: 'alloc bytes',
  alloc_samples: 'alloc samples',
  malloc_bytes: 'malloc bytes',
  malloc_objects: 'malloc objects',
  live: 'live objects',
  goroutine: 'count',
  goroutines: 'count',
  contentions: 'contentions',
  delay: 'delay',
  lock_count: 'lock contentions',
  lock_time: 'lock time',
  exception: 'exceptions',
  exceptions: 'exceptions',
};

const TIME_UNITS = new Set(['nanoseconds', 'microseconds', 'milliseconds', 'seconds']);

function humanize(text: string): string {
  return text.replace(/[_-]+/g, ' ').trim();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One profile type's name, "<family> · <what>" (e.g. "Memory · in-use bytes"); unknown parts are shown as they are. */
export function profileTypeDisplayName(id: string): string {
  const [name = '', sampleType = '', sampleUnit = ''] = id.split(':');
  const family = FAMILY_NAMES[name] ?? (capitalize(humanize(name)) || 'Unnamed');
  const known = SAMPLE_TYPE_NAMES[sampleType.replace(/-/g, '_')];
  let what = known ?? humanize(sampleType);
  // "samples" says nothing about the unit, so one in bytes or seconds keeps it visible; the other known names imply theirs.
  if ((known === undefined || known === 'samples') && sampleUnit !== '' && sampleUnit !== 'count') what = `${what} (${sampleUnit})`;
  return what ? `${family} · ${what}` : family;
}

function periodText(id: string): string {
  const [, , , periodType = '', periodUnit = ''] = id.split(':');
  const text = [periodType, periodUnit].filter(Boolean).join(' ');
  return text ? `per ${text}` : 'no period';
}

/**
 * Names for a picker: the display name, and when two IDs of the list share it, a qualifier that tells
 * them apart (the sample unit if that differs, else the period, else the ID itself). Every ID gets a
 * different name, and each name is the same whatever order the IDs come in.
 */
export function profileTypeLabels(ids: readonly string[]): Map<string, string> {
  const unique = [...new Set(ids)];
  const groups = new Map<string, string[]>();
  for (const id of unique) {
    const label = profileTypeDisplayName(id);
    const group = groups.get(label);
    if (group) group.push(id);
    else groups.set(label, [id]);
  }
  const labels = new Map<string, string>();
  const qualifiers: ((id: string) => string)[] = [(id) => id.split(':')[2] || 'no unit', periodText, (id) => id];
  for (const [label, group] of groups) {
    if (group.length === 1) {
      labels.set(group[0]!, label);
      continue;
    }
    const qualify = qualifiers.find((q) => new Set(group.map(q)).size === group.length) ?? qualifiers[qualifiers.length - 1]!;
    for (const id of group) labels.set(id, `${label} (${qualify(id)})`);
  }
  // A qualified name can in principle equal another group's plain name; the ID settles any such tie.
  const seen = new Map<string, number>();
  for (const label of labels.values()) seen.set(label, (seen.get(label) ?? 0) + 1);
  for (const [id, label] of labels) if ((seen.get(label) ?? 0) > 1) labels.set(id, `${label} [${id}]`);
  return labels;
}

const FAMILY_ORDER = ['process_cpu', 'wall', 'memory', 'goroutine', 'goroutines', 'mutex', 'block', 'exceptions'];

/** Sort key: family (CPU, wall, memory, …), then time before bytes before counts, then CPU before wall time and allocations before in-use. */
function rankOf(id: string): [number, number, number] {
  const [name = '', sampleType = '', sampleUnit = ''] = id.split(':');
  const family = FAMILY_ORDER.indexOf(name);
  const unitClass = TIME_UNITS.has(sampleUnit) ? 0 : sampleUnit === 'bytes' ? 1 : 2;
  const st = sampleType.replace(/-/g, '_');
  const typeOrder = st === 'cpu' ? 0 : st === 'wall' ? 1 : st.startsWith('alloc') ? 2 : st.startsWith('inuse') ? 3 : 4;
  return [family < 0 ? FAMILY_ORDER.length : family, unitClass, typeOrder];
}

function compareProfileTypes(a: string, b: string): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Picker order: CPU, wall, memory, …; within each, time and bytes before counts. */
export function sortProfileTypes(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort(compareProfileTypes);
}

/**
 * The type to show when none is chosen (or the chosen one is not offered): the first family the
 * service has (CPU, then wall, then memory, …) and in it time or bytes before counts, so Go, Java,
 * .NET and Rust open on CPU time, the Node SDK on its wall profile's CPU time, py-spy on CPU samples.
 */
export function defaultProfileType(available: readonly string[], wanted = ''): string {
  if (wanted && available.includes(wanted)) return wanted;
  return sortProfileTypes(available)[0] ?? '';
}

/**
 * How a profile type's values combine over time. `sum` for cumulative types (CPU time, allocations,
 * contentions: each profile measures its own interval, so a range's work is their sum); `average`
 * for gauges (in-use memory, goroutines, live objects: each profile is a snapshot of the same state,
 * so summing 36 snapshots reports 36 times the memory; Pyroscope's legacy `aggregationType=average`).
 */
export type ProfileTypeAggregation = 'sum' | 'average';

const GAUGE_SAMPLE_TYPES = new Set(['inuse_space', 'inuse_objects', 'space', 'objects', 'live', 'goroutine', 'goroutines']);

export function profileTypeAggregation(id: string): ProfileTypeAggregation {
  const [name = '', sampleType = ''] = id.split(':');
  const st = sampleType.replace(/-/g, '_');
  if (GAUGE_SAMPLE_TYPES.has(st) || st.startsWith('inuse_')) return 'average';
  // Go's goroutine profile counts goroutines with sample type "goroutine"/"goroutines"; keep the family too for agents that name it "samples".
  if (name === 'goroutine' || name === 'goroutines') return 'average';
  return 'sum';
}
