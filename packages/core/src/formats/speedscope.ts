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
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';

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

export function decodeSpeedscope(text: string): SpeedscopeEntry[] {
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
      const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
      slot = { entry: { profileName, unit, profile: builder.profile }, builder };
      entries.set(key, slot);
    }
    const { builder } = slot;
    const unitsPerSecond = UNITS_PER_SECOND[unit];
    // weight [unit] → samples at SPEEDSCOPE_SAMPLE_RATE; multiply before dividing to keep integers exact.
    const toValue = (weight: number): number => (unitsPerSecond === undefined ? weight : (weight * SPEEDSCOPE_SAMPLE_RATE) / unitsPerSecond);
    const add = (stack: string[], weight: number): void => {
      if (weight > 0 && stack.length > 0) builder.addSample(stack, [toValue(weight)]);
    };
    if (profile.type === 'sampled') {
      const samples = profile.samples;
      const weights = profile.weights;
      if (!Array.isArray(samples) || !Array.isArray(weights) || samples.length !== weights.length) malformed(`profile ${p}: "samples" and "weights" must be arrays of the same length`);
      samples.forEach((sample, i) => {
        if (!Array.isArray(sample)) malformed(`profile ${p}: sample ${i} is not an array`);
        const weight = weights[i];
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) malformed(`profile ${p}: weight ${i} is not a non-negative number`);
        add(sample.map(frameName), weight);
      });
    } else if (profile.type === 'evented') {
      const events = profile.events;
      if (!Array.isArray(events)) malformed(`profile ${p}: "events" is missing`);
      const open: string[] = [];
      const openIndex: number[] = [];
      let lastAt = startValue;
      for (const [i, event] of events.entries()) {
        const e = (event ?? {}) as { type?: unknown; at?: unknown; frame?: unknown };
        if (typeof e.at !== 'number' || !Number.isFinite(e.at) || (e.type !== 'O' && e.type !== 'C')) malformed(`profile ${p}: event ${i} needs "type" O or C and a numeric "at"`);
        if (e.at < lastAt) malformed(`profile ${p}: event ${i} goes back in time (${e.at} < ${lastAt})`);
        const name = frameName(e.frame);
        add([...open], e.at - lastAt);
        lastAt = e.at;
        if (e.type === 'O') {
          open.push(name);
          openIndex.push(e.frame as number);
        } else {
          if (openIndex[openIndex.length - 1] !== e.frame) malformed(`profile ${p}: event ${i} closes "${name}" but "${open[open.length - 1] ?? '(nothing)'}" is open`);
          open.pop();
          openIndex.pop();
        }
      }
      const endValue = typeof profile.endValue === 'number' && profile.endValue > lastAt ? profile.endValue : lastAt;
      if (open.length > 0) add([...open], endValue - lastAt);
    } else {
      malformed(`profile ${p} has type ${JSON.stringify(profile.type)}; only "evented" and "sampled" exist`);
    }
  });
  return [...entries.values()].map(({ entry, builder }) => ({ ...entry, profile: builder.build() }));
}
