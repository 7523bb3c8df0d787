/**
 * One label filter as a chip: how it reads on screen (the same quoting as the selector the server
 * parses, so what a person sees is what is queried) and how chips combine with a breakdown click.
 */
import type { Matcher } from '@cinder/core';
import { formatSelector } from './selector.js';

/** `region="eu"`, `path=~"a\\.b"`: exactly one matcher of the selector sent to the server. */
export function chipText(matcher: Matcher): string {
  const selector = formatSelector([matcher]);
  return selector.slice(1, -1);
}

/** Identity of a chip; adding an identical one again is a no-op. */
export function chipKey(matcher: Matcher): string {
  return `${matcher.name}\u0000${matcher.op}\u0000${matcher.value}`;
}

export function isRegexChip(matcher: Matcher): boolean {
  return matcher.op === '=~' || matcher.op === '!~';
}

/**
 * Picking one value of a label in the breakdown: `label="value"` replaces the chips on that label
 * (a narrower filter on the same label would only contradict it) and keeps the others.
 */
export function withValueChip(filters: readonly Matcher[], name: string, value: string): Matcher[] {
  return [...filters.filter((f) => f.name !== name), { name, op: '=', value }];
}
