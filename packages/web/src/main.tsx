import './styles.css';
import { startStartupPrefetch } from './flamegraph/startupPrefetch.js';
import { matchRoute } from './routes.js';
import { pageFonts, warmPageFonts } from './flamegraph/font.js';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
const root = rootElement;

// The pages' code is asked for first (the server answers static files at once, queries take longer).
// Then, before that code has loaded, the explorer's services and flame-graph requests go out and the
// flame-graph worker starts; the page adopts them (flamegraph/startupPrefetch.ts).
// The opened page's own code too (App loads pages lazily): asked now, it arrives with App's, not after it.
const route = matchRoute(window.location.pathname);
const page = route === 'explore' ? import('./pages/ExplorePage.js') : route === 'profiling' ? import('./pages/ProfilingPage.js') : null;
const code = Promise.all([import('react'), import('react-dom/client'), import('./App.js'), page]);
startStartupPrefetch(window.location, document.documentElement.clientWidth);
// These pages' fonts are looked up while the page waits for its code and answer, not in its first
// layout (font.ts); once the first render is in, that layout has come.
if (route === 'explore' || route === 'profiling') warmPageFonts(pageFonts(), { done: () => root.hasChildNodes() });
void code.then(async ([{ StrictMode, createElement, startTransition }, { createRoot }, { App, preloadPage }]) => {
  // The page's module is in (asked above): this only hands it to App, so the first render does not suspend.
  await preloadPage(window.location.pathname).catch(() => undefined);
  const reactRoot = createRoot(root);
  // A transition: React renders the first page in slices of a few ms instead of one task of 50–100 ms
  // on this 2-core machine (issue 13: no task > 50 ms); only its commit is one piece.
  startTransition(() => reactRoot.render(createElement(StrictMode, null, createElement(App))));
});
