import { randomUUID } from 'node:crypto';
import {
  CinderError,
  ErrorCodes,
  parseSampleTypeConfig,
  parseTimeParam,
  SPEEDSCOPE_SAMPLE_RATE,
  pprofMetricName,
  profileTypeId,
  textProfileType,
  type Profile,
  type SampleTypeConfig,
} from '@cinder/core';
import type { IngestLimits } from './limits.js';
import type { ValidatedProfile } from '../storage/store.js';
import { ingestDeps, storeValidated, type IngestContext, type IngestDeps } from './context.js';
import { codeDecodeOption, recordProfileCode } from './codeHook.js';
import { reservedOnIngest, seriesLabels } from './labels.js';
import type { DecodeFormat, ProfileDecoder } from './decodePool.js';
import { allZero, cumulativeDelta, isGaugeSampleType } from './delta.js';
import { parseMultipart } from './multipart.js';
import { parseIngestName, type ParsedName } from './name.js';
import { decodeLimitsOf } from './limits.js';
import { validateProfile } from './validate.js';

/** A legacy `/ingest` request as the HTTP adapter hands it over. */
export interface LegacyIngestRequest {
  tenant: string;
  query: Record<string, string | undefined>;
  contentType: string;
  /** As received, less any Content-Encoding (the HTTP edge undoes that). */
  body: Buffer;
}

export interface IngestResult {
  /** Stored profiles (one per series the samples split into). */
  storedProfiles: number;
}

const TIME_UNITS = { nanoseconds: 1, microseconds: 1, milliseconds: 1, seconds: 1 };
const TEXT_FORMATS = new Set(['', 'folded', 'collapsed', 'groups', 'lines', 'trie', 'tree', 'speedscope']);
/** Formats whose decoder names the profile type itself (no `.cpu`-style suffix on the app name). */
const SELF_TYPED_FORMATS = new Set(['jfr', 'cpuprofile', 'perf_script']);
const KNOWN_FORMATS = new Set([...TEXT_FORMATS, 'pprof', ...SELF_TYPED_FORMATS]);

/**
 * The ingest pipeline shared by `/ingest` and Push: read body → decode (core) → validate into
 * ValidatedProfile → hand to the sink. The HTTP layer only translates requests and errors.
 */
export class IngestService {
  private readonly deps: IngestDeps;

  constructor(context: IngestContext) {
    this.deps = ingestDeps(context);
  }

  private get limits(): IngestLimits {
    return this.deps.limits;
  }

  private get decoder(): ProfileDecoder {
    return this.deps.decoder;
  }

  async ingestLegacy(request: LegacyIngestRequest): Promise<IngestResult> {
    return { storedProfiles: await storeValidated(this.deps, request.body.length, () => this.decodeLegacy(request)) };
  }

  /** Exposed for tests and the CLI: decode + validate without storing. */
  async decodeLegacy(request: LegacyIngestRequest): Promise<ValidatedProfile[]> {
    const query = request.query;
    const name = parseIngestName(query.name);
    const format = (query.format ?? '').toLowerCase();
    const contentType = request.contentType.toLowerCase();
    if (!KNOWN_FORMATS.has(format)) {
      throw new CinderError(
        ErrorCodes.INGEST_UNKNOWN_FORMAT,
        `unknown format "${query.format}": use pprof, jfr, cpuprofile, perf_script, folded (collapsed), lines, trie, tree or speedscope, or omit it for multipart pprof uploads`,
      );
    }
    const nowMs = this.deps.now();
    const fromMs = query.from ? parseTimeParam(query.from, nowMs) : nowMs;
    if (!Number.isFinite(fromMs)) {
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_TEXT, `"from=${query.from}" is not a time: use unix seconds/ms/ns, YYYYMMDD or now-1h`);
    }
    const sampleRate = parseSampleRate(query.sampleRate);
    const spyName = query.spyName && query.spyName !== '' ? query.spyName : 'unknown';
    const body = request.body;

    const isMultipart = contentType.includes('multipart/form-data');
    if (format === 'pprof' || (format === '' && isMultipart)) {
      if (contentType.startsWith('text/') || contentType.startsWith('application/json')) {
        throw new CinderError(
          ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE,
          `a pprof upload cannot be "${request.contentType}": send the binary profile as application/octet-stream, or multipart/form-data with a "profile" part`,
        );
      }
      return this.ingestPprofUpload(request.tenant, name, body, isMultipart ? request.contentType : null, spyName, fromMs, nowMs);
    }
    if (SELF_TYPED_FORMATS.has(format)) {
      return this.ingestSelfTyped(request.tenant, name, format as 'jfr' | 'cpuprofile' | 'perf_script', body, request.contentType, sampleRate, spyName, fromMs, nowMs);
    }
    if (body.length === 0) return [];
    return this.ingestText(request.tenant, name, format, body, sampleRate, spyName, fromMs, nowMs);
  }

  private async ingestPprofUpload(
    tenant: string,
    name: ParsedName,
    body: Buffer,
    multipartContentType: string | null,
    spyName: string,
    fromMs: number,
    nowMs: number,
  ): Promise<ValidatedProfile[]> {
    let profileBytes: Uint8Array = body;
    let previousBytes: Uint8Array | null = null;
    let sampleTypeConfig: SampleTypeConfig | null = null;
    if (multipartContentType !== null) {
      const parts = await parseMultipart(multipartContentType, body, this.limits.maxBodyBytes);
      profileBytes = parts.get('profile') ?? new Uint8Array(0);
      const previousPart = parts.get('prev_profile');
      if (previousPart && previousPart.length > 0) previousBytes = previousPart;
      const configPart = parts.get('sample_type_config');
      if (configPart && configPart.length > 0) sampleTypeConfig = parseSampleTypeConfig(configPart.toString('utf8'));
    }
    // Upstream answers 200 to an empty upload: SDKs send them when nothing was sampled.
    if (profileBytes.length === 0) return [];
    const isDotnet = spyName === 'dotnetspy' || (spyName === 'unknown' && sampleTypeConfig !== null && 'inuse-space' in sampleTypeConfig);
    const decodeOptions = { spyName, dotnetFix: isDotnet, limits: decodeLimitsOf(this.limits), ...codeDecodeOption(this.deps.sink, tenant, name.appName, nowMs) };
    const maxOutputBytes = this.limits.maxProfileBytes;
    const [[decoded], previousDecoded] = await Promise.all([
      this.decoder.decode({ bytes: profileBytes, format: 'pprof', maxOutputBytes, what: 'profile', options: decodeOptions }),
      previousBytes ? this.decoder.decode({ bytes: previousBytes, format: 'pprof', maxOutputBytes, what: 'prev_profile', options: decodeOptions }) : null,
    ]);
    const profile = decoded!.profile;
    const previous = previousDecoded?.[0]?.profile ?? null;
    if (previous) {
      profile.values = cumulativeDelta(profile, previous, (t) => !isGaugeSampleType(profile.sampleTypes[t]!.type));
      if (allZero(profile.values)) {
        throw new CinderError(
          ErrorCodes.INGEST_EMPTY_DELTA,
          'profile minus prev_profile is zero for every stack: nothing happened between the two snapshots, or the same profile was sent twice',
        );
      }
    }
    const metricName = pprofMetricName(profile.sampleTypes, sampleTypeConfig);
    const labels = seriesLabels(name.labels, { reserved: reservedOnIngest, metricName, spyName, serviceName: name.appName, whenServiceGiven: 'keep' });
    const validated = this.validateTyped(profile, tenant, labels, metricName, fromMs, nowMs);
    recordProfileCode(this.deps.sink, tenant, name.appName, nowMs, profile, validated);
    return validated;
  }

  /**
   * JFR, `.cpuprofile` and `perf script`: the decoder derives each profile's type and `__name__`
   * (pyroscope-api.md §2.1.3, JFR path). JFR comes raw or as multipart `jfr` + `labels` parts.
   */
  private async ingestSelfTyped(
    tenant: string,
    name: ParsedName,
    format: 'jfr' | 'cpuprofile' | 'perf_script',
    body: Buffer,
    rawContentType: string,
    sampleRate: number,
    spyName: string,
    fromMs: number,
    nowMs: number,
  ): Promise<ValidatedProfile[]> {
    const contentType = rawContentType.toLowerCase();
    const isMultipart = contentType.includes('multipart/form-data');
    let bytes: Uint8Array = body;
    let jfrLabels: Uint8Array | null = null;
    if (format === 'jfr') {
      if (contentType.startsWith('text/') || contentType.startsWith('application/json')) {
        throw new CinderError(
          ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE,
          `a JFR upload cannot be "${rawContentType}": send the .jfr bytes as application/octet-stream, or multipart/form-data with a "jfr" part (and optionally "labels")`,
        );
      }
      if (isMultipart) {
        const parts = await parseMultipart(rawContentType, body, this.limits.maxBodyBytes);
        const jfrPart = parts.get('jfr');
        if (!jfrPart) throw new CinderError(ErrorCodes.INGEST_MALFORMED_MULTIPART, 'a format=jfr multipart upload needs a "jfr" part holding the recording');
        bytes = jfrPart;
        jfrLabels = parts.get('labels') ?? null;
      }
    } else if (isMultipart) {
      throw new CinderError(
        ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE,
        `format=${format} takes the file itself as the body, not multipart/form-data: send it with Content-Type ${format === 'cpuprofile' ? 'application/json' : 'text/plain'}`,
      );
    }
    if (bytes.length === 0) return [];
    const entries = await this.decoder.decode({
      bytes,
      format,
      maxOutputBytes: this.limits.maxProfileBytes,
      what: format === 'jfr' ? 'jfr recording' : 'profile',
      options: { limits: decodeLimitsOf(this.limits) },
      jfrLabels,
      sampleRate,
    });
    const validated: ValidatedProfile[] = [];
    for (const entry of entries) {
      const { profile } = entry;
      const metricName = entry.metricName ?? 'process_cpu';
      const extra: [string, string][] = entry.jfrEvent ? [['jfr_event', entry.jfrEvent]] : [];
      // Upstream's JFR path records the app name as app_name when service_name was given.
      const labels = seriesLabels(name.labels, {
        reserved: reservedOnIngest,
        metricName,
        spyName,
        serviceName: name.appName,
        whenServiceGiven: format === 'jfr' ? 'app_name' : 'keep',
        extra,
      });
      validated.push(...this.validateTyped(profile, tenant, labels, metricName, fromMs, nowMs));
    }
    return validated;
  }

  /** A decoded profile whose sample types name its profile types (pprof, JFR, cpuprofile, perf). */
  private validateTyped(profile: Profile, tenant: string, labels: Map<string, string>, metricName: string, fromMs: number, nowMs: number): ValidatedProfile[] {
    const context = { tenant, labels, profileTypeIds: profile.sampleTypes.map((st) => profileTypeId(metricName, st, profile.periodType)), timeMs: fromMs, profileId: randomUUID() };
    return validateProfile(profile, context, this.limits, nowMs);
  }

  private async ingestText(
    tenant: string,
    name: ParsedName,
    format: string,
    body: Buffer,
    sampleRate: number,
    spyName: string,
    fromMs: number,
    nowMs: number,
  ): Promise<ValidatedProfile[]> {
    const decodeFormat: DecodeFormat = format === 'speedscope' || format === 'lines' || format === 'trie' || format === 'tree' ? format : 'collapsed';
    const entries = await this.decoder.decode({ bytes: body, format: decodeFormat, maxOutputBytes: this.limits.maxProfileBytes, what: 'profile', options: { limits: decodeLimitsOf(this.limits) } });
    const decoded = entries.map((entry) => {
      if (decodeFormat !== 'speedscope') return { extraLabels: [] as [string, string][], appName: name.appName, profile: entry.profile, sampleRate };
      // A time unit makes it a wall profile (`.seconds` etc.), bytes a memory one; unit-less stays cpu.
      const appName = entry.unit === 'none' || entry.unit === '' ? name.appName : `${name.appName}.${entry.unit}`;
      const rate = entry.unit in TIME_UNITS ? SPEEDSCOPE_SAMPLE_RATE : sampleRate;
      return { extraLabels: [['profile_name', entry.profileName]] as [string, string][], appName, profile: entry.profile, sampleRate: rate };
    });
    const validated: ValidatedProfile[] = [];
    for (const { extraLabels, appName, profile, sampleRate: rate } of decoded) {
      const type = textProfileType(appName, rate);
      const scaled: Profile = {
        ...profile,
        sampleTypes: [type.sampleType],
        periodType: type.periodType,
        period: type.period,
        values: [scaleColumn(profile.values[0] ?? new Float64Array(profile.stacks.length), type.scale)],
      };
      const labels = seriesLabels(name.labels, { reserved: reservedOnIngest, metricName: type.metricName, spyName, serviceName: type.serviceName, whenServiceGiven: 'app_name', extra: extraLabels });
      if (labels.get('profile_id')) continue; // upstream drops such uploads silently
      validated.push(
        ...validateProfile(
          scaled,
          {
            tenant,
            labels,
            profileTypeIds: [profileTypeId(type.metricName, type.sampleType, type.periodType)],
            timeMs: fromMs,
            profileId: randomUUID(),
          },
          this.limits,
          nowMs,
        ),
      );
    }
    return validated;
  }
}

function scaleColumn(column: Float64Array, scale: number): Float64Array {
  if (scale === 1) return column;
  const scaled = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) scaled[i] = column[i]! * scale;
  return scaled;
}

/** Upstream silently falls back to 100 Hz for unparsable or negative rates; 0 is legal (no scaling). */
function parseSampleRate(text: string | undefined): number {
  if (text === undefined || text === '') return 100;
  const rate = Number(text);
  return Number.isInteger(rate) && rate >= 0 ? rate : 100;
}
