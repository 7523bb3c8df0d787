import { useCallback, useDeferredValue, useMemo } from 'react';
import { navigate, useLocation } from '../router.js';
import { formatViewState, parseViewState, type ViewState } from '../state/viewState.js';

export interface ViewStateUpdateOptions {
  /** Replace the history entry instead of adding one (state tweaks that are no back-button step). */
  replace?: boolean;
  /**
   * Render the page for this change at transition priority (interruptible, in slices), not in the
   * input event's task. For changes whose first feedback is drawn elsewhere at once (a flame-graph
   * zoom repaints its canvas before the page catches up), so no click holds the page for > 50 ms.
   */
  defer?: boolean;
}

/**
 * The URL's query string an update asked to render deferred. The URL store (router.ts) is read
 * synchronously by React (useSyncExternalStore); this is how a page tells its deferred copy of the
 * state from the urgent one.
 */
let deferredSearch: string | null = null;

/** The page's view state, read from and written to the URL (the only place it lives). */
export function useViewState(): [ViewState, (patch: Partial<ViewState>, options?: ViewStateUpdateOptions) => void] {
  const { pathname, search } = useLocation();
  const lagging = useDeferredValue(search);
  // The urgent render of a deferred change keeps the previous state (the same object, so memoised
  // pages skip it); the deferred render that follows has the new one. Anything else renders at once.
  const shown = search !== lagging && search === deferredSearch ? lagging : search;
  const state = useMemo(() => parseViewState(shown), [shown]);
  const update = useCallback(
    (patch: Partial<ViewState>, options: ViewStateUpdateOptions = {}) => {
      // Read the URL afresh: two updates in one event handler must not overwrite each other.
      const current = parseViewState(window.location.search);
      const next = formatViewState({ ...current, ...patch });
      deferredSearch = options.defer ? next : null;
      navigate(`${pathname}${next}`, options.replace ? { replace: true } : {});
    },
    [pathname],
  );
  return [state, update];
}
