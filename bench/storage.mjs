// Storage backends side by side: ingest profiles/s (1 and 2 writers) and query latency over 1 h,
// DuckDB and ClickHouse in one run, medians of BENCH_ROUNDS rounds (default 3).
//   node bench/storage.mjs                      (after npm run build: reads packages/server/dist)
//   node --import tsx bench/storage.mjs --source (from packages/server/src, no build)
// ClickHouse comes from scripts/clickhouse.sh start (installed and started if needed), or
// CINDER_CLICKHOUSE_URL. Each round uses a fresh DuckDB folder / ClickHouse database.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileBuilder, parseSelector } from '@cinder/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = process.argv.includes('--source');
const serverDir = path.join(here, '../packages/server', fromSource ? 'src' : 'dist');
const ext = fromSource ? 'ts' : 'js';
const { openClickHouseStore } = await import(path.join(serverDir, `storage/clickhouse/store.${ext}`));
const { openDuckDbStore } = await import(path.join(serverDir, `storage/duckdb/store.${ext}`));

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const PROFILES = Number(process.env.BENCH_PROFILES ?? 2000);
const SAMPLES_PER_PROFILE = 200;
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Deterministic PRNG (mulberry32) so every backend gets the same data. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 5,000 stack shapes (depth 8–32) over 2,000 function names; each profile samples 200 of them. */
const random = rng(7);
const NAMES = Array.from({ length: 2000 }, (_, i) => `github.com/acme/svc/pkg${i % 40}.(*Type${i % 97}).method${i}`);
const SHAPES = Array.from({ length: 5000 }, () => {
  const depth = 8 + Math.floor(random() * 25);
  return Array.from({ length: depth }, (_, d) => NAMES[(d * 131 + Math.floor(random() * (d < 4 ? 8 : 2000))) % NAMES.length]);
});

function makeProfiles(count, seed, nowMs) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }]);
    for (let s = 0; s < SAMPLES_PER_PROFILE; s++) builder.addSample(SHAPES[Math.floor(r() * SHAPES.length)], [1 + Math.floor(r() * 1e7)]);
    out.push({
      kind: 'ValidatedProfile',
      tenant: '',
      seriesLabels: [
        ['__name__', 'process_cpu'],
        ['pod', `pod-${seed}-${i % 20}`],
        ['service_name', `svc-${i % 10}`],
      ],
      profileTypeIds: [CPU],
      timeMs: nowMs - 1000 - Math.floor(r() * (HOUR_MS - 60_000)),
      profileId: `p-${seed}-${i}`,
      profile: builder.build(),
    });
  }
  return out;
}

/** Appends with CONCURRENCY requests in flight (one profile each, as HTTP ingest does); ms. */
async function ingest(store, profiles) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < profiles.length) await store.append([profiles[next++]]);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - started;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function queryLatency(store, nowMs) {
  const query = { tenant: '', profileTypeId: CPU, selector: parseSelector('{}'), fromMs: nowMs - HOUR_MS, toMs: nowMs };
  // 30 days: the plan reads hourly rollups (what maintain() builds) plus the raw edges.
  const month = { ...query, fromMs: nowMs - 30 * DAY_MS };
  await store.maintain(nowMs);
  const merge = [];
  const timeline = [];
  const monthMerge = [];
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const table = await store.mergeStacks(query);
    merge.push(performance.now() - t);
    if (table.names.length === 0) throw new Error('empty merge');
    t = performance.now();
    await store.seriesBuckets(query, 15_000, 241);
    timeline.push(performance.now() - t);
    t = performance.now();
    const monthTable = await store.mergeStacks(month);
    monthMerge.push(performance.now() - t);
    if (monthTable.parent.length !== table.parent.length) throw new Error(`30 d merge has ${monthTable.parent.length} nodes, 1 h has ${table.parent.length} (same data)`);
  }
  return { mergeMs: median(merge), timelineMs: median(timeline), monthMs: median(monthMerge) };
}

function clickhouseUrl() {
  if (process.env.CINDER_CLICKHOUSE_URL) return process.env.CINDER_CLICKHOUSE_URL;
  return execFileSync('bash', [path.join(here, '../scripts/clickhouse.sh'), 'start'], { encoding: 'utf8' }).trim().split('\n').pop();
}

// ------------------------------------------------------------------ child writer (2-writer case)
if (process.argv.includes('--writer')) {
  const [url, database, seed, nowMs] = process.argv.slice(process.argv.indexOf('--writer') + 1);
  const profiles = makeProfiles(PROFILES / 2, Number(seed), Number(nowMs));
  const store = await openClickHouseStore({ url, database, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => Number(nowMs) });
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const ms = await ingest(store, profiles);
  await store.close();
  process.stdout.write(`done ${ms}\n`);
  process.exit(0);
}

function startWriter(url, database, seed, nowMs) {
  const args = [...(fromSource ? ['--import', 'tsx'] : []), fileURLToPath(import.meta.url), ...(fromSource ? ['--source'] : []), '--writer', url, database, String(seed), String(nowMs)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise((resolve) => child.stdout.on('data', (chunk) => { out += chunk; if (out.includes('ready')) resolve(); }));
  const done = new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(Number(/done ([\d.]+)/.exec(out)[1])) : reject(new Error(`writer exited ${code}`)))));
  return { child, ready, done };
}

const nowMs = Date.now();
const url = clickhouseUrl();
const dataset = makeProfiles(PROFILES, 1, nowMs);
const results = { duckdb: { ingest1: [], merge: [], timeline: [], month: [] }, clickhouse: { ingest1: [], ingest2: [], merge: [], timeline: [], month: [] } };
const databases = [];

for (let round = 0; round < ROUNDS; round++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cinder-bench-'));
  const duck = await openDuckDbStore({ dataDir: dir, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => nowMs });
  results.duckdb.ingest1.push((PROFILES / (await ingest(duck, dataset))) * 1000);
  const duckQuery = await queryLatency(duck, nowMs);
  results.duckdb.merge.push(duckQuery.mergeMs);
  results.duckdb.timeline.push(duckQuery.timelineMs);
  results.duckdb.month.push(duckQuery.monthMs);
  await duck.close();
  rmSync(dir, { recursive: true, force: true });

  const database = `cinder_bench_${process.pid}_${round}`;
  databases.push(database);
  const ch = await openClickHouseStore({ url, database, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => nowMs });
  results.clickhouse.ingest1.push((PROFILES / (await ingest(ch, dataset))) * 1000);
  const chQuery = await queryLatency(ch, nowMs);
  results.clickhouse.merge.push(chQuery.mergeMs);
  results.clickhouse.timeline.push(chQuery.timelineMs);
  results.clickhouse.month.push(chQuery.monthMs);
  await ch.close();

  // Two writer processes on one fresh database, PROFILES / 2 each, started together.
  const database2 = `${database}_two`;
  databases.push(database2);
  await (await openClickHouseStore({ url, database: database2, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS })).close();
  const writers = [startWriter(url, database2, 2, nowMs), startWriter(url, database2, 3, nowMs)];
  await Promise.all(writers.map((w) => w.ready));
  const started = performance.now();
  for (const w of writers) w.child.stdin.write('go\n');
  await Promise.all(writers.map((w) => w.done));
  results.clickhouse.ingest2.push((PROFILES / (performance.now() - started)) * 1000);
}

const { ClickHouseDb } = await import(path.join(serverDir, `storage/clickhouse/db.${ext}`));
const admin = new ClickHouseDb({ url, database: 'default' });
for (const name of databases) await admin.exec(`DROP DATABASE IF EXISTS ${name}`);
await admin.close();

const row = (name, values, unit) => `${name.padEnd(44)} ${median(values).toFixed(unit === 'ms' ? 1 : 0).padStart(10)} ${unit}`;
console.log(`storage bench: ${PROFILES} profiles × ${SAMPLES_PER_PROFILE} samples (depth 8–32), ${CONCURRENCY} appends in flight, median of ${ROUNDS}`);
console.log(row('duckdb ingest, 1 writer', results.duckdb.ingest1, 'profiles/s'));
console.log(`${'duckdb ingest, 2 writers'.padEnd(44)} ${'n/a'.padStart(10)} (one process per data folder)`);
console.log(row('clickhouse ingest, 1 writer', results.clickhouse.ingest1, 'profiles/s'));
console.log(row('clickhouse ingest, 2 writer processes', results.clickhouse.ingest2, 'profiles/s'));
console.log(row('duckdb query 1 h merge', results.duckdb.merge, 'ms'));
console.log(row('clickhouse query 1 h merge', results.clickhouse.merge, 'ms'));
console.log(row('duckdb query 30 d merge (hourly rollups)', results.duckdb.month, 'ms'));
console.log(row('clickhouse query 30 d merge (hourly rollups)', results.clickhouse.month, 'ms'));
console.log(row('duckdb query 1 h timeline (15 s step)', results.duckdb.timeline, 'ms'));
console.log(row('clickhouse query 1 h timeline (15 s step)', results.clickhouse.timeline, 'ms'));
