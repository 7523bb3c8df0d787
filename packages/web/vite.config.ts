import { fileURLToPath } from 'node:url';
import { build, defineConfig, type UserConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The UI is built from core's sources (not core's dist) so one `vite build` sees core changes.
const coreSource = fileURLToPath(new URL('../core/src/index.ts', import.meta.url));
const MAIN = fileURLToPath(new URL('./src/main.tsx', import.meta.url));

function baseConfig(): UserConfig {
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    base: '/',
    plugins: [react()],
    resolve: { alias: { '@cinder/core': coreSource } },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: false,
      // One stylesheet, linked by index.html: the page's code then loads no CSS of its own.
      cssCodeSplit: false,
      modulePreload: {
        // Every browser the UI supports has <link rel="modulepreload">.
        polyfill: false,
        // The entry's imports (main.tsx: React, react-dom, the page's chunk) need no preload links: each
        // is one chunk whose imports are the entry's own or each other, so the browser asks for all of
        // them at once anyway, and appending the links cost the entry's task 10–30 ms (issue 13).
        resolveDependencies: (_file, deps, context) => (context.hostType === 'js' && /(^|\/)index-[^/]*\.js$/.test(context.hostId) ? [] : deps),
      },
    },
    // The flame-graph worker is a classic worker (one script, no module loading): it answers its first
    // message several times sooner than a module worker (20–75 ms against 60–280 ms on this loaded
    // 2-core machine), and the explorer's first paint waits for that answer (issue 13).
    worker: { format: 'iife' },
  };
}

export default defineConfig(async ({ command }) => {
  const config = baseConfig();
  if (command !== 'build') return config;
  // Opening /explore loads the page's code as one chunk (plus React's), not as the ~16 small chunks
  // the automatic split makes of the modules it shares with lazily loaded panels: on a browser's 6
  // connections per host those came in ~100 ms later, and each took a preload link and a request.
  // Which modules that is comes from the automatic split itself (a first build, not written): what
  // the explorer's start-up chunks hold after tree-shaking, so no lazily loaded code joins them.
  const groups = await startupGroups();
  return { ...config, build: { ...config.build, rollupOptions: { output: { codeSplitting: { groups: [{ name: (id: string) => groups.get(id) ?? null, includeDependenciesRecursively: false }] } } } } };
});

interface BuiltChunk {
  type: 'chunk';
  fileName: string;
  isEntry: boolean;
  imports: string[];
  moduleIds: string[];
}

/** Module id → group ('explore' or 'react') for the modules /explore loads before its first render. */
async function startupGroups(): Promise<Map<string, string>> {
  const result = await build({ ...baseConfig(), configFile: false, logLevel: 'silent', build: { ...baseConfig().build, write: false, emptyOutDir: false } });
  const outputs = (Array.isArray(result) ? result : [result]) as Array<{ output: Array<BuiltChunk | { type: 'asset' }> }>;
  const chunks = outputs.flatMap((o) => o.output).filter((item): item is BuiltChunk => item.type === 'chunk');
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  const holding = (suffix: string): BuiltChunk | undefined => chunks.find((c) => c.moduleIds.some((id) => id.replace(/\\/g, '/').endsWith(suffix)));
  const closure = (roots: Array<BuiltChunk | undefined>): Set<BuiltChunk> => {
    const seen = new Set<BuiltChunk>();
    const stack = roots.filter((c): c is BuiltChunk => c !== undefined);
    while (stack.length > 0) {
      const chunk = stack.pop()!;
      if (seen.has(chunk)) continue;
      seen.add(chunk);
      for (const file of chunk.imports) if (byFile.has(file)) stack.push(byFile.get(file)!);
    }
    return seen;
  };
  const entry = chunks.find((c) => c.isEntry && c.moduleIds.includes(MAIN));
  // The entry's own chunks stay as they are (the entry runs before the page's code arrives), and
  // react-dom stays a chunk of its own (its evaluation is start-up's biggest single task).
  const keep = closure([entry]);
  const reactDom = holding('react-dom/client.js');
  const groups = new Map<string, string>();
  for (const chunk of closure([holding('src/App.tsx'), holding('src/pages/ExplorePage.tsx')])) {
    if (keep.has(chunk) || chunk === reactDom) continue;
    for (const id of chunk.moduleIds) groups.set(id, /node_modules[\\/]react[\\/]/.test(id) ? 'react' : 'explore');
  }
  return groups;
}
