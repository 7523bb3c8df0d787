/**
 * The ingest side of code metadata (storage/codeLines.ts): asks the sink whether this upload's
 * code is wanted (the decoder then extracts it) and hands what the decoder found to the sink.
 */
import { profileCodeOf, type Profile } from '@cinder/core';
import type { ProfileSink, ValidatedProfile } from '../storage/store.js';

/** Decode options to add for a pprof upload: `{ code: true }` when the sink wants its code. */
export function codeDecodeOption(sink: ProfileSink, tenant: string, service: string, nowMs: number): { code?: true } {
  return sink.codeWanted?.(tenant, service, nowMs) === true ? { code: true } : {};
}

/** After validation (names are as stored then): gives the decoded code to the sink, if any. */
export function recordProfileCode(sink: ProfileSink, tenant: string, service: string, nowMs: number, profile: Profile, validated: readonly ValidatedProfile[]): void {
  const code = profileCodeOf(profile);
  if (!code || validated.length === 0 || !sink.recordCode) return;
  const first = validated[0]!;
  const serviceName = first.seriesLabels.find(([name]) => name === 'service_name')?.[1] ?? service;
  sink.recordCode({ tenant, service, serviceName, timeMs: first.timeMs, nowMs, names: profile.names, code });
}
