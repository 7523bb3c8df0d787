// ingest-fixtures: end-to-end /ingest throughput of the real pprof fixtures against bare pprof-format
// decode of the same bytes, measured in the same run; ingest-sdk: profiles/s at typical SDK size;
// ingest-big (benchIngestBig): the ~1M-node CPU profile of bench/bigProfile.mjs from POST to 200
// (committed), against decoding the same bytes alone in this process.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { median, progress, repoRoot, runConcurrent, startBenchServer, testdataDir, formatTable } from './lib.mjs';

const FIXTURES = [
  'go/cpu.pb.gz', 'go/go.cpu.labels.pprof', 'go/heap.pb.gz', 'go/heap', 'nodejs/nodejs-wall.pb.gz', 'nodejs/cpu-js.pb.gz',
  'java/profile_java', 'python/profile_python', 'ruby/profile_ruby', 'rust/profile_rust', 'dotnet/dotnet.labels.pprof',
  'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz',
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function decodeAll(bodies) {
  for (const bytes of bodies) {
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    Profile.decode(raw);
  }
}

// node:http with keep-alive rather than fetch: the load generator shares the 2 cores with the
// server, and undici's per-request cost would otherwise be measured as if it were the server's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(baseUrl, path, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function postAll(baseUrl, bodies, concurrency, service) {
  await runConcurrent(bodies.length, concurrency, async (i) => {
    const response = await post(baseUrl, `/ingest?name=${service}-${i % 20}&format=pprof&spyName=gospy`, bodies[i]);
    if (response.status !== 200) throw new Error(`ingest ${i}: ${response.status} ${response.text}`);
  });
}

export async function benchIngest() {
  const fixtureBodies = FIXTURES.map((file) => readFileSync(path.join(testdataDir, file)));
  const repeat = 8;
  const bodies = Array.from({ length: repeat }, () => fixtureBodies).flat();
  const server = await startBenchServer(['--max-samples', '200000', '--max-profile-size', '64MiB']);
  const results = [];
  try {
    progress('warm-up');
    decodeAll(bodies);
    await postAll(server.baseUrl, fixtureBodies, 4, 'warm');
    const decodeRates = [];
    const ingestRates = [];
    for (let round = 0; round < ROUNDS; round++) {
      progress(`ingest-fixtures round ${round + 1}/${ROUNDS}`);
      let start = performance.now();
      decodeAll(bodies);
      decodeRates.push(bodies.length / ((performance.now() - start) / 1000));
      start = performance.now();
      await postAll(server.baseUrl, bodies, 8, `fx${round}`);
      ingestRates.push(bodies.length / ((performance.now() - start) / 1000));
    }
    const decodeMedian = median(decodeRates);
    const ingestMedian = median(ingestRates);
    results.push({ name: 'ingest-fixtures', metric: 'profiles/s', baseline: decodeMedian, value: ingestMedian, ratio: ingestMedian / decodeMedian, target: '≥ 0.7 × bare decode' });

    const sdkBody = readFileSync(path.join(testdataDir, 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz'));
    const sdkCount = 3000;
    const sdkBodies = Array.from({ length: sdkCount }, () => sdkBody);
    const sdkRates = [];
    const sdkDecodeRates = [];
    for (let round = 0; round < ROUNDS; round++) {
      progress(`ingest-sdk round ${round + 1}/${ROUNDS}`);
      let start = performance.now();
      decodeAll(sdkBodies);
      sdkDecodeRates.push(sdkCount / ((performance.now() - start) / 1000));
      start = performance.now();
      await postAll(server.baseUrl, sdkBodies, 32, `sdk${round}`);
      sdkRates.push(sdkCount / ((performance.now() - start) / 1000));
    }
    results.push({
      name: 'ingest-sdk (4 KiB Node.js SDK profile)',
      metric: 'profiles/s',
      baseline: median(sdkDecodeRates),
      value: median(sdkRates),
      ratio: median(sdkRates) / median(sdkDecodeRates),
      target: '≥ 1000/s',
    });
    results.push({ name: 'server peak RSS', metric: 'MiB', baseline: NaN, value: server.peakRssBytes() / 1024 / 1024, ratio: NaN, target: '' });
  } finally {
    await server.stop();
  }
  return results;
}

const BIG_LIMITS = ['--max-profile-size', '64MiB', '--max-samples', '2000000', '--max-frames-per-profile', '10000000'];

/**
 * Each round starts a server on an empty data folder and times, from request to 200: the big profile
 * gzipped (as SDKs send it) into the empty store — every one of its ~1M stack nodes is new — and
 * then the same profile raw under another service name (its nodes are stored already). Baseline:
 * core's decodePprof of the same raw bytes in this process, the floor of any ingest of them.
 */
export async function benchIngestBig() {
  const { bigPprof } = await import('./bigProfile.mjs');
  const core = await import(path.join(repoRoot, 'packages/core/dist/index.js'));
  const raw = Buffer.from(bigPprof());
  const gzipped = gzipSync(raw);
  const decodeLimits = { maxSamples: 2_000_000, maxFramesPerProfile: 10_000_000, maxStackDepth: 1000 };
  const rounds = Math.max(3, ROUNDS);
  const decodeMs = [];
  const firstMs = [];
  const secondMs = [];
  for (let round = 0; round < rounds; round++) {
    progress(`ingest-big round ${round + 1}/${rounds}`);
    let start = performance.now();
    core.decodePprof(raw, { limits: decodeLimits });
    decodeMs.push(performance.now() - start);
    const server = await startBenchServer(BIG_LIMITS);
    try {
      const nowS = Math.floor(Date.now() / 1000);
      const timed = async (service, body) => {
        const begin = performance.now();
        const response = await post(server.baseUrl, `/ingest?name=${service}&from=${nowS - 60}&until=${nowS - 50}&format=pprof`, body);
        if (response.status !== 200) throw new Error(`big ingest: ${response.status} ${response.text}`);
        return performance.now() - begin;
      };
      firstMs.push(await timed('big-first', gzipped));
      secondMs.push(await timed('big-second', raw));
    } finally {
      await server.stop();
    }
  }
  const decodeMedian = median(decodeMs);
  const row = (name, values) => ({ name, metric: 'ms', baseline: decodeMedian, value: median(values), ratio: median(values) / decodeMedian, target: '< 1500 ms' });
  return [
    row(`ingest-big first (1M nodes, ${(gzipped.length / 1048576).toFixed(1)} MiB gz, empty store) vs decode only`, firstMs),
    row(`ingest-big second (${(raw.length / 1048576).toFixed(1)} MiB raw, another service) vs decode only`, secondMs),
  ];
}

export function printResults(results) {
  const rows = [['benchmark', 'unit', 'baseline (median)', 'cinder (median)', 'ratio', 'target']];
  for (const r of results) {
    rows.push([r.name, r.metric, Number.isNaN(r.baseline) ? '-' : r.baseline.toFixed(1), r.value.toFixed(1), Number.isNaN(r.ratio) ? '-' : r.ratio.toFixed(2), r.target]);
  }
  console.log(formatTable(rows));
}
