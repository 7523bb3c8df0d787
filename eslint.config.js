// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// The layering rules of docs/architecture (core at the bottom; web and server never meet; storage below
// http; only api/client.ts talks to the network) are enforced here, and
// packages/server/test/tooling/lint-rules.test.ts keeps a deliberately wrong snippet per rule so a
// rule that silently stops matching fails a test.

/** Every Node built-in, bare and with `node:` (exact names: a pattern like `fs` would also hit `./fs.js`). */
const nodeBuiltinPaths = (/** @type {string} */ message) =>
  builtinModules.filter((name) => !name.startsWith('_')).map((name) => ({ name, message }));
const nodeBuiltinPattern = (/** @type {string} */ message) => ({ group: ['node:*'], message });

/** Libraries that only run in Node (the server's runtime and test tooling). */
const nodeOnlyLibraries = [
  'fastify',
  '@fastify/*',
  '@duckdb/*',
  '@connectrpc/connect-node',
  '@connectrpc/connect-fastify',
  '@pyroscope/nodejs',
  '@datadog/*',
  'prom-client',
  'pino',
  'pino-*',
  'playwright-core',
  'jsdom',
  'tsx',
];

const webMustNotImport = {
  paths: nodeBuiltinPaths('packages/web runs in the browser: no Node built-ins (ask the server through api/client.ts).'),
  patterns: [
    nodeBuiltinPattern('packages/web runs in the browser: no Node built-ins (ask the server through api/client.ts).'),
    { group: ['@cinder/server', '@cinder/server/*', '**/server/**', '**/server'], message: 'packages/web must not import packages/server: share types through @cinder/core and talk over HTTP via api/client.ts.' },
    { group: nodeOnlyLibraries, message: 'packages/web runs in the browser: this library is Node-only.' },
  ],
};

/** Network and Node globals the UI must not reach for outside api/client.ts. */
const webNetworkGlobals = [
  { name: 'fetch', message: 'Only packages/web/src/api/client.ts calls fetch (every call with an AbortSignal): add a method there.' },
  { name: 'XMLHttpRequest', message: 'Only packages/web/src/api/client.ts talks to the network: add a method there.' },
  { name: 'EventSource', message: 'Only packages/web/src/api/client.ts talks to the network: add a method there.' },
  { name: 'WebSocket', message: 'Only packages/web/src/api/client.ts talks to the network: add a method there.' },
];
const webNodeGlobals = ['process', 'Buffer', 'require', '__dirname', '__filename', 'global'].map((name) => ({
  name,
  message: 'packages/web runs in the browser: no Node globals.',
}));
const webFetchSyntax = [
  {
    selector: "MemberExpression[object.name=/^(window|globalThis|self)$/][property.name=/^(fetch|XMLHttpRequest|EventSource|WebSocket)$/]",
    message: 'Only packages/web/src/api/client.ts talks to the network: add a method there.',
  },
  {
    selector: "MemberExpression[object.name='navigator'][property.name='sendBeacon']",
    message: 'Only packages/web/src/api/client.ts talks to the network: add a method there.',
  },
];

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
    // core is the pure bottom layer: no Node, no DOM, no clock, no server or UI code.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinPaths('packages/core is pure: no Node built-ins (do I/O in server or web).'),
          patterns: [
            nodeBuiltinPattern('packages/core is pure: no Node built-ins (do I/O in server or web).'),
            { group: ['@cinder/server', '@cinder/server/*', '@cinder/web', '@cinder/web/*', '**/server/**', '**/web/**', '**/server', '**/web'], message: 'core must not depend on server or web code.' },
            { group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'uplot', ...nodeOnlyLibraries], message: 'core must not import UI or server libraries.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'HTMLElement', 'HTMLCanvasElement', 'CanvasRenderingContext2D', 'requestAnimationFrame', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'fetch'].map((name) => ({
          name,
          message: 'packages/core is pure: no DOM or network (do that in web or server).',
        })),
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate'].map((name) => ({ name, message: 'packages/core is pure: no Node globals.' })),
        ...['performance', 'setTimeout', 'setInterval'].map((name) => ({ name, message: 'packages/core has no clock: take times and timers as arguments.' })),
      ],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'packages/core has no clock: take `nowMs` as an argument.' }],
    },
  },
  {
    // The UI runs in the browser and reaches the server only over HTTP, through api/client.ts.
    files: ['packages/web/src/**/*.ts', 'packages/web/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', webMustNotImport],
      'no-restricted-globals': ['error', ...webNetworkGlobals, ...webNodeGlobals],
      'no-restricted-syntax': ['error', ...webFetchSyntax],
    },
  },
  {
    files: ['packages/web/src/api/client.ts'],
    rules: {
      'no-restricted-globals': ['error', ...webNodeGlobals],
      'no-restricted-syntax': 'off',
    },
  },
  {
    // The flame-graph drawing code stays free of React so it can be tested against a recording canvas.
    // (Flat config replaces a rule's options per file, so the web-wide bans are repeated here.)
    files: ['packages/web/src/flamegraph/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { ...webMustNotImport, patterns: [...webMustNotImport.patterns, { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'drawing code must not import React.' }] },
      ],
    },
  },
  {
    // storage sits below http: handlers call storage, never the other way round.
    files: ['packages/server/src/storage/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.{1,2}/)+(.*/)?http(/|$)', message: 'packages/server/src/storage must not import from src/http: pass what it needs in from the caller.' },
            { group: ['fastify', '@fastify/*', '@connectrpc/*'], message: 'storage knows nothing of HTTP: keep request handling in src/http.' },
          ],
        },
      ],
    },
  },
);
