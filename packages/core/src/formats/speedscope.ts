/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json): `evented` profiles
 * (open/close events) and `sampled` profiles (stacks + weights), one entry per profile in the file.
 *
 * Values: profiles in a time unit are converted to samples of 10 ms (100 Hz, Pyroscope's default
 * rate for uploads), so `textProfileType(…, 100)` turns them back into exact nanoseconds;
 * unit-less (`none`) and byte weights are kept as they are.
 *
 * How this relates to upstream (pkg/og/convert/speedscope): Pyroscope multiplies every weight by
 * 100 (bytes: 1) and then picks a sample rate per unit (none: 10 000 when the request left the
 * default 100, seconds: 100, milliseconds: 100 000, …). `simple.speedscope.json` (unit none,
 * weights 2/4/3/5) is "a;b 500 / a;b;c 500 / a;b;d 400" at 10 000 Hz there and "a;b 5 / …" at
 * 100 Hz here: the same nanoseconds once scaled. Seconds profiles are identical (500 at 100 Hz).
 * Like upstream, profiles with the same name, type, unit and startValue are merged into one
 * entry, and an unknown unit is rejected. Frames still open at the end are closed at `endValue`
 * (upstream silently drops that time; speedscope itself draws them up to the end).
 *
 * Work is linear in the file: the open frames of an evented profile are one array of name ids
 * that each event's sample copies only up to `maxStackDepth` root-most frames; the event count of
 * the whole file and every profile's sample and frame counts are checked before or while they are
 * walked (DecodeLimits). Weights and event times must be finite and within [0, 2^53 − 1]; the
 * values leaving this decoder are those weights in samples of 10 ms, fractions included (they
 * become whole nanoseconds once the pipeline scales them).
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';
import { MAX_SAMPLE_VALUE, resolveDecodeLimits, tooComplex, valueOutOfRange, type DecodeLimits } from './limits.js';

export interface SpeedscopeEntry {
  profileName: string;
  /** speedscope unit: none, nanoseconds, microseconds, milliseconds, seconds, bytes */
  unit: string;
  profile: Profile;
}

const UNITS_PER_SECOND: Record<string, number> = { nanoseconds: 1e9, microseconds: 1e6, milliseconds: 1e3, seconds: 1 };
const KNOWN_UNITS: ReadonlySet<string> = new Set(['none', 'nanoseconds', 'microseconds', 'milliseconds', 'seconds', 'bytes']);
export const SPEEDSCOPE_SAMPLE_RATE = 100;

function malformed(message: string): never {
  throw new CinderError(ErrorCodes.INGEST_MALFORMED_SPEEDSCOPE, `not a speedscope file: ${message} (see https://www.speedscope.app/file-format-schema.json)`);
}

interface RawFile {
  shared?: { frames?: { name?: unknown }[] };
  profiles?: unknown[];
}

export function decodeSpeedscope(text: string, limits?: Partial<DecodeLimits>): SpeedscopeEntry[] {
  const resolved = resolveDecodeLimits(limits);
  let file: RawFile;
  try {
    file = JSON.parse(text) as RawFile;
  } catch (error) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `speedscope body is not valid JSON: ${(error as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || Array.isArray(file)) malformed('the top level is not an object');
  const frames = file.shared?.frames;
  if (!Array.isArray(frames)) malformed('"shared.frames" is missing');
  const frameNames = frames.map((frame, i) => {
    if (frame === null || typeof frame !== 'object' || typeof frame.name !== 'string') malformed(`frame ${i} has no "name"`);
    return frame.name as string;
  });
  if (!Array.isArray(file.profiles) || file.profiles.length === 0) malformed('"profiles" is missing or empty');
  let eventTotal = 0;
  for (const raw of file.profiles) {
    const events = (raw as { events?: unknown } | null)?.events;
    if (Array.isArray(events)) eventTotal += events.length;
  }
  if (eventTotal > resolved.maxSpeedscopeEvents) throw tooComplex('maxSpeedscopeEvents', String(eventTotal), resolved.maxSpeedscopeEvents);
  const frameName = (index: unknown): string => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= frameNames.length) malformed(`frame index ${String(index)} is out of range`);
    return frameNames[index]!;
  };
  const entries = new Map<string, { entry: SpeedscopeEntry; builder: ProfileBuilder }>();
  file.profiles.forEach((raw, p) => {
    if (raw === null || typeof raw !== 'object') malformed(`profile ${p} is not an object`);
    const profile = raw as Record<string, unknown>;
    const unit = profile.unit === undefined ? 'none' : profile.unit;
    if (typeof unit !== 'string' || !KNOWN_UNITS.has(unit)) {
      malformed(`profile ${p} has unit ${JSON.stringify(unit)}; use one of ${[...KNOWN_UNITS].join(', ')}`);
    }
    const profileName = typeof profile.name === 'string' ? profile.name : `profile ${p + 1}`;
    const startValue = typeof profile.startValue === 'number' ? profile.startValue : 0;
    const key = JSON.stringify([profileName, profile.type, unit, startValue]);
    let slot = entries.get(key);
    if (!slot) {
      const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }], null, 0, resolved);
      slot = { entry: { profileName, unit, profile: builder.profile }, builder };
      entries.set(key, slot);
    }
    const { builder } = slot;
    const unitsPerSecond = UNITS_PER_SECOND[unit];
    // weight [unit] → samples at SPEEDSCOPE_SAMPLE_RATE; multiply before dividing to keep integers exact.
    const toValue = (weight: number): number => (unitsPerSecond === undefined ? weight : (weight * SPEEDSCOPE_SAMPLE_RATE) / unitsPerSecond);
    // Times may be negative (only their differences are weights); their size is bounded all the same.
    const checkWeight = (weight: number, what: () => string): void => {
      if (!(Math.abs(weight) <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(what(), weight);
    };
    // speedscope frame index → builder name id, interned on first use.
    const nameIds = new Map<number, number>();
    const nameIdOf = (index: unknown): number => {
      const name = frameName(index);
      let id = nameIds.get(index as number);
      if (id === undefined) nameIds.set(index as number, (id = builder.internName(name)));
      return id;
    };
    if (profile.type === 'sampled') {
      const samples = profile.samples;
      const weights = profile.weights;
      if (!Array.isArray(samples) || !Array.isArray(weights) || samples.length !== weights.length) malformed(`profile ${p}: "samples" and "weights" must be arrays of the same length`);
      if (samples.length > resolved.maxSamples) throw tooComplex('maxSamples', String(samples.length), resolved.maxSamples);
      const ids = new Uint32Array(resolved.maxStackDepth);
      samples.forEach((sample, i) => {
        if (!Array.isArray(sample)) malformed(`profile ${p}: sample ${i} is not an array`);
        const weight = weights[i];
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) malformed(`profile ${p}: weight ${i} is not a non-negative number`);
        checkWeight(weight, () => `profile ${p}: weight ${i}`);
        const kept = Math.min(sample.length, resolved.maxStackDepth);
        for (let f = 0; f < kept; f++) ids[f] = nameIdOf(sample[f]);
        if (weight > 0 && sample.length > 0) builder.addStackIds(ids, sample.length, [toValue(weight)]);
      });
    } else if (profile.type === 'evented') {
      const events = profile.events;
      if (!Array.isArray(events)) malformed(`profile ${p}: "events" is missing`);
      // Open frames, root first: name ids for the sample copies, speedscope indexes to match closes.
      const openIds: number[] = [];
      const openIndex: number[] = [];
      checkWeight(startValue, () => `profile ${p}: startValue`);
      let lastAt = startValue;
      const emit = (weight: number): void => {
        if (weight > 0 && openIds.length > 0) builder.addStackIds(openIds, openIds.length, [toValue(weight)]);
      };
      for (const [i, event] of events.entries()) {
        const e = (event ?? {}) as { type?: unknown; at?: unknown; frame?: unknown };
        if (typeof e.at !== 'number' || !Number.isFinite(e.at) || (e.type !== 'O' && e.type !== 'C')) malformed(`profile ${p}: event ${i} needs "type" O or C and a numeric "at"`);
        if (e.at < lastAt) malformed(`profile ${p}: event ${i} goes back in time (${e.at} < ${lastAt})`);
        checkWeight(e.at, () => `profile ${p}: event ${i} "at"`);
        const id = nameIdOf(e.frame);
        emit(e.at - lastAt);
        lastAt = e.at;
        if (e.type === 'O') {
          openIds.push(id);
          openIndex.push(e.frame as number);
        } else {
          if (openIndex[openIndex.length - 1] !== e.frame) {
            const openName = openIndex.length > 0 ? frameNames[openIndex[openIndex.length - 1]!]! : '(nothing)';
            malformed(`profile ${p}: event ${i} closes "${frameNames[e.frame as number]!}" but "${openName}" is open`);
          }
          openIds.pop();
          openIndex.pop();
        }
      }
      const endValue = typeof profile.endValue === 'number' && profile.endValue > lastAt ? profile.endValue : lastAt;
      checkWeight(endValue, () => `profile ${p}: endValue`);
      if (openIds.length > 0) emit(endValue - lastAt);
    } else {
      malformed(`profile ${p} has type ${JSON.stringify(profile.type)}; only "evented" and "sampled" exist`);
    }
  });
  return [...entries.values()].map(({ entry, builder }) => ({ ...entry, profile: builder.build() }));
}
