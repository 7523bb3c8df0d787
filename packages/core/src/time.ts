/**
 * Time parameters as Pyroscope accepts them (`from`, `until`): `now`, `now-1h`, unix seconds,
 * milliseconds or nanoseconds (told apart by magnitude), RFC 3339, and `YYYYMMDD[HHMM]`.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** `15d`, `1h30m`, `500ms` → ms; NaN when not a duration. */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number.NaN;
  let total = 0;
  let rest = trimmed;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/.exec(rest);
    if (!match) return Number.NaN;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

export function formatDurationMs(durationMs: number): string {
  if (durationMs === 0) return '0s';
  for (const [unit, size] of [
    ['d', UNIT_MS.d!],
    ['h', UNIT_MS.h!],
    ['m', UNIT_MS.m!],
    ['s', UNIT_MS.s!],
  ] as const) {
    if (durationMs % size === 0) return `${durationMs / size}${unit}`;
  }
  return `${durationMs}ms`;
}

/** ms since the epoch, or NaN. */
export function parseTimeParam(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (trimmed === 'now') return nowMs;
  const relative = /^now\s*([-+])\s*(.+)$/.exec(trimmed);
  if (relative) {
    const duration = parseDurationMs(relative[2]!);
    if (!Number.isFinite(duration)) return Number.NaN;
    return relative[1] === '-' ? nowMs - duration : nowMs + duration;
  }
  if (/^\d{8}$/.test(trimmed) || /^\d{12}$/.test(trimmed)) {
    const year = Number(trimmed.slice(0, 4));
    const month = Number(trimmed.slice(4, 6));
    const day = Number(trimmed.slice(6, 8));
    const hour = trimmed.length === 12 ? Number(trimmed.slice(8, 10)) : 0;
    const minute = trimmed.length === 12 ? Number(trimmed.slice(10, 12)) : 0;
    // 8-digit values in the unix-seconds range before 1973 are dates here, as upstream reads them.
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60) return Date.UTC(year, month - 1, day, hour, minute);
  }
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    const magnitude = Math.abs(value);
    if (magnitude >= 1e17) return Math.floor(value / 1e6); // ns
    if (magnitude >= 1e14) return Math.floor(value / 1e3); // µs
    if (magnitude >= 1e11) return Math.floor(value); // ms
    return Math.floor(value * 1000); // s
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const parsed = Date.parse(trimmed);
    return Number.isFinite(parsed) ? parsed : Number.NaN;
  }
  return Number.NaN;
}
