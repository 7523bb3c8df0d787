/** Route matching, kept apart from the React hooks so it is testable without a DOM. */
export type RouteName = 'profiling' | 'explore' | 'compare' | 'request' | 'snapshots' | 'snapshot' | 'upload' | 'rules' | 'home' | 'notFound';

export function matchRoute(pathname: string): RouteName {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/pyroscope' || path === '/profiling') return 'profiling';
  if (path === '/explore' || path.startsWith('/explore/')) return 'explore';
  if (path === '/compare') return 'compare';
  if (path === '/request') return 'request';
  if (path === '/upload') return 'upload';
  if (path === '/rules') return 'rules';
  if (path === '/snapshots') return 'snapshots';
  if (path.startsWith('/snapshots/')) return 'snapshot';
  if (path === '/') return 'home';
  return 'notFound';
}
