/**
 * Regular expressions typed by users (label matchers, frame search, frame filters) run on RE2
 * semantics: linear time in the input, no backreferences or lookaround — the same dialect
 * Prometheus and Pyroscope accept, and no pattern can hang the server or a browser tab.
 */
import { RE2JS } from 're2js';

/** Longer patterns are refused: compile cost grows with the pattern, and no selector needs more. */
export const MAX_USER_REGEX_LENGTH = 1024;

export interface UserRegex {
  /** True when the whole value matches (Prometheus matchers are fully anchored). */
  matchesWhole(value: string): boolean;
  /** True when the pattern matches anywhere in the value (search). */
  matchesPart(value: string): boolean;
}

export class UserRegexError extends Error {}

export function compileUserRegex(pattern: string, options: { caseInsensitive?: boolean } = {}): UserRegex {
  if (pattern.length > MAX_USER_REGEX_LENGTH) {
    throw new UserRegexError(`the regular expression is ${pattern.length} characters long; the limit is ${MAX_USER_REGEX_LENGTH}`);
  }
  let compiled: RE2JS;
  try {
    // DOTALL: `.` matches a newline too, as in Prometheus' `(?s:^(?:…)$)`.
    compiled = RE2JS.compile(pattern, RE2JS.DOTALL | (options.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0));
  } catch (error) {
    throw new UserRegexError(`${(error as Error).message} (RE2 syntax: no lookaround or backreferences)`);
  }
  return {
    matchesWhole: (value) => compiled.matches(value),
    matchesPart: (value) => compiled.test(value),
  };
}
