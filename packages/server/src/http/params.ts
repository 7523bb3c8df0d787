/**
 * Query-string parsing shared by the plain-HTTP routes (`/api/v1/*`, `/pyroscope/*`): every
 * parameter error is a CinderError with a message that says what to send instead.
 */
import { CinderError, ErrorCodes, parseTimeParam, validateProfileTypeId } from '@cinder/core';

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

export function spanFilters(query: Query): { spanIds?: string[]; traceIds?: string[] } {
  const spanIds = all(query.spanId).flatMap((s) => s.split(','));
  const traceIds = all(query.traceId).flatMap((s) => s.split(','));
  return { ...(spanIds.length ? { spanIds } : {}), ...(traceIds.length ? { traceIds } : {}) };
}

/** `a;b;c` → the root-first path the UI zoomed into. */
export function focusPath(query: Query): string[] | undefined {
  const focus = first(query.focus);
  return focus ? focus.split(';') : undefined;
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
