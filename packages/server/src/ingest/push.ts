import { randomUUID } from 'node:crypto';
import { CinderError, ErrorCodes, profileTypeId } from '@cinder/core';
import type { IngestLimits } from '../config.js';
import type { ProfileSink, ValidatedProfile } from '../storage/store.js';
import { maybeGunzip } from './body.js';
import { createPprofDecoder, type PprofDecoder } from './decodePool.js';
import { cumulativeDelta } from './delta.js';
import type { IngestMetrics } from './pipeline.js';
import { validateProfile } from './validate.js';
import type { Profile } from '@cinder/core';

/** The shape of push.v1.PushRequest that this module reads. */
export interface PushSeries {
  labels: readonly { name: string; value: string }[];
  samples: readonly { rawProfile: Uint8Array; ID: string }[];
}

/** Consumed by the server and never stored. */
const CONTROL_LABELS = new Set(['__delta__', '__otel__', '__order__', '__session_id__']);
const GODELTAPROF = /^godeltaprof_(.*)$/;

/**
 * Push (Alloy `pyroscope.write`, profilecli, newer SDKs). Without `__delta__`, `memory` profiles'
 * alloc_* types are cumulative (upstream v1 rule): the first profile of a series is only a
 * baseline and later ones store the increase. Baselines live in memory: after a restart the next
 * profile of each such series is a baseline again, which loses one interval rather than storing
 * a since-process-start total as if it were one interval.
 */
export class PushService {
  private readonly baselines = new Map<string, Profile>();

  constructor(
    private readonly sink: ProfileSink,
    private readonly limits: IngestLimits,
    private readonly now: () => number,
    private readonly metrics?: IngestMetrics,
    private readonly decoder: PprofDecoder = createPprofDecoder(0),
  ) {}

  async push(tenant: string, series: readonly PushSeries[]): Promise<void> {
    try {
      const validated = await this.validate(tenant, series);
      await this.sink.append(validated);
      this.metrics?.accepted(validated.length, 0);
    } catch (error) {
      this.metrics?.rejected(error instanceof CinderError ? error.code : ErrorCodes.INTERNAL);
      throw error;
    }
  }

  private async validate(tenant: string, series: readonly PushSeries[]): Promise<ValidatedProfile[]> {
    const nowMs = this.now();
    const validated: ValidatedProfile[] = [];
    let decompressedBytes = 0;
    let sampleCount = 0;
    for (const entry of series) {
      const labels = new Map<string, string>();
      for (const { name, value } of entry.labels) {
        if (labels.has(name)) {
          throw new CinderError(ErrorCodes.INGEST_DUPLICATE_LABEL, `label "${name}" appears twice in one series`);
        }
        labels.set(name, value);
      }
      let metricName = labels.get('__name__') ?? '';
      const deltaLabel = labels.get('__delta__');
      let isDelta = deltaLabel === undefined ? undefined : deltaLabel !== 'true';
      const renamed = GODELTAPROF.exec(metricName);
      if (renamed) {
        metricName = renamed[1]!;
        labels.set('__name__', metricName);
        isDelta = true;
      }
      for (const control of CONTROL_LABELS) labels.delete(control);
      if (metricName === '') {
        throw new CinderError(ErrorCodes.INGEST_MISSING_PROFILE_NAME, 'label "__name__" (the profile family, e.g. process_cpu or memory) is required');
      }
      if (!labels.has('service_name')) labels.set('service_name', 'unknown_service');
      for (const sample of entry.samples) {
        sampleCount++;
        const bytes = maybeGunzip(sample.rawProfile, this.limits.maxProfileBytes);
        decompressedBytes += bytes.length;
        if (decompressedBytes > this.limits.maxBodyBytes) {
          throw new CinderError(
            ErrorCodes.INGEST_BODY_TOO_LARGE,
            `the profiles of this push add up to more than ${this.limits.maxBodyBytes} bytes decompressed; send fewer per request`,
          );
        }
        if (bytes.length === 0) continue;
        const profile = await this.decoder.decode({ bytes, maxOutputBytes: this.limits.maxProfileBytes, what: 'profile', options: {} });
        if (isDelta === undefined && metricName === 'memory') this.applyServerSideDelta(tenant, labels, profile);
        const timeMs = profile.timeMs > 0 ? profile.timeMs : nowMs;
        validated.push(
          ...validateProfile(
            profile,
            {
              tenant,
              labels: new Map(labels),
              profileTypeIds: profile.sampleTypes.map((st) => profileTypeId(metricName, st, profile.periodType)),
              timeMs,
              profileId: sample.ID || randomUUID(),
            },
            this.limits,
            nowMs,
          ),
        );
      }
    }
    if (sampleCount === 0) throw new CinderError(ErrorCodes.INGEST_NO_PROFILES, 'no profiles received: the push request has no series or no samples');
    return validated;
  }

  private applyServerSideDelta(tenant: string, labels: Map<string, string>, profile: Profile): void {
    const key = tenant + '\u0000' + [...labels].sort().map(([n, v]) => `${n}=${v}`).join(',');
    const previous = this.baselines.get(key) ?? null;
    const isAlloc = (t: number): boolean => profile.sampleTypes[t]!.type.startsWith('alloc_');
    const current: Profile = { ...profile, values: profile.values.map((c) => Float64Array.from(c)) };
    const decreased = previous !== null && totalDecreased(current, previous, isAlloc);
    profile.values = cumulativeDelta(profile, decreased ? null : previous, isAlloc);
    this.baselines.set(key, current);
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
