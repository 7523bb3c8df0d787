/**
 * The ClickHouse writer's symbol cache (storage/clickhouse/writer.ts over storage/symbolCache.ts):
 * symbol rows are per tenant and per day there, so what one tenant wrote never stops another from
 * writing its own rows, a day retention dropped is written again, and a repeat writes no symbols.
 */
import { describe, expect, it } from 'vitest';
import { SymbolCache } from '../../src/storage/symbolCache.js';
import { addProfileRows, emptyRows, rememberWritten, seriesIdsOf } from '../../src/storage/clickhouse/writer.js';
import { makeProfile } from './conformance.js';

const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

function rowsFor(cache: SymbolCache, tenant: string, timeMs: number) {
  const profile = makeProfile({ tenant, timeMs, stacks: { 'main;work;a': 10, 'main;work;b': 5, 'main;idle': 1 } });
  const rows = emptyRows();
  addProfileRows(rows, profile, seriesIdsOf(profile), cache);
  return rows;
}

describe('ClickHouse symbol cache', () => {
  it('skips symbols a batch of the same tenant and day wrote, and only those', () => {
    const cache = new SymbolCache(1024 * 1024);
    const first = rowsFor(cache, 'a', NOW_MS);
    expect([first.names.size, first.stacks.size, first.series.size]).toEqual([5, 3, 2]);
    rememberWritten(cache, first.names.keys());
    rememberWritten(cache, first.stacks.keys());
    rememberWritten(cache, first.series.keys());
    const again = rowsFor(cache, 'a', NOW_MS + 60_000);
    expect([again.names.size, again.stacks.size, again.series.size, again.samples.length]).toEqual([0, 0, 0, first.samples.length]);
    // Another tenant, and the same tenant on another day, write their own symbol rows.
    const other = rowsFor(cache, 'b', NOW_MS);
    expect([other.names.size, other.stacks.size, other.series.size]).toEqual([5, 3, 2]);
    const nextDay = rowsFor(cache, 'a', NOW_MS + DAY_MS);
    expect([nextDay.names.size, nextDay.stacks.size, nextDay.series.size]).toEqual([5, 3, 2]);
    // Retention dropped the day's partitions: a late profile for it writes its symbols again.
    cache.dropBefore(Math.floor(NOW_MS / DAY_MS) + 1);
    const late = rowsFor(cache, 'a', NOW_MS + 120_000);
    expect([late.names.size, late.stacks.size, late.series.size]).toEqual([5, 3, 2]);
  });
});
