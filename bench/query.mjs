// Query benchmarks (server time, in-process against the built store and query layer):
// - query-1h-20svc: 20 services, a realistic CPU profile (async-profiler, 2,614 samples) every 10 s
//   for 1 h; merged flame graph for
//   one service and for all.
// - query-30d: the same services over 30 days read from rollups (older profiles are sparser, see
//   DENSITY below, so the data set fits a benchmark run; the query reads hourly rollups either way).
// - series-1h: SelectSeries with step 10 s over the 1-hour data.
// - query-1M-nodes: one ~1M-node CPU profile (bench/bigProfile.mjs) in its own store; the
//   level-of-detail tree answer (format=tree, width 1200) and the JSON answer (maxNodes 4096 + top
//   table + JSON text), each merged every round (query cache off) and repeated (query cache on).
// Baseline in the same run: a bare DuckDB `SELECT sum(value) FROM samples` over the same rows
// (for query-1M-nodes: a bare GROUP BY stack_id over that profile's rows).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { median, progress, repoRoot, testdataDir } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SERVICES = 20;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Profiles older than the last hour: one per service every OLD_INTERVAL_MS. */
const OLD_INTERVAL_MS = Number(process.env.BENCH_OLD_INTERVAL_MS ?? 10 * 60_000);

async function load(modulePath) {
  return import(path.join(repoRoot, modulePath));
}

export async function benchQuery() {
  const core = await load('packages/core/dist/index.js');
  const { openDuckDbStore } = await load('packages/server/dist/storage/duckdb/store.js');
  const { QueryService } = await load('packages/server/dist/query/service.js');
  const raw = readFileSync(path.join(testdataDir, 'java/profile_java'));
  const base = core.decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw);
  const cpuIndex = base.sampleTypes.findIndex((st) => st.type === 'cpu');
  const nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-query-'));
  const store = await openDuckDbStore({ dataDir, retentionMs: 15 * DAY_MS, rollupRetentionMs: 31 * DAY_MS, now: () => nowMs });
  // Query cache off: these cases measure the merge every round (the cache is measured below).
  const query = new QueryService(store, { maxNodesDefault: 8192, maxNodesMax: 1_048_576, queryCacheBytes: 0 }, () => nowMs);
  const profileTypeId = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

  let profileCount = 0;
  const makeProfile = (service, timeMs, seed) => {
    // Same code paths per service, values jittered so merges do real additions.
    const values = new Float64Array(base.values[cpuIndex].length);
    for (let i = 0; i < values.length; i++) values[i] = base.values[cpuIndex][i] * (1 + ((seed + i) % 5));
    profileCount++;
    return {
      kind: 'ValidatedProfile',
      tenant: '',
      seriesLabels: [
        ['__name__', 'process_cpu'],
        ['service_name', `svc-${String(service).padStart(2, '0')}`],
      ],
      profileTypeIds: [profileTypeId],
      timeMs,
      profileId: `p${profileCount}`,
      profile: { ...base, sampleTypes: [base.sampleTypes[cpuIndex]], values: [values], sampleLabels: base.sampleLabels.map(() => null) },
    };
  };

  progress(`writing 30 days for ${SERVICES} services (every ${OLD_INTERVAL_MS / 60000} min) + the last hour every 10 s`);
  const started = performance.now();
  let batch = [];
  const flush = async () => {
    if (batch.length) await store.append(batch);
    batch = [];
  };
  for (let t = nowMs - 30 * DAY_MS; t < nowMs - HOUR_MS; t += OLD_INTERVAL_MS) {
    for (let s = 0; s < SERVICES; s++) batch.push(makeProfile(s, t + s * 1000, t / OLD_INTERVAL_MS + s));
    if (batch.length >= 400) await flush();
  }
  for (let t = nowMs - HOUR_MS; t < nowMs; t += 10_000) {
    for (let s = 0; s < SERVICES; s++) batch.push(makeProfile(s, t + s * 100, t / 10_000 + s));
    if (batch.length >= 400) await flush();
  }
  await flush();
  progress(`${profileCount} profiles written in ${((performance.now() - started) / 1000).toFixed(1)} s; rolling up`);
  await store.maintain(nowMs);

  const time = async (fn) => {
    const samples = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      await fn();
      samples.push(performance.now() - t0);
    }
    return median(samples);
  };
  const flame = (selector, fromMs) => async () => {
    const tree = await query.mergedTree('', { profileTypeId, labelSelector: selector, fromMs, toMs: nowMs });
    core.flameGraphFromTree(tree, 8192);
    core.topTable(tree, 500);
  };
  const baseline = async () => {
    await store.readers[0].runAndReadAll(`SELECT stack_id, sum(value) FROM samples WHERE time_ms BETWEEN ${nowMs - HOUR_MS} AND ${nowMs} GROUP BY stack_id`);
  };
  await flame('{}', nowMs - HOUR_MS)();
  const baselineMs = await time(baseline);
  const results = [];
  const add = (name, ms, target) => results.push({ name, metric: 'ms', baseline: baselineMs, value: ms, ratio: ms / baselineMs, target });
  progress('query-1h-20svc');
  add('query-1h-20svc (one service)', await time(flame('{service_name="svc-03"}', nowMs - HOUR_MS)), '< 150 ms');
  const allHourMs = await time(flame('{}', nowMs - HOUR_MS));
  add('query-1h-20svc (all services)', allHourMs, '< 150 ms');
  progress('query-30d');
  const monthMs = await time(flame('{}', nowMs - 30 * DAY_MS));
  add('query-30d (all services, rollups)', monthMs, `< 1000 ms and ≤ 5× 1h (${(monthMs / allHourMs).toFixed(2)}×)`);
  add('query-30d (one service, rollups)', await time(flame('{service_name="svc-03"}', nowMs - 30 * DAY_MS)), '< 1000 ms');
  progress('series-1h');
  add(
    'series-1h (step 10 s, group by service)',
    await time(() =>
      query.selectSeries('', { profileTypeId, labelSelector: '{}', fromMs: nowMs - HOUR_MS, toMs: nowMs, groupBy: ['service_name'], stepSec: 10, aggregation: 'sum', limit: 0 }),
    ),
    '< 50 ms',
  );
  const stats = await store.stats('');
  console.log(`query data set: ${profileCount} profiles, ${stats.sampleRows} raw sample rows, ${(stats.bytesOnDisk / 1048576).toFixed(1)} MiB on disk`);
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log('baseline = bare DuckDB GROUP BY stack_id over the last hour of raw rows, same store, same run');
  results.push(...(await benchBigQuery(core, openDuckDbStore, QueryService, time)));
  return results;
}

/** The 1M-node profile: server time of the tree and JSON answers, merged each round and cached. */
async function benchBigQuery(core, openDuckDbStore, QueryService, time) {
  const { ReadPath } = await load('packages/server/dist/query/readPath.js');
  const { bigPprof } = await import('./bigProfile.mjs');
  const nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
  const profileTypeId = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
  progress('query-1M-nodes: generating and storing the 1M-node profile');
  const profile = core.decodePprof(bigPprof(), { limits: { maxSamples: 2_000_000, maxFramesPerProfile: 100_000_000 } });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-query-big-'));
  // The server's default merge cache (--merge-cache-size 64MiB) holds this profile's day.
  const store = await openDuckDbStore({ dataDir, retentionMs: 15 * DAY_MS, rollupRetentionMs: 31 * DAY_MS, now: () => nowMs, mergeCacheBytes: 64 * 1024 * 1024 });
  await store.append([
    {
      kind: 'ValidatedProfile',
      tenant: '',
      seriesLabels: [
        ['__name__', 'process_cpu'],
        ['service_name', 'big'],
      ],
      profileTypeIds: [profileTypeId],
      timeMs: nowMs - 60_000,
      profileId: 'big-1',
      profile: { ...profile, sampleLabels: profile.sampleLabels.map(() => null) },
    },
  ]);
  const limits = { maxNodesDefault: 8192, maxNodesMax: 1_048_576 };
  const uncached = new ReadPath(new QueryService(store, { ...limits, queryCacheBytes: 0 }, () => nowMs));
  const cached = new ReadPath(new QueryService(store, { ...limits, queryCacheBytes: 64 * 1024 * 1024 }, () => nowMs));
  const selection = { profileTypeId, labelSelector: '{service_name="big"}', fromMs: nowMs - HOUR_MS, toMs: nowMs };
  const tree = (read) => () => read.flameGraphTree('', { ...selection, widthCssPx: 1200, topLimit: 500 });
  const json = (read) => async () => {
    const answer = await read.flameGraph('', { ...selection, maxNodes: 4096 });
    const profileCount = await read.profileCount('', selection);
    JSON.stringify({ flamegraph: answer.flamegraph, truncation: answer.truncation, top: read.topTable(answer, 500), profileCount });
  };
  // First use loads the day's symbols into the merge cache (as the first query after a start does).
  await tree(uncached)();
  await cached.flameGraphTree('', { ...selection, widthCssPx: 1200, topLimit: 500 });
  const baselineMs = await time(() => store.readers[0].runAndReadAll(`SELECT stack_id, sum(value) FROM samples WHERE time_ms BETWEEN ${nowMs - HOUR_MS} AND ${nowMs} GROUP BY stack_id`));
  const results = [];
  const add = (name, ms, target) => results.push({ name, metric: 'ms', baseline: baselineMs, value: ms, ratio: ms / baselineMs, target });
  progress('query-1M-nodes');
  add('query-1M-nodes tree answer (merge)', await time(tree(uncached)), '< 250 ms');
  add('query-1M-nodes JSON answer (merge)', await time(json(uncached)), 'faster than before (1.9 s)');
  add('query-1M-nodes tree answer (cached tree)', await time(tree(cached)), '< 50 ms');
  add('query-1M-nodes JSON answer (cached tree)', await time(json(cached)), '< 100 ms');
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log('query-1M-nodes: baseline = bare DuckDB GROUP BY stack_id over the 1M-node profile\'s rows, same store, same run');
  return results;
}
