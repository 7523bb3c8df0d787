/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json): `evented` profiles
 * (open/close events) and `sampled` profiles (stacks + weights), one entry per profile in the file.
 *
 * Values: profiles in a time unit are converted to samples of 10 ms (100 Hz, Pyroscope's default
 * rate for uploads), so `textProfileType(…, 100)` turns them back into exact nanoseconds;
 * unit-less (`none`) and byte weights are kept as they are.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';

export interface SpeedscopeEntry {
  profileName: string;
  /** speedscope unit: none, nanoseconds, microseconds, milliseconds, seconds, bytes */
  unit: string;
  profile: Profile;
}

const SECONDS_PER_UNIT: Record<string, number> = { nanoseconds: 1e-9, microseconds: 1e-6, milliseconds: 1e-3, seconds: 1 };
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
  if (file === null || typeof file !== 'object') malformed('the top level is not an object');
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
  return file.profiles.map((raw, p) => {
    if (raw === null || typeof raw !== 'object') malformed(`profile ${p} is not an object`);
    const profile = raw as Record<string, unknown>;
    const unit = typeof profile.unit === 'string' ? profile.unit : 'none';
    const secondsPerUnit = SECONDS_PER_UNIT[unit];
    const scale = secondsPerUnit === undefined ? 1 : secondsPerUnit * SPEEDSCOPE_SAMPLE_RATE;
    const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
    const add = (stack: string[], weight: number): void => {
      if (weight > 0 && stack.length > 0) builder.addSample(stack, [weight * scale]);
    };
    if (profile.type === 'sampled') {
      const samples = profile.samples;
      const weights = profile.weights;
      if (!Array.isArray(samples) || !Array.isArray(weights) || samples.length !== weights.length) malformed(`profile ${p}: "samples" and "weights" must be arrays of the same length`);
      samples.forEach((sample, i) => {
        if (!Array.isArray(sample)) malformed(`profile ${p}: sample ${i} is not an array`);
        const weight = weights[i];
        if (typeof weight !== 'number' || !Number.isFinite(weight)) malformed(`profile ${p}: weight ${i} is not a number`);
        add(sample.map(frameName), weight);
      });
    } else if (profile.type === 'evented') {
      const events = profile.events;
      if (!Array.isArray(events)) malformed(`profile ${p}: "events" is missing`);
      const open: string[] = [];
      let lastAt = typeof profile.startValue === 'number' ? profile.startValue : 0;
      for (const [i, event] of events.entries()) {
        const e = event as { type?: unknown; at?: unknown; frame?: unknown };
        if (typeof e.at !== 'number' || (e.type !== 'O' && e.type !== 'C')) malformed(`profile ${p}: event ${i} needs "type" O or C and a numeric "at"`);
        if (e.at < lastAt) malformed(`profile ${p}: event ${i} goes back in time`);
        add([...open], e.at - lastAt);
        lastAt = e.at;
        const name = frameName(e.frame);
        if (e.type === 'O') open.push(name);
        else {
          if (open[open.length - 1] !== name) malformed(`profile ${p}: event ${i} closes "${name}" but "${open[open.length - 1] ?? '(nothing)'}" is open`);
          open.pop();
        }
      }
      // Frames still open at the end ran until the profile's end, as speedscope itself draws them.
      const endValue = typeof profile.endValue === 'number' ? profile.endValue : lastAt;
      if (open.length > 0) add([...open], endValue - lastAt);
    } else {
      malformed(`profile ${p} has type ${JSON.stringify(profile.type)}; only "evented" and "sampled" exist`);
    }
    return { profileName: typeof profile.name === 'string' ? profile.name : `profile ${p + 1}`, unit, profile: builder.build() };
  });
}
