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
