import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs, parseTimeParam } from '@cinder/core';

const nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('parseTimeParam (spec pyroscope-api.md §2.1.2)', () => {
  it.each([
    ['now', nowMs],
    [' now ', nowMs],
    ['now-1h', nowMs - HOUR_MS],
    ['now-30m', nowMs - 30 * 60_000],
    ['now-5min', nowMs - 5 * 60_000],
    ['now-7d', nowMs - 7 * DAY_MS],
    ['now-1d12h', nowMs - 36 * HOUR_MS],
    ['now+1h', nowMs + HOUR_MS],
    ['now-2w', nowMs - 14 * DAY_MS],
    ['now-1mon', nowMs - 30 * DAY_MS],
    ['now-1M', nowMs - 30 * DAY_MS],
    ['now-1y', nowMs - 365 * DAY_MS],
    ['now-90s', nowMs - 90_000],
    ['now-2hours', nowMs - 2 * HOUR_MS],
    ['now-500ms', nowMs - 500],
    ['-1h', nowMs - HOUR_MS],
    // unix time, told apart by magnitude (upstream: by length 10 / 13 / 16 / 19)
    ['1700000000', 1_700_000_000_000],
    ['1700000000000', 1_700_000_000_000],
    ['1700000000000000', 1_700_000_000_000],
    ['1700000000123456789', 1_700_000_000_123],
    ['1700000000.5', 1_700_000_000_500],
    ['1_700_000_000', 1_700_000_000_000],
    ['0', 0],
    // dates
    ['20261125', Date.UTC(2026, 10, 25)],
    ['202611251030', Date.UTC(2026, 10, 25, 10, 30)],
    ['2026-11-25', Date.UTC(2026, 10, 25)],
    ['2026-11-25T10:00:00Z', Date.UTC(2026, 10, 25, 10)],
    ['2026-11-25T10:00:00.250Z', Date.UTC(2026, 10, 25, 10, 0, 0, 250)],
    ['2026-11-25T10:00:00+02:00', Date.UTC(2026, 10, 25, 8)],
    ['2026-11-25T10:00:00-05:30', Date.UTC(2026, 10, 25, 15, 30)],
    ['2026-11-25 10:00', Date.UTC(2026, 10, 25, 10)],
  ])('%j', (text, expectedMs) => {
    expect(parseTimeParam(text, nowMs)).toBe(expectedMs);
  });

  it.each(['', 'yesterday', 'now-1x', 'now-', 'now-h', 'now*2', '2026-13-01', '2026-02-31', '2026-11-25T25:00:00Z', '12:00', 'soon'])('%j is NaN', (text) => {
    expect(parseTimeParam(text, nowMs)).toBeNaN();
  });

  it('8 digits that are not a date are unix seconds', () => {
    expect(parseTimeParam('19991399', nowMs)).toBe(19_991_399_000);
  });
});

describe('parseDurationMs / formatDurationMs', () => {
  it.each([
    ['15d', 15 * DAY_MS],
    ['1h30m', 90 * 60_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2w', 14 * DAY_MS],
    ['1y', 365 * DAY_MS],
    ['1.5h', 1.5 * HOUR_MS],
    ['0', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'soon', '15', 'h', '1h 30m', '-1h', '1x'])('%j is NaN', (text) => {
    expect(parseDurationMs(text)).toBeNaN();
  });

  it.each([
    [0, '0s'],
    [DAY_MS, '1d'],
    [90 * 60_000, '90m'],
    [2 * HOUR_MS, '2h'],
    [45_000, '45s'],
    [1500, '1500ms'],
  ])('formats %d as %s, which parses back', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
    expect(parseDurationMs(text)).toBe(ms);
  });
});
