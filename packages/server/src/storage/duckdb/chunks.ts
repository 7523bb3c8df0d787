/**
 * Appending rows a data chunk (2,048 rows) at a time from typed columns, for the writer's big
 * tables (stack nodes, samples). The row-at-a-time appender costs a native call and a bigint per
 * value (~1 µs a stack row); here a UBIGINT column is two 32-bit halves per row in a Uint32Array
 * that is copied into the chunk's vector in one go, so a 1M-node profile's rows append in tens of
 * milliseconds instead of about a second.
 *
 * The copy writes into the vector's typed items (a field @duckdb/node-api keeps private); if a
 * version of the library does not have it, every value goes through the public setItem instead
 * (slower, same rows). test/storage/chunks.test.ts reads appended rows back through SQL.
 */
import { DuckDBDataChunk, type DuckDBAppender, DuckDBBigIntType, DuckDBDoubleType, DuckDBIntegerType, DuckDBUBigIntType, DuckDBVarCharType, type DuckDBType } from '@duckdb/node-api';

/** i32 INTEGER · u64 UBIGINT and i64 BIGINT as [lo, hi] halves · f64 DOUBLE · str VARCHAR (nullable). */
export type ColumnKind = 'i32' | 'u64' | 'i64' | 'f64' | 'str';

const DUCK_TYPES: Record<ColumnKind, DuckDBType> = {
  i32: DuckDBIntegerType.instance,
  u64: DuckDBUBigIntType.instance,
  i64: DuckDBBigIntType.instance,
  f64: DuckDBDoubleType.instance,
  str: DuckDBVarCharType.instance,
};

/** DuckDB's standard vector size; DuckDBDataChunk refuses more rows. */
export const CHUNK_ROWS = 2048;
const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** What the fast path needs of a vector: its typed items (and, for VARCHAR, its validity words). */
interface VectorInternals {
  items?: unknown;
  validity?: { data?: unknown };
  setItem(index: number, value: unknown): void;
  flush(): void;
}

/**
 * Rows are written into the column buffers at `row()`'s index, then handed to DuckDB when a chunk
 * is full and by `close()`. Columns: i32 → `i32[c]`, u64/i64 → `halves[c]` (2 per row), f64 →
 * `f64[c]`, str → `str[c]`.
 */
export class ChunkAppender {
  readonly i32: Int32Array[] = [];
  readonly halves: Uint32Array[] = [];
  readonly f64: Float64Array[] = [];
  readonly str: (string | null)[][] = [];
  private readonly types: DuckDBType[];
  private readonly capacity: number;
  private rows = 0;
  /** Rows handed to DuckDB so far. */
  appended = 0;

  /** `expectedRows`: how many rows will come, if known (a batch of a few profiles needs small buffers). */
  constructor(
    readonly appender: DuckDBAppender,
    private readonly kinds: readonly ColumnKind[],
    expectedRows = CHUNK_ROWS,
  ) {
    this.types = kinds.map((kind) => DUCK_TYPES[kind]);
    const capacity = (this.capacity = Math.max(1, Math.min(CHUNK_ROWS, expectedRows)));
    kinds.forEach((kind, c) => {
      if (kind === 'i32') this.i32[c] = new Int32Array(capacity);
      else if (kind === 'u64' || kind === 'i64') this.halves[c] = new Uint32Array(2 * capacity);
      else if (kind === 'f64') this.f64[c] = new Float64Array(capacity);
      else this.str[c] = new Array<string | null>(capacity).fill(null);
    });
  }

  /** The index of a new row in the column buffers (the previous chunk is sent first when full). */
  row(): number {
    if (this.rows === this.capacity) this.flush();
    return this.rows++;
  }

  /** Writes a safe integer (e.g. a time in ms) into an i64 column at `row`. */
  setI64(column: number, row: number, value: number): void {
    const hi = Math.floor(value / TWO_32);
    const halves = this.halves[column]!;
    halves[2 * row] = value - hi * TWO_32;
    halves[2 * row + 1] = hi;
  }

  /** Sends what is buffered; call before closing the appender. */
  flush(): void {
    const count = this.rows;
    if (count === 0) return;
    const chunk = DuckDBDataChunk.create(this.types, count);
    for (let c = 0; c < this.kinds.length; c++) fillVector(chunk.getColumnVector(c) as unknown as VectorInternals, this.kinds[c]!, this, c, count);
    this.appender.appendDataChunk(chunk);
    this.appended += count;
    this.rows = 0;
  }
}

function fillVector(vector: VectorInternals, kind: ColumnKind, from: ChunkAppender, column: number, count: number): void {
  const items = vector.items;
  switch (kind) {
    case 'i32': {
      const source = from.i32[column]!;
      if (items instanceof Int32Array && items.length >= count) items.set(source.subarray(0, count));
      else for (let i = 0; i < count; i++) vector.setItem(i, source[i]!);
      break;
    }
    case 'f64': {
      const source = from.f64[column]!;
      if (items instanceof Float64Array && items.length >= count) items.set(source.subarray(0, count));
      else for (let i = 0; i < count; i++) vector.setItem(i, source[i]!);
      break;
    }
    case 'u64':
    case 'i64': {
      const source = from.halves[column]!;
      const typed = kind === 'u64' ? items instanceof BigUint64Array : items instanceof BigInt64Array;
      if (LITTLE_ENDIAN && typed && (items as BigUint64Array).length >= count) {
        const words = items as BigUint64Array;
        new Uint32Array(words.buffer, words.byteOffset, 2 * count).set(source.subarray(0, 2 * count));
      } else {
        for (let i = 0; i < count; i++) {
          const value = BigInt(source[2 * i]!) | (BigInt(source[2 * i + 1]!) << 32n);
          vector.setItem(i, kind === 'u64' ? value : BigInt.asIntN(64, value));
        }
      }
      break;
    }
    case 'str': {
      const source = from.str[column]!;
      let anyValue = false;
      for (let i = 0; i < count; i++) if (source[i] !== null) anyValue = true;
      if (!anyValue) {
        // The usual samples chunk: no span or trace id at all. One setItem creates the validity
        // words; clearing them all marks every row NULL without a bigint operation per row.
        vector.setItem(0, null);
        const words = vector.validity?.data;
        if (words instanceof BigUint64Array) {
          words.fill(0n);
          break;
        }
      }
      for (let i = 0; i < count; i++) vector.setItem(i, source[i]);
      // Buffers are reused chunk after chunk: values must not leak into the next one.
      source.fill(null, 0, count);
      break;
    }
  }
  vector.flush();
}

/**
 * Whether this @duckdb/node-api exposes the typed items the fast path copies into (a test keeps it
 * from silently falling back to the per-value path after an upgrade).
 */
export function chunkFastPath(): boolean {
  const kinds: ColumnKind[] = ['i32', 'u64', 'i64', 'f64', 'str'];
  const chunk = DuckDBDataChunk.create(kinds.map((kind) => DUCK_TYPES[kind]), 1);
  const items = kinds.map((_, c) => (chunk.getColumnVector(c) as unknown as VectorInternals).items);
  const varchar = chunk.getColumnVector(4) as unknown as VectorInternals;
  varchar.setItem(0, null);
  return (
    LITTLE_ENDIAN &&
    items[0] instanceof Int32Array &&
    items[1] instanceof BigUint64Array &&
    items[2] instanceof BigInt64Array &&
    items[3] instanceof Float64Array &&
    varchar.validity?.data instanceof BigUint64Array
  );
}
