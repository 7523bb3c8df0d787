/**
 * Work limits every decoder enforces while it decodes, so that rejecting a crafted body costs time
 * linear in its size instead of materialising what it describes first (a 176-byte gzip tree body
 * can describe a 30,000-deep chain; a 1 KB pprof can reference one 1,000-line inlined location a
 * million times). The server maps its flags onto these (packages/server/src/config.ts).
 */
import { CinderError, ErrorCodes } from '../errors.js';

export interface DecodeLimits {
  /**
   * Frames per sample after inline expansion. Deeper stacks keep their root-most frames (as
   * Pyroscope does); the rest is never copied.
   */
  maxStackDepth: number;
  /** Sum of stack lengths (after truncation) over the profile. */
  maxFramesPerProfile: number;
  /** Nodes of a `tree` / `trie` body. */
  maxNodes: number;
  /** Events of one speedscope file (all profiles together). */
  maxSpeedscopeEvents: number;
  /** Samples of one decoded profile. */
  maxSamples: number;
  /**
   * Characters of frame names a `trie` body may build by concatenating its key chunks (the only
   * format whose names are not copied from the input verbatim, so the only one whose names can
   * outgrow it).
   */
  maxNameChars: number;
}

/** Largest sample value, count or weight a decoder lets through (2^53 − 1: exact in a double). */
export const MAX_SAMPLE_VALUE = Number.MAX_SAFE_INTEGER;

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = {
  maxStackDepth: 1000,
  // The largest real fixture (go/big/distributors.pb.gz) has 1.76 M frames in 88,814 samples.
  maxFramesPerProfile: 4_000_000,
  maxNodes: 1_000_000,
  maxSpeedscopeEvents: 1_000_000,
  maxSamples: 16_000,
  maxNameChars: 16 * 1024 * 1024,
};

/** The `cinder serve` flag that raises each limit, named in every rejection. */
export const DECODE_LIMIT_FLAGS: Readonly<Record<keyof DecodeLimits, string>> = {
  maxStackDepth: '--max-stack-depth',
  maxFramesPerProfile: '--max-frames-per-profile',
  maxNodes: '--max-tree-nodes',
  maxSpeedscopeEvents: '--max-speedscope-events',
  maxSamples: '--max-samples',
  maxNameChars: '--max-profile-size',
};

export function resolveDecodeLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...DEFAULT_DECODE_LIMITS, ...limits };
}

export function tooComplex(limit: keyof DecodeLimits, seen: string, max: number): CinderError {
  if (limit === 'maxSamples') {
    return new CinderError(
      ErrorCodes.INGEST_TOO_MANY_SAMPLES,
      `profile has ${seen} samples, more than the limit of ${max}; raise ${DECODE_LIMIT_FLAGS.maxSamples} for large profiles`,
    );
  }
  const what = {
    maxStackDepth: 'stack depth',
    maxFramesPerProfile: 'frames per profile',
    maxNodes: 'nodes in the tree/trie body',
    maxSpeedscopeEvents: 'speedscope events',
    maxNameChars: 'characters of frame names built from trie keys',
  }[limit];
  return new CinderError(
    ErrorCodes.INGEST_PROFILE_TOO_COMPLEX,
    `profile exceeds the limit on ${what}: ${seen} seen, the limit is ${max}; raise ${DECODE_LIMIT_FLAGS[limit]} if such profiles are expected`,
  );
}

function shortNumber(text: string): string {
  return text.length > 40 ? `${text.slice(0, 20)}…(${text.length} digits)` : text;
}

export function valueOutOfRange(what: string, value: number | bigint | string): CinderError {
  const shown = typeof value === 'string' ? shortNumber(value) : shortNumber(String(value));
  return new CinderError(
    ErrorCodes.INGEST_VALUE_OUT_OF_RANGE,
    `${what} is ${shown}; values must be whole numbers from 0 to ${MAX_SAMPLE_VALUE} (2^53 − 1)`,
  );
}

/** A sample value leaving a decoder: finite, ≥ 0, ≤ 2^53 − 1 (fractions allowed: see speedscope). */
export function checkSampleValue(value: number, what: () => string): number {
  if (!(value >= 0 && value <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(what(), value);
  return value;
}

/**
 * Counts samples and frames as a decoder emits them; every emitted sample goes through `sample()`
 * before anything is copied, so a limit trips before the work it guards is done.
 */
export class WorkBudget {
  samples = 0;
  frames = 0;
  nameChars = 0;
  constructor(readonly limits: DecodeLimits) {}

  /** Registers one sample of `depth` frames (before truncation); returns the depth to copy. */
  sample(depth: number): number {
    if (++this.samples > this.limits.maxSamples) throw tooComplex('maxSamples', `at least ${this.samples}`, this.limits.maxSamples);
    const kept = depth > this.limits.maxStackDepth ? this.limits.maxStackDepth : depth;
    this.frames += kept;
    if (this.frames > this.limits.maxFramesPerProfile) {
      throw tooComplex('maxFramesPerProfile', `at least ${this.frames}`, this.limits.maxFramesPerProfile);
    }
    return kept;
  }

  names(chars: number): void {
    this.nameChars += chars;
    if (this.nameChars > this.limits.maxNameChars) {
      throw tooComplex('maxNameChars', `at least ${this.nameChars}`, this.limits.maxNameChars);
    }
  }
}
