/**
 * Query-string parsing shared by the plain-HTTP routes (`/api/v1/*`, `/pyroscope/*`): every
 * parameter error is a CinderError with a message that says what to send instead.
 */
import {
  CinderError,
  DEFAULT_LOD_WIDTH_CSS_PX,
  ErrorCodes,
  MAX_LOD_WIDTH_CSS_PX,
  frameNameMatcher,
  parseTimeParam,
  validateProfileTypeId,
  type TreeSearchQuery,
} from '@cinder/core';

export type Query = Record<string, string | string[] | undefined>;

const HOUR_MS = 3_600_000;

export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

/** `from`/`until` in any form the spec allows (§2.1.2); default: the last hour. */
export function timeRange(query: Query, nowMs: number, fromKey = 'from', untilKey = 'until'): { fromMs: number; toMs: number } {
  const parse = (key: string, fallback: number): number => {
    const text = first(query[key]);
    if (text === undefined || text === '') return fallback;
    const value = parseTimeParam(text, nowMs);
    if (!Number.isFinite(value)) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `"${key}=${text.slice(0, 100)}" is not a time: use ms since the epoch, unix seconds, RFC 3339 or now-1h`);
    }
    return value;
  };
  const toMs = parse(untilKey, nowMs);
  const fromMs = parse(fromKey, toMs - HOUR_MS);
  if (fromMs > toMs) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_TIME_RANGE, `"${fromKey}" (${new Date(fromMs).toISOString()}) is after "${untilKey}" (${new Date(toMs).toISOString()})`);
  }
  return { fromMs, toMs };
}

/** `<profileTypeId>{selector}` → parts; the type is required. */
export function splitQuery(text: string | undefined): { profileTypeId: string; labelSelector: string } {
  const trimmed = (text ?? '').trim();
  const brace = trimmed.indexOf('{');
  const profileTypeId = (brace < 0 ? trimmed : trimmed.slice(0, brace)).trim();
  if (profileTypeId === '') {
    throw new CinderError(ErrorCodes.QUERY_INVALID_PROFILE_TYPE, '"query" must contain a profile-type selection, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}');
  }
  validateProfileTypeId(profileTypeId);
  return { profileTypeId, labelSelector: brace < 0 ? '{}' : trimmed.slice(brace) };
}

/** The selector part of an optional `<type>{selector}` query, as a matchers list. */
export function selectorMatchers(text: string | undefined): string[] {
  if (!text) return [];
  const brace = text.indexOf('{');
  if (brace < 0) return [];
  const typeId = text.slice(0, brace).trim();
  const selector = text.slice(brace);
  return typeId === '' ? [selector] : [selector, `{__profile_type__="${typeId}"}`];
}

export function nonNegativeInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"${name}" must be a non-negative integer, got "${text.slice(0, 40)}"`);
  return value;
}

/** `maxNodes` or upstream's `max-nodes`; undefined = the server's default. */
export function maxNodesParam(query: Query): number | undefined {
  return nonNegativeInt(first(query.maxNodes), 'maxNodes') || nonNegativeInt(first(query['max-nodes']), 'max-nodes') || undefined;
}

/** Profile ids one request may name (`profileId=a,b`): a heatmap cell or a timeline exemplar opens at most this many. */
export const MAX_PROFILE_IDS = 200;

export function spanFilters(query: Query): { spanIds?: string[]; traceIds?: string[]; profileIds?: string[] } {
  const spanIds = all(query.spanId).flatMap((s) => s.split(','));
  const traceIds = all(query.traceId).flatMap((s) => s.split(','));
  const profileIds = all(query.profileId).flatMap((s) => s.split(',')).filter((s) => s !== '');
  if (profileIds.length > MAX_PROFILE_IDS) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `at most ${MAX_PROFILE_IDS} profile ids per request, got ${profileIds.length}; narrow the time range instead`);
  }
  for (const id of profileIds) {
    if (id.length > 128 || /[\u0000-\u001f\u007f]/.test(id)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `profile id "${id.slice(0, 40)}" is not an id (at most 128 printable characters)`);
  }
  return { ...(spanIds.length ? { spanIds } : {}), ...(traceIds.length ? { traceIds } : {}), ...(profileIds.length ? { profileIds } : {}) };
}

/** `width`: the client's flame-graph width in CSS pixels for a level-of-detail answer. */
export function widthParam(query: Query): number {
  const text = first(query.width);
  if (text === undefined || text === '') return DEFAULT_LOD_WIDTH_CSS_PX;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_LOD_WIDTH_CSS_PX) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"width" must be the flame graph's width in CSS pixels, an integer from 1 to ${MAX_LOD_WIDTH_CSS_PX}, got "${text.slice(0, 40)}"`);
  }
  return value;
}

/** `search` (+ `searchRegex=1` for RE2): checked here, so a bad pattern is a 400 before any read. */
export function searchParam(query: Query): TreeSearchQuery | undefined {
  const text = first(query.search);
  if (text === undefined || text === '') return undefined;
  const flag = first(query.searchRegex);
  const regex = flag === '1' || flag === 'true';
  if (!regex && flag !== undefined && flag !== '' && flag !== '0' && flag !== 'false') {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"searchRegex" must be 1/true or 0/false, got "${flag.slice(0, 40)}"`);
  }
  try {
    frameNameMatcher({ text, regex });
  } catch (error) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"search" is not a valid regular expression: ${(error as Error).message}`);
  }
  return { text, regex };
}

/** Frames a focus path may name (deeper than any real stack; bounds the parse). */
const MAX_FOCUS_PATH_FRAMES = 10_000;

/**
 * The root-first path the UI zoomed into: `focus=a;b;c`, or `focusPath=["a","b;c"]` (a JSON array
 * of frame names) for paths through a name that contains `;` (Go generics: `F[go.shape;int]`).
 */
export function focusPath(query: Query): string[] | undefined {
  const focus = first(query.focus);
  const json = first(query.focusPath);
  if (json === undefined || json === '') return focus ? focus.split(';') : undefined;
  if (focus) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'send "focus" or "focusPath", not both');
  let path: unknown;
  try {
    path = JSON.parse(json);
  } catch {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"focusPath" must be a JSON array of frame names, got "${json.slice(0, 40)}"`);
  }
  if (!Array.isArray(path) || path.length > MAX_FOCUS_PATH_FRAMES || !path.every((name) => typeof name === 'string')) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"focusPath" must be a JSON array of at most ${MAX_FOCUS_PATH_FRAMES} frame names (strings)`);
  }
  return path.length > 0 ? (path as string[]) : undefined;
}

/**
 * A Content-Disposition for a download: an ASCII fallback name with nothing that could end the
 * quoted string or the header, and the exact name as RFC 5987 `filename*`.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  const encoded = encodeURIComponent(fileName.slice(0, 200)).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
