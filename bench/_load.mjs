import { readFileSync } from 'node:fs';
import http from 'node:http';
import { runConcurrent } from './lib.mjs';
const body = readFileSync(new URL('../testdata/nodejs-sdk/', import.meta.url).pathname + 'pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const post = (i) => new Promise((resolve, reject) => { const r = http.request(`http://127.0.0.1:4998/ingest?name=sdk-${i % 20}&format=pprof&spyName=gospy`, { method: 'POST', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } }, (res) => { res.resume(); res.on('end', () => res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))); }); r.on('error', reject); r.end(body); });
const t0 = performance.now();
await runConcurrent(4000, 32, post);
console.log((4000 / ((performance.now() - t0) / 1000)).toFixed(0), 'profiles/s');
