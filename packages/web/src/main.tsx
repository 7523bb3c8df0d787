import './styles.css';
import { startStartupPrefetch } from './flamegraph/startupPrefetch.js';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
const root = rootElement;

// The pages' code is asked for first (the server answers static files at once, queries take longer).
// Then, before that code has loaded, the explorer's services and flame-graph requests go out and the
// flame-graph worker starts; the page adopts them (flamegraph/startupPrefetch.ts).
const code = Promise.all([import('react'), import('react-dom/client'), import('./App.js')]);
startStartupPrefetch(window.location, document.documentElement.clientWidth);
void code.then(([{ StrictMode, createElement }, { createRoot }, { App }]) => {
  createRoot(root).render(createElement(StrictMode, null, createElement(App)));
});
