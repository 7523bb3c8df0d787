/**
 * Time ranges as people pick them: relative (`now-1h` → `now`, re-evaluated on every refresh) or
 * absolute (epoch ms). Kept as the strings that go in the URL so a pasted link means "the last hour"
 * when it was relative and the exact window when it was absolute.
 */

export const RELATIVE_PRESETS = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 30 minutes', from: 'now-30m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 3 hours', from: 'now-3h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 12 hours', from: 'now-12h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 2 days', from: 'now-2d' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
] as const;

export const REFRESH_CHOICES = [
  { value: '30s', label: '30s', ms: 30_000 },
  { value: '1m', label: '1m', ms: 60_000 },
  { value: '5m', label: '5m', ms: 300_000 },
  { value: '15m', label: '15m', ms: 900_000 },
  { value: '30m', label: '30m', ms: 1_800_000 },
  { value: '1h', label: '1h', ms: 3_600_000 },
  { value: 'off', label: 'Off', ms: 0 },
] as const;

export type RefreshValue = (typeof REFRESH_CHOICES)[number]['value'];

/** The interval auto-refresh starts with when switched on (it is off until someone asks for it). */
export const DEFAULT_REFRESH_INTERVAL: RefreshValue = '30s';

export function refreshIntervalMs(value: string): number {
  return REFRESH_CHOICES.find((choice) => choice.value === value)?.ms ?? 0;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

const RELATIVE_TIME = /^now\s*-\s*(\d+)\s*([smhdw])$/;

/** `now`, `now-15m`, or epoch ms as digits → ms; null when unparsable. */
export function resolveTime(text: string, nowMs: number): number | null {
  const trimmed = text.trim();
  if (trimmed === 'now') return nowMs;
  const relative = RELATIVE_TIME.exec(trimmed);
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  return null;
}

/**
 * What a person typed for one end of a range, as it goes in the URL: `now`, `now-2h` (kept relative,
 * spaces dropped), or a time in the app's one format `YYYY-MM-DD HH:MM[:SS]` in the browser's zone
 * (→ epoch ms). Null when it is neither.
 */
export function parseTypedTime(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === 'now') return 'now';
  const relative = RELATIVE_TIME.exec(trimmed);
  if (relative) return `now-${Number(relative[1])}${relative[2]}`;
  if (/^\d{10,}$/.test(trimmed)) return trimmed;
  const absolute = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(trimmed);
  if (!absolute) return null;
  const [year, month, day, hour, minute, second = '0'] = absolute.slice(1).map((part) => part ?? '0') as string[];
  const date = new Date(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  // new Date rolls 2026-02-31 over into March; a date that does not exist is a typo, not a time.
  if (date.getMonth() !== Number(month) - 1 || date.getDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  return String(date.getTime());
}

/** A typed range, or why it cannot be used. */
export function parseTypedRange(fromText: string, untilText: string, nowMs: number): { range: TimeRange } | { error: string } {
  const from = parseTypedTime(fromText);
  const until = parseTypedTime(untilText);
  const example = 'Type now, now-2h or 2026-01-31 14:05.';
  if (from === null) return { error: `“From” is not a time. ${example}` };
  if (until === null) return { error: `“To” is not a time. ${example}` };
  if (resolveTime(from, nowMs)! >= resolveTime(until, nowMs)!) return { error: '“From” must be before “To”.' };
  return { range: { from, until } };
}

/** `now-<width>` when the width is whole seconds (so a range ending now stays relative), else null. */
function relativeWidth(widthMs: number): string | null {
  return widthMs > 0 && widthMs % 1000 === 0 ? `now-${formatDuration(widthMs)}` : null;
}

/**
 * The range one width earlier (direction -1) or later (+1). A shift that would end after now, or
 * within a tenth of a width of it, becomes "the last <width>", relative again: stepping back and
 * forth returns to the live view although "now" moved on while the earlier range was shown.
 */
export function shiftRange(range: TimeRange, nowMs: number, direction: -1 | 1): TimeRange {
  const { fromMs, untilMs } = resolveRange(range, nowMs);
  const widthMs = untilMs - fromMs;
  const nextUntilMs = untilMs + direction * widthMs;
  if (nextUntilMs >= nowMs - widthMs / 10) {
    const relative = relativeWidth(widthMs);
    return relative ? { from: relative, until: 'now' } : { from: String(nowMs - widthMs), until: String(nowMs) };
  }
  return { from: String(fromMs + direction * widthMs), until: String(nextUntilMs) };
}

/** Whether shifting later can move the range at all (it already ends now). */
export function canShiftLater(range: TimeRange, nowMs: number): boolean {
  return resolveRange(range, nowMs).untilMs < nowMs;
}

/**
 * Twice the width around the same middle, as Grafana's zoom out; a range ending now stays relative
 * ("last 1h" → "last 2h"), and a middle too close to now slides back so the range does not end in the future.
 */
export function zoomOutRange(range: TimeRange, nowMs: number): TimeRange {
  const { fromMs, untilMs } = resolveRange(range, nowMs);
  const widthMs = untilMs - fromMs;
  if (range.until.trim() === 'now') {
    const relative = relativeWidth(2 * widthMs);
    if (relative) return { from: relative, until: 'now' };
  }
  const middleMs = fromMs + widthMs / 2;
  let nextUntilMs = Math.round(middleMs + widthMs);
  let nextFromMs = Math.round(middleMs - widthMs);
  if (nextUntilMs > nowMs) {
    nextFromMs -= nextUntilMs - nowMs;
    nextUntilMs = nowMs;
  }
  return { from: String(nextFromMs), until: String(nextUntilMs) };
}

export interface TimeRange {
  /** As in the URL: `now-1h` or epoch ms digits. */
  from: string;
  until: string;
}

export interface ResolvedRange {
  fromMs: number;
  untilMs: number;
}

export function resolveRange(range: TimeRange, nowMs: number): ResolvedRange {
  const fromMs = resolveTime(range.from, nowMs) ?? nowMs - 3_600_000;
  const untilMs = resolveTime(range.until, nowMs) ?? nowMs;
  return fromMs < untilMs ? { fromMs, untilMs } : { fromMs: untilMs - 3_600_000, untilMs };
}

export function isRelative(range: TimeRange): boolean {
  return range.from.startsWith('now') && range.until.startsWith('now');
}

/** "Last 1 hour", or an absolute window in the browser's time zone. */
export function describeRange(range: TimeRange, nowMs: number): string {
  const preset = RELATIVE_PRESETS.find((p) => p.from === range.from);
  if (preset && range.until === 'now') return preset.label;
  const relative = RELATIVE_TIME.exec(range.from.trim());
  if (relative && range.until.trim() === 'now') return `Last ${Number(relative[1])}${relative[2]}`;
  const { fromMs, untilMs } = resolveRange(range, nowMs);
  return `${formatDateTime(fromMs)} → ${formatDateTime(untilMs)}`;
}

/**
 * The app's one time format: `2026-01-31 19:26:06`, 24-hour, in the browser's zone. Everything that
 * shows a time goes through here or `formatAxisTime`, so a page never mixes "7:25pm" and "19:26:06".
 */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * A timeline tick in the same format, shortened to what differs across the axis: `19:26:06` under
 * ten minutes, `19:26` within a day, `01-31 19:26` beyond (`01-31` at midnight).
 */
export function formatAxisTime(ms: number, spanMs: number): string {
  const full = formatDateTime(ms);
  if (spanMs <= 10 * 60_000) return full.slice(11);
  if (spanMs <= 86_400_000) return full.slice(11, 16);
  return full.slice(11, 19) === '00:00:00' ? full.slice(5, 10) : full.slice(5, 16);
}

/** Least CSS px between timeline ticks so labels of `formatAxisTime` never touch. */
export function axisTickSpaceCssPx(spanMs: number): number {
  return spanMs <= 86_400_000 ? 60 : 96;
}

/** How one end of a range reads in the typed form: relative as written, absolute in the app's format. */
export function typedTimeText(value: string, nowMs: number): string {
  const trimmed = value.trim();
  if (trimmed === 'now' || RELATIVE_TIME.test(trimmed)) return trimmed.replace(/\s+/g, '');
  return formatDateTime(resolveTime(trimmed, nowMs) ?? nowMs);
}

/** A timeline step that gives roughly `points` points over the range, in whole seconds (≥ 10 s, the usual push interval). */
export function stepSecondsFor(range: ResolvedRange, points = 200): number {
  return Math.max(10, Math.ceil((range.untilMs - range.fromMs) / 1000 / points));
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
