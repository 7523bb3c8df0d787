/**
 * The RE2 side of the flame graph's search, in a chunk of its own: loaded by search.ts on the first
 * regex search (RE2 semantics, as the server's search=…&searchRegex=1 and core's searchFrames).
 */
import { compileUserRegex } from '@cinder/core';
import type { NameTest } from './search.js';

export function compileSearchRegex(text: string): { test: NameTest; error: null } | { test: null; error: string } {
  try {
    const pattern = compileUserRegex(text, { caseInsensitive: true });
    return { test: (name) => pattern.matchesPart(name), error: null };
  } catch (error) {
    return { test: null, error: error instanceof Error ? error.message : String(error) };
  }
}
