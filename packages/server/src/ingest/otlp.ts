/**
 * OTLP profiles ingest (`POST /v1development/profiles`, gRPC `ProfilesService/Export`): the request
 * is decoded and converted on the decode workers (otlpDecode.ts), then each profile is validated
 * and stored through the same tail as /ingest and Push (context.ts), so limits, tenants and store
 * errors behave the same. One bad OTLP profile does not sink the request: it is counted in
 * `partial_success` with its reason, and the rest is stored.
 */
import { randomUUID } from 'node:crypto';
import { CinderError } from '@cinder/core';
import type { ValidatedProfile } from '../storage/store.js';
import { ingestDeps, storeValidated, type IngestContext, type IngestDeps } from './context.js';
import { seriesLabels } from './labels.js';
import { decodeLimitsOf } from './limits.js';
import { validateProfile } from './validate.js';

export type OtlpEncoding = 'protobuf' | 'json';

/** ExportProfilesPartialSuccess: all zero / empty = everything accepted. */
export interface OtlpExportResult {
  acceptedProfiles: number;
  rejectedProfiles: number;
  /** Each distinct reason once, with its Cinder code and how many profiles it rejected. */
  errorMessage: string;
}

/** Server-side labels of Pyroscope's OTLP path (`__delta__`, `__otel__`) and any other `__` name are never stored. */
const reservedOnOtlp = (name: string): boolean => name.startsWith('__');
const MAX_REASONS = 5;
/** A request of a thousand profiles is validated in slices of this much main-thread time, so other requests are served between them. */
const VALIDATE_SLICE_MS = 20;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class OtlpIngestService {
  private readonly deps: IngestDeps;

  constructor(context: IngestContext) {
    this.deps = ingestDeps(context);
  }

  /** `bytes` is the request after transport decompression (HTTP Content-Encoding, gRPC grpc-encoding). */
  async export(tenant: string, bytes: Uint8Array, encoding: OtlpEncoding): Promise<OtlpExportResult> {
    const result: OtlpExportResult = { acceptedProfiles: 0, rejectedProfiles: 0, errorMessage: '' };
    await storeValidated(this.deps, bytes.length, () => this.validate(tenant, bytes, encoding, result));
    return result;
  }

  private async validate(tenant: string, bytes: Uint8Array, encoding: OtlpEncoding, result: OtlpExportResult): Promise<ValidatedProfile[]> {
    const { limits } = this.deps;
    const entries = await this.deps.decoder.decode({
      bytes,
      format: encoding === 'json' ? 'otlp-json' : 'otlp',
      maxOutputBytes: limits.maxBodyBytes,
      what: 'OTLP request',
      options: { limits: decodeLimitsOf(limits) },
      maxProfiles: limits.maxPushProfiles,
    });
    const nowMs = this.deps.now();
    const validated: ValidatedProfile[] = [];
    const rejected = new Map<number, CinderError>();
    const accepted = new Set<number>();
    let sliceStartMs = performance.now();
    for (const { profile, otlp } of entries) {
      if (performance.now() - sliceStartMs > VALIDATE_SLICE_MS) {
        await yieldToEventLoop();
        sliceStartMs = performance.now();
      }
      if (!otlp) throw new Error('OTLP decode returned an entry without its metadata');
      if (otlp.rejected) {
        rejected.set(otlp.profileOrdinal, new CinderError(otlp.rejected.code, otlp.rejected.message));
        continue;
      }
      try {
        const labels = seriesLabels(otlp.attributes, {
          reserved: reservedOnOtlp,
          metricName: otlp.metricName,
          serviceName: otlp.serviceName,
          whenServiceGiven: 'keep',
          extra: [['service_name', otlp.serviceName]],
        });
        const envelope = { tenant, labels, profileTypeIds: [otlp.profileTypeId], timeMs: profile.timeMs > 0 ? profile.timeMs : nowMs, profileId: randomUUID() };
        validated.push(...validateProfile(profile, envelope, limits, nowMs));
        accepted.add(otlp.profileOrdinal);
      } catch (error) {
        if (!(error instanceof CinderError)) throw error;
        rejected.set(otlp.profileOrdinal, error);
      }
    }
    // A profile split by sample service.name is rejected as a whole if any part was: count it once.
    for (const ordinal of rejected.keys()) accepted.delete(ordinal);
    if (rejected.size > 0 && validated.length === 0) {
      // Nothing to store: the request fails with the first reason (and its status), as a single profile would.
      throw rejected.values().next().value!;
    }
    const reasons = new Map<string, number>();
    for (const error of rejected.values()) {
      const reason = `${error.code}: ${error.message}`;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      this.deps.metrics?.rejected(error.code);
    }
    result.acceptedProfiles = accepted.size;
    result.rejectedProfiles = rejected.size;
    const shown = [...reasons].slice(0, MAX_REASONS).map(([reason, count]) => `${count} × ${reason}`);
    if (reasons.size > MAX_REASONS) shown.push(`and ${reasons.size - MAX_REASONS} more reasons`);
    result.errorMessage = shown.join('; ');
    return validated;
  }
}
