// The fuzz runner: starts the built server as a child process on 127.0.0.1, sends seeded requests
// with bounded count, time and concurrency, and reports every failure (5xx, a request slower than
// the hang limit, the server exiting, /ready not answering) with the request written to disk so it
// can be replayed (`node bench/fuzz/replay.mjs <dir>/request.json`).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, readMetrics, repoRoot, startBenchServer, testdataDir } from '../lib.mjs';
import { loadFixtures } from './corpus.mjs';
import { sendRaw, serializeRequest } from './http.mjs';
import { QUERIER_METHODS, generateRequest, warmupRequests } from './requests.mjs';

/** The protobuf schemas of the built server (the same generated code it decodes with). */
export async function loadProto() {
  const gen = (file) => import(path.join(repoRoot, 'packages/server/dist/gen', file));
  let protobuf;
  try {
    protobuf = await import('@bufbuild/protobuf');
  } catch {
    throw new Error('@bufbuild/protobuf is missing: run "npm ci"');
  }
  const [profile, push, querier, types] = await Promise.all([gen('google/v1/profile_pb.js'), gen('push/v1/push_pb.js'), gen('querier/v1/querier_pb.js'), gen('types/v1/types_pb.js')]).catch((error) => {
    throw new Error(`generated code missing in packages/server/dist/gen (run "npm run build"): ${error.message}`);
  });
  const requestSchemas = {
    ProfileTypes: querier.ProfileTypesRequestSchema,
    LabelValues: types.LabelValuesRequestSchema,
    LabelNames: types.LabelNamesRequestSchema,
    Series: querier.SeriesRequestSchema,
    SelectMergeStacktraces: querier.SelectMergeStacktracesRequestSchema,
    SelectMergeSpanProfile: querier.SelectMergeSpanProfileRequestSchema,
    SelectMergeProfile: querier.SelectMergeProfileRequestSchema,
    SelectSeries: querier.SelectSeriesRequestSchema,
    SelectHeatmap: querier.SelectHeatmapRequestSchema,
    Diff: querier.DiffRequestSchema,
    GetProfileStats: types.GetProfileStatsRequestSchema,
    AnalyzeQuery: querier.AnalyzeQueryRequestSchema,
  };
  for (const method of QUERIER_METHODS) if (!requestSchemas[method]) throw new Error(`no request schema for ${method}`);
  return { create: protobuf.create, toBinary: protobuf.toBinary, ProfileSchema: profile.ProfileSchema, PushRequestSchema: push.PushRequestSchema, requestSchemas };
}

function describeError(bodyText) {
  try {
    const body = JSON.parse(bodyText);
    const text = `${body.reason ?? body.code ?? ''} ${body.message ?? body.error ?? ''}`;
    return text.trim();
  } catch {
    return bodyText.replace(/\s+/g, ' ').slice(0, 200);
  }
}

/** A stable key for a failure class: numbers and quoted values vary between instances of one bug. */
function normalise(text) {
  return text
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 90);
}

/** The message of the first "request failed" error the server logged after `mark` (pino JSON lines). */
function serverErrorSince(server, mark) {
  const fresh = server.output().slice(-Math.max(0, server.outputLength() - mark));
  for (const line of fresh.split('\n')) {
    if (!line.includes('"err"')) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.err) return `${entry.err.type ?? 'Error'}: ${entry.err.message ?? ''}`.slice(0, 300);
    } catch {
      // a partial line: the rest is still being written
    }
  }
  return '';
}

const slug = (text) => text.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);

/**
 * Runs one fuzz session. Options: seed (uint32), requests, maxSeconds, concurrency, skip (family or
 * family:variant names), readyEvery, hangMs, readyTimeoutMs, outDir, log (line → void), serverArgs,
 * baseUrl (an already running server: then exit and RSS are not watched).
 * Resolves a summary; never throws for a server failure (that is what the summary reports).
 */
export async function runFuzz(options = {}) {
  const seed = (options.seed ?? Date.now()) >>> 0;
  const total = options.requests ?? 10_000;
  const maxMs = (options.maxSeconds ?? 600) * 1000;
  const concurrency = options.concurrency ?? 6;
  const readyEvery = options.readyEvery ?? 200;
  const hangMs = options.hangMs ?? 10_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const outDir = options.outDir ?? mkdtempSync(path.join(os.tmpdir(), 'cinder-fuzz-'));
  mkdirSync(outDir, { recursive: true });

  const corpus = loadFixtures(options.testdataDir ?? testdataDir);
  const proto = await loadProto();
  const server = options.baseUrl ? null : await startBenchServer(options.serverArgs ?? [], { captureOutput: true });
  const baseUrl = options.baseUrl ?? server.baseUrl;
  const nowMs = Date.now();
  const ctx = { corpus, proto, nowMs, skip: options.skip ?? [], warmup: warmupRequests(corpus, nowMs) };
  log(`fuzz: seed ${seed}, ${total} requests, ≤ ${maxMs / 1000} s, concurrency ${concurrency}, server ${baseUrl}${server ? ` (pid ${server.pid})` : ''}, reproducers under ${outDir}`);

  const statusCounts = new Map();
  const expected501 = new Map();
  let peakRssBytes = NaN;
  const notePeakRss = () => {
    const value = server?.peakRssBytes();
    if (Number.isFinite(value)) peakRssBytes = Number.isFinite(peakRssBytes) ? Math.max(peakRssBytes, value) : value;
  };
  const familyCounts = new Map();
  const latencies = [];
  const failures = new Map(); // key → { kind, key, count, first: saved request summary }
  const inFlight = new Map(); // index → { req, startedAt }
  const recent = []; // last completed requests (for exit/not-ready triage)
  let sent = 0;
  let next = 0;
  let stopReason = null;
  let maxLagSec = 0;
  let lagSource = null;
  let savedCount = 0;
  let finished = false;
  const startedAt = performance.now();

  const save = (kind, req, response, extra = {}) => {
    const dir = path.join(outDir, `${String(++savedCount).padStart(3, '0')}-${slug(`${kind}-${req.family}-${req.route}`)}`);
    mkdirSync(dir, { recursive: true });
    const record = {
      seed: req.seed ?? seed,
      index: req.index,
      family: req.family,
      route: req.route,
      note: req.note,
      wrappers: req.wrappers ?? [],
      method: req.method,
      path: req.path,
      headers: req.headers,
      halfClose: req.halfClose ?? false,
      bodyBytes: req.body.length,
      ...(req.body.length <= 65_536 ? { bodyBase64: req.body.toString('base64') } : {}),
      bodyFile: 'body.bin',
      response: response ? { status: response.status, latencyMs: Math.round(response.latencyMs), timedOut: response.timedOut, body: response.bodyText?.slice(0, 2000) } : null,
      ...extra,
    };
    writeFileSync(path.join(dir, 'request.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(path.join(dir, 'body.bin'), req.body);
    writeFileSync(path.join(dir, 'request.http'), serializeRequest(req, new URL(baseUrl).host));
    return dir;
  };

  const describe = (req) => {
    const head = `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}… (${req.path.length} chars)` : req.path}`;
    const headers = req.headers.map(([k, v]) => `${k}: ${String(v).length > 120 ? `${String(v).slice(0, 120)}…` : v}`).slice(0, 12);
    const body = req.body.length <= 192 ? req.body.toString('base64') : `${req.body.subarray(0, 144).toString('base64')}… (${req.body.length} bytes)`;
    return `    ${head}\n    ${headers.join('\n    ')}${req.headers.length > 12 ? `\n    … ${req.headers.length - 12} more headers` : ''}\n    body base64: ${body}\n    family ${req.family}${req.note ? ` (${req.note.slice(0, 160)})` : ''}${req.wrappers?.length ? ` wrappers ${req.wrappers.join(',')}` : ''}; seed ${req.seed} index ${req.index}`;
  };

  const fail = (kind, key, req, response, extra = {}) => {
    const existing = failures.get(key);
    if (existing) {
      existing.count++;
      return;
    }
    const dir = save(kind, req, response, extra);
    failures.set(key, { kind, key, count: 1, status: response?.status ?? null, route: req.route, family: req.family, method: req.method, dir, detail: extra.detail ?? response?.bodyText?.slice(0, 300) ?? '' });
    log(`FAIL ${key}\n${describe(req)}\n    response: ${response ? `${response.status}${response.timedOut ? ' (timed out)' : ''} after ${Math.round(response.latencyMs)} ms ${describeError(response.bodyText ?? '').slice(0, 200)}` : 'none'}\n    saved: ${dir}/request.json`);
  };

  const stop = (reason) => {
    if (stopReason === null) stopReason = reason;
  };

  /** Saves every request in flight (and the last completed ones) as suspects of a whole-server failure. */
  const saveSuspects = (kind, detail) => {
    const suspects = [...inFlight.values()].sort((a, b) => a.startedAt - b.startedAt);
    const key = `${kind}`;
    if (failures.has(key)) return;
    const first = suspects[0]?.req ?? recent.at(-1)?.req;
    if (!first) {
      failures.set(key, { kind, key, count: 1, status: null, route: '-', family: '-', method: '-', dir: null, detail, suspects: [] });
      log(`FAIL ${key}: ${detail}`);
      return;
    }
    fail(kind, key, first, null, { detail, inFlight: suspects.map((s) => ({ index: s.req.index, family: s.req.family, route: s.req.route, startedMsAgo: Math.round(performance.now() - s.startedAt) })) });
    // Candidates for triage: what was in flight (oldest first), then what completed last (newest first).
    const dirs = [failures.get(key).dir];
    for (const suspect of suspects.slice(1, 8)) dirs.push(save(`${kind}-also-in-flight`, suspect.req, null));
    for (const done of recent.slice(-12).reverse()) dirs.push(save(`${kind}-recently-completed`, done.req, done.response));
    failures.get(key).suspects = dirs;
  };

  const scrapeLag = async () => {
    try {
      const metrics = await readMetrics(baseUrl, AbortSignal.timeout(readyTimeoutMs));
      const own = metrics.filter((m) => m.name.startsWith('cinder_event_loop_lag_seconds') && !/_(bucket|count|sum)$/.test(m.name));
      const fallback = metrics.filter((m) => m.name === 'cinder_process_nodejs_eventloop_lag_max_seconds');
      const chosen = own.length ? own : fallback;
      if (chosen.length) lagSource = own.length ? 'cinder_event_loop_lag_seconds' : 'cinder_process_nodejs_eventloop_lag_max_seconds (prom-client, since the previous scrape)';
      for (const m of chosen) if (Number.isFinite(m.value)) maxLagSec = Math.max(maxLagSec, m.value);
    } catch {
      // /metrics is probed for figures only; /ready is what decides health.
    }
  };

  const probeReady = async () => {
    const started = performance.now();
    const response = await sendRaw(baseUrl, { method: 'GET', path: '/ready', headers: [], body: Buffer.alloc(0) }, readyTimeoutMs);
    notePeakRss();
    if (response.status !== 200) {
      saveSuspects('not-ready', `/ready answered ${response.timedOut ? `nothing within ${readyTimeoutMs} ms` : `${response.status} ${response.bodyText.slice(0, 200)}`} (after ${Math.round(performance.now() - started)} ms)`);
      stop('/ready failed');
    } else await scrapeLag();
  };

  const exitWatch = server
    ? server.exited.then((status) => {
        if (finished) return;
        saveSuspects('server-exit', `server exited (${status.code ?? status.signal}); last output:\n${server.output().slice(-3000)}`);
        stop('server exited');
      })
    : null;

  const worker = async () => {
    while (stopReason === null) {
      if (next >= total) break;
      if (performance.now() - startedAt > maxMs) {
        stop('time limit');
        break;
      }
      const index = next++;
      let req;
      try {
        req = generateRequest(ctx, seed, index);
      } catch (error) {
        throw new Error(`generator failed at seed ${seed} index ${index}: ${error.stack}`);
      }
      inFlight.set(index, { req, startedAt: performance.now() });
      const outputMark = server ? server.outputLength() : 0;
      const response = await sendRaw(baseUrl, req, hangMs);
      inFlight.delete(index);
      if (stopReason !== null && stopReason !== 'time limit') break;
      sent++;
      latencies.push(response.latencyMs);
      const statusKey = response.timedOut ? 'timeout' : response.status === 0 ? 'no-response' : String(response.status);
      statusCounts.set(statusKey, (statusCounts.get(statusKey) ?? 0) + 1);
      const familyKey = req.family.split(':')[0];
      const fc = familyCounts.get(familyKey) ?? { sent: 0, ok: 0, client: 0, server: 0, other: 0 };
      fc.sent++;
      if (response.status >= 200 && response.status < 400) fc.ok++;
      else if (response.status >= 400 && response.status < 500) fc.client++;
      else if (response.status >= 500) fc.server++;
      else fc.other++;
      familyCounts.set(familyKey, fc);
      recent.push({ req, response });
      if (sent % 20 === 0) notePeakRss();
      if (recent.length > 20) recent.shift();
      if (response.timedOut) {
        // The oldest request still in flight is the likelier culprit: the others queued behind it.
        const older = [...inFlight.values()].filter((s) => s.startedAt < performance.now() - response.latencyMs);
        const key = `hang (> ${hangMs / 1000} s) ${req.method} ${req.route} [${req.family}]`;
        fail('hang', key, req, response, { olderInFlight: older.map((s) => ({ index: s.req.index, family: s.req.family, route: s.req.route })) });
        const dirs = older.slice(0, 8).map((s) => save('hang-older-in-flight', s.req, null));
        failures.get(key).suspects = [...dirs, failures.get(key).dir];
        stop('hang');
        break;
      }
      if (response.status === 501 && /"code"\s*:\s*"unimplemented"/.test(response.bodyText)) {
        // Connect's `unimplemented` is HTTP 501 by the protocol: a method Cinder does not serve, said plainly.
        expected501.set(req.route, (expected501.get(req.route) ?? 0) + 1);
      } else if (response.status >= 500) {
        // Only the generic "see the server log" answer sends us to the log (attribution is by time, so
        // under concurrency a log line can belong to a neighbour; a specific answer is better evidence).
        const logged = server && /see the server log/.test(response.bodyText) ? serverErrorSince(server, outputMark) : '';
        // The server's own error message separates bugs best; without one, the family does.
        const key = logged
          ? `${response.status} ${req.method} ${req.route} | ${normalise(logged)}`
          : `${response.status} ${req.method} ${req.route} [${req.family.split(':')[0]}] ${normalise(describeError(response.bodyText))}`;
        fail('5xx', key, req, response, logged ? { serverLog: logged } : {});
      }
      if (sent % readyEvery === 0) await probeReady();
      if (sent % 1000 === 0) log(`  … ${sent} sent, ${Math.round((performance.now() - startedAt) / 1000)} s, ${failures.size} failure classes`);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    if (server?.exitStatus()) await exitWatch;
    else if (stopReason === null || stopReason === 'time limit') await probeReady();
  } catch (error) {
    // A harness bug: stop the other workers, but never leave the server behind.
    stop('harness error');
    finished = true;
    await server?.stop();
    throw error;
  }
  const endStop = stopReason ?? 'completed';
  finished = true;
  notePeakRss();
  await server?.stop();
  const summary = {
    ok: failures.size === 0,
    seed,
    requested: total,
    sent,
    stoppedBy: endStop,
    durationSec: (performance.now() - startedAt) / 1000,
    statusCounts: Object.fromEntries([...statusCounts.entries()].sort()),
    families: Object.fromEntries([...familyCounts.entries()].sort()),
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.length ? Math.max(...latencies) : NaN },
    maxEventLoopLagSec: lagSource ? maxLagSec : null,
    lagSource,
    peakRssBytes,
    expected501: Object.fromEntries(expected501),
    failures: [...failures.values()],
    outDir,
  };
  return summary;
}

export function formatSummary(summary) {
  const lines = [];
  const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(0)} MB` : 'n/a');
  lines.push(`== fuzz summary (seed ${summary.seed})`);
  lines.push(`requests: ${summary.sent} of ${summary.requested} sent in ${summary.durationSec.toFixed(1)} s (${summary.stoppedBy})`);
  lines.push(`status:   ${Object.entries(summary.statusCounts).map(([k, v]) => `${k}×${v}`).join('  ')}`);
  lines.push(`latency:  p50 ${summary.latencyMs.p50?.toFixed(1)} ms, p99 ${summary.latencyMs.p99?.toFixed(1)} ms, max ${summary.latencyMs.max?.toFixed(0)} ms`);
  lines.push(`event-loop lag max: ${summary.maxEventLoopLagSec === null ? 'n/a (no lag metric on /metrics)' : `${(summary.maxEventLoopLagSec * 1000).toFixed(0)} ms from ${summary.lagSource}`}`);
  lines.push(`server peak RSS (VmHWM): ${mb(summary.peakRssBytes)}`);
  if (Object.keys(summary.expected501).length) lines.push(`501 unimplemented (by design, not failures): ${Object.entries(summary.expected501).map(([k, v]) => `${k}×${v}`).join(', ')}`);
  lines.push('per family (sent / 2xx-3xx / 4xx / 5xx / none):');
  for (const [family, c] of Object.entries(summary.families)) lines.push(`  ${family.padEnd(24)} ${String(c.sent).padStart(5)} ${String(c.ok).padStart(5)} ${String(c.client).padStart(5)} ${String(c.server).padStart(5)} ${String(c.other).padStart(5)}`);
  if (summary.failures.length === 0) lines.push('failures: none');
  else {
    lines.push(`failures: ${summary.failures.length} distinct classes`);
    for (const f of summary.failures) {
      lines.push(`  [${f.kind}] ×${f.count} ${f.key}\n      ${f.dir ? `${f.dir}/request.json` : ''}`);
      if (f.reproducer) lines.push(`      reproduced alone by ${f.reproducer}/request.json: ${f.reproducedAs}`);
    }
  }
  return lines.join('\n');
}

/**
 * For whole-server failures (hang, exit, /ready), replays each saved suspect alone against a fresh
 * server (after the same warm-up uploads) and marks the first one that reproduces the failure.
 */
export async function triage(summary, options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const hangMs = options.hangMs ?? 10_000;
  const corpus = loadFixtures(options.testdataDir ?? testdataDir);
  for (const failure of summary.failures) {
    if (!failure.suspects?.length) continue;
    log(`triage: ${failure.key} — ${failure.suspects.length} suspects, each alone on a fresh server`);
    for (const dir of failure.suspects.slice(0, 20)) {
      const record = JSON.parse(readFileSync(path.join(dir, 'request.json'), 'utf8'));
      const req = { ...record, body: readFileSync(path.join(dir, 'body.bin')) };
      const server = await startBenchServer([], { captureOutput: true });
      try {
        for (const warm of warmupRequests(corpus, Date.now())) await sendRaw(server.baseUrl, warm, hangMs);
        const response = await sendRaw(server.baseUrl, req, hangMs);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const ready = server.exitStatus() ? null : await sendRaw(server.baseUrl, { method: 'GET', path: '/ready', headers: [], body: Buffer.alloc(0) }, 2_000);
        const outcome = server.exitStatus() ? `server exited (${server.exitStatus().code ?? server.exitStatus().signal})` : response.timedOut ? `no answer within ${hangMs / 1000} s` : ready.status !== 200 ? `/ready ${ready.timedOut ? 'timed out' : ready.status}` : null;
        if (outcome) {
          failure.reproducer = dir;
          failure.reproducedAs = `${outcome}; peak RSS ${(server.peakRssBytes() / 1048576).toFixed(0)} MB`;
          log(`triage: reproduced by ${dir}/request.json alone: ${failure.reproducedAs}`);
          break;
        }
      } finally {
        await server.stop();
      }
    }
    if (!failure.reproducer) log('triage: no single suspect reproduces it alone (an interaction of requests, or load)');
  }
  return summary;
}
