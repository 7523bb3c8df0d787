/**
 * Merged trees (and profile counts) of recent selections, so repeated and zoom queries over the
 * same selection reuse one merge: a 1M-node profile merges in a few hundred ms, a cached answer is
 * cut from the tree in tens.
 *
 * Keyed by tenant + everything that selects data (profile type, parsed selector, exact range,
 * span/trace/profile ids). Frame filters and focus are applied by callers after the cache, so one
 * entry serves every view of a selection. Bounded by an estimate of the bytes each value holds,
 * least recently used out first.
 *
 * Correctness rests on the store telling us about writes (ProfileReader.onDataChange): a write of
 * tenant T at times [a, b] drops T's entries whose range meets [a, b]; retention drops everything.
 * A merge that was running while such a write landed is not stored (its answer may predate the
 * write), checked against a short log of recent invalidations.
 */
import { VIEW_INDEX_BYTES_PER_NAME, VIEW_INDEX_BYTES_PER_NODE, type CallTree } from '@cinder/core';
import type { DataChange } from '../storage/store.js';

export const DEFAULT_QUERY_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  tenant: string;
  fromMs: number;
  toMs: number;
  bytes: number;
  value: unknown;
}

interface Invalidation {
  generation: number;
  change: DataChange;
}

/** Invalidations remembered for merges in flight; a merge older than the log is not stored. */
const INVALIDATION_LOG = 1024;
/** Per-entry bookkeeping (key string, Map entry, object). */
const ENTRY_OVERHEAD_BYTES = 256;

export class QueryCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly log: Invalidation[] = [];
  private generation = 0;
  private totalBytes = 0;
  readonly counts = { hits: 0, misses: 0, evictions: 0, invalidations: 0 };

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.totalBytes;
  }

  /** Pass to getOrLoad when the key itself comes from a read: a write after this point then keeps the value out. */
  get generationNow(): number {
    return this.generation;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value, or `load()`'s (stored when it fits and no write into the range landed while
   * it ran). Concurrent callers of one key share one load.
   */
  async getOrLoad<T>(
    key: string,
    scope: { tenant: string; fromMs: number; toMs: number },
    load: () => Promise<T>,
    sizeOf: (value: T) => number,
    /** The generation when the caller started reading what the key was computed from (see `generationNow`). */
    since = this.generation,
  ): Promise<T> {
    if (this.maxBytes <= 0) return load();
    const entry = this.entries.get(key);
    if (entry) {
      this.counts.hits++;
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.value as T;
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.counts.hits++;
      return running as Promise<T>;
    }
    this.counts.misses++;
    const startedAt = Math.min(since, this.generation);
    const promise = (async () => {
      try {
        const value = await load();
        if (!this.changedSince(startedAt, scope)) this.store(key, scope, value, sizeOf(value));
        return value;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return promise;
  }

  /** A write landed: entries it may have changed go. */
  invalidate(change: DataChange): void {
    this.generation++;
    this.counts.invalidations++;
    this.log.push({ generation: this.generation, change });
    if (this.log.length > INVALIDATION_LOG) this.log.splice(0, this.log.length - INVALIDATION_LOG);
    for (const [key, entry] of this.entries) {
      if (affects(change, entry)) this.remove(key, entry);
    }
  }

  clear(): void {
    this.invalidate({ all: true });
  }

  private changedSince(generation: number, scope: { tenant: string; fromMs: number; toMs: number }): boolean {
    if (generation === this.generation) return false;
    const oldest = this.log[0];
    if (!oldest || oldest.generation > generation + 1) return true;
    for (const entry of this.log) if (entry.generation > generation && affects(entry.change, scope)) return true;
    return false;
  }

  private store(key: string, scope: { tenant: string; fromMs: number; toMs: number }, value: unknown, valueBytes: number): void {
    const bytes = valueBytes + ENTRY_OVERHEAD_BYTES;
    // A value larger than the whole cache is not kept (it would not fit even alone).
    if (bytes > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.entries.set(key, { tenant: scope.tenant, fromMs: scope.fromMs, toMs: scope.toMs, bytes, value });
    this.totalBytes += bytes;
    for (const [oldKey, oldEntry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.remove(oldKey, oldEntry);
      this.counts.evictions++;
    }
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }
}

function affects(change: DataChange, scope: { tenant: string; fromMs: number; toMs: number }): boolean {
  if ('all' in change) return true;
  return change.tenant === scope.tenant && change.fromMs <= scope.toMs && change.toMs >= scope.fromMs;
}

/**
 * Bytes a merged tree holds: its columns, its child index and view index (core tree/lodQuery.ts;
 * both built once per cached tree) and its names (twice: the view index maps them to ids).
 */
export function callTreeBytes(tree: CallTree): number {
  let nameBytes = 0;
  for (const name of tree.names) nameBytes += 2 * name.length + 40 + VIEW_INDEX_BYTES_PER_NAME;
  return tree.nodeCount * (4 + 4 + 8 + 8 + 8 + VIEW_INDEX_BYTES_PER_NODE) + nameBytes;
}
