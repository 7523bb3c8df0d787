import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW_STATE, formatViewState, parseViewState } from '../src/state/viewState.js';
import {
  RELATIVE_PRESETS,
  canShiftLater,
  describeRange,
  axisTickSpaceCssPx,
  formatAxisTime,
  formatDateTime,
  parseTypedRange,
  parseTypedTime,
  resolveRange,
  resolveTime,
  shiftRange,
  typedTimeText,
  zoomOutRange,
} from '../src/state/time.js';

// TZ=UTC in the test config: local times below are UTC.
const nowMs = Date.UTC(2026, 0, 31, 12, 0, 0);
const HOUR_MS = 3_600_000;

describe('time-range presets', () => {
  it('go from 5 minutes to 30 days, each wider than the last', () => {
    expect(RELATIVE_PRESETS[0]).toEqual({ label: 'Last 5 minutes', from: 'now-5m' });
    expect(RELATIVE_PRESETS[RELATIVE_PRESETS.length - 1]).toEqual({ label: 'Last 30 days', from: 'now-30d' });
    const widths = RELATIVE_PRESETS.map((p) => nowMs - resolveTime(p.from, nowMs)!);
    for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeGreaterThan(widths[i - 1]!);
    expect(widths[widths.length - 1]).toBe(30 * 24 * HOUR_MS);
    expect(describeRange({ from: 'now-30d', until: 'now' }, nowMs)).toBe('Last 30 days');
  });
});

describe('typed ranges', () => {
  it.each([
    ['now', 'now'],
    ['now-2h', 'now-2h'],
    [' now - 90m ', 'now-90m'],
    ['now-007d', 'now-7d'],
    ['2026-01-31 10:05', String(Date.UTC(2026, 0, 31, 10, 5))],
    ['2026-01-31T10:05:30', String(Date.UTC(2026, 0, 31, 10, 5, 30))],
    ['1767225600000', '1767225600000'],
  ])('%j → %j', (text, value) => {
    expect(parseTypedTime(text)).toBe(value);
  });

  it.each(['', 'yesterday', 'now-2', 'now+2h', 'now-2y', '2026-02-31 10:00', '2026-01-31 24:00', '2026-01-31', '10:05'])('%j is not a time', (text) => {
    expect(parseTypedTime(text)).toBeNull();
  });

  it('a typed range resolves, or says what is wrong', () => {
    expect(parseTypedRange('now-2h', 'now', nowMs)).toEqual({ range: { from: 'now-2h', until: 'now' } });
    const absolute = parseTypedRange('2026-01-30 08:00', 'now-1h', nowMs);
    expect(absolute).toEqual({ range: { from: String(Date.UTC(2026, 0, 30, 8)), until: 'now-1h' } });
    expect(parseTypedRange('soon', 'now', nowMs)).toEqual({ error: expect.stringMatching(/^“From” is not a time\. Type now, now-2h/) });
    expect(parseTypedRange('now-1h', 'later', nowMs)).toEqual({ error: expect.stringMatching(/^“To” is not a time/) });
    expect(parseTypedRange('now', 'now-1h', nowMs)).toEqual({ error: '“From” must be before “To”.' });
  });

  it('the form shows relative ends as written and absolute ends in the app format', () => {
    expect(typedTimeText('now-2h', nowMs)).toBe('now-2h');
    expect(typedTimeText(String(Date.UTC(2026, 0, 30, 8, 1, 2)), nowMs)).toBe('2026-01-30 08:01:02');
    // What the form shows parses back to the same value.
    expect(parseTypedTime(typedTimeText(String(Date.UTC(2026, 0, 30, 8, 1, 2)), nowMs))).toBe(String(Date.UTC(2026, 0, 30, 8, 1, 2)));
  });
});

describe('shift and zoom out', () => {
  const last1h = { from: 'now-1h', until: 'now' };

  it('shifts one width earlier, and back later to the live relative range', () => {
    const earlier = shiftRange(last1h, nowMs, -1);
    expect(earlier).toEqual({ from: String(nowMs - 2 * HOUR_MS), until: String(nowMs - HOUR_MS) });
    expect(canShiftLater(earlier, nowMs)).toBe(true);
    const twiceEarlier = shiftRange(earlier, nowMs, -1);
    expect(resolveRange(twiceEarlier, nowMs)).toEqual({ fromMs: nowMs - 3 * HOUR_MS, untilMs: nowMs - 2 * HOUR_MS });
    expect(shiftRange(twiceEarlier, nowMs, 1)).toEqual(earlier);
    expect(shiftRange(earlier, nowMs, 1)).toEqual(last1h);
    // Minutes later (the page's "now" moved on), shifting back later still lands on the live range…
    expect(shiftRange(earlier, nowMs + 5 * 60_000, 1)).toEqual(last1h);
    // …but not when it would end well before now.
    expect(shiftRange(earlier, nowMs + 7 * 60_000, 1)).toEqual({ from: String(nowMs - HOUR_MS), until: String(nowMs) });
    expect(canShiftLater(last1h, nowMs)).toBe(false);
  });

  it('a shift later that would pass now stops at now', () => {
    const almostNow = { from: String(nowMs - 90 * 60_000), until: String(nowMs - 30 * 60_000) };
    expect(shiftRange(almostNow, nowMs, 1)).toEqual({ from: 'now-1h', until: 'now' });
    // A width that is not whole seconds cannot be written relative: it ends at now, absolute.
    const odd = { from: String(nowMs - 700), until: String(nowMs - 200) };
    expect(shiftRange(odd, nowMs, 1)).toEqual({ from: String(nowMs - 500), until: String(nowMs) });
  });

  it('zooms out ×2: relative stays relative, absolute keeps its middle and never ends after now', () => {
    expect(zoomOutRange(last1h, nowMs)).toEqual({ from: 'now-2h', until: 'now' });
    expect(zoomOutRange({ from: 'now-15d', until: 'now' }, nowMs)).toEqual({ from: 'now-30d', until: 'now' });
    const past = { from: String(nowMs - 10 * HOUR_MS), until: String(nowMs - 8 * HOUR_MS) };
    expect(zoomOutRange(past, nowMs)).toEqual({ from: String(nowMs - 11 * HOUR_MS), until: String(nowMs - 7 * HOUR_MS) });
    // 30 min ending 10 min ago: twice that around its middle would end 5 min from now, so it slides back.
    const recent = { from: String(nowMs - 40 * 60_000), until: String(nowMs - 10 * 60_000) };
    expect(zoomOutRange(recent, nowMs)).toEqual({ from: String(nowMs - HOUR_MS), until: String(nowMs) });
  });
});

describe('one time format', () => {
  it('is 24-hour YYYY-MM-DD HH:MM:SS, and axis ticks are its tail', () => {
    const ms = Date.UTC(2026, 0, 31, 19, 26, 6);
    expect(formatDateTime(ms)).toBe('2026-01-31 19:26:06');
    expect(formatAxisTime(ms, 5 * 60_000)).toBe('19:26:06');
    expect(formatAxisTime(ms, HOUR_MS)).toBe('19:26');
    expect(formatAxisTime(ms, 7 * 24 * HOUR_MS)).toBe('01-31 19:26');
    expect(formatAxisTime(Date.UTC(2026, 0, 31), 7 * 24 * HOUR_MS)).toBe('01-31');
    for (const span of [60_000, HOUR_MS, 30 * 24 * HOUR_MS]) expect(formatAxisTime(ms, span)).not.toMatch(/am|pm/i);
    // Longer labels get more room between ticks (≈ 8 px a character at the axis font).
    expect(axisTickSpaceCssPx(7 * 24 * HOUR_MS)).toBeGreaterThanOrEqual('01-31 19:26'.length * 8);
    expect(axisTickSpaceCssPx(HOUR_MS)).toBeGreaterThanOrEqual('19:26:06'.length * 7);
  });
});

describe('auto-refresh', () => {
  it('is off by default and stays out of the URL until switched on', () => {
    expect(DEFAULT_VIEW_STATE.refresh).toBe('off');
    expect(parseViewState('').refresh).toBe('off');
    expect(formatViewState({ ...DEFAULT_VIEW_STATE, refresh: '1m' })).toBe('?refresh=1m');
    expect(parseViewState('?refresh=1m').refresh).toBe('1m');
    expect(parseViewState('?refresh=bogus').refresh).toBe('off');
  });
});
