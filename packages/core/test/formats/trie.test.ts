import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCodes, decodeTreeFormat, decodeTrieFormat, encodeCollapsed } from '@cinder/core';
import { errorCode } from '../errorCode.js';

function uvarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** One serialized node: uvarint length, bytes, uvarint value, uvarint child count. */
function node(label: string, value: number, children: number): number[] {
  const bytes = new TextEncoder().encode(label);
  return [...uvarint(bytes.length), ...bytes, ...uvarint(value), ...uvarint(children)];
}

describe('format=tree (pre-order nodes with self values)', () => {
  // root → a(0) → { b(3) → c(2), d(1) }, and a second child of root e(7)
  const bytes = Uint8Array.from([
    ...node('', 0, 2),
    ...node('a', 0, 2),
    ...node('b', 3, 1),
    ...node('c', 2, 0),
    ...node('d', 1, 0),
    ...node('e', 7, 0),
  ]);

  it('decodes stacks from the names on the path, without the root', () => {
    const profile = decodeTreeFormat(bytes);
    expect(encodeCollapsed(profile, 0)).toBe('a;b 3\na;b;c 2\na;d 1\ne 7');
    expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
  });

  it('handles multi-byte varints and an empty body', () => {
    const big = Uint8Array.from([...node('', 0, 1), ...node('x', 300_000, 0)]);
    expect(encodeCollapsed(decodeTreeFormat(big), 0)).toBe('x 300000');
    expect(decodeTreeFormat(new Uint8Array(0)).stacks).toHaveLength(0);
  });

  it('rejects truncated bodies and trailing bytes with MALFORMED_TEXT', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(errorCode(() => decodeTreeFormat(bytes.subarray(0, cut))), `cut ${cut}`).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    }
    expect(errorCode(() => decodeTreeFormat(Uint8Array.from([...bytes, 0])))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    expect(errorCode(() => decodeTreeFormat(Uint8Array.from([0, 0, 5])))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    expect(() => decodeTreeFormat(Uint8Array.from([9, 1]))).toThrow(/format=tree.*byte/);
  });

  it('rejects names that are not UTF-8', () => {
    expect(errorCode(() => decodeTreeFormat(Uint8Array.from([...node('', 0, 1), 1, 0xff, 1, 0])))).toBe(ErrorCodes.INGEST_INVALID_UTF8);
  });
});

describe('format=trie (compressed trie of "a;b;c" keys)', () => {
  it('concatenates chunks along the path; non-zero values are stacks', () => {
    // root → "a;b" (2) → {";c" (3), ";d" (1) → "d" (4)}
    const bytes = Uint8Array.from([...node('', 0, 1), ...node('a;b', 2, 2), ...node(';c', 3, 0), ...node(';d', 1, 1), ...node('d', 4, 0)]);
    expect(encodeCollapsed(decodeTrieFormat(bytes), 0)).toBe('a;b 2\na;b;c 3\na;b;d 1\na;b;dd 4');
  });

  it('reads several tries one after another, as upstream IterateRaw does', () => {
    const bytes = Uint8Array.from([...node('', 0, 1), ...node('x;y', 1, 0), ...node('', 0, 1), ...node('x;y', 2, 0)]);
    expect(encodeCollapsed(decodeTrieFormat(bytes), 0)).toBe('x;y 3');
  });

  it('rejects truncated bodies with MALFORMED_TEXT', () => {
    const bytes = Uint8Array.from([...node('', 0, 1), ...node('a;b', 2, 0)]);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(errorCode(() => decodeTrieFormat(bytes.subarray(0, cut))), `cut ${cut}`).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    }
  });
});

describe('tree and trie decoders on random bytes', () => {
  it('only ever throw CinderError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeTreeFormat, decodeTrieFormat]) {
          const code = errorCode(() => decode(bytes));
          if (code !== 'no error' && code !== ErrorCodes.INGEST_MALFORMED_TEXT && code !== ErrorCodes.INGEST_INVALID_UTF8) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
