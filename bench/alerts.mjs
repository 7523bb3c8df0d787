// Alert evaluation benchmark (in-process against the built store, query layer and alert engine):
// - alerts-1000rules-20svc: 20 services with a realistic CPU profile (async-profiler, 2,614 samples)
//   every 10 s for the last hour (version v1, then v2 for the last 20 minutes) and for an hour a day
//   earlier; 1,000 rules (50 per service: total / exact function / package prefix / RE2 regex, self
//   and total, baselines previous period / a day / a week (no data there) / previous version).
//   One evaluation round = every rule evaluated once, each round a minute after the previous one;
//   median ms per round.
// - alerts-rule-series-1h-60pts: GET /api/v1/rules/:id/series of one function rule over the last
//   hour in 60 one-minute buckets (what the Rules page chart asks for).
// Baseline in the same run: one merge of one service's 10-minute window (the unit of work a round
// shares between the rules of a service).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { median, progress, repoRoot, testdataDir } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SERVICES = 20;
const RULES_PER_SERVICE = 50;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

async function load(modulePath) {
  return import(path.join(repoRoot, modulePath));
}

export async function benchAlerts() {
  const core = await load('packages/core/dist/index.js');
  const { openDuckDbStore } = await load('packages/server/dist/storage/duckdb/store.js');
  const { QueryService } = await load('packages/server/dist/query/service.js');
  const { ReadPath } = await load('packages/server/dist/query/readPath.js');
  const { SnapshotStore } = await load('packages/server/dist/snapshots/snapshotStore.js');
  const { AlertEngine } = await load('packages/server/dist/alerts/engine.js');
  const { Registry } = await import('prom-client');
  const raw = readFileSync(path.join(testdataDir, 'java/profile_java'));
  const base = core.decodePprof(raw[0] === 0x1f ? gunzipSync(raw) : raw);
  const cpuIndex = base.sampleTypes.findIndex((st) => st.type === 'cpu');
  const nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-alerts-'));
  const store = await openDuckDbStore({ dataDir, retentionMs: 15 * DAY_MS, rollupRetentionMs: 31 * DAY_MS, now: () => nowMs });
  const query = new QueryService(store, { maxNodesDefault: 8192, maxNodesMax: 1_048_576 }, () => nowMs);
  const read = new ReadPath(query);
  const profileTypeId = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
  const service = (s) => `svc-${String(s).padStart(2, '0')}`;

  let profileCount = 0;
  const makeProfile = (s, timeMs, seed, version) => {
    const values = new Float64Array(base.values[cpuIndex].length);
    for (let i = 0; i < values.length; i++) values[i] = base.values[cpuIndex][i] * (1 + ((seed + i) % 5));
    profileCount++;
    return {
      kind: 'ValidatedProfile',
      tenant: 'anonymous',
      seriesLabels: [
        ['__name__', 'process_cpu'],
        ['service_name', service(s)],
        ['version', version],
      ],
      profileTypeIds: [profileTypeId],
      timeMs,
      profileId: `p${profileCount}`,
      profile: { ...base, sampleTypes: [base.sampleTypes[cpuIndex]], values: [values], sampleLabels: base.sampleLabels.map(() => null) },
    };
  };
  progress(`writing ${SERVICES} services × 2 h of profiles`);
  let batch = [];
  const flush = async () => {
    if (batch.length) await store.append(batch);
    batch = [];
  };
  for (const startMs of [nowMs - DAY_MS - HOUR_MS, nowMs - HOUR_MS]) {
    for (let t = startMs; t < startMs + HOUR_MS; t += 10_000) {
      const version = t >= nowMs - 20 * MINUTE_MS ? 'v2' : 'v1';
      for (let s = 0; s < SERVICES; s++) batch.push(makeProfile(s, t + s * 100, t / 10_000 + s, version));
      if (batch.length >= 400) await flush();
    }
  }
  await flush();
  await store.maintain(nowMs);

  // Function names the rules watch: the profile's heaviest frames.
  const names = core.topTable(core.callTreeFromProfile({ ...base, sampleTypes: [base.sampleTypes[cpuIndex]], values: [base.values[cpuIndex]] }, 0), 40).map((row) => row.name);
  const packageOf = (name) => name.replace(/[.:/][^.:/]*$/, '').slice(0, 40) || name;
  const escapeRe = (text) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  const baselines = ['previous_period', 'day', 'week', 'previous_version'];
  const log = { info() {}, warn() {}, error() {} };
  // Each round is a minute after the one before (the rules' interval): windows move, nothing is reused by accident.
  let clockMs = nowMs;
  const engine = new AlertEngine({ dataDir, read, snapshots: new SnapshotStore(path.join(dataDir, 'snapshots')), registry: new Registry(), now: () => clockMs, log, concurrency: 8 });
  await engine.start();
  for (let s = 0; s < SERVICES; s++) {
    for (let i = 0; i < RULES_PER_SERVICE; i++) {
      const name = names[i % names.length];
      const watch =
        i % 4 === 0 ? 'total' : i % 4 === 1 ? { function: name, value: i % 8 < 4 ? 'self' : 'total' } : i % 4 === 2 ? { package: packageOf(name) } : { regex: `${escapeRe(packageOf(name))}.*`, value: 'self' };
      await engine.create('anonymous', {
        name: `${service(s)}-rule-${i}`,
        query: `${profileTypeId}{service_name="${service(s)}"}`,
        watch,
        baseline: baselines[i % baselines.length],
        window: '10m',
        interval: '1m',
        thresholds: { minProfiles: 3, minValuePerSecond: 1e6 },
      });
    }
  }

  const timed = async (fn) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const oneMerge = () => read.mergedTree('anonymous', { profileTypeId, labelSelector: `{service_name="${service(3)}"}`, fromMs: nowMs - 10 * MINUTE_MS, toMs: nowMs });
  await oneMerge();
  progress(`${profileCount} profiles, ${SERVICES * RULES_PER_SERVICE} rules; evaluating`);
  let last = null;
  // The first round also opens alerts (and freezes their snapshots) where jitter crossed a threshold.
  await engine.evaluateAll(clockMs);
  // Baseline and rounds alternate, so a busy machine weighs on both alike.
  const baselineSamples = [];
  const roundSamples = [];
  for (let round = 0; round < ROUNDS; round++) {
    baselineSamples.push(await timed(oneMerge));
    clockMs += MINUTE_MS;
    roundSamples.push(await timed(async () => (last = await engine.evaluateAll(clockMs))));
  }
  const baselineMs = median(baselineSamples);
  const roundMs = median(roundSamples);
  progress(`last round: ${last.rules} rules, ${last.merges} merges`);
  // The Rules page chart: one rule (a function watch) over the last hour, 60 one-minute buckets.
  const chartRule = engine.list('anonymous').find((view) => view.rule.name === `${service(3)}-rule-1`).rule;
  const seriesSamples = [];
  const mergeSamples = [];
  for (let round = 0; round < ROUNDS; round++) {
    mergeSamples.push(await timed(oneMerge));
    seriesSamples.push(await timed(() => engine.series('anonymous', chartRule.id, clockMs - HOUR_MS, clockMs, 60)));
  }
  await engine.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  const seriesMs = median(seriesSamples);
  const mergeMs = median(mergeSamples);
  return [
    { name: 'alerts-1000rules-20svc (one round)', metric: 'ms', baseline: baselineMs, value: roundMs, ratio: roundMs / baselineMs, target: '< 1000 ms' },
    { name: 'alerts-rule-series-1h-60pts (Rules page chart)', metric: 'ms', baseline: mergeMs, value: seriesMs, ratio: seriesMs / mergeMs, target: '' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printResults } = await import('./ingest.mjs');
  printResults(await benchAlerts());
}
