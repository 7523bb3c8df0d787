import { CinderError } from '@cinder/core';

/** The CinderError code `fn` throws, or a description of what happened instead (tests compare it). */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof CinderError ? error.code : `not a CinderError: ${String(error)}`;
  }
  return 'no error';
}
