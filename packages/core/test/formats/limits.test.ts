import { describe, expect, it } from 'vitest';
import {
  CinderError,
  DEFAULT_DECODE_LIMITS,
  ErrorCodes,
  MAX_SAMPLE_VALUE,
  decodeCollapsed,
  decodeLines,
  decodePprof,
  decodeSpeedscope,
  decodeTreeFormat,
  decodeTrieFormat,
  type Profile,
} from '@cinder/core';

/**
 * Issue 10: every number leaving a decoder is a whole number in [0, 2^53 − 1], and every decoder
 * checks its work limits while it decodes — so a limit trips before the bytes after it are even
 * read (the "garbage after the limit" cases below prove the order), over-deep stacks keep their
 * root-most frames, and nothing described by a small body is materialised first.
 */

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof CinderError) return error.code;
    throw error;
  }
  return undefined;
}
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}
const stackNames = (profile: Profile, s: number): string[] => Array.from(profile.stacks[s]!, (i) => profile.names[i]!);

// --- protobuf / tree writers (same as packages/server/test/fixtures/crafted/make.mjs) ---
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
/** Appends without spreading: bodies of a million numbers overflow the call stack as arguments. */
function concat(...parts: number[][]): number[] {
  const out: number[] = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) out.push(part[i]!);
  return out;
}
const field = (n: number, wire: number, body: number[] = []): number[] => concat(varint((n << 3) | wire), wire === 2 ? varint(body.length) : [], body);
const num = (n: number, value: number | bigint): number[] => concat(varint((n << 3) | 0), varint(value));
function pprof(options: { lines?: number; samples: { locations: number[]; values: (number | bigint)[] }[] }): Uint8Array {
  const line = field(4, 2, num(1, 1));
  const location = num(1, 1);
  for (let l = 0; l < (options.lines ?? 1); l++) for (const byte of line) location.push(byte);
  const parts: number[][] = [field(1, 2, concat(num(1, 1), num(2, 2)))];
  for (const s of options.samples) {
    const ids: number[] = [];
    for (const id of s.locations) for (const byte of varint(id)) ids.push(byte);
    parts.push(field(2, 2, concat(field(1, 2, ids), field(2, 2, concat(...s.values.map((v) => varint(v)))))));
  }
  parts.push(field(4, 2, location), field(5, 2, concat(num(1, 1), num(2, 3))));
  for (const text of ['', 'samples', 'count', 'f']) parts.push(field(6, 2, [...new TextEncoder().encode(text)]));
  return Uint8Array.from(concat(...parts));
}
const node = (label: string, value: number | bigint, children: number): number[] => {
  const bytes = [...new TextEncoder().encode(label)];
  return [...varint(bytes.length), ...bytes, ...varint(value), ...varint(children)];
};
/** tree format: root, then a chain of `depth` nodes named n1, n2, …, values from `valueAt`. */
function treeChain(depth: number, valueAt: (d: number) => number): Uint8Array {
  const out: number[] = [...node('', 0, 1)];
  for (let d = 1; d <= depth; d++) out.push(...node(`n${d}`, valueAt(d), d < depth ? 1 : 0));
  return Uint8Array.from(out);
}

describe('numbers leaving the decoders', () => {
  it('a folded count of 400 digits is INGEST_VALUE_OUT_OF_RANGE naming the line and the bound, not Infinity', () => {
    const run = () => decodeCollapsed(`main;ok 1\nmain;work ${'9'.repeat(400)}\n`);
    expect(codeOf(run)).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    expect(messageOf(run)).toMatch(/line 2.*400 digits.*9007199254740991/);
  });

  it('folded counts up to 2^53 − 1 are exact; 2^53 is out of range', () => {
    expect(decodeCollapsed(`a ${MAX_SAMPLE_VALUE}`).values[0]![0]).toBe(MAX_SAMPLE_VALUE);
    expect(codeOf(() => decodeCollapsed(`a ${2 ** 53}`))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
  });

  it('pprof int64 values are read signed: 2^63 − 1 and −5 are out of range, 2^53 − 1 is kept exactly', () => {
    for (const value of [2n ** 63n - 1n, -5, -1n, 2n ** 53n]) {
      const run = () => decodePprof(pprof({ samples: [{ locations: [1], values: [value] }] }));
      expect(codeOf(run), String(value)).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    }
    expect(messageOf(() => decodePprof(pprof({ samples: [{ locations: [1], values: [-5] }] })))).toMatch(/sample 0, value 0 \(samples\) is -5/);
    const kept = decodePprof(pprof({ samples: [{ locations: [1], values: [BigInt(MAX_SAMPLE_VALUE)] }] }));
    expect(kept.values[0]![0]).toBe(MAX_SAMPLE_VALUE);
  });

  it('a negative pprof period is out of range', () => {
    const bytes = [...pprof({ samples: [{ locations: [1], values: [1] }] }), ...num(12, -1)];
    expect(codeOf(() => decodePprof(Uint8Array.from(bytes)))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
  });

  it('a pprof varint longer than 10 bytes is malformed, checked before pprof-format decodes it in O(n²)', () => {
    const bytes = Uint8Array.from([...varint((9 << 3) | 0), ...new Array<number>(200_000).fill(0xff), 1]);
    expect(messageOf(() => decodePprof(bytes))).toMatch(/longer than 10 bytes/);
    const packed = pprof({ samples: [{ locations: [1], values: [1] }] });
    // The same inside a packed sample value.
    const sample = field(2, 2, [...field(1, 2, varint(1)), ...field(2, 2, [...new Array<number>(50).fill(0xff), 1])]);
    expect(codeOf(() => decodePprof(Uint8Array.from([...packed, ...sample])))).toBe(ErrorCodes.INGEST_MALFORMED_PPROF);
  });

  it('tree/trie values above 2^53 − 1 are out of range', () => {
    const tree = Uint8Array.from([...node('', 0, 1), ...node('a', 2n ** 60n, 0)]);
    expect(codeOf(() => decodeTreeFormat(tree))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    const trie = Uint8Array.from(node('a;b', 2n ** 60n, 0));
    expect(codeOf(() => decodeTrieFormat(trie))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
  });

  it('speedscope weights and times beyond 2^53 − 1 are out of range', () => {
    const sampled = { shared: { frames: [{ name: 'a' }] }, profiles: [{ type: 'sampled', unit: 'none', samples: [[0]], weights: [1e300] }] };
    expect(codeOf(() => decodeSpeedscope(JSON.stringify(sampled)))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    const evented = {
      shared: { frames: [{ name: 'a' }] },
      profiles: [{ type: 'evented', unit: 'none', startValue: 0, endValue: 1e300, events: [{ type: 'O', frame: 0, at: 0 }, { type: 'C', frame: 0, at: 1e300 }] }],
    };
    expect(codeOf(() => decodeSpeedscope(JSON.stringify(evented)))).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
  });
});

describe('stack depth: root-most frames are kept, while decoding', () => {
  const limits = { maxStackDepth: 3 };
  it('collapsed and lines', () => {
    expect(stackNames(decodeCollapsed('a;b;c;d;e 2', limits), 0)).toEqual(['a', 'b', 'c']);
    expect(stackNames(decodeLines('a;b;c;d;e', limits), 0)).toEqual(['a', 'b', 'c']);
  });

  it('tree: a 30,000-deep chain keeps n1…n1000 (default limit) for its one sample', () => {
    const profile = decodeTreeFormat(treeChain(30_000, (d) => (d === 30_000 ? 7 : 0)));
    expect(profile.stacks).toHaveLength(1);
    expect(stackNames(profile, 0)).toEqual(Array.from({ length: DEFAULT_DECODE_LIMITS.maxStackDepth }, (_, i) => `n${i + 1}`));
    expect(profile.values[0]![0]).toBe(7);
  });

  it('tree: shallow nodes keep their full path; deep ones their root-most 3', () => {
    const profile = decodeTreeFormat(treeChain(5, () => 1), limits);
    expect(profile.stacks.map((_, s) => stackNames(profile, s).join(';'))).toEqual(['n1', 'n1;n2', 'n1;n2;n3', 'n1;n2;n3', 'n1;n2;n3']);
  });

  it('trie: chunks split anywhere, deep keys keep their root-most 3 frames', () => {
    // "" → "ma" → "in;a;" → {"b;c;d" 5, "x" 2}; "in;a;" holds "main;a;" with value 1.
    const trie = Uint8Array.from([...node('', 0, 1), ...node('ma', 0, 1), ...node('in;a;', 1, 2), ...node('b;c;d', 5, 0), ...node('x', 2, 0)]);
    const full = decodeTrieFormat(trie);
    expect(full.stacks.map((_, s) => `${stackNames(full, s).join(';')} ${full.values[0]![s]}`)).toEqual(['main;a; 1', 'main;a;b;c;d 5', 'main;a;x 2']);
    const cut = decodeTrieFormat(trie, limits);
    expect(cut.stacks.map((_, s) => stackNames(cut, s).join(';'))).toEqual(['main;a;', 'main;a;b', 'main;a;x']);
  });

  it('speedscope evented and sampled', () => {
    const frames = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name }));
    const events = [0, 1, 2, 3, 4].map((frame, at) => ({ type: 'O', frame, at }));
    const evented = { shared: { frames }, profiles: [{ type: 'evented', unit: 'none', startValue: 0, endValue: 10, events }] };
    const [entry] = decodeSpeedscope(JSON.stringify(evented), limits);
    expect(entry!.profile.stacks.map((_, s) => stackNames(entry!.profile, s).join(';'))).toEqual(['a', 'a;b', 'a;b;c', 'a;b;c', 'a;b;c']);
    const sampled = { shared: { frames }, profiles: [{ type: 'sampled', unit: 'none', samples: [[0, 1, 2, 3, 4]], weights: [1] }] };
    const [s] = decodeSpeedscope(JSON.stringify(sampled), limits);
    expect(stackNames(s!.profile, 0)).toEqual(['a', 'b', 'c']);
  });

  it('pprof: one location of 1,000 inlined lines referenced 1,000,000 times is one stack of 1,000 frames', () => {
    const profile = decodePprof(pprof({ lines: 1000, samples: [{ locations: new Array<number>(1_000_000).fill(1), values: [1] }] }));
    expect(profile.stacks).toHaveLength(1);
    expect(profile.stacks[0]).toHaveLength(DEFAULT_DECODE_LIMITS.maxStackDepth);
  });

  it('pprof: 5,000 lines × 1,000,000 references (beyond any typed array) is the same, not "Invalid typed array length"', () => {
    const profile = decodePprof(pprof({ lines: 5000, samples: [{ locations: new Array<number>(1_000_000).fill(1), values: [1] }] }), { limits: { maxStackDepth: 10 } });
    expect(profile.stacks[0]).toHaveLength(10);
  });
});

describe('work limits trip while decoding (bytes after the limit are never read)', () => {
  const garbage = [0xff, 0xff, 0xff];

  it('tree: frames per profile, with the flag named', () => {
    const body = Uint8Array.from([...treeChain(100, () => 1), ...garbage]);
    const run = () => decodeTreeFormat(body, { maxFramesPerProfile: 1000 });
    expect(codeOf(run)).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    expect(messageOf(run)).toMatch(/frames per profile: at least \d+ seen, the limit is 1000; raise --max-frames-per-profile/);
  });

  it('tree and trie: nodes per body', () => {
    const tree = Uint8Array.from([...node('', 0, 50), ...Array.from({ length: 50 }, () => node('a', 1, 0)).flat(), ...garbage]);
    expect(messageOf(() => decodeTreeFormat(tree, { maxNodes: 10 }))).toMatch(/nodes in the tree\/trie body: at least 11 seen.*--max-tree-nodes/);
    const trie = Uint8Array.from([...node('', 0, 50), ...Array.from({ length: 50 }, () => node('a', 1, 0)).flat(), ...garbage]);
    expect(codeOf(() => decodeTrieFormat(trie, { maxNodes: 10 }))).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
  });

  it('trie: frames of a deep ";a" chain, and names grown one character per node', () => {
    const chain = Uint8Array.from([...node('a', 1, 1), ...Array.from({ length: 199 }, (_, i) => node(';a', 1, i < 198 ? 1 : 0)).flat()]);
    expect(codeOf(() => decodeTrieFormat(chain, { maxFramesPerProfile: 5000 }))).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    const names = Uint8Array.from(Array.from({ length: 2000 }, (_, i) => node('x', 1, i < 1999 ? 1 : 0)).flat());
    expect(messageOf(() => decodeTrieFormat(names, { maxNameChars: 10_000 }))).toMatch(/characters of frame names.*--max-profile-size/);
  });

  it('samples per profile keep their code (INGEST_TOO_MANY_SAMPLES) and flag', () => {
    const run = () => decodeCollapsed('a 1\nb 1\nc 1\n', { maxSamples: 2 });
    expect(codeOf(run)).toBe(ErrorCodes.INGEST_TOO_MANY_SAMPLES);
    expect(messageOf(run)).toMatch(/--max-samples/);
    expect(codeOf(() => decodePprof(pprof({ samples: [1, 2, 3].map(() => ({ locations: [1], values: [1] })) }), { limits: { maxSamples: 2 } }))).toBe(
      ErrorCodes.INGEST_TOO_MANY_SAMPLES,
    );
  });

  it('speedscope: events per file are counted before any is walked', () => {
    const events = Array.from({ length: 20 }, (_, i) => ({ type: i < 10 ? 'O' : 'C', frame: 0, at: i }));
    const file = { shared: { frames: [{ name: 'a' }] }, profiles: [{ type: 'evented', unit: 'none', events }] };
    expect(messageOf(() => decodeSpeedscope(JSON.stringify(file), { maxSpeedscopeEvents: 19 }))).toMatch(/speedscope events: 20 seen.*--max-speedscope-events/);
  });

  it('speedscope: a 10,000-deep evented chain trips the frame limit instead of copying 10^8 frames', () => {
    const depth = 10_000;
    const events = [
      ...Array.from({ length: depth }, (_, i) => ({ type: 'O', frame: 0, at: i })),
      ...Array.from({ length: depth }, (_, i) => ({ type: 'C', frame: 0, at: depth + i })),
    ];
    const file = { shared: { frames: [{ name: 'a' }] }, profiles: [{ type: 'evented', unit: 'none', events }] };
    expect(codeOf(() => decodeSpeedscope(JSON.stringify(file)))).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
  });

  it('pprof: frames per profile after inline expansion', () => {
    const body = pprof({ lines: 1000, samples: Array.from({ length: 10 }, () => ({ locations: [1, 1], values: [1] })) });
    expect(codeOf(() => decodePprof(body, { limits: { maxFramesPerProfile: 5000 } }))).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
  });
});
