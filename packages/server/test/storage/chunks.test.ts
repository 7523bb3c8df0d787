import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { CHUNK_ROWS, ChunkAppender, chunkFastPath } from '../../src/storage/duckdb/chunks.js';

const LOW_32 = 0xffffffffn;

describe('ChunkAppender', () => {
  it('finds the typed vector items it copies into (else it would fall back to a value at a time)', () => {
    expect(chunkFastPath()).toBe(true);
  });

  it('appends every column kind exactly, across chunk boundaries, with NULL-only and mixed VARCHAR chunks', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE t (i INTEGER, u UBIGINT, s BIGINT, d DOUBLE, v VARCHAR)');
      const rowCount = 2 * CHUNK_ROWS + 17;
      const expected: [number, bigint, bigint, number, string | null][] = [];
      const appender = new ChunkAppender(await connection.createAppender('t'), ['i32', 'u64', 'i64', 'f64', 'str']);
      for (let r = 0; r < rowCount; r++) {
        const u = r === 0 ? 0xffff_ffff_ffff_ffffn : (BigInt(r) * 0x9e37_79b9_7f4a_7c15n) & 0xffff_ffff_ffff_ffffn;
        const s = r % 3 === 0 ? -(2 ** 53 - 1) + r : 1_795_000_000_000 + r;
        // The first chunk has no strings at all, the second a few, the last one all.
        const v = r < CHUNK_ROWS ? null : r < 2 * CHUNK_ROWS ? (r % 100 === 0 ? `span-${r}` : null) : `x\u00e9${r}`;
        const row = appender.row();
        appender.i32[0]![row] = r - 1000;
        appender.halves[1]![2 * row] = Number(u & LOW_32);
        appender.halves[1]![2 * row + 1] = Number(u >> 32n);
        appender.setI64(2, row, s);
        appender.f64[3]![row] = r / 7;
        appender.str[4]![row] = v;
        expected.push([r - 1000, u, BigInt(s), r / 7, v]);
      }
      appender.flush();
      appender.appender.closeSync();
      expect(appender.appended).toBe(rowCount);
      const result = await connection.runAndReadAll('SELECT i, u, s, d, v FROM t ORDER BY i');
      expect(result.getRows()).toEqual(expected);

      // Buffers sized for fewer rows than come: each full buffer goes out as its own chunk.
      const small = new ChunkAppender(await connection.createAppender('t'), ['i32', 'u64', 'i64', 'f64', 'str'], 10);
      for (let r = 0; r < 25; r++) {
        const row = small.row();
        small.i32[0]![row] = 100_000 + r;
        small.halves[1]![2 * row] = r;
        small.halves[1]![2 * row + 1] = 0;
        small.setI64(2, row, -r);
        small.f64[3]![row] = r;
        small.str[4]![row] = r % 2 === 0 ? null : `s${r}`;
      }
      small.flush();
      small.appender.closeSync();
      const tail = await connection.runAndReadAll('SELECT i, u, s, d, v FROM t WHERE i >= 100000 ORDER BY i');
      expect(tail.getRows()).toEqual(Array.from({ length: 25 }, (_, r) => [100_000 + r, BigInt(r), BigInt(-r), r, r % 2 === 0 ? null : `s${r}`]));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
