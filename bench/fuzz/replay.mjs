// Replays saved fuzz requests: node bench/fuzz/replay.mjs <request.json>… [--url http://127.0.0.1:PORT]
// Without --url it starts the built server like the fuzzer does, sends the requests in order, prints
// each status, latency and answer, then /ready, the server's peak RSS and its output if it died.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchServer } from '../lib.mjs';
import { sendRaw } from './http.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' }, timeout: { type: 'string', default: '30000' } } });
if (positionals.length === 0) throw new Error('usage: node bench/fuzz/replay.mjs <request.json>… [--url http://127.0.0.1:PORT]');
const server = values.url ? null : await startBenchServer([], { captureOutput: true });
const baseUrl = values.url ?? server.baseUrl;
for (const file of positionals) {
  const record = JSON.parse(readFileSync(file, 'utf8'));
  const body = record.bodyBase64 !== undefined ? Buffer.from(record.bodyBase64, 'base64') : readFileSync(path.join(path.dirname(file), record.bodyFile));
  const response = await sendRaw(baseUrl, { method: record.method, path: record.path, headers: record.headers, body, halfClose: record.halfClose }, Number(values.timeout));
  process.stdout.write(`${record.method} ${record.path.slice(0, 200)} (${body.length} bytes) → ${response.timedOut ? 'TIMED OUT' : response.status} in ${Math.round(response.latencyMs)} ms ${response.bodyText.slice(0, 400)}\n`);
}
const ready = await sendRaw(baseUrl, { method: 'GET', path: '/ready', headers: [], body: Buffer.alloc(0) }, 2000);
process.stdout.write(`/ready → ${ready.timedOut ? 'no answer in 2 s' : ready.status}\n`);
if (server) {
  process.stdout.write(`server peak RSS ${(server.peakRssBytes() / 1048576).toFixed(0)} MB${server.exitStatus() ? `; EXITED ${JSON.stringify(server.exitStatus())}\n${server.output().slice(-3000)}` : ''}\n`);
  await server.stop();
}
