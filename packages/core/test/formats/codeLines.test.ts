import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CinderError, codeLinesOfProfile, decodePprof, profileCodeOf } from '../../src/index.js';
import { testdataDir } from '../testdata.js';

function load(relative: string): Uint8Array {
  const bytes = readFileSync(path.join(testdataDir, relative));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** The expected code, computed independently with pprof-format (objects, no shortcuts). */
function referenceCode(bytes: Uint8Array): { functions: Map<string, { file: string; startLine: number }>; edges: Set<string> } {
  const p = PprofProfile.decode(bytes);
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
  const fnById = new Map(p.function.map((f) => [Number(f.id), f]));
  const locById = new Map(p.location.map((l) => [Number(l.id), l]));
  const functions = new Map<string, { file: string; startLine: number }>();
  for (const loc of p.location) {
    for (const line of loc.line) {
      const fn = fnById.get(Number(line.functionId))!;
      const name = s(fn.name);
      if (name === '' || functions.has(name)) continue;
      functions.set(name, { file: s(fn.filename), startLine: Number(fn.startLine) });
    }
  }
  const edges = new Set<string>();
  const frameOf = (loc: (typeof p.location)[number], i: number) => ({ name: s(fnById.get(Number(loc.line[i]!.functionId))!.name), line: Number(loc.line[i]!.line) });
  for (const loc of p.location) {
    for (let i = 0; i + 1 < loc.line.length; i++) {
      const caller = frameOf(loc, i + 1);
      if (caller.line > 0) edges.add(`${caller.name}|${frameOf(loc, i).name}|${caller.line}`);
    }
  }
  for (const sample of p.sample) {
    for (let i = 1; i < sample.locationId.length; i++) {
      const callerLoc = locById.get(Number(sample.locationId[i]))!;
      const calleeLoc = locById.get(Number(sample.locationId[i - 1]))!;
      if (callerLoc.line.length === 0 || calleeLoc.line.length === 0) continue;
      const caller = frameOf(callerLoc, 0);
      if (caller.line > 0) edges.add(`${caller.name}|${frameOf(calleeLoc, calleeLoc.line.length - 1).name}|${caller.line}`);
    }
  }
  return { functions, edges };
}

describe('pprof reader: code lines (options.code)', () => {
  for (const fixture of ['go/single_group_with_optional_span_id.pb.gz', 'go/cpu.pb.gz', 'go/heap.pb.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz']) {
    it(`gives every used function's file and start line and every call edge of ${fixture}`, () => {
      const bytes = load(fixture);
      const expected = referenceCode(bytes);
      const profile = decodePprof(bytes, { code: true, limits: { maxSamples: 1e9, maxFramesPerProfile: 1e9 } });
      const code = profileCodeOf(profile)!;
      expect(code).toBeDefined();
      const functions = new Map<string, { file: string; startLine: number }>();
      profile.names.forEach((name, id) => {
        if (code.nameFile[id]! >= 0 || code.nameStartLine[id]! > 0) functions.set(name, { file: code.nameFile[id]! >= 0 ? code.files[code.nameFile[id]!]! : '', startLine: code.nameStartLine[id]! });
      });
      const expectedFunctions = new Map([...expected.functions].filter(([, f]) => f.file !== '' || f.startLine > 0));
      expect(functions).toEqual(expectedFunctions);
      const edges = new Set<string>();
      for (let i = 0; i < code.edges.length; i += 3) edges.add(`${profile.names[code.edges[i]!]}|${profile.names[code.edges[i + 1]!]}|${code.edges[i + 2]}`);
      expect(code.edges.length / 3).toBe(edges.size); // listed once each
      expect(edges).toEqual(expected.edges);
      expect(edges.size).toBeGreaterThan(0);
      // By name: every function and one call-site line per edge.
      const lines = codeLinesOfProfile(profile);
      expect(lines.functions).toEqual(expectedFunctions);
      for (const edge of expected.edges) {
        const [caller, callee] = edge.split('|');
        expect(expected.edges.has(`${caller}|${callee}|${lines.callSites.get(caller!)!.get(callee!)}`)).toBe(true);
      }
    });
  }

  it('is absent unless asked for, and does not change the decoded profile', () => {
    const bytes = load('go/single_group_with_optional_span_id.pb.gz');
    const plain = decodePprof(bytes);
    const withCode = decodePprof(bytes, { code: true });
    expect(profileCodeOf(plain)).toBeUndefined();
    const { code: _code, ...rest } = withCode as typeof withCode & { code?: unknown };
    expect(rest).toEqual(plain);
  });
});

describe('pprof reader: options.code never changes what is accepted', () => {
  const bases = ['go/single_group_with_optional_span_id.pb.gz', 'go/cpu.pb.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz'].map(load);
  const outcome = (bytes: Uint8Array, code: boolean): string => {
    try {
      const { code: _code, ...profile } = decodePprof(bytes, { code }) as ReturnType<typeof decodePprof> & { code?: unknown };
      return JSON.stringify(profile, (_key, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Uint8Array) : value));
    } catch (error) {
      if (error instanceof CinderError) return `rejected ${error.code}`;
      return `threw ${String(error)}`;
    }
  };
  it('4,000 mutated inputs (byte flips, truncations, inserted bytes): the same profile or the same rejection with and without it', () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(255), fc.nat(2)), { minLength: 1, maxLength: 3 }), (baseIndex, edits) => {
        let bytes = bases[baseIndex]!.slice();
        for (const [where, byte, kind] of edits) {
          const at = Math.min(bytes.length - 1, Math.floor(where * bytes.length));
          if (kind === 0) bytes[at] = byte;
          else if (kind === 1) bytes = bytes.slice(0, at);
          else bytes = Uint8Array.from([...bytes.subarray(0, at), byte, ...bytes.subarray(at)]);
        }
        const without = outcome(bytes, false);
        expect(without.startsWith('threw')).toBe(false);
        expect(outcome(bytes, true)).toBe(without);
      }),
      { numRuns: 4_000, seed: 20261129 },
    );
  }, 120_000);
});
