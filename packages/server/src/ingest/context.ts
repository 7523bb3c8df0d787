/**
 * What every ingest path (/ingest, Push, and OTLP when it lands) shares: its dependencies, and the
 * one tail that stores validated profiles and records the outcome. Each path only turns its request
 * shape into ValidatedProfiles.
 */
import { CinderError, ErrorCodes } from '@cinder/core';
import type { ProfileSink, ValidatedProfile } from '../storage/store.js';
import { createProfileDecoder, type ProfileDecoder } from './decodePool.js';
import type { IngestLimits } from './limits.js';

export interface IngestMetrics {
  accepted(count: number, bytes: number): void;
  rejected(reason: string): void;
}

export interface IngestContext {
  sink: ProfileSink;
  limits: IngestLimits;
  now: () => number;
  metrics?: IngestMetrics;
  /** Default: decode on the calling thread (tests); the server passes its worker pool. */
  decoder?: ProfileDecoder;
}

export interface IngestDeps extends IngestContext {
  decoder: ProfileDecoder;
}

export function ingestDeps(context: IngestContext): IngestDeps {
  return { ...context, decoder: context.decoder ?? createProfileDecoder(0) };
}

/** Validates (`work`), stores and counts; a refusal is counted by its code and rethrown. */
export async function storeValidated(deps: IngestDeps, requestBytes: number, work: () => Promise<ValidatedProfile[]>): Promise<number> {
  try {
    const profiles = await work();
    if (profiles.length > 0) await deps.sink.append(profiles);
    deps.metrics?.accepted(profiles.length, requestBytes);
    return profiles.length;
  } catch (error) {
    deps.metrics?.rejected(error instanceof CinderError ? error.code : ErrorCodes.INTERNAL);
    throw error;
  }
}
