import { createElement, lazy, Suspense, useEffect, useMemo, type JSX } from 'react';
import { ApiClient } from './api/client.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { matchRoute, navigate, useLocation } from './router.js';

// Every page loads on demand (issue 13): opening /explore parses only what that page needs before the
// flame graph can paint, in module graphs of its own (main.tsx asks for the opened page's code at the
// same time as this module's, so there is no waterfall). The explorer's panels load later still
// (components/Explorer.tsx).
const ExplorePage = lazyPage<{ client: ApiClient }>(() => import('./pages/ExplorePage.js').then((m) => m.ExplorePage));
const ProfilingPage = lazyPage<{ client: ApiClient }>(() => import('./pages/ProfilingPage.js').then((m) => m.ProfilingPage));

/**
 * A page loaded on demand that renders without suspending once its code is in. Suspending costs more
 * than a render: React holds back the content that replaces a fallback for ~300 ms (its fallback
 * throttle), which put /explore's flame-graph request 300 ms later.
 */
function lazyPage<P extends object>(load: () => Promise<(props: P) => JSX.Element>): { Page: (props: P) => JSX.Element; preload: () => Promise<void> } {
  let loaded: ((props: P) => JSX.Element) | null = null;
  const preload = (): Promise<void> => load().then((component) => void (loaded = component));
  const Lazy = lazy(() => preload().then(() => ({ default: loaded! })));
  return { Page: (props: P) => (loaded ? createElement(loaded, props) : createElement(Lazy, props)), preload };
}

/** Loads the code of the page at `pathname` (main.tsx: before the first render, so it does not suspend). */
export function preloadPage(pathname: string): Promise<void> {
  const route = matchRoute(pathname);
  if (route === 'explore') return ExplorePage.preload();
  if (route === 'profiling') return ProfilingPage.preload();
  return Promise.resolve();
}
const ComparePage = lazy(() => import('./pages/ComparePage.js').then((m) => ({ default: m.ComparePage })));
const RequestPage = lazy(() => import('./pages/RequestPage.js').then((m) => ({ default: m.RequestPage })));
const RulesPage = lazy(() => import('./pages/RulesPage.js').then((m) => ({ default: m.RulesPage })));
const SnapshotListPage = lazy(() => import('./pages/SnapshotPage.js').then((m) => ({ default: m.SnapshotListPage })));
const SnapshotPage = lazy(() => import('./pages/SnapshotPage.js').then((m) => ({ default: m.SnapshotPage })));
const UploadPage = lazy(() => import('./pages/UploadPage.js').then((m) => ({ default: m.UploadPage })));

export function App({ client: given }: { client?: ApiClient }): JSX.Element {
  return (
    <Suspense fallback={<div className="page" data-testid="page-loading" />}>
      <Routes client={given} />
    </Suspense>
  );
}

function Routes({ client: given }: { client?: ApiClient | undefined }): JSX.Element {
  // `?config=<url>` points the page at the host app's config endpoint instead of Cinder's own.
  const client = useMemo(() => given ?? new ApiClient({ configUrl: new URLSearchParams(window.location.search).get('config') ?? undefined }), [given]);
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  useEffect(() => {
    if (route === 'home') navigate('/pyroscope', { replace: true });
  }, [route]);
  switch (route) {
    case 'profiling':
      return <ProfilingPage.Page client={client} />;
    case 'explore':
      return <ExplorePage.Page client={client} />;
    case 'compare':
      return <ComparePage client={client} />;
    case 'request':
      return <RequestPage client={client} />;
    case 'upload':
      return <UploadPage client={client} />;
    case 'rules':
      return <RulesPage client={client} />;
    case 'snapshots':
      return <SnapshotListPage client={client} />;
    case 'snapshot':
      return <SnapshotPage client={client} id={decodeURIComponent(pathname.slice('/snapshots/'.length).replace(/\/+$/, ''))} />;
    case 'home':
      return <div className="page" />;
    case 'notFound':
      return <NotFoundPage pathname={pathname} />;
  }
}
