/** Label filters as the explorer edits them and as they travel in the URL and in `query=`. */
import type { Matcher, MatchOp } from '@cinder/core';

export const MATCH_OPS: readonly MatchOp[] = ['=', '!=', '=~', '!~'];

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `{service_name="a", env=~"prod.*"}`; an empty list is `{}`. */
export function formatSelector(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(', ')}}`;
}

/** The `query` parameter of /api/v1 endpoints: profile type ID followed by a selector. */
export function buildQuery(profileTypeId: string, services: readonly string[], filters: readonly Matcher[]): string {
  const matchers: Matcher[] = [];
  if (services.length === 1) matchers.push({ name: 'service_name', op: '=', value: services[0]! });
  else if (services.length > 1) matchers.push({ name: 'service_name', op: '=~', value: services.map(escapeRegex).join('|') });
  matchers.push(...filters);
  return `${profileTypeId}${formatSelector(matchers)}`;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** URL form of one filter: `env=~prod.*` (name, operator, raw value). */
export function formatFilterParam(matcher: Matcher): string {
  return `${matcher.name}${matcher.op}${matcher.value}`;
}

/**
 * The "Open comparison" link of a page's selection: its service (when one is picked), profile type,
 * range and label filters (`filter=`, which /compare applies to both sides).
 */
export function compareHref(selection: { services: readonly string[]; profileType: string; from: string; until: string; filters: readonly Matcher[] }): string {
  const params = new URLSearchParams({
    ...(selection.services.length === 1 ? { service: selection.services[0]! } : {}),
    ...(selection.profileType ? { type: selection.profileType } : {}),
    from: selection.from,
    until: selection.until,
  });
  for (const filter of selection.filters) params.append('filter', formatFilterParam(filter));
  return `/compare?${params.toString()}`;
}

export function parseFilterParam(text: string): Matcher | null {
  const match = /^([A-Za-z_][A-Za-z0-9_.]*)(=~|!~|!=|=)(.*)$/s.exec(text);
  if (!match) return null;
  return { name: match[1]!, op: match[2] as MatchOp, value: match[3]! };
}
