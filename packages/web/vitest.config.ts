import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run against core's sources, as the root config does for core and server.
const coreSource = fileURLToPath(new URL('../core/src/index.ts', import.meta.url));

export default defineProject({
  resolve: { alias: { '@cinder/core': coreSource } },
  test: {
    name: 'web',
    root: fileURLToPath(new URL('.', import.meta.url)),
    // Renderer and state tests need no DOM; component tests opt into jsdom per file
    // (`// @vitest-environment jsdom`). e2e tests start the built server and a real Chromium.
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'e2e/**/*.e2e.test.ts'],
    environment: 'node',
    env: { TZ: 'UTC' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
