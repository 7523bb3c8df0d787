import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, decodeSpeedscope, encodeCollapsed, totalOf } from '@cinder/core';
import { testdataDir as testdata } from '../testdata.js';
import { errorCode } from '../errorCode.js';

const read = (file: string): string => readFileSync(path.join(testdata, file), 'utf8');

const file = (profiles: unknown[], frames = ['a', 'b', 'c']): string =>
  JSON.stringify({ $schema: 'https://www.speedscope.app/file-format-schema.json', shared: { frames: frames.map((name) => ({ name })) }, profiles });

describe('speedscope fixtures', () => {
  it('simple.speedscope.json (evented, unit none): upstream tree "a;b 500 / a;b;c 500 / a;b;d 400" at 10 000 Hz = raw weights at 100 Hz', () => {
    const entries = decodeSpeedscope(read('speedscope/simple.speedscope.json'));
    expect(entries.map((e) => [e.profileName, e.unit])).toEqual([['simple.txt', 'none']]);
    // Same nanoseconds once scaled: 5 × 1e9/100 = 500 × 1e9/10 000.
    expect(encodeCollapsed(entries[0]!.profile, 0)).toBe('a;b 5\na;b;c 5\na;b;d 4');
    expect(entries[0]!.profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
  });

  it('two-sampled.speedscope.json (2 sampled profiles, seconds): upstream tree for each, at 100 Hz', () => {
    const entries = decodeSpeedscope(read('speedscope/two-sampled.speedscope.json'));
    expect(entries.map((e) => [e.profileName, e.unit])).toEqual([
      ['one', 'seconds'],
      ['two', 'seconds'],
    ]);
    for (const entry of entries) expect(encodeCollapsed(entry.profile, 0)).toBe('a;b 500\na;b;c 500\na;b;d 400');
  });

  it('simple-sampled.speedscope.json (speedscope 0.1.2, seconds)', () => {
    const entries = decodeSpeedscope(read('speedscope/simple-sampled.speedscope.json'));
    expect(entries).toHaveLength(1);
    expect(encodeCollapsed(entries[0]!.profile, 0)).toBe('a;b 500\na;b;c 500\na;b;d 400');
  });

  it('incomplete-trace: a frame never closed runs until endValue', () => {
    const entries = decodeSpeedscope(read('broken/incomplete-trace.speedscope.json'));
    expect(encodeCollapsed(entries[0]!.profile, 0)).toBe('A 100');
  });
});

describe('speedscope grammar', () => {
  it('converts time units to 10 ms samples and keeps bytes as they are', () => {
    const sampled = (unit: string, weight: number) => ({ type: 'sampled', name: unit, unit, samples: [[0, 1]], weights: [weight] });
    const entries = decodeSpeedscope(file([sampled('milliseconds', 250), sampled('microseconds', 30_000), sampled('nanoseconds', 2e9), sampled('bytes', 4096)]));
    expect(entries.map((e) => [e.unit, totalOf(e.profile, 0)])).toEqual([
      ['milliseconds', 25],
      ['microseconds', 3],
      ['nanoseconds', 200],
      ['bytes', 4096],
    ]);
  });

  it('merges profiles with the same name, type, unit and start, as upstream does', () => {
    const one = { type: 'sampled', name: 'one', unit: 'seconds', startValue: 0, samples: [[0]], weights: [1] };
    const entries = decodeSpeedscope(file([one, one, { ...one, name: 'other' }]));
    expect(entries.map((e) => [e.profileName, totalOf(e.profile, 0)])).toEqual([
      ['one', 200],
      ['other', 100],
    ]);
  });

  it('evented: time between events goes to the open stack', () => {
    const events = [
      { type: 'O', frame: 0, at: 10 },
      { type: 'O', frame: 1, at: 12 },
      { type: 'C', frame: 1, at: 15 },
      { type: 'O', frame: 2, at: 15 },
      { type: 'C', frame: 2, at: 16 },
      { type: 'C', frame: 0, at: 20 },
    ];
    const [entry] = decodeSpeedscope(file([{ type: 'evented', name: 'e', unit: 'none', startValue: 10, endValue: 20, events }]));
    expect(encodeCollapsed(entry!.profile, 0)).toBe('a 6\na;b 3\na;c 1');
  });

  it('rejects broken files with a code and a pointer to the format', () => {
    expect(errorCode(() => decodeSpeedscope('{"profiles": ['))).toBe(ErrorCodes.INGEST_MALFORMED_JSON);
    const cases: [string, string][] = [
      ['[]', 'top level'],
      ['{"profiles": []}', 'shared.frames'],
      [file([]), 'profiles'],
      [file([{ type: 'flame', name: 'x' }]), 'evented'],
      [file([{ type: 'sampled', unit: 'parsecs', samples: [], weights: [] }]), 'unit'],
      [file([{ type: 'sampled', unit: 'none', samples: [[0]], weights: [] }]), 'same length'],
      [file([{ type: 'sampled', unit: 'none', samples: [[9]], weights: [1] }]), 'out of range'],
      [file([{ type: 'sampled', unit: 'none', samples: [[0]], weights: [-1] }]), 'non-negative'],
      [file([{ type: 'evented', unit: 'none', events: [{ type: 'O', frame: 0, at: 5 }, { type: 'C', frame: 0, at: 4 }] }]), 'back in time'],
      [file([{ type: 'evented', unit: 'none', events: [{ type: 'O', frame: 0, at: 0 }, { type: 'C', frame: 1, at: 1 }] }]), 'closes'],
      [file([{ type: 'evented', unit: 'none', events: [{ type: 'X', frame: 0, at: 0 }] }]), 'O or C'],
    ];
    for (const [text, message] of cases) {
      expect(errorCode(() => decodeSpeedscope(text)), text).toBe(ErrorCodes.INGEST_MALFORMED_SPEEDSCOPE);
      expect(() => decodeSpeedscope(text)).toThrow(message);
    }
  });
});
