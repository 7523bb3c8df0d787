import { useCallback, useMemo } from 'react';
import { navigate, useLocation } from '../router.js';
import { formatViewState, parseViewState, type ViewState } from '../state/viewState.js';

/** The page's view state, read from and written to the URL (the only place it lives). */
export function useViewState(): [ViewState, (patch: Partial<ViewState>, options?: { replace?: boolean }) => void] {
  const { pathname, search } = useLocation();
  const state = useMemo(() => parseViewState(search), [search]);
  const update = useCallback(
    (patch: Partial<ViewState>, options: { replace?: boolean } = {}) => {
      // Read the URL afresh: two updates in one event handler must not overwrite each other.
      const current = parseViewState(window.location.search);
      navigate(`${pathname}${formatViewState({ ...current, ...patch })}`, options);
    },
    [pathname],
  );
  return [state, update];
}
