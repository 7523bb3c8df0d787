/**
 * OTLP profiles (v1development) → Cinder profiles, the way Pyroscope converts them
 * (pyroscope-api.md §2.3; upstream pkg/ingester/otlp/{convert,ingest_handler}.go). Runs on the decode
 * workers (decodePool.ts, formats 'otlp' and 'otlp-json'): no I/O, bytes in, profiles and their
 * series metadata out. Validation against the tenant's limits and storage happen in otlp.ts.
 *
 * Work is bounded before anything is materialised: the binary body is walked once at the wire
 * level (every element counted, every length checked), the JSON body is counted after JSON.parse,
 * and only then are protobuf-es messages built.
 */
import { fromBinary, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  CinderError,
  ErrorCodes,
  MAX_SAMPLE_VALUE,
  ProfileBuilder,
  pprofMetricName,
  profileTypeId,
  resolveDecodeLimits,
  valueOutOfRange,
  type DecodeLimits,
  type ErrorCode,
  type LabelPairs,
  type Profile,
  type ValueType,
} from '@cinder/core';
import { ExportProfilesServiceRequestSchema, type ExportProfilesServiceRequest } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import type { KeyValue } from '../gen/opentelemetry/proto/common/v1/common_pb.js';
import type { Profile as OtlpProfile, ProfilesDictionary, Sample as OtlpSample } from '../gen/opentelemetry/proto/profiles/v1development/profiles_pb.js';

/** What the worker hands back with each profile: enough for otlp.ts to validate and store it. */
export interface OtlpEntryMeta {
  /** Ordinal of the OTLP Profile in the request (one OTLP profile may yield several entries, one per sample service.name). */
  profileOrdinal: number;
  /** Resource then scope attributes (string and integer values), as series labels before otlp.ts applies the reserved-name rule. */
  attributes: [string, string][];
  serviceName: string;
  metricName: string;
  profileTypeId: string;
  /** A conversion refusal of this OTLP profile only: the rest of the request goes on (partial success). */
  rejected?: { code: ErrorCode; message: string };
}

export interface OtlpDecodeLimits {
  decode: DecodeLimits;
  /** OTLP profiles (and resource / scope containers) per request: --max-push-profiles. */
  maxProfiles: number;
}

/** Defaults as Push's (limits.ts) for whatever the caller leaves out. */
const DEFAULT_MAX_PROFILES = 1000;

export interface OtlpDecoded {
  profile: Profile;
  otlp: OtlpEntryMeta;
}

const SERVICE_NAME = 'service.name';
const EXECUTABLE_NAME = 'process.executable.name';
const KNOWN_FAMILIES = new Set(['process_cpu', 'memory', 'mutex', 'block', 'goroutines', 'wall']);
/** AnyValue may nest arrays and key-value lists; real attributes are one or two levels deep. */
const MAX_NESTING = 32;

function malformed(message: string): CinderError {
  return new CinderError(ErrorCodes.INGEST_MALFORMED_OTLP, message);
}

function tooMany(what: string, seen: number, max: number, flag: string): CinderError {
  return new CinderError(
    ErrorCodes.INGEST_PROFILE_TOO_COMPLEX,
    `the OTLP request has ${seen > max ? `more than ${max}` : seen} ${what}, more than the limit of ${max}; send fewer per request or raise ${flag}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Wire-level walk. Field numbers per message (opentelemetry-proto @ ac2c4b5d):
//   ExportProfilesServiceRequest{1: ResourceProfiles[], 2: ProfilesDictionary}
//   ResourceProfiles{1: Resource{1: KeyValue[]}, 2: ScopeProfiles[]}  ScopeProfiles{1: Scope{3: KeyValue[]}, 2: Profile[]}
//   Profile{1, 5: ValueType, 2: Sample[], 11: packed}  Sample{2, 4, 5: packed}
//   ProfilesDictionary{1: Mapping, 2: Location{3: Line, 4: packed}, 3: Function, 4: Link, 5: string, 6: KeyValueAndUnit, 7: Stack{1: packed}}
// A child of 'packed' is a packed scalar list: its byte length bounds its element count.
type Child = string | 'packed';
const WIRE_SCHEMA: Record<string, Record<number, Child>> = {
  Request: { 1: 'ResourceProfiles', 2: 'Dictionary' },
  ResourceProfiles: { 1: 'Resource', 2: 'ScopeProfiles' },
  Resource: { 1: 'KeyValue' },
  ScopeProfiles: { 1: 'Scope', 2: 'Profile' },
  Scope: { 3: 'KeyValue' },
  KeyValue: { 2: 'AnyValue' },
  KeyValueAndUnit: { 2: 'AnyValue' },
  AnyValue: { 5: 'ArrayValue', 6: 'KeyValueList' },
  ArrayValue: { 1: 'AnyValue' },
  KeyValueList: { 1: 'KeyValue' },
  Profile: { 1: 'ValueType', 2: 'Sample', 5: 'ValueType', 11: 'packed' },
  ValueType: {},
  Sample: { 2: 'packed', 4: 'packed', 5: 'packed' },
  Dictionary: { 1: 'Mapping', 2: 'Location', 3: 'Function', 4: 'Link', 6: 'KeyValueAndUnit', 7: 'Stack' },
  Mapping: { 5: 'packed' },
  Location: { 3: 'Line', 4: 'packed' },
  Line: {},
  Function: {},
  Link: {},
  Stack: { 1: 'packed' },
};

const CONTAINER_NAMES: Record<string, string> = { ResourceProfiles: 'resource profiles', ScopeProfiles: 'scope profiles', Profile: 'profiles' };

/**
 * Counts every element of an encoded request (each field occurrence, plus the byte length of
 * packed lists) and the OTLP profiles it holds, refusing at the first limit crossed; a length
 * that runs past its parent or a broken varint is refused as malformed. Linear in the bytes.
 */
export function assertOtlpRequestWithinLimits(bytes: Uint8Array, limits: OtlpDecodeLimits): void {
  const maxElements = limits.decode.maxFramesPerProfile;
  let elements = 0;
  const containers: Record<string, number> = { ResourceProfiles: 0, ScopeProfiles: 0, Profile: 0 };
  const readVarint = (at: number, end: number): [value: number, next: number] => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) throw malformed('the OTLP request is truncated (a varint runs past the end of its message)');
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, at];
      scale *= 128;
    }
    throw malformed('the OTLP request has a varint longer than 10 bytes');
  };
  // Explicit stack of [message, end offset]: nesting comes from the input, so no recursion.
  const stack: { type: string; end: number }[] = [{ type: 'Request', end: bytes.length }];
  let at = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (at === top.end) {
      stack.pop();
      continue;
    }
    const [key, afterKey] = readVarint(at, top.end);
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0) throw malformed('the OTLP request has a field numbered 0 (not protobuf)');
    if (++elements > maxElements) throw tooMany('elements (samples, table entries, indices)', elements, maxElements, '--max-frames-per-profile');
    if (wireType === 0) at = readVarint(afterKey, top.end)[1];
    else if (wireType === 1 || wireType === 5) {
      at = afterKey + (wireType === 1 ? 8 : 4);
      if (at > top.end) throw malformed('the OTLP request is truncated (a fixed-size field runs past the end of its message)');
    } else if (wireType === 2) {
      const [length, start] = readVarint(afterKey, top.end);
      const end = start + length;
      if (end > top.end) throw malformed('the OTLP request is truncated (a length-delimited field runs past the end of its message)');
      const child = WIRE_SCHEMA[top.type]?.[field];
      at = end;
      if (child === 'packed') {
        elements += length;
        if (elements > maxElements) throw tooMany('elements (samples, table entries, indices)', elements, maxElements, '--max-frames-per-profile');
      } else if (child !== undefined) {
        if (child in containers && ++containers[child]! > limits.maxProfiles) {
          throw tooMany(CONTAINER_NAMES[child]!, containers[child]!, limits.maxProfiles, '--max-push-profiles');
        }
        if (length > 0) {
          if (stack.length > MAX_NESTING) throw malformed(`the OTLP request nests messages more than ${MAX_NESTING} levels deep`);
          stack.push({ type: child, end });
          at = start;
        }
      }
    } else {
      throw malformed(`the OTLP request has wire type ${wireType}, which protobuf does not use (not an ExportProfilesServiceRequest)`);
    }
  }
}

/** Top-level fields other than resource profiles a request may repeat (dictionaries to merge, unknown fields). */
const MAX_OTHER_TOP_LEVEL_FIELDS = 64;

/**
 * The top level of an encoded request only, in O(--max-push-profiles) steps whatever its size: for a
 * transport that must hand a parsed message to its handler (gRPC), so the slices it makes of each
 * top-level field are bounded before it makes them. The full walk above still runs on the worker.
 */
export function assertOtlpTopLevelWithinLimits(bytes: Uint8Array, maxProfiles: number): void {
  let resourceProfiles = 0;
  let others = 0;
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= bytes.length) throw malformed('the OTLP request is truncated (a varint runs past its end)');
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw malformed('the OTLP request has a varint longer than 10 bytes');
  };
  while (at < bytes.length) {
    const key = readVarint();
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0) throw malformed('the OTLP request has a field numbered 0 (not protobuf)');
    if (field === 1) {
      if (++resourceProfiles > maxProfiles) throw tooMany('resource profiles', resourceProfiles, maxProfiles, '--max-push-profiles');
    } else if (++others > MAX_OTHER_TOP_LEVEL_FIELDS) {
      throw malformed(`the OTLP request has more than ${MAX_OTHER_TOP_LEVEL_FIELDS} top-level fields besides its resource profiles`);
    }
    if ((field === 1 || field === 2) && wireType !== 2) throw malformed(`field ${field} of the OTLP request is not a message (wire type ${wireType})`);
    if (wireType === 0) readVarint();
    else if (wireType === 1 || wireType === 5) at += wireType === 1 ? 8 : 4;
    else if (wireType === 2) {
      const length = readVarint();
      at += length;
    }
    else throw malformed(`the OTLP request has wire type ${wireType}, which protobuf does not use (not an ExportProfilesServiceRequest)`);
    if (at > bytes.length) throw malformed('the OTLP request is truncated (a field runs past its end)');
  }
}

/** The JSON form of assertOtlpRequestWithinLimits, on the parsed value (JSON.parse is linear; building messages is not). */
export function assertOtlpJsonWithinLimits(value: unknown, limits: OtlpDecodeLimits): void {
  const maxElements = limits.decode.maxFramesPerProfile;
  let elements = 0;
  let profiles = 0;
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: node, depth } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_NESTING * 2) throw malformed(`the OTLP JSON request nests more than ${MAX_NESTING * 2} levels deep`);
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    elements += children.length;
    if (elements > maxElements) throw tooMany('elements (samples, table entries, indices)', elements, maxElements, '--max-frames-per-profile');
    if (!Array.isArray(node)) {
      const list = (node as Record<string, unknown>).profiles;
      if (Array.isArray(list) && (profiles += list.length) > limits.maxProfiles) throw tooMany('profiles', profiles, limits.maxProfiles, '--max-push-profiles');
    }
    for (const child of children) if (child !== null && typeof child === 'object') pending.push({ value: child, depth: depth + 1 });
  }
}

/**
 * OTLP/JSON writes trace and span ids as hex (not protobuf JSON's base64). Their lengths tell the two
 * apart: an 8-byte span id is 16 hex or 12 base64 characters, a 16-byte trace id 32 or 24.
 */
function hexIdsToBase64(value: unknown): void {
  const dictionary = (value as { dictionary?: { linkTable?: unknown; link_table?: unknown } } | null)?.dictionary;
  const links = dictionary?.linkTable ?? dictionary?.link_table;
  if (!Array.isArray(links)) return;
  for (const link of links) {
    if (link === null || typeof link !== 'object') continue;
    const record = link as Record<string, unknown>;
    for (const [camel, snake, hexLength] of [
      ['traceId', 'trace_id', 32],
      ['spanId', 'span_id', 16],
    ] as const) {
      for (const key of [camel, snake]) {
        const id = record[key];
        if (typeof id === 'string' && id.length === hexLength && /^[0-9a-fA-F]+$/.test(id)) record[key] = Buffer.from(id, 'hex').toString('base64');
      }
    }
  }
}

export function parseOtlpRequest(bytes: Uint8Array, json: boolean, limits: OtlpDecodeLimits): ExportProfilesServiceRequest {
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (error) {
      throw malformed(`the OTLP request is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('the OTLP JSON request must be an object (ExportProfilesServiceRequest)');
    assertOtlpJsonWithinLimits(parsed, limits);
    hexIdsToBase64(parsed);
    try {
      return fromJson(ExportProfilesServiceRequestSchema, parsed as JsonValue);
    } catch (error) {
      throw malformed(`the OTLP JSON request is not an ExportProfilesServiceRequest: ${(error as Error).message.slice(0, 300)}`);
    }
  }
  assertOtlpRequestWithinLimits(bytes, limits);
  try {
    return fromBinary(ExportProfilesServiceRequestSchema, bytes);
  } catch (error) {
    throw malformed(`the OTLP request is not a valid ExportProfilesServiceRequest protobuf: ${(error as Error).message.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Resource and scope attributes with string or integer values (upstream: first occurrence of a key wins). */
function attributeLabels(attributes: readonly KeyValue[], into: Map<string, string>): void {
  for (const attribute of attributes) {
    if (into.has(attribute.key) || attribute.key === '') continue;
    const value = attribute.value?.value;
    if (value?.case === 'stringValue' && value.value !== '') into.set(attribute.key, value.value);
    else if (value?.case === 'intValue') into.set(attribute.key, value.value.toString());
  }
}

/** Upstream's rule: service.name, else `unknown_service:<process.executable.name>`, else `unknown_service`. */
export function resourceServiceName(attributes: readonly KeyValue[]): string {
  let fallback = 'unknown_service';
  for (const attribute of attributes) {
    const value = attribute.value?.value;
    if (value?.case !== 'stringValue' || value.value === '') continue;
    if (attribute.key === SERVICE_NAME) return value.value;
    if (attribute.key === EXECUTABLE_NAME) fallback += ':' + value.value;
  }
  return fallback;
}

function at<T>(table: readonly T[], index: number, what: string): T {
  if (!(index >= 0 && index < table.length)) throw malformed(`${what} index ${index} is outside its table (${table.length} entries)`);
  return table[index]!;
}

type Conversion = 'samplesToNanos' | 'sumEvents' | 'sum';

interface ProfileShape {
  sampleType: ValueType;
  periodType: ValueType | null;
  period: number;
  metricName: string;
  conversion: Conversion;
}

/** Sample type and period → the stored type and `__name__` (pyroscope-api.md §2.3). */
function profileShape(profile: OtlpProfile, strings: readonly string[]): ProfileShape {
  if (!profile.sampleType) throw malformed('an OTLP profile has no sample_type');
  const sampleType = { type: at(strings, profile.sampleType.typeStrindex, 'sample type string'), unit: at(strings, profile.sampleType.unitStrindex, 'sample unit string') };
  const givenPeriodType = profile.periodType
    ? { type: at(strings, profile.periodType.typeStrindex, 'period type string'), unit: at(strings, profile.periodType.unitStrindex, 'period unit string') }
    : null;
  const period = Number(profile.period);
  if (!(period >= 0 && period <= MAX_SAMPLE_VALUE)) throw valueOutOfRange('the profile period', profile.period);
  const periodType = givenPeriodType && (givenPeriodType.type !== '' || givenPeriodType.unit !== '') ? givenPeriodType : null;
  const key = `${sampleType.type}:${sampleType.unit}:${period !== 0 && periodType ? `${periodType.type}:${periodType.unit}` : ':'}`;
  if (key === 'samples:count:cpu:nanoseconds') {
    return { sampleType: { type: 'cpu', unit: 'nanoseconds' }, periodType, period, metricName: 'process_cpu', conversion: 'samplesToNanos' };
  }
  if (key === 'off_cpu:nanoseconds::' || key === 'events:nanoseconds::') {
    return { sampleType, periodType, period, metricName: 'off_cpu', conversion: 'sumEvents' };
  }
  // Upstream guesses process_cpu for every other type; the /ingest pprof rule (§3) names the
  // families it knows (memory, mutex, …) and keeps that guess for the rest.
  const inferred = pprofMetricName([sampleType], null);
  return { sampleType, periodType, period, metricName: KNOWN_FAMILIES.has(inferred) ? inferred : 'process_cpu', conversion: 'sum' };
}

/** One sample's value: observations summed (values per timestamp), or the timestamp count when there are no values. */
function sampleValue(sample: OtlpSample, shape: ProfileShape): number {
  let total: bigint;
  if (sample.values.length === 0) {
    if (sample.timestampsUnixNano.length === 0) throw malformed('an OTLP sample has neither values nor timestamps');
    total = BigInt(sample.timestampsUnixNano.length);
  } else {
    total = 0n;
    for (const value of sample.values) {
      if (value < 0n) throw valueOutOfRange('a sample value', value);
      total += value;
    }
  }
  if (shape.conversion === 'samplesToNanos') total *= BigInt(shape.period);
  if (total > BigInt(MAX_SAMPLE_VALUE)) throw valueOutOfRange(`a sample value after conversion to ${shape.sampleType.unit}`, total);
  return Number(total);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Builds the profiles of one OTLP profile: one per sample `service.name` ('' = the resource's). */
class ProfileConverter {
  private readonly builders = new Map<string, ProfileBuilder>();
  /** Frame ids root first, per location index, per builder (ids are builder-local). */
  private readonly locationFrames = new Map<ProfileBuilder, Map<number, number[]>>();

  constructor(
    private readonly dictionary: ProfilesDictionary,
    private readonly shape: ProfileShape,
    private readonly limits: DecodeLimits,
  ) {}

  private builder(service: string): ProfileBuilder {
    let builder = this.builders.get(service);
    if (!builder) {
      builder = new ProfileBuilder([this.shape.sampleType], this.shape.periodType, this.shape.period, this.limits);
      this.builders.set(service, builder);
      this.locationFrames.set(builder, new Map());
    }
    return builder;
  }

  /** A location's frames root first: pprof lists inlined lines callee first. */
  private framesOf(builder: ProfileBuilder, locationIndex: number): number[] {
    const cache = this.locationFrames.get(builder)!;
    const cached = cache.get(locationIndex);
    if (cached) return cached;
    const { dictionary } = this;
    const location = at(dictionary.locationTable, locationIndex, 'location');
    const frames: number[] = [];
    if (location.lines.length === 0) {
      // Unsymbolized: named by address, as the pprof decoder names such frames.
      frames.push(builder.internName(`0x${location.address.toString(16)}`));
    } else {
      for (let l = location.lines.length - 1; l >= 0; l--) {
        const fn = at(dictionary.functionTable, location.lines[l]!.functionIndex, 'function');
        const name = at(dictionary.stringTable, fn.nameStrindex, 'function name string') || at(dictionary.stringTable, fn.systemNameStrindex, 'function system name string');
        frames.push(builder.internName(name || `0x${location.address.toString(16)}`));
      }
    }
    cache.set(locationIndex, frames);
    return frames;
  }

  addSample(sample: OtlpSample): void {
    const { dictionary } = this;
    let service = '';
    let labels: [string, string][] | null = null;
    for (const index of sample.attributeIndices) {
      const attribute = at(dictionary.attributeTable, index, 'attribute');
      const key = at(dictionary.stringTable, attribute.keyStrindex, 'attribute key string');
      const value = attribute.value?.value;
      if (value?.case !== 'stringValue' || value.value === '') continue;
      if (key === SERVICE_NAME) service = value.value;
      else (labels ??= []).push([key, value.value]);
    }
    if (sample.linkIndex !== 0) {
      const link = at(dictionary.linkTable, sample.linkIndex, 'link');
      if (link.spanId.length > 0) (labels ??= []).push(['span_id', hex(link.spanId)]);
      if (link.traceId.length > 0) (labels ??= []).push(['trace_id', hex(link.traceId)]);
    }
    const value = sampleValue(sample, this.shape);
    const locations = at(dictionary.stackTable, sample.stackIndex, 'stack').locationIndices;
    const builder = this.builder(service);
    const idsRootFirst: number[] = [];
    // Stack locations are leaf first; frames beyond the depth limit are never expanded.
    for (let i = locations.length - 1; i >= 0 && idsRootFirst.length < this.limits.maxStackDepth; i--) {
      for (const id of this.framesOf(builder, locations[i]!)) idsRootFirst.push(id);
    }
    builder.addStackIds(idsRootFirst, idsRootFirst.length, [value], labels as LabelPairs | null);
  }

  results(): [service: string, profile: Profile][] {
    return [...this.builders].map(([service, builder]) => [service, builder.build()]);
  }
}

function emptyProfile(): Profile {
  return { sampleTypes: [], periodType: null, period: 0, timeMs: 0, durationNs: 0, names: [], stacks: [], values: [], sampleLabels: [] };
}

/** The whole request: parsed, bounded, converted. A problem with one OTLP profile rejects only that profile. */
export function decodeOtlpRequest(bytes: Uint8Array, json: boolean, given: { decode?: Partial<DecodeLimits>; maxProfiles?: number } = {}): OtlpDecoded[] {
  const limits: OtlpDecodeLimits = { decode: resolveDecodeLimits(given.decode), maxProfiles: given.maxProfiles ?? DEFAULT_MAX_PROFILES };
  const request = parseOtlpRequest(bytes, json, limits);
  const dictionary = request.dictionary;
  if (!dictionary) throw malformed('the OTLP request has no dictionary (ProfilesDictionary is required by v1development)');
  if (request.resourceProfiles.length === 0) throw new CinderError(ErrorCodes.INGEST_NO_PROFILES, 'the OTLP request has no resource_profiles');
  const out: OtlpDecoded[] = [];
  let ordinal = 0;
  for (const resourceProfiles of request.resourceProfiles) {
    const resourceAttributes = resourceProfiles.resource?.attributes ?? [];
    const resourceService = resourceServiceName(resourceAttributes);
    for (const scopeProfiles of resourceProfiles.scopeProfiles) {
      const given = new Map<string, string>();
      attributeLabels(resourceAttributes, given);
      attributeLabels(scopeProfiles.scope?.attributes ?? [], given);
      for (const otlpProfile of scopeProfiles.profiles) {
        const profileOrdinal = ordinal++;
        try {
          const shape = profileShape(otlpProfile, dictionary.stringTable);
          const converter = new ProfileConverter(dictionary, shape, limits.decode);
          for (const sample of otlpProfile.samples) converter.addSample(sample);
          const timeMs = Number(otlpProfile.timeUnixNano / 1_000_000n);
          for (const [sampleService, profile] of converter.results()) {
            profile.timeMs = timeMs;
            profile.durationNs = Number(otlpProfile.durationNano);
            out.push({
              profile,
              otlp: { profileOrdinal, attributes: [...given], serviceName: sampleService || resourceService, metricName: shape.metricName, profileTypeId: profileTypeId(shape.metricName, profile.sampleTypes[0]!, shape.periodType) },
            });
          }
        } catch (error) {
          if (!(error instanceof CinderError)) throw error;
          out.push({ profile: emptyProfile(), otlp: { profileOrdinal, attributes: [], serviceName: '', metricName: '', profileTypeId: '', rejected: { code: error.code, message: error.message } } });
        }
      }
    }
  }
  return out;
}
