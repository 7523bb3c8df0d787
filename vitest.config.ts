import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against core's sources, not its build, so a change in core is seen without rebuilding.
const coreSource = fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { '@cinder/core': coreSource } },
  test: {
    env: { TZ: 'UTC' },
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'], environment: 'node' } },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['packages/server/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      // The web project has its own config (jsdom per file, e2e against the built server).
      'packages/web/vitest.config.ts',
    ],
  },
});
