// Shared helpers for the benchmarks: start a built server, time things, report medians.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The real-profile fixtures kept in the repository (provenance in testdata/README.md). */
export const testdataDir = path.resolve(repoRoot, 'testdata');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function progress(message) {
  process.stderr.write(`  … ${message}\n`);
}

/**
 * Starts the built server as a child process on 127.0.0.1 with a temp data folder.
 * options.captureOutput keeps the last 64 KiB of its stdout+stderr (for crash reports) instead of
 * passing stderr through; options.logLevel overrides the default "error".
 */
export async function startBenchServer(args = [], options = {}) {
  // options.root: another built checkout (a baseline measured in the same run).
  const cli = path.join(options.root ?? repoRoot, 'packages/server/dist/cli.js');
  if (!existsSync(cli)) throw new Error('run "npm run build" first');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-'));
  // The environment `npm start` gives the server (glibc malloc tunings), so RSS is what users see.
  const { MALLOC_TUNING } = await import(path.join(repoRoot, 'packages/server/dist/mallocTuning.js'));
  const child = spawn(process.execPath, [...(process.env.CINDER_BENCH_NODE_ARGS ? process.env.CINDER_BENCH_NODE_ARGS.split(" ") : []), cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--no-self-profiling', '--log-level', options.logLevel ?? 'error', ...args], {
    stdio: ['ignore', 'pipe', options.captureOutput ? 'pipe' : 'inherit'],
    env: { ...MALLOC_TUNING, ...process.env },
  });
  let output = '';
  let outputLength = 0;
  const keep = (chunk) => {
    const text = chunk.toString();
    outputLength += text.length;
    output += text;
    if (output.length > 65_536) output = output.slice(-65_536);
  };
  let exitStatus = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exitStatus = { code, signal }))));
  child.stdout.on('data', keep);
  child.stderr?.on('data', keep);
  const baseUrl = await new Promise((resolve, reject) => {
    const onData = () => {
      const match = /listening on [^\s:]+:(\d+)/.exec(output);
      if (match) {
        child.stdout.off('data', onData);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout.on('data', onData);
    exited.then(({ code, signal }) => reject(new Error(`server exited (${code ?? signal}): ${output}`)));
  });
  const procStatusBytes = (field) => {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : NaN;
    } catch {
      return NaN;
    }
  };
  return {
    baseUrl,
    pid: child.pid,
    dataDir,
    /** Output kept so far (only with options.captureOutput). */
    output: () => output,
    /** Characters of output so far (kept or not): output since a mark is output().slice(-(outputLength() - mark)). */
    outputLength: () => outputLength,
    /** null while running, else { code, signal }. */
    exitStatus: () => exitStatus,
    exited,
    /** Peak resident set size of the server process so far, in bytes (Linux VmHWM). */
    peakRssBytes: () => procStatusBytes('VmHWM'),
    /** Current resident set size, in bytes (Linux VmRSS). */
    rssBytes: () => procStatusBytes('VmRSS'),
    async stop() {
      if (exitStatus === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `task(i)` with at most `concurrency` in flight until `count` are done. */
export async function runConcurrent(count, concurrency, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  });
  await Promise.all(workers);
}

export function formatTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')).join('\n');
}

/** `/metrics` as a list of { name, labels, value } (Prometheus text format; comments skipped). */
export async function readMetrics(baseUrl, signal = AbortSignal.timeout(5_000)) {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal })).text();
  const samples = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) samples.push({ name: match[1], labels: match[2] ?? '', value: Number(match[3]) });
  }
  return samples;
}

/** p-th percentile (0–100) by nearest rank; NaN for no values. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
