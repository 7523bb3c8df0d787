/**
 * The flame graph's search over the frames held: core's searchFramesWith with the name test handed
 * in. A regex search needs the RE2 engine (re2js, ~100 kB of code), which then loads on the first
 * regex search (regexEngine.ts) instead of on the way to the explorer's first paint; a substring
 * search needs nothing more.
 */
export { searchFramesWith, substringTest } from '@cinder/core';
import type * as RegexEngineModule from './regexEngine.js';

export type NameTest = (name: string) => boolean;

type RegexEngine = typeof RegexEngineModule;
let engine: RegexEngine | null = null;
let loading: Promise<RegexEngine> | null = null;

/** The RE2 engine when it has loaded, else null (then loadRegexEngine gets it). */
export function loadedRegexEngine(): RegexEngine | null {
  return engine;
}

export function loadRegexEngine(): Promise<RegexEngine> {
  loading ??= import('./regexEngine.js').then(
    (loaded) => (engine = loaded),
    (error: unknown) => {
      // A failed chunk load (a deploy replaced it, the network dropped) may be retried by the next search.
      loading = null;
      throw error;
    },
  );
  return loading;
}
