import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The UI is built from core's sources (not core's dist) so one `vite build` sees core changes.
const coreSource = fileURLToPath(new URL('../core/src/index.ts', import.meta.url));

export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: { alias: { '@cinder/core': coreSource } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  // The flame-graph worker is a classic worker (one script, no module loading): it answers its first
  // message several times sooner than a module worker (20–75 ms against 60–280 ms on this loaded
  // 2-core machine), and the explorer's first paint waits for that answer (issue 13).
  // (<link rel="modulepreload"> for the start-up chunks was tried too: the chunks then took the
  // connections and the main thread first, and the flame-graph request left ~100 ms later.)
  worker: { format: 'iife' },
});
