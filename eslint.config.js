// @ts-check
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'http', 'https', 'zlib', 'crypto', 'child_process', 'url', 'util', 'stream', 'net', 'worker_threads'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/server/src/gen/**', 'test-artifacts/**', 'bench/ui/vendor/**', 'bench/ui/.out/**', 'packages/web/e2e/artifacts/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  ...tseslint.configs.recommended,
  // Benchmark glue for third-party renderers whose typings are loose or missing.
  { files: ['bench/ui/pages/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // core is the pure bottom layer: no Node, no DOM, no server or UI code.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'packages/core is pure: no Node built-ins (do I/O in server or web).' },
            { group: ['@cinder/server', '@cinder/web', '**/server/**', '**/web/**'], message: 'core must not depend on server or web code.' },
            { group: ['react', 'react-dom', 'fastify', '@duckdb/*'], message: 'core must not import UI or server libraries.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'fetch', 'process', 'Buffer', 'navigator', 'localStorage'],
    },
  },
  {
    // The flame-graph drawing code stays free of React so it can be tested against a recording canvas.
    files: ['packages/web/src/flamegraph/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['react', 'react-dom', 'react/*'], message: 'drawing code must not import React.' }] }],
    },
  },
);
