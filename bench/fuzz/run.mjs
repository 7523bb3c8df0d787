// npm run fuzz -- --seed N --requests 10000 --max-seconds 600 [--concurrency 6] [--skip family[:variant],…] [--out DIR] [--no-triage]
// Starts the built server (127.0.0.1, temp data folder, no self-profiling) and fuzzes it; exits 1 on
// any 5xx, hang, server exit or /ready failure, printing each failing request and where it is saved.
import { parseArgs } from 'node:util';
import { formatSummary, runFuzz, triage } from './runner.mjs';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    requests: { type: 'string', default: '10000' },
    'max-seconds': { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '6' },
    skip: { type: 'string', default: '' },
    out: { type: 'string' },
    url: { type: 'string' },
    'no-triage': { type: 'boolean', default: false },
  },
});

const seed = values.seed === undefined ? Date.now() >>> 0 : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error('--seed must be an integer 0..4294967295');
const requests = Number(values.requests);
const maxSeconds = Number(values['max-seconds']);
const concurrency = Number(values.concurrency);
if (!(requests > 0 && requests <= 10_000_000 && maxSeconds > 0 && maxSeconds <= 86_400 && concurrency >= 1 && concurrency <= 64)) {
  throw new Error('--requests 1..1e7, --max-seconds 1..86400, --concurrency 1..64');
}
if (values.url && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(values.url)) throw new Error('--url must be a loopback http://127.0.0.1:PORT');
process.stdout.write(`fuzz seed ${seed} (replay this run with --seed ${seed})\n`);
const summary = await runFuzz({
  seed,
  requests,
  maxSeconds,
  concurrency,
  skip: values.skip.split(',').map((s) => s.trim()).filter(Boolean),
  ...(values.out ? { outDir: values.out } : {}),
  ...(values.url ? { baseUrl: values.url } : {}),
  log: (line) => process.stdout.write(`${line}\n`),
});
if (!summary.ok && !values.url && !values['no-triage']) await triage(summary, { log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(`${formatSummary(summary)}\n`);
process.exitCode = summary.ok ? 0 : 1;
