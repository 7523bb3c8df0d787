import { runCodeLinesSuite } from './codeLinesSuite.js';
import { openDuckDbStore } from '../../src/storage/duckdb/store.js';

runCodeLinesSuite('duckdb', (options) => openDuckDbStore(options));
