import { randomUUID } from 'node:crypto';
import { CinderError, ErrorCodes, profileTypeId } from '@cinder/core';
import type { Profile } from '@cinder/core';
import type { ValidatedProfile } from '../storage/store.js';
import { maybeGunzipAsync } from './body.js';
import { codeDecodeOption, recordProfileCode } from './codeHook.js';
import { ingestDeps, storeValidated, type IngestContext, type IngestDeps } from './context.js';
import type { DecodedProfile } from './decodePool.js';
import { cumulativeDeltaPaced } from './delta.js';
import { Pacer } from '../storage/pace.js';
import { seriesLabels } from './labels.js';
import { decodeLimitsOf, type IngestLimits } from './limits.js';
import { validateProfile } from './validate.js';

/** The shape of push.v1.PushRequest that this module reads. */
export interface PushSeries {
  labels: readonly { name: string; value: string }[];
  samples: readonly { rawProfile: Uint8Array; ID: string }[];
}

/** Consumed by the server and never stored. */
const CONTROL_LABELS = new Set(['__delta__', '__otel__', '__order__', '__session_id__']);
const GODELTAPROF = /^godeltaprof_(.*)$/;

/**
 * Baselines for the server-side delta: one decoded profile per cumulative series. Bounded in count
 * and age; an evicted or expired baseline makes the next profile of its series a first profile
 * again (stored as a baseline only), which loses one interval rather than storing a total.
 */
export const MAX_BASELINES = 1000;
export const BASELINE_TTL_MS = 60 * 60_000;

function tooManyInPush(what: string, count: number, max: number, flag: string): CinderError {
  return new CinderError(
    ErrorCodes.INGEST_PROFILE_TOO_COMPLEX,
    `the push request has ${count} ${what}, more than the limit of ${max}; send fewer per request or raise ${flag}`,
  );
}

/**
 * Counts the series and profiles of an encoded push.v1.PushRequest without building it, stopping
 * at the first limit crossed, so an oversized request (e.g. 40 MiB of empty series) is refused in
 * time linear in the bytes read so far. Malformed bytes are left to the protobuf parser.
 * Layout: PushRequest{1: series}, RawProfileSeries{1: labels, 2: samples}, RawSample{1: raw_profile, 2: ID}.
 */
export function assertPushRequestWithinLimits(bytes: Uint8Array, limits: Pick<IngestLimits, 'maxPushSeries' | 'maxPushProfiles'>): void {
  let seriesCount = 0;
  let profileCount = 0;
  const readVarint = (at: number, end: number): [value: number, next: number] => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10 && at < end; i++) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, at];
      scale *= 128;
    }
    return [Number.NaN, end];
  };
  /** Calls `onField(field, start, end)` for each length-delimited field of bytes[from, to). */
  const eachField = (from: number, to: number, onField: (field: number, start: number, end: number) => void): void => {
    let at = from;
    while (at < to) {
      const [key, afterKey] = readVarint(at, to);
      if (!Number.isFinite(key)) return;
      const wireType = key % 8;
      const field = Math.floor(key / 8);
      if (wireType === 0) at = readVarint(afterKey, to)[1];
      else if (wireType === 1) at = afterKey + 8;
      else if (wireType === 5) at = afterKey + 4;
      else if (wireType === 2) {
        const [length, start] = readVarint(afterKey, to);
        if (!Number.isFinite(length)) return;
        const end = Math.min(to, start + length);
        onField(field, start, end);
        at = end;
      } else return;
    }
  };
  eachField(0, bytes.length, (field, start, end) => {
    if (field !== 1) return;
    if (++seriesCount > limits.maxPushSeries) throw tooManyInPush('series', seriesCount, limits.maxPushSeries, '--max-push-series');
    eachField(start, end, (seriesField) => {
      if (seriesField !== 2) return;
      if (++profileCount > limits.maxPushProfiles) throw tooManyInPush('profiles', profileCount, limits.maxPushProfiles, '--max-push-profiles');
    });
  });
}

/** The JSON form of the same check, on the parsed body (JSON.parse is linear; building messages is not). */
export function assertPushJsonWithinLimits(value: unknown, limits: Pick<IngestLimits, 'maxPushSeries' | 'maxPushProfiles'>): void {
  const series = (value as { series?: unknown } | null)?.series;
  if (!Array.isArray(series)) return;
  if (series.length > limits.maxPushSeries) throw tooManyInPush('series', series.length, limits.maxPushSeries, '--max-push-series');
  let profileCount = 0;
  for (const entry of series) {
    const samples = (entry as { samples?: unknown } | null)?.samples;
    if (Array.isArray(samples)) profileCount += samples.length;
    if (profileCount > limits.maxPushProfiles) throw tooManyInPush('profiles', profileCount, limits.maxPushProfiles, '--max-push-profiles');
  }
}

/**
 * Push (Alloy `pyroscope.write`, profilecli, newer SDKs). Without `__delta__`, `memory` profiles'
 * alloc_* types are cumulative (upstream v1 rule): the first profile of a series is only a
 * baseline and later ones store the increase. Baselines live in memory: after a restart the next
 * profile of each such series is a baseline again, which loses one interval rather than storing
 * a since-process-start total as if it were one interval.
 */
export class PushService {
  /** Insertion order is use order (an entry is re-inserted on use), so the first key is the oldest. */
  private readonly baselines = new Map<string, { profile: Profile; atMs: number }>();

  private readonly deps: IngestDeps;

  constructor(context: IngestContext) {
    this.deps = ingestDeps(context);
  }

  private get limits(): IngestLimits {
    return this.deps.limits;
  }

  async push(tenant: string, series: readonly PushSeries[]): Promise<void> {
    await storeValidated(this.deps, 0, () => this.validate(tenant, series));
  }

  private async validate(tenant: string, series: readonly PushSeries[]): Promise<ValidatedProfile[]> {
    const nowMs = this.deps.now();
    const validated: ValidatedProfile[] = [];
    let decompressedBytes = 0;
    let sampleCount = 0;
    // Counted before any work so the cost of refusing is the length of these arrays.
    if (series.length > this.limits.maxPushSeries) throw tooManyInPush('series', series.length, this.limits.maxPushSeries, '--max-push-series');
    let profileTotal = 0;
    for (const entry of series) profileTotal += entry.samples.length;
    if (profileTotal > this.limits.maxPushProfiles) throw tooManyInPush('profiles', profileTotal, this.limits.maxPushProfiles, '--max-push-profiles');
    const decodeLimits = decodeLimitsOf(this.limits);
    const jobs: { labels: Map<string, string>; metricName: string; serverSideDelta: boolean; profileId: string; service: string; decoding: Promise<DecodedProfile[]> }[] = [];
    for (const entry of series) {
      const given = new Map<string, string>();
      for (const { name, value } of entry.labels) {
        if (given.has(name)) {
          throw new CinderError(ErrorCodes.INGEST_DUPLICATE_LABEL, `label "${name}" appears twice in one series`);
        }
        given.set(name, value);
      }
      let metricName = given.get('__name__') ?? '';
      const deltaLabel = given.get('__delta__');
      let isDelta = deltaLabel === undefined ? undefined : deltaLabel !== 'true';
      const renamed = GODELTAPROF.exec(metricName);
      if (renamed) {
        metricName = renamed[1]!;
        isDelta = true;
      }
      if (metricName === '') {
        throw new CinderError(ErrorCodes.INGEST_MISSING_PROFILE_NAME, 'label "__name__" (the profile family, e.g. process_cpu or memory) is required');
      }
      const labels = seriesLabels(given, { reserved: (name) => CONTROL_LABELS.has(name), metricName, serviceName: 'unknown_service', whenServiceGiven: 'keep' });
      // Alloy scraping a Go service pushes its pprof here: its code lines serve `cinder pgo` as /ingest's do.
      const service = labels.get('service_name') ?? 'unknown_service';
      const codeOption = codeDecodeOption(this.deps.sink, tenant, service, nowMs);
      for (const sample of entry.samples) {
        sampleCount++;
        const bytes = await maybeGunzipAsync(sample.rawProfile, this.limits.maxProfileBytes);
        decompressedBytes += bytes.length;
        if (decompressedBytes > this.limits.maxBodyBytes) {
          throw new CinderError(
            ErrorCodes.INGEST_BODY_TOO_LARGE,
            `the profiles of this push add up to more than ${this.limits.maxBodyBytes} bytes decompressed; send fewer per request`,
          );
        }
        if (bytes.length === 0) continue;
        const decoding = this.deps.decoder.decode({ bytes, format: 'pprof', maxOutputBytes: this.limits.maxProfileBytes, what: 'profile', options: { limits: decodeLimits, ...codeOption } });
        // Observed below with allSettled; if a later series throws first, nobody awaits this one.
        decoding.catch(() => undefined);
        jobs.push({ labels: new Map(labels), metricName, serverSideDelta: isDelta === undefined && metricName === 'memory', profileId: sample.ID || randomUUID(), service, decoding });
      }
    }
    // Decodes run in parallel on the workers; deltas and validation then go in request order.
    const decoded = await Promise.allSettled(jobs.map((job) => job.decoding));
    for (const outcome of decoded) if (outcome.status === 'rejected') throw outcome.reason;
    // One series' delta and validation can take tens of ms on the main thread; a request of many
    // series gives the event loop a turn between them once ~15 ms have run.
    const pacer = new Pacer(15, 1);
    for (let j = 0; j < jobs.length; j++) {
      const pause = pacer.tick();
      if (pause) await pause;
      const job = jobs[j]!;
      const profile = (decoded[j] as PromiseFulfilledResult<DecodedProfile[]>).value[0]!.profile;
      if (job.serverSideDelta) await this.applyServerSideDelta(tenant, job.labels, profile, nowMs);
      const envelope = {
        tenant,
        labels: job.labels,
        profileTypeIds: profile.sampleTypes.map((st) => profileTypeId(job.metricName, st, profile.periodType)),
        timeMs: profile.timeMs > 0 ? profile.timeMs : nowMs,
        profileId: job.profileId,
      };
      const validatedProfiles = validateProfile(profile, envelope, this.limits, nowMs);
      recordProfileCode(this.deps.sink, tenant, job.service, nowMs, profile, validatedProfiles);
      validated.push(...validatedProfiles);
    }
    if (sampleCount === 0) throw new CinderError(ErrorCodes.INGEST_NO_PROFILES, 'no profiles received: the push request has no series or no samples');
    return validated;
  }

  private async applyServerSideDelta(tenant: string, labels: Map<string, string>, profile: Profile, nowMs: number): Promise<void> {
    const key = tenant + '\u0000' + [...labels].sort().map(([n, v]) => `${n}=${v}`).join(',');
    const entry = this.baselines.get(key);
    this.baselines.delete(key);
    const previous = entry && nowMs - entry.atMs <= BASELINE_TTL_MS ? entry.profile : null;
    const isAlloc = (t: number): boolean => profile.sampleTypes[t]!.type.startsWith('alloc_');
    const current: Profile = { ...profile, values: profile.values.map((c) => Float64Array.from(c)) };
    const decreased = previous !== null && totalDecreased(current, previous, isAlloc);
    // The new baseline is in place before the paced delta yields, so a Push of the same series
    // arriving meanwhile takes this snapshot as its previous one, as without pacing.
    this.baselines.set(key, { profile: current, atMs: nowMs });
    for (const oldest of this.baselines.keys()) {
      if (this.baselines.size <= MAX_BASELINES) break;
      this.baselines.delete(oldest);
    }
    profile.values = await cumulativeDeltaPaced(profile, decreased ? null : previous, isAlloc);
  }

  /** For tests and metrics: how many baselines are held. */
  get baselineCount(): number {
    return this.baselines.size;
  }
}

function totalDecreased(current: Profile, previous: Profile, isAlloc: (t: number) => boolean): boolean {
  for (let t = 0; t < current.sampleTypes.length; t++) {
    if (!isAlloc(t)) continue;
    const pt = previous.sampleTypes.findIndex((p) => p.type === current.sampleTypes[t]!.type);
    if (pt < 0) continue;
    let now = 0;
    let before = 0;
    for (const v of current.values[t]!) now += v;
    for (const v of previous.values[pt]!) before += v;
    if (now < before) return true;
  }
  return false;
}
