// Types for the tests that import scripts/build-if-changed.mjs.
export interface BuildTarget {
  name: string;
  /** Files or folders, relative to the repository root or absolute. */
  inputs: string[];
  outputs: string[];
  stampDir: string;
  command: (rebuildAll: boolean) => [string, string[], string];
}
export const targets: BuildTarget[];
export function inputsHash(inputs: string[]): string;
export function reasonToBuild(target: BuildTarget, hash: string, force: boolean): string | null;
