// A store that lives for a month: 10 M distinct stack nodes arrive over 30 simulated days with
// 15 days of retention; after each day the store runs its maintenance (rollups, retention) and
// answers a 1 h and a 1 d merge. Printed per backend: the RSS curve (per day), the query times,
// then a fresh process's startup time and RSS on the final data. Targets (issue 11): RSS < 400 MB
// and startup < 5 s on either backend.
//   node bench/storage-history.mjs [--nodes 10000000] [--days 30] [--backend duckdb|clickhouse|both]
// (after npm run build: reads packages/server/dist). Each backend runs in its own child process
// so one's memory does not count against the other.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ProfileBuilder, parseSelector } from '@cinder/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverDir = path.join(here, '../packages/server/dist');
const { MALLOC_TUNING } = await import(path.join(serverDir, 'mallocTuning.js'));
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RETENTION_MS = 15 * DAY_MS;
const PROFILES_PER_DAY = 200;
/** Frames shared by every stack, then one frame that makes the stack new, then NEW_FRAMES more. */
const NEW_FRAMES = 4;

const { values: options } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '30' },
    backend: { type: 'string', default: 'both' },
    child: { type: 'string' },
    phase: { type: 'string' },
    dir: { type: 'string' },
    url: { type: 'string' },
    database: { type: 'string' },
  },
});
const totalNodes = Number(options.nodes);
const dayCount = Number(options.days);
const startMs = Date.UTC(2026, 9, 1);
const nodesPerDay = Math.ceil(totalNodes / dayCount);
// Each stack adds 1 + NEW_FRAMES nodes.
const stacksPerProfile = Math.ceil(nodesPerDay / PROFILES_PER_DAY / (1 + NEW_FRAMES));

function profilesOfDay(day) {
  const dayStartMs = startMs + day * DAY_MS;
  const out = [];
  for (let p = 0; p < PROFILES_PER_DAY; p++) {
    const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }]);
    for (let s = 0; s < stacksPerProfile; s++) {
      const stack = ['main', `svc.handler${p % 10}`, `lib.dispatch${s % 50}`, `app.unique_d${day}_p${p}_s${s}`];
      // Names from a bounded pool: what makes the nodes distinct is their path.
      for (let f = 0; f < NEW_FRAMES; f++) stack.push(`pkg${f}.fn${(s * 31 + f * 7 + p) % 5000}`);
      builder.addSample(stack, [1000 + ((s * 7919 + p) % 100_000)]);
    }
    out.push({
      kind: 'ValidatedProfile',
      tenant: '',
      seriesLabels: [
        ['__name__', 'process_cpu'],
        ['service_name', `svc-${p % 10}`],
      ],
      profileTypeIds: [CPU],
      timeMs: dayStartMs + 12 * HOUR_MS + p * 60_000,
      profileId: `d${day}-p${p}`,
      profile: builder.build(),
    });
  }
  return out;
}

const mb = (bytes) => Math.round(bytes / 1048576);

async function openStore(backend, nowRef) {
  if (backend === 'duckdb') {
    const { openDuckDbStore } = await import(path.join(serverDir, 'storage/duckdb/store.js'));
    // The cache budgets `cinder serve` uses by default, so the RSS is what a server would hold.
    const { defaultConfig } = await import(path.join(serverDir, 'config.js'));
    const { symbolCacheBytes, mergeCacheBytes } = defaultConfig();
    return openDuckDbStore({ dataDir: options.dir, retentionMs: RETENTION_MS, rollupRetentionMs: RETENTION_MS, now: () => nowRef.ms, symbolCacheBytes, mergeCacheBytes });
  }
  const { openClickHouseStore } = await import(path.join(serverDir, 'storage/clickhouse/store.js'));
  return openClickHouseStore({ url: options.url, database: options.database, retentionMs: RETENTION_MS, rollupRetentionMs: RETENTION_MS, now: () => nowRef.ms });
}

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

if (options.child) {
  const backend = options.child;
  const nowRef = { ms: startMs + dayCount * DAY_MS };
  const query = (fromMs, toMs) => ({ tenant: '', profileTypeId: CPU, selector: parseSelector('{}'), fromMs, toMs });
  if (options.phase === 'open') {
    const opened = await timed(() => openStore(backend, nowRef));
    const first = await timed(() => opened.value.mergeStacks(query(nowRef.ms - DAY_MS - 12 * HOUR_MS, nowRef.ms)));
    globalThis.gc?.();
    process.stdout.write(`${JSON.stringify({ openMs: opened.ms, firstQueryMs: first.ms, nodes: first.value.parent.length, rssMb: mb(process.memoryUsage().rss) })}\n`);
    await opened.value.close();
    process.exit(0);
  }
  nowRef.ms = startMs;
  const store = await openStore(backend, nowRef);
  for (let day = 0; day < dayCount; day++) {
    const dayEndMs = startMs + (day + 1) * DAY_MS;
    const profiles = profilesOfDay(day);
    nowRef.ms = dayEndMs - 1;
    const ingest = await timed(async () => {
      for (let i = 0; i < profiles.length; i += 10) await store.append(profiles.slice(i, i + 10));
    });
    await store.maintain(nowRef.ms);
    const hour = await timed(() => store.mergeStacks(query(dayEndMs - 12 * HOUR_MS - HOUR_MS / 2, dayEndMs - 12 * HOUR_MS + HOUR_MS / 2)));
    const wholeDay = await timed(() => store.mergeStacks(query(dayEndMs - DAY_MS, dayEndMs - 1)));
    globalThis.gc?.();
    const heap = process.memoryUsage();
    if (process.env.HISTORY_DEBUG) {
      process.stderr.write(`${JSON.stringify(store.mergeCacheStats?.() ?? {})} ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)])))}\n`);
      process.stderr.write(`${(await import('node:fs')).readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /^(RssAnon|RssFile|VmRSS|Threads)/.test(l)).join(' ')}\n`);
      if (store.readers) process.stderr.write(`${JSON.stringify((await store.readers[0].runAndReadAll('SELECT tag, memory_usage_bytes // 1048576 AS mb FROM duckdb_memory() WHERE memory_usage_bytes > 1048576')).getRowObjectsJson())}\n`);
    }
    process.stdout.write(
      `${JSON.stringify({ day, ingestMs: ingest.ms, hourMs: hour.ms, hourNodes: hour.value.parent.length, dayMs: wholeDay.ms, dayNodes: wholeDay.value.parent.length, rssMb: mb(heap.rss), heapMb: mb(heap.heapUsed) })}\n`,
    );
  }
  await store.close();
  process.exit(0);
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    // The child gets the malloc environment `npm start` gives the server, so its RSS is a server's.
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...MALLOC_TUNING, ...process.env } });
    const lines = [];
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let at;
      while ((at = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
        lines.push(line);
        if ('day' in line) process.stderr.write(`  … day ${line.day + 1}/${dayCount}: RSS ${line.rssMb} MB, 1 h merge ${line.hourMs.toFixed(0)} ms, 1 d merge ${line.dayMs.toFixed(0)} ms\n`);
      }
    });
    child.once('exit', (code) => (code === 0 ? resolve(lines) : reject(new Error(`child exited ${code}`))));
  });
}

const backends = options.backend === 'both' ? ['duckdb', 'clickhouse'] : [options.backend];
console.log(`storage history: ${totalNodes.toLocaleString('en')} distinct stack nodes over ${dayCount} days (${PROFILES_PER_DAY} profiles a day, ${stacksPerProfile} new stacks each), retention 15 d`);
for (const backend of backends) {
  const common = ['--child', backend, '--nodes', String(totalNodes), '--days', String(dayCount)];
  let cleanup;
  if (backend === 'duckdb') {
    const dir = mkdtempSync(path.join(tmpdir(), 'cinder-history-'));
    common.push('--dir', dir);
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    const url = process.env.CINDER_CLICKHOUSE_URL ?? execFileSync('bash', [path.join(here, '../scripts/clickhouse.sh'), 'start'], { encoding: 'utf8' }).trim().split('\n').pop();
    const database = `cinder_history_${process.pid}`;
    common.push('--url', url, '--database', database);
    cleanup = async () => {
      const { ClickHouseDb } = await import(path.join(serverDir, 'storage/clickhouse/db.js'));
      const admin = new ClickHouseDb({ url, database: 'default' });
      await admin.exec(`DROP DATABASE IF EXISTS ${database}`);
      await admin.close();
    };
  }
  process.stderr.write(`== ${backend}\n`);
  const days = await runChild(common);
  const opens = [];
  for (let i = 0; i < 3; i++) opens.push((await runChild([...common, '--phase', 'open']))[0]);
  await cleanup();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`\n${backend}`);
  console.log(`  RSS by day (MB): ${days.map((d) => d.rssMb).join(' ')}`);
  console.log(`  peak RSS ${Math.max(...days.map((d) => d.rssMb))} MB; last day ${days.at(-1).rssMb} MB (JS heap ${days.at(-1).heapMb} MB)`);
  console.log(`  ingest per day: median ${median(days.map((d) => d.ingestMs)).toFixed(0)} ms; merge 1 h median ${median(days.map((d) => d.hourMs)).toFixed(0)} ms (${days.at(-1).hourNodes} nodes), 1 d median ${median(days.map((d) => d.dayMs)).toFixed(0)} ms (${days.at(-1).dayNodes} nodes)`);
  console.log(`  fresh process on the final data (median of 3): open ${median(opens.map((o) => o.openMs)).toFixed(0)} ms, first 1.5 d merge ${median(opens.map((o) => o.firstQueryMs)).toFixed(0)} ms, RSS ${median(opens.map((o) => o.rssMb))} MB`);
}
