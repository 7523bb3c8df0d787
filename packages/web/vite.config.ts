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
  worker: { format: 'es' },
});
