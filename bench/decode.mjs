// decode-sdk: the ingest pprof reader (core's decodePprof, bytes → the profile model) against bare
// pprof-format decode (bytes → its objects, no model) on typical SDK profiles, gunzipped first as
// the server does. Rounds alternate the two so that a busy shared machine slows both alike.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { median, progress, repoRoot, testdataDir } from './lib.mjs';

/**
 * What SDKs send every 10–15 s: Node.js wall+cpu and heap, Go CPU with and without labels,
 * pyroscope-rs (Rust, Python) and py-spy; 0.6–29 KB gunzipped.
 */
export const SDK_FIXTURES = [
  'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz',
  'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz',
  'go/cpu.pb.gz',
  'go/go.cpu.labels.pprof',
  'rust/profile_rust',
  'python/profile_python',
  'python/pyspy-1.pb.gz',
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Decodes per round and side: enough for ~0.2–1 s per round. */
const PER_ROUND = 2000;

function gunzipped(file) {
  const bytes = readFileSync(path.join(testdataDir, file));
  return new Uint8Array(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
}

function rate(bodies, decode) {
  const start = performance.now();
  for (let i = 0; i < PER_ROUND; i++) decode(bodies[i % bodies.length]);
  return PER_ROUND / ((performance.now() - start) / 1000);
}

export async function benchDecode() {
  const core = await import(path.join(repoRoot, 'packages/core/dist/index.js'));
  const bodies = SDK_FIXTURES.map(gunzipped);
  const reader = (bytes) => core.decodePprof(bytes);
  const baseline = (bytes) => Profile.decode(bytes);
  // Both sides must accept every body, or the rates would compare different work.
  for (const bytes of bodies) {
    if (core.sampleCount(reader(bytes)) !== baseline(bytes).sample.length) throw new Error('the two decoders disagree on a fixture');
  }
  progress('decode warm-up');
  for (let i = 0; i < 3; i++) {
    rate(bodies, reader);
    rate(bodies, baseline);
  }
  const readerRates = [];
  const baselineRates = [];
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    progress(`decode-sdk round ${round + 1}/${ROUNDS}`);
    const first = round % 2 === 0;
    const b1 = first ? rate(bodies, baseline) : NaN;
    const r = rate(bodies, reader);
    const b = first ? b1 : rate(bodies, baseline);
    readerRates.push(r);
    baselineRates.push(b);
    ratios.push(r / b);
  }
  const meanBytes = bodies.reduce((sum, bytes) => sum + bytes.length, 0) / bodies.length;
  return [
    {
      name: `decode-sdk (${SDK_FIXTURES.length} SDK profiles, mean ${(meanBytes / 1024).toFixed(1)} KiB gunzipped; baseline: bare pprof-format)`,
      metric: 'profiles/s',
      baseline: median(baselineRates),
      value: median(readerRates),
      ratio: median(readerRates) / median(baselineRates),
      target: `≥ 3× (median of per-round ratios ${median(ratios).toFixed(2)})`,
    },
  ];
}
