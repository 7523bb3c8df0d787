import { afterAll, beforeAll } from 'vitest';
import { runCodeLinesSuite } from './codeLinesSuite.js';
import { dropDatabases, freshDatabaseName, startClickHouse } from './clickhouseServer.js';
import { openClickHouseStore } from '../../src/storage/clickhouse/store.js';

let url = '';
const databases: string[] = [];

beforeAll(() => {
  url = startClickHouse();
});

afterAll(async () => {
  if (url) await dropDatabases(url, databases);
});

runCodeLinesSuite('clickhouse', async (options) => {
  const database = freshDatabaseName('cinder_code');
  databases.push(database);
  return openClickHouseStore({ ...options, url, database });
});
