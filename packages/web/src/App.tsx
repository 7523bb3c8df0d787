import { lazy, Suspense, useEffect, useMemo, type JSX } from 'react';
import { ApiClient } from './api/client.js';
import { ExplorePage } from './pages/ExplorePage.js';
import { ProfilingPage } from './pages/ProfilingPage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { matchRoute, navigate, useLocation } from './router.js';

// Pages other than the explorer load on demand (issue 13): opening /explore or /pyroscope parses
// only what those pages need before the flame graph can paint.
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
      return <ProfilingPage client={client} />;
    case 'explore':
      return <ExplorePage client={client} />;
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
