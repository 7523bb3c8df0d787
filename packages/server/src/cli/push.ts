/**
 * `cinder push FILE|DIR…`: upload profile files to a server's /ingest. Each file's format is
 * sniffed from its bytes (core's sniffFormat; gzip is unwrapped here and sniffed again), the bytes
 * go up as stored (gzip with Content-Encoding), transient answers (429/502/503/504, connection
 * failures) are retried with back-off, and the summary names every rejected file and why.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ingestFormatOf, sniffFormat, type SniffedFormat } from '@cinder/core';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  CommandError,
  EXIT_FAILED,
  EXIT_OK,
  UsageError,
  connectionOf,
  fetchWithRetry,
  formatBytes,
  parseCommand,
  parseLabels,
  printJson,
  serverMessage,
  type CliIo,
} from './common.js';

export const pushUsage = `Usage: cinder push FILE|DIR… --service NAME [options]

Uploads profile files to a Cinder server's /ingest. Folders are walked recursively (hidden
files and folders are skipped). Each file's format is sniffed from its content (gzip is looked
inside): pprof, folded/collapsed text, speedscope JSON, JFR, Chrome/V8 .cpuprofile and
"perf script" text. A file that is none of these is reported as rejected, not sent.

Options:
  --service NAME       service_name for every file (required)
  --labels k=v …       extra series labels (repeat the flag or separate with commas)
  --format F           auto (default) or one of pprof, folded, speedscope, jfr, cpuprofile,
                       perf_script to send every file as that format
  --from TIME          the profiles' time (default: when the server receives them)
  --sample-rate HZ     for folded and perf script files: samples per second, so each count is
                       1e9/HZ ns of CPU (default 100, as Pyroscope; 1000000000 = counts are ns)
  --concurrency N      files in flight at once (default 2, at most 16)
  --quiet              no progress output (progress goes to stderr: a bar on a terminal,
                       one line per file otherwise)

${CONNECTION_HELP}

Exit status: 0 when every file was accepted, 1 when any was rejected (the summary says why),
2 for wrong usage.

Examples:
  cinder push cpu.pb.gz --service api --labels env=prod
  cinder push ./profiles --service bench --labels commit=abc123 --json
`;

const FORMATS = ['auto', 'pprof', 'folded', 'speedscope', 'jfr', 'cpuprofile', 'perf_script'] as const;
/** Larger files are refused before reading them: no server accepts a body this big by default. */
const MAX_FILE_BYTES = 1024 ** 3;
const MAX_FILES = 100_000;
const MAX_DEPTH = 64;
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  pprof: 'application/octet-stream',
  jfr: 'application/octet-stream',
  speedscope: 'application/json',
  cpuprofile: 'application/json',
  folded: 'text/plain; charset=utf-8',
  perf_script: 'text/plain; charset=utf-8',
};

interface FileResult {
  file: string;
  bytes: number;
  format: string | null;
  ok: boolean;
  status?: number;
  attempts?: number;
  /** Why it was rejected, in words (with the server's error code when there is one). */
  reason?: string;
  code?: string;
}

/** Files under the given paths, in a stable order; unreadable paths become rejections. */
function collectFiles(paths: string[], rejected: FileResult[]): string[] {
  const files: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      rejected.push({ file: dir, bytes: 0, format: null, ok: false, reason: `nested more than ${MAX_DEPTH} folders deep; skipped` });
      return;
    }
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (error) {
      rejected.push({ file: dir, bytes: 0, format: null, ok: false, reason: `cannot read folder: ${(error as Error).message}` });
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      if (files.length >= MAX_FILES) throw new CommandError(`more than ${MAX_FILES} files under ${paths.join(', ')}: push a smaller folder`);
      const full = path.join(dir, entry);
      // lstat: a symlinked folder is not followed (it could loop); a symlinked file is read.
      const info = lstatSync(full, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isDirectory()) walk(full, depth + 1);
      else if (info.isFile() || (info.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isFile())) files.push(full);
    }
  };
  for (const given of paths) {
    const info = statSync(given, { throwIfNoEntry: false });
    if (!info) rejected.push({ file: given, bytes: 0, format: null, ok: false, reason: 'no such file or folder' });
    else if (info.isDirectory()) walk(given, 0);
    else files.push(given);
  }
  return files;
}

interface Prepared {
  body: Buffer;
  gzipped: boolean;
  format: SniffedFormat;
  reason: string;
}

function prepare(bytes: Buffer, forced: string): Prepared {
  const outer = sniffFormat(bytes);
  let inner = outer;
  const gzipped = outer.format === 'gzip';
  if (gzipped) {
    let plain: Buffer;
    try {
      plain = gunzipSync(bytes, { maxOutputLength: MAX_FILE_BYTES });
    } catch (error) {
      return { body: bytes, gzipped, format: 'unknown', reason: `gzip that does not decompress (${(error as Error).message})` };
    }
    inner = sniffFormat(plain);
    inner = { format: inner.format, reason: `gzip of ${inner.reason}` };
  }
  const format = forced === 'auto' ? inner.format : (forced as SniffedFormat);
  return { body: bytes, gzipped, format, reason: inner.reason };
}

class Progress {
  private doneFiles = 0;
  private doneBytes = 0;
  private lastDrawMs = 0;
  private readonly startMs: number;

  constructor(
    private readonly io: CliIo,
    private readonly mode: 'tty' | 'plain' | 'none',
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {
    this.startMs = io.now();
  }

  private stats(): string {
    const elapsedSec = Math.max(0.001, (this.io.now() - this.startMs) / 1000);
    const rate = this.doneBytes / elapsedSec;
    const etaSec = rate > 0 ? (this.totalBytes - this.doneBytes) / rate : Number.NaN;
    const eta = Number.isFinite(etaSec) ? `${Math.ceil(etaSec)}s` : '?';
    return `${this.doneFiles}/${this.totalFiles} files  ${formatBytes(this.doneBytes)}/${formatBytes(this.totalBytes)}  ${formatBytes(rate)}/s  ETA ${eta}`;
  }

  fileDone(result: FileResult): void {
    this.doneFiles++;
    this.doneBytes += result.bytes;
    if (this.mode === 'plain') {
      const outcome = result.ok ? 'ok' : `rejected: ${result.reason}`;
      this.io.stderr.write(`cinder push: ${result.file} (${result.format ?? '?'}, ${formatBytes(result.bytes)}) ${outcome} · ${this.stats()}\n`);
    } else if (this.mode === 'tty') {
      const nowMs = this.io.now();
      if (this.doneFiles < this.totalFiles && nowMs - this.lastDrawMs < 100) return;
      this.lastDrawMs = nowMs;
      const width = 24;
      const share = this.totalBytes > 0 ? this.doneBytes / this.totalBytes : this.doneFiles / Math.max(1, this.totalFiles);
      const filled = Math.round(share * width);
      this.io.stderr.write(`\r\x1b[K[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ${this.stats()}`);
      if (this.doneFiles === this.totalFiles) this.io.stderr.write('\n');
    }
  }

  note(text: string): void {
    if (this.mode === 'none') return;
    this.io.stderr.write(`${this.mode === 'tty' ? '\r\x1b[K' : ''}cinder push: ${text}\n`);
  }
}

export async function runPush(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('push', argv, {
    ...CONNECTION_OPTIONS,
    service: { type: 'string' },
    labels: { type: 'string', multiple: true },
    format: { type: 'string' },
    from: { type: 'string' },
    'sample-rate': { type: 'string' },
    concurrency: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(pushUsage);
    return EXIT_OK;
  }
  const connection = connectionOf('push', values, io.env);
  if (positionals.length === 0) throw new UsageError('name at least one FILE or DIR to push', 'push');
  if (!values.service) throw new UsageError('--service is required: the service_name the profiles belong to, e.g. --service api', 'push');
  if (/[{},=]/.test(values.service)) throw new UsageError(`--service "${values.service}" may not contain { } , or =`, 'push');
  const labels = parseLabels('push', '--labels', values.labels);
  for (const [name, value] of labels) {
    if (/[{},=]/.test(value)) throw new UsageError(`--labels ${name}="${value}": a value sent through /ingest may not contain { } , or =`, 'push');
  }
  const forced = values.format ?? 'auto';
  if (!(FORMATS as readonly string[]).includes(forced)) throw new UsageError(`--format "${forced}" is not one of ${FORMATS.join(', ')}`, 'push');
  const sampleRate = values['sample-rate'];
  if (sampleRate !== undefined && !(/^\d+$/.test(sampleRate) && Number(sampleRate) >= 1 && Number(sampleRate) <= 1e9)) {
    throw new UsageError(`--sample-rate must be a whole number of samples per second from 1 to 1000000000 (got "${sampleRate}")`, 'push');
  }
  const concurrency = values.concurrency === undefined ? 2 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new UsageError(`--concurrency must be a whole number from 1 to 16 (got "${values.concurrency}")`, 'push');
  const retries = connection.retry.retries;

  const results: FileResult[] = [];
  const files = collectFiles(positionals, results);
  if (files.length === 0 && results.length === 0) throw new CommandError(`no files found under ${positionals.join(', ')}`);
  const sizes = files.map((file) => statSync(file).size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const mode = values.quiet ? 'none' : io.stderr.isTTY ? 'tty' : 'plain';
  const progress = new Progress(io, mode, files.length, totalBytes);
  const name = `${values.service}${labels.length > 0 ? `{${labels.map(([k, v]) => `${k}=${v}`).join(',')}}` : ''}`;
  const startMs = io.now();

  const pushOne = async (file: string, size: number): Promise<FileResult> => {
    if (size > MAX_FILE_BYTES) return { file, bytes: size, format: null, ok: false, reason: `larger than ${formatBytes(MAX_FILE_BYTES)}` };
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      return { file, bytes: size, format: null, ok: false, reason: `cannot read: ${(error as Error).message}` };
    }
    const prepared = prepare(bytes, forced);
    const ingestFormat = ingestFormatOf(prepared.format);
    if (ingestFormat === null) return { file, bytes: size, format: null, ok: false, reason: `not a profile Cinder reads: ${prepared.reason}` };
    const params = new URLSearchParams({ name, format: ingestFormat, spyName: 'cinder-cli' });
    if (values.from !== undefined) params.set('from', values.from);
    if (sampleRate !== undefined) params.set('sampleRate', sampleRate);
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[ingestFormat]! };
    if (prepared.gzipped) headers['content-encoding'] = 'gzip';
    try {
      const answer = await fetchWithRetry(
        io,
        connection,
        `/ingest?${params.toString()}`,
        { method: 'POST', headers, body: new Uint8Array(prepared.body.buffer, prepared.body.byteOffset, prepared.body.byteLength) },
        { ...connection.retry, onRetry: (attempt, delayMs, why) => progress.note(`${file}: ${why}; retry ${attempt}/${retries} in ${(delayMs / 1000).toFixed(1)} s`) },
      );
      if (answer.status >= 200 && answer.status < 300) return { file, bytes: size, format: ingestFormat, ok: true, status: answer.status, attempts: answer.attempts };
      let code: string | undefined;
      try {
        code = (JSON.parse(answer.body.toString('utf8')) as { reason?: string }).reason;
      } catch {
        code = undefined;
      }
      return {
        file,
        bytes: size,
        format: ingestFormat,
        ok: false,
        status: answer.status,
        attempts: answer.attempts,
        reason: `HTTP ${answer.status}: ${serverMessage(answer.body) || '(empty answer)'}`,
        ...(code ? { code } : {}),
      };
    } catch (error) {
      if (error instanceof CommandError) return { file, bytes: size, format: ingestFormat, ok: false, reason: error.message };
      throw error;
    }
  };

  for (const early of results) progress.fileDone(early);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const result = await pushOne(files[index]!, sizes[index]!);
      results.push(result);
      progress.fileDone(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, files.length)) }, worker));

  const durationMs = io.now() - startMs;
  const accepted = results.filter((r) => r.ok);
  const rejected = results.filter((r) => !r.ok);
  const acceptedBytes = accepted.reduce((sum, r) => sum + r.bytes, 0);
  if (values.json) {
    printJson(io, {
      url: connection.baseUrl,
      service: values.service,
      files: results.length,
      accepted: accepted.length,
      acceptedBytes,
      durationMs,
      rejected: rejected.map(({ file, format, status, code, reason }) => ({ file, format, status, code, reason })),
      results,
    });
  } else {
    io.stdout.write(`pushed ${accepted.length} of ${results.length} files (${formatBytes(acceptedBytes)}) to ${connection.baseUrl} in ${(durationMs / 1000).toFixed(1)} s\n`);
    if (rejected.length > 0) {
      io.stdout.write(`rejected ${rejected.length}:\n`);
      for (const r of rejected) io.stdout.write(`  ${r.file}${r.format ? ` (${r.format})` : ''}: ${r.reason}\n`);
    }
  }
  return rejected.length > 0 ? EXIT_FAILED : EXIT_OK;
}
