/**
 * Time parameters as Pyroscope accepts them (`from`, `until`, render's `leftFrom`…), spec
 * pyroscope-api.md §2.1.2 (upstream pkg/og/util/attime): `now`, `now-1h`, `now-1d12h`, unix
 * seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude), `YYYYMMDD`, and
 * additionally `YYYYMMDDHHMM` and RFC 3339 (`2026-11-25T10:00:00Z`). Spaces, `_` and `,` are ignored.
 *
 * Where upstream guesses, this returns NaN so the caller can answer 400: upstream reads anything
 * that is not digits as "now" plus an offset (so `yesterday` is now, and `now-1x` is now).
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Prometheus-style duration units. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: SECOND_MS,
  m: MINUTE_MS,
  h: HOUR_MS,
  d: DAY_MS,
  w: 7 * DAY_MS,
  y: 365 * DAY_MS,
};

/** `15d`, `1h30m`, `500ms`, `0` → ms; NaN when not a duration. */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number.NaN;
  if (/^0+$/.test(trimmed)) return 0;
  let totalMs = 0;
  let rest = trimmed;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/.exec(rest);
    if (!match) return Number.NaN;
    totalMs += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return totalMs;
}

/** The largest whole unit: 86_400_000 → `1d`, 5_400_000 → `90m`, 1500 → `1500ms`. */
export function formatDurationMs(durationMs: number): string {
  if (!Number.isFinite(durationMs)) return String(durationMs);
  if (durationMs === 0) return '0s';
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', HOUR_MS],
    ['m', MINUTE_MS],
    ['s', SECOND_MS],
  ] as const) {
    if (durationMs % size === 0) return `${durationMs / size}${unit}`;
  }
  return `${durationMs}ms`;
}

/**
 * One attime offset unit, matched by prefix in upstream's order (`s`, `mon`/`M`, `min`/`m`, `h`,
 * `d`, `w`, `y`), so `5min`, `2hours`, `1mon` and `3M` all work. `ms` is ours (upstream reads it as
 * minutes).
 */
function offsetUnitMs(unit: string): number {
  if (unit === 'ms') return 1;
  if (unit.startsWith('s')) return SECOND_MS;
  if (unit.startsWith('mon') || unit.startsWith('M')) return 30 * DAY_MS;
  if (unit.startsWith('min') || unit.startsWith('m')) return MINUTE_MS;
  if (unit.startsWith('h')) return HOUR_MS;
  if (unit.startsWith('d')) return DAY_MS;
  if (unit.startsWith('w')) return 7 * DAY_MS;
  if (unit.startsWith('y')) return 365 * DAY_MS;
  return Number.NaN;
}

/** `1d12h` → ms, NaN if any pair is not `<integer><unit>`. */
function parseOffsetMs(offset: string): number {
  if (offset === '') return Number.NaN;
  let totalMs = 0;
  let rest = offset;
  while (rest !== '') {
    const match = /^(\d+)([a-zA-Z]+)/.exec(rest);
    if (!match) return Number.NaN;
    const unitMs = offsetUnitMs(match[2]!);
    if (Number.isNaN(unitMs)) return Number.NaN;
    totalMs += Number(match[1]) * unitMs;
    rest = rest.slice(match[0].length);
  }
  return totalMs;
}

/** `2026-11-25`, `2026-11-25T10:00`, `2026-11-25 10:00:00.5+02:00`; no zone = UTC. */
function parseRfc3339Ms(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?([Zz]|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!match) return Number.NaN;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1 || d > 31 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) return Number.NaN;
  let ms = Date.UTC(Number(year), m - 1, d, Number(hour), Number(minute), Number(second), Math.floor(Number(`0.${fraction || '0'}`) * 1000));
  if (new Date(ms).getUTCDate() !== d) return Number.NaN; // 2026-02-31
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * HOUR_MS + Number(digits.slice(2)) * MINUTE_MS);
  }
  return ms;
}

/** The range a JS Date can hold (±100,000,000 days): anything beyond is no time a profile has. */
export const MAX_TIME_MS = 8.64e15;

/** True for a finite ms-since-epoch value that a Date (and so every encoder) can represent. */
export function isValidTimeMs(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS;
}

/** ms since the epoch, or NaN when the text is not a time (or one past the Date range). */
export function parseTimeParam(text: string, nowMs: number): number {
  const ms = parseTimeParamUnchecked(text, nowMs);
  return isValidTimeMs(ms) ? ms : Number.NaN;
}

function parseTimeParamUnchecked(text: string, nowMs: number): number {
  const s = text.trim().replace(/[_, ]/g, '');
  if (s === '') return Number.NaN;
  if (s === 'now') return nowMs;

  if (/^\d+$/.test(s)) {
    if (s.length === 8 || s.length === 12) {
      const year = Number(s.slice(0, 4));
      const month = Number(s.slice(4, 6));
      const day = Number(s.slice(6, 8));
      const hour = s.length === 12 ? Number(s.slice(8, 10)) : 0;
      const minute = s.length === 12 ? Number(s.slice(10, 12)) : 0;
      // As upstream: 8 digits that form a date after 1900 are a date, not unix seconds of 1970.
      if (year > 1900 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60) {
        return Date.UTC(year, month - 1, day, hour, minute);
      }
    }
    // Upstream picks by length (13 ms, 16 µs, 19 ns, else s); magnitude gives the same answer for
    // those lengths and a sensible one for the rest.
    const value = Number(s);
    if (value >= 1e17) return Math.floor(value / 1e6);
    if (value >= 1e14) return Math.floor(value / 1e3);
    if (value >= 1e11) return value;
    return value * 1000;
  }
  if (/^\d+\.\d+$/.test(s)) return Math.floor(Number(s) * 1000); // fractional unix seconds

  const relative = /^(now)?([+-])(.*)$/.exec(s);
  if (relative) {
    const offsetMs = parseOffsetMs(relative[3]!);
    if (Number.isNaN(offsetMs)) return Number.NaN;
    return relative[2] === '-' ? nowMs - offsetMs : nowMs + offsetMs;
  }
  return parseRfc3339Ms(text.trim());
}
