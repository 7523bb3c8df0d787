export * from './pprof.js';
export * from './collapsed.js';
export * from './speedscope.js';
export * from './trie.js';
export * from './flamebearer.js';
export * from './limits.js';
