export * from './model.js';
export * from './errors.js';
export * from './stackTable.js';
export * from './selector.js';
export * from './api.js';
export * from './flamegraph/layout.js';
export * from './flamegraph/format.js';
export * from './flamegraph/build.js';
