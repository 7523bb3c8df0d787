/**
 * DuckDB's memory limit, low while the server idles and raised while a big statement needs room.
 *
 * The limit bounds DuckDB's buffer pool, which caches table blocks it has read until the limit is
 * reached: a soak showed RSS climbing ~1.5 MB/min toward a 128 MB pool, and the 30-day history
 * bench sat ~90 MB above its target for the same reason. A 64 MB limit keeps the pool small, but a
 * rollup of a long backlog or a merge of a 1M-node profile needs more for its hash tables (and
 * DuckDB fails a non-spillable allocation with "Out of Memory" instead of waiting). So:
 * statements known to be big (rollups) run under the roomy limit, any other statement that fails
 * with "Out of Memory" is run again once under it, and when the last such statement ends the
 * limit drops back, which makes DuckDB evict down to the idle limit.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** What the buffer pool may hold while no big statement runs. */
export const IDLE_MEMORY_LIMIT = '64MB';
/** What big statements (rollups, and a statement retried after "Out of Memory") may use. */
export const ROOMY_MEMORY_LIMIT = '512MB';

export function isOutOfMemory(error: unknown): boolean {
  return /Out of Memory/i.test(error instanceof Error ? error.message : String(error));
}

export class MemoryLimit {
  /** Tasks running under the roomy limit. */
  private roomy = 0;
  /** SET statements run one after another, so the last one issued is the one in force. */
  private settings: Promise<unknown> = Promise.resolve();
  /** How many times the limit was raised (tests, metrics). */
  raises = 0;

  /** `connection` runs only SET statements (a connection holds one statement at a time). */
  constructor(readonly connection: DuckDBConnection) {}

  /** Runs `task` with the roomy limit in force. */
  async withRoom<T>(task: () => Promise<T>): Promise<T> {
    if (this.roomy++ === 0) {
      this.raises++;
      await this.set(ROOMY_MEMORY_LIMIT);
    } else await this.settings;
    try {
      return await task();
    } finally {
      if (--this.roomy === 0) await this.set(IDLE_MEMORY_LIMIT).catch(() => undefined);
    }
  }

  /** Runs `task`; if DuckDB says it ran out of memory, runs it once more with room. */
  async retryWithRoom<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (!isOutOfMemory(error)) throw error;
      return this.withRoom(task);
    }
  }

  private set(limit: string): Promise<unknown> {
    const next = this.settings.then(() => this.connection.run(`SET GLOBAL memory_limit = '${limit}'`));
    this.settings = next.catch(() => undefined);
    return next;
  }
}

/** Bytes of a DuckDB size setting as it prints them ("61.0 MiB", "512.0 MB"); NaN if unreadable. */
export function bytesOfSetting(text: string): number {
  const match = /^\s*([\d.]+)\s*(bytes|KiB|MiB|GiB|TiB|KB|MB|GB|TB)\s*$/i.exec(text);
  if (!match) return Number.NaN;
  const unit: Record<string, number> = { bytes: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };
  return Number(match[1]) * unit[match[2]!.toLowerCase()]!;
}
