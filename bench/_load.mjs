import { readFileSync } from 'node:fs';
import { runConcurrent } from './lib.mjs';
const body = readFileSync('/work/shared/testdata/nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz');
const t0 = performance.now();
await runConcurrent(3000, 32, async (i) => {
  const r = await fetch(`http://127.0.0.1:4998/ingest?name=sdk-${i % 20}&format=pprof&spyName=gospy`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  if (r.status !== 200) throw new Error(await r.text());
});
console.log((3000 / ((performance.now() - t0) / 1000)).toFixed(0), 'profiles/s');
