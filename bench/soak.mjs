// Soak: N simulated services push SDK-sized profiles every interval while queries run, for a
// bounded duration; prints RSS, heap and latency every ~30 s and the RSS slope after warm-up.
//
//   npm run soak -- --services 100 --interval 10s --query-every 5s --duration 10m
//
// Each service sends what @pyroscope/nodejs 0.6.4 sends (testdata/nodejs-sdk: a wall+cpu profile
// and a heap profile per interval, gzipped, no Content-Encoding), with per-service labels, from/until
// around "now" and sample values varied per upload so stacks and totals are not all identical.
// Exits non-zero if any request failed (non-2xx, network error or > 30 s).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { percentile, readMetrics, repoRoot, startBenchServer, testdataDir } from './lib.mjs';

const { values: options } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    interval: { type: 'string', default: '10s' },
    'query-every': { type: 'string', default: '5s' },
    duration: { type: 'string', default: '10m' },
    'report-every': { type: 'string', default: '30s' },
    seed: { type: 'string', default: '1' },
    url: { type: 'string' },
  },
});

function durationMs(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 10s, 10m, 1h)`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'];
}

const serviceCount = Number(options.services);
const intervalMs = durationMs(options.interval);
const queryEveryMs = durationMs(options['query-every']);
const runMs = durationMs(options.duration);
const reportEveryMs = durationMs(options['report-every']);
if (!Number.isInteger(serviceCount) || serviceCount < 1 || serviceCount > 10_000) throw new Error('--services must be 1..10000');
const REQUEST_TIMEOUT_MS = 30_000;
const SAMPLE_EVERY_MS = 5_000;

// Deterministic variety (mulberry32), so two runs with one seed upload the same bytes.
let rngState = Number(options.seed) >>> 0 || 1;
function random() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

const { ProfileSchema } = await import(path.join(repoRoot, 'packages/server/dist/gen/google/v1/profile_pb.js'));

/** A few re-encoded copies of a fixture with values scaled 0.5–1.5× and ~10 % of samples dropped. */
function variants(relativePath, count) {
  const original = fromBinary(ProfileSchema, gunzipSync(readFileSync(path.join(testdataDir, relativePath))));
  const result = [];
  for (let v = 0; v < count; v++) {
    const profile = fromBinary(ProfileSchema, toBinary(ProfileSchema, original));
    profile.sample = profile.sample.filter(() => random() > 0.1);
    for (const sample of profile.sample) {
      const factor = 0.5 + random();
      sample.value = sample.value.map((value) => BigInt(Math.max(0, Math.round(Number(value) * factor))));
    }
    result.push(gzipSync(toBinary(ProfileSchema, profile)));
  }
  return result;
}
const wallCpuBodies = variants('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', 16);
const heapBodies = variants('nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz', 16);

const server = options.url ? null : await startBenchServer([], { captureOutput: true });
const baseUrl = options.url ?? server.baseUrl;
const startedAt = Date.now();
const deadline = startedAt + runMs;
process.stdout.write(
  `soak: ${serviceCount} services × ${intervalMs / 1000} s (wall+cpu and heap each), queries every ${queryEveryMs / 1000} s, for ${runMs / 60_000} min against ${baseUrl}${server ? ` (pid ${server.pid})` : ''}\n`,
);

const window = { ingest: [], query: [], errors: 0 };
const totals = { ingest: 0, query: 0, errors: 0, ingestLatencies: [], queryLatencies: [] };
const errorSamples = [];
const inFlight = new Set();

async function timed(kind, label, url, init) {
  const started = performance.now();
  let failure = null;
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    if (!response.ok) failure = `${response.status} ${text.slice(0, 300)}`;
  } catch (error) {
    failure = `${error.name}: ${error.message}`;
  }
  const elapsedMs = performance.now() - started;
  window[kind].push(elapsedMs);
  totals[kind]++;
  totals[`${kind}Latencies`].push(elapsedMs);
  if (failure) {
    window.errors++;
    totals.errors++;
    if (errorSamples.length < 20) errorSamples.push(`${label}: ${failure}`);
  }
}

function track(promise) {
  inFlight.add(promise);
  promise.finally(() => inFlight.delete(promise));
}

const labelsOf = (index) => `env=${['prod', 'staging', 'dev'][index % 3]},region=${['eu-west', 'us-east', 'ap-south'][index % 3 === 0 ? 0 : (index >> 2) % 3]},pod=pod-${index % 7},otel.scope.name=com.grafana.pyroscope/nodejs,process.runtime.name=nodejs`;

function push(index) {
  const nowSec = Math.floor(Date.now() / 1000);
  // SDKs report the interval that just ended; clocks drift a few seconds either way.
  const untilSec = nowSec - Math.floor(random() * 5);
  const fromSec = untilSec - Math.round(intervalMs / 1000);
  const name = `soak-svc-${String(index).padStart(3, '0')}{${labelsOf(index)}}`;
  const common = `from=${fromSec}&until=${untilSec}&format=pprof&spyName=nodespy`;
  const init = (body) => ({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  const wallCpu = wallCpuBodies[Math.floor(random() * wallCpuBodies.length)];
  const heap = heapBodies[Math.floor(random() * heapBodies.length)];
  track(timed('ingest', `ingest wall ${index}`, `${baseUrl}/ingest?name=${encodeURIComponent(name)}&${common}&sampleRate=100`, init(wallCpu)));
  track(timed('ingest', `ingest heap ${index}`, `${baseUrl}/ingest?name=${encodeURIComponent(name)}&${common}`, init(heap)));
}

let queryTick = 0;
function queries() {
  const service = `soak-svc-${String(Math.floor(random() * serviceCount)).padStart(3, '0')}`;
  const type = queryTick++ % 2 === 0 ? 'wall:wall:nanoseconds:wall:nanoseconds' : 'memory:inuse_space:bytes:space:bytes';
  const nowMs = Date.now();
  const range = `from=${nowMs - 3_600_000}&until=${nowMs}`;
  const q = encodeURIComponent(`${type}{service_name="${service}"}`);
  track(timed('query', 'flamegraph', `${baseUrl}/api/v1/flamegraph?query=${q}&${range}&maxNodes=1024`));
  track(timed('query', 'timeline', `${baseUrl}/api/v1/timeline?query=${encodeURIComponent(`${type}{env="prod"}`)}&${range}&groupBy=service_name`));
  track(timed('query', 'label-values', `${baseUrl}/api/v1/label-values?name=service_name&${range}`));
}

const rssCurve = []; // { minutes, rssMb, heapMb }
let maxLagSec = 0;
async function sample() {
  const minutes = (Date.now() - startedAt) / 60_000;
  let heapMb = NaN;
  let rssMb = server ? server.rssBytes() / 1048576 : NaN;
  try {
    const metrics = await readMetrics(baseUrl);
    const heap = metrics.find((m) => m.name === 'cinder_process_heap_bytes' || m.name === 'cinder_process_nodejs_heap_size_used_bytes');
    if (heap) heapMb = heap.value / 1048576;
    if (!server) rssMb = (metrics.find((m) => m.name === 'cinder_process_process_resident_memory_bytes')?.value ?? NaN) / 1048576;
    const lag = metrics.filter((m) => (m.name.startsWith('cinder_event_loop_lag_seconds') && !/_(bucket|count|sum)$/.test(m.name)) || m.name === 'cinder_process_nodejs_eventloop_lag_max_seconds');
    for (const m of lag) if (Number.isFinite(m.value)) maxLagSec = Math.max(maxLagSec, m.value);
  } catch (error) {
    if (errorSamples.length < 20) errorSamples.push(`/metrics: ${error.message}`);
  }
  rssCurve.push({ minutes, rssMb, heapMb });
}

const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
function report() {
  const last = rssCurve.at(-1) ?? { rssMb: NaN, heapMb: NaN };
  process.stdout.write(
    `[${fmt((Date.now() - startedAt) / 1000).padStart(5)} s] rss ${fmt(last.rssMb).padStart(4)} MB  heap ${fmt(last.heapMb).padStart(4)} MB  ` +
      `ingest ${window.ingest.length} p50 ${fmt(percentile(window.ingest, 50), 1)} / p95 ${fmt(percentile(window.ingest, 95), 1)} ms  ` +
      `query ${window.query.length} p50 ${fmt(percentile(window.query, 50), 1)} / p95 ${fmt(percentile(window.query, 95), 1)} ms  errors ${window.errors}\n`,
  );
  window.ingest = [];
  window.query = [];
  window.errors = 0;
}

// Services start evenly spread over the first interval, then keep their own cadence.
const timers = [];
for (let index = 0; index < serviceCount; index++) {
  const phaseMs = (index * intervalMs) / serviceCount;
  timers.push(
    setTimeout(() => {
      push(index);
      timers.push(setInterval(() => Date.now() < deadline && push(index), intervalMs));
    }, phaseMs),
  );
}
timers.push(setInterval(() => Date.now() < deadline && queries(), queryEveryMs));
timers.push(setInterval(() => track(sample()), SAMPLE_EVERY_MS));
timers.push(setInterval(report, reportEveryMs));
await sample();

await Promise.race([new Promise((resolve) => setTimeout(resolve, runMs)), server ? server.exited : new Promise(() => {})]);
const serverDied = server !== null && server.exitStatus() !== null;
for (const timer of timers) clearTimeout(timer);
await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 1000))]);
await sample();
report();

// Linear regression of RSS over the second half (the first half is warm-up: caches, DuckDB buffers).
function slopeMbPerMin(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.minutes, 0) / n;
  const my = points.reduce((s, p) => s + p.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.minutes - mx) * (p.rssMb - my);
    den += (p.minutes - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
const valid = rssCurve.filter((p) => Number.isFinite(p.rssMb));
const secondHalf = valid.filter((p) => p.minutes >= runMs / 60_000 / 2);
const curve = [];
for (let minute = 0; minute <= Math.ceil(runMs / 60_000); minute++) {
  const point = valid.reduce((best, p) => (Math.abs(p.minutes - minute) < Math.abs((best?.minutes ?? Infinity) - minute) ? p : best), null);
  if (point && Math.abs(point.minutes - minute) < 0.5) curve.push(`${minute}m ${fmt(point.rssMb)}`);
}
process.stdout.write('\n== soak summary\n');
process.stdout.write(`requests: ingest ${totals.ingest}, query ${totals.query}, errors ${totals.errors}\n`);
process.stdout.write(
  `latency ms: ingest p50 ${fmt(percentile(totals.ingestLatencies, 50), 1)} p95 ${fmt(percentile(totals.ingestLatencies, 95), 1)} max ${fmt(Math.max(...totals.ingestLatencies), 1)}; ` +
    `query p50 ${fmt(percentile(totals.queryLatencies, 50), 1)} p95 ${fmt(percentile(totals.queryLatencies, 95), 1)} max ${fmt(Math.max(...totals.queryLatencies), 1)}\n`,
);
process.stdout.write(`RSS curve (MB): ${curve.join(', ')}\n`);
process.stdout.write(
  `RSS: start ${fmt(valid[0]?.rssMb)} MB, end ${fmt(valid.at(-1)?.rssMb)} MB, max ${fmt(Math.max(...valid.map((p) => p.rssMb)))} MB, peak (VmHWM) ${server ? fmt(server.peakRssBytes() / 1048576) : '–'} MB; ` +
    `slope over the second half ${fmt(slopeMbPerMin(secondHalf), 2)} MB/min\n`,
);
process.stdout.write(`max event-loop lag seen on /metrics: ${fmt(maxLagSec * 1000)} ms\n`);
if (errorSamples.length) process.stdout.write(`first errors:\n  ${errorSamples.join('\n  ')}\n`);
if (serverDied) process.stdout.write(`server exited during the soak: ${JSON.stringify(server.exitStatus())}\n${server.output().slice(-4000)}\n`);
await server?.stop();
process.exitCode = totals.errors > 0 || serverDied ? 1 : 0;
