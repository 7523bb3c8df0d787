import { useEffect, useRef, useState } from 'react';
import { ApiError, isAbort } from '../api/client.js';

export interface QueryState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Still loading after SLOW_AFTER_MS: time to show a spinner (earlier it would only flicker). */
  slow: boolean;
}

export const SLOW_AFTER_MS = 300;

/**
 * Runs `run(signal)` whenever `key` changes (null key = nothing to fetch). A new key aborts the
 * request in flight, so an old, slower answer can never overwrite a newer one. The previous data
 * stays visible while the next one loads, which keeps a refresh from blanking the page.
 */
export function useQuery<T>(key: string | null, run: (signal: AbortSignal) => Promise<T>, initial?: { key: string; data: T } | null): QueryState<T> {
  // `initial`: the answer for `initial.key`, already in at mount (a start-up request); it is not asked again.
  const [state, setState] = useState<QueryState<T>>(() =>
    initial && initial.key === key ? { data: initial.data, error: null, loading: false, slow: false } : { data: null, error: null, loading: key !== null, slow: false },
  );
  const skipKeyRef = useRef(initial && initial.key === key ? key : null);
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const skip = key !== null && skipKeyRef.current === key;
    skipKeyRef.current = null;
    if (skip) return;
    if (key === null) {
      setState({ data: null, error: null, loading: false, slow: false });
      return;
    }
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, slow: false }));
    const slowTimer = setTimeout(() => setState((previous) => (previous.loading ? { ...previous, slow: true } : previous)), SLOW_AFTER_MS);
    runRef
      .current(controller.signal)
      .then((data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false, slow: false });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        const apiError = error instanceof ApiError ? error : new ApiError('malformed', error instanceof Error ? error.message : String(error));
        setState({ data: null, error: apiError, loading: false, slow: false });
      })
      .finally(() => clearTimeout(slowTimer));
    return () => {
      clearTimeout(slowTimer);
      controller.abort();
    };
  }, [key]);
  return state;
}
