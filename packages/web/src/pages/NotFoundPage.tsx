/** Unknown app URLs: the app's header and navigation, and where to go instead (the server answers 404). */
import type { JSX } from 'react';
import { AppNav } from '../components/AppNav.js';
import { FlameIcon } from '../components/Icons.js';

export function NotFoundPage({ pathname }: { pathname: string }): JSX.Element {
  return (
    <div className="page" data-testid="not-found-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <span className="app-name">Cinder</span>
        <AppNav />
      </header>
      <main className="explore-main not-found">
        <h1>Not found</h1>
        <p>
          Nothing lives at <code>{pathname}</code>. Go to the <a href="/pyroscope">Profiling page</a> or the <a href="/explore">explorer</a>, or pick a page above.
        </p>
      </main>
    </div>
  );
}
