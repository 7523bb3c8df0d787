/**
 * A tiny history-based router (react-router is not a dependency; the app has five routes).
 * Route matching is pure; the hooks subscribe to popstate and to our own navigations.
 */
import { useCallback, useSyncExternalStore } from 'react';

export { matchRoute, type RouteName } from './routes.js';

const NAVIGATE_EVENT = 'cinder:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

function snapshot(): string {
  return `${window.location.pathname}${window.location.search}`;
}

/** `replace` for state tweaks that should not each add a back-button step (typing in search, hover-less changes). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export function useLocation(): { pathname: string; search: string } {
  const current = useSyncExternalStore(subscribe, snapshot, snapshot);
  const queryAt = current.indexOf('?');
  return queryAt < 0 ? { pathname: current, search: '' } : { pathname: current.slice(0, queryAt), search: current.slice(queryAt) };
}

/** Click handler for in-app links that keeps modifier-clicks (new tab) working. */
export function useLinkClick(to: string): (event: { preventDefault(): void; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; button: number }) => void {
  return useCallback(
    (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(to);
    },
    [to],
  );
}
