/**
 * Ingest's limits: owned here (ingest enforces them), set from flags by config.ts. Each limit is
 * checked before the work it bounds, and each refusal names the flag that raises it.
 */
import type { DecodeLimits } from '@cinder/core';

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;

export interface IngestLimits {
  /** Compressed request body, as received. */
  maxBodyBytes: number;
  /** One profile after gunzip: protects against gzip bombs. */
  maxProfileBytes: number;
  maxSamplesPerProfile: number;
  /** Frames per sample after inline expansion; deeper stacks keep their root-most frames. */
  maxStackDepth: number;
  /** Sum of stack lengths of one profile (after truncation). */
  maxFramesPerProfile: number;
  /** Nodes of one `format=tree` / `format=trie` body. */
  maxTreeNodes: number;
  /** Events of one speedscope file. */
  maxSpeedscopeEvents: number;
  /** Series of one Push request. */
  maxPushSeries: number;
  /** Profiles (raw samples) of one Push request, over all its series. */
  maxPushProfiles: number;
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxLabelsPerSample: number;
  maxSeriesPerTenant: number;
  /** Accept profiles whose time is within [now - this, now + futureWindowMs]. */
  pastWindowMs: number;
  futureWindowMs: number;
}

export const defaultLimits: IngestLimits = {
  maxBodyBytes: 256 * MiB,
  maxProfileBytes: 4 * MiB,
  maxSamplesPerProfile: 16_000,
  maxStackDepth: 1000,
  maxFramesPerProfile: 4_000_000,
  maxTreeNodes: 1_000_000,
  maxSpeedscopeEvents: 1_000_000,
  // Alloy sends one series per profile type per target and batches a few targets per request.
  maxPushSeries: 1000,
  maxPushProfiles: 1000,
  maxLabelsPerSeries: 30,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  maxLabelsPerSample: 100,
  maxSeriesPerTenant: 5000,
  pastWindowMs: HOUR_MS,
  futureWindowMs: 10 * 60_000,
};

/** The decoders' share of the ingest limits (see DecodeLimits in core). */
export function decodeLimitsOf(limits: IngestLimits): DecodeLimits {
  return {
    maxStackDepth: limits.maxStackDepth,
    maxFramesPerProfile: limits.maxFramesPerProfile,
    maxNodes: limits.maxTreeNodes,
    maxSpeedscopeEvents: limits.maxSpeedscopeEvents,
    maxSamples: limits.maxSamplesPerProfile,
    // Trie keys are the only names built by concatenation; 4× the largest body is plenty for real
    // tries (whose names are mostly shared prefixes) and bounds crafted ones.
    maxNameChars: 4 * limits.maxProfileBytes,
  };
}

