// npm run bench [-- name...]: runs the benchmarks and prints medians with ratios to a baseline
// measured in the same run. BENCH_ROUNDS sets the rounds per case (default 5).
import { benchDecode } from './decode.mjs';
import { benchIngest, benchIngestBig, printResults } from './ingest.mjs';
import { benchQuery } from './query.mjs';
import { benchAlerts } from './alerts.mjs';

const selected = process.argv.slice(2);
const all = { decode: benchDecode, ingest: benchIngest, 'ingest-big': benchIngestBig, query: benchQuery, alerts: benchAlerts };
const results = [];
for (const [name, run] of Object.entries(all)) {
  if (selected.length > 0 && !selected.includes(name)) continue;
  console.error(`== ${name}`);
  results.push(...(await run()));
}
printResults(results);
