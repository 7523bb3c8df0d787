import { useEffect, useMemo, type JSX } from 'react';
import { ApiClient } from './api/client.js';
import { ComparePage } from './pages/ComparePage.js';
import { ExplorePage } from './pages/ExplorePage.js';
import { RequestPage } from './pages/RequestPage.js';
import { RulesPage } from './pages/RulesPage.js';
import { SnapshotListPage, SnapshotPage } from './pages/SnapshotPage.js';
import { UploadPage } from './pages/UploadPage.js';
import { ProfilingPage } from './pages/ProfilingPage.js';
import { matchRoute, navigate, useLocation } from './router.js';

export function App({ client: given }: { client?: ApiClient }): JSX.Element {
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
      return (
        <div className="page not-found">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{pathname}</code>. Go to the <a href="/pyroscope">Profiling page</a> or the <a href="/explore">explorer</a>.
          </p>
        </div>
      );
  }
}
