// The event-loop block of single requests, alone (measurement only):
//   node bench/fuzz/block-repro.mjs --seed 101 --prefix 3000 --repeat 5 'GET /pyroscope/render?…' ['POST /path @file.json' …]
// Starts the built server with blockprobe.mjs preloaded, replays the first --prefix requests of the
// seed's fuzz run one at a time (so the store holds what it held at that point of the fuzz run), then
// sends each target --repeat times with nothing else in flight and prints its status, answer size,
// latency and the longest event-loop gap (≥ 5 ms) the server saw while it ran. A target is
// "METHOD PATH" with an optional "@FILE" body and "#content-type".
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchServer, testdataDir } from '../lib.mjs';
import { loadFixtures } from './corpus.mjs';
import { sendRaw } from './http.mjs';
import { generateRequest, warmupRequests } from './requests.mjs';
import { loadProto } from './runner.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: 'string', default: '101' }, prefix: { type: 'string', default: '2000' }, repeat: { type: 'string', default: '5' }, 'node-args': { type: 'string', default: '' } },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const logPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'cinder-blocks-')), 'blocks.jsonl');
process.env.CINDER_BLOCK_LOG = logPath;
process.env.CINDER_BLOCK_MIN_MS = '5';
process.env.CINDER_BENCH_NODE_ARGS = [`--import`, path.join(here, 'blockprobe.mjs'), ...values['node-args'].split(' ').filter(Boolean)].join(' ');
const readBlocks = () => {
  try {
    return readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

const seed = Number(values.seed);
const corpus = loadFixtures(testdataDir);
const proto = await loadProto();
const server = await startBenchServer([], { captureOutput: true });
try {
  const nowMs = Date.now();
  const ctx = { corpus, proto, nowMs, skip: [], warmup: warmupRequests(corpus, nowMs) };
  for (let index = 0; index < Number(values.prefix); index++) await sendRaw(server.baseUrl, generateRequest(ctx, seed, index), 20_000);
  process.stdout.write(`replayed ${values.prefix} requests of seed ${seed}; block log ${logPath}\n`);
  for (const target of positionals) {
    const [head, ...rest] = target.split(' @');
    const [method, ...pathParts] = head.split(' ');
    const [fileAndType] = rest;
    const [file, contentType] = fileAndType ? fileAndType.split('#') : [];
    const body = file ? readFileSync(file) : Buffer.alloc(0);
    const headers = contentType ? [['Content-Type', contentType]] : [];
    const gaps = [];
    let status = 0;
    let size = 0;
    let latency = 0;
    let errorText = '';
    for (let i = 0; i < Number(values.repeat); i++) {
      const before = readBlocks().length;
      const response = await sendRaw(server.baseUrl, { method, path: pathParts.join(' '), headers, body }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fresh = readBlocks().slice(before);
      gaps.push(fresh.length ? Math.max(...fresh.map((b) => b.gapMs)) : 0);
      status = response.status;
      size = Number(response.headers['content-length'] ?? NaN);
      latency = response.latencyMs;
      errorText = response.status >= 400 ? ` ${response.bodyText.slice(0, 200)}` : '';
    }
    process.stdout.write(`${method} ${pathParts.join(' ').slice(0, 140)} → ${status}, ${Number.isFinite(size) ? `${(size / 1024).toFixed(0)} KiB` : 'chunked'}, last ${latency.toFixed(0)} ms; longest gap per run: ${gaps.join(' ')} ms${errorText}\n`);
  }
} finally {
  await server.stop();
}
