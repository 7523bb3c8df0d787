/**
 * Time ranges as people pick them: relative (`now-1h` → `now`, re-evaluated on every refresh) or
 * absolute (epoch ms). Kept as the strings that go in the URL so a pasted link means "the last hour"
 * when it was relative and the exact window when it was absolute.
 */

export const RELATIVE_PRESETS = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
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

export function refreshIntervalMs(value: string): number {
  return REFRESH_CHOICES.find((choice) => choice.value === value)?.ms ?? 0;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `now`, `now-15m`, or epoch ms as digits → ms; null when unparsable. */
export function resolveTime(text: string, nowMs: number): number | null {
  const trimmed = text.trim();
  if (trimmed === 'now') return nowMs;
  const relative = /^now-(\d+)([smhdw])$/.exec(trimmed);
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  return null;
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
  const relative = /^now-(\d+)([smhdw])$/.exec(range.from);
  if (relative && range.until === 'now') return `Last ${relative[1]}${relative[2]}`;
  const { fromMs, untilMs } = resolveRange(range, nowMs);
  return `${formatDateTime(fromMs)} → ${formatDateTime(untilMs)}`;
}

export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Value for an `<input type="datetime-local">` in the browser's zone. */
export function toDateTimeLocal(ms: number): string {
  return formatDateTime(ms).replace(' ', 'T').slice(0, 16);
}

export function fromDateTimeLocal(text: string): number | null {
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : null;
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
