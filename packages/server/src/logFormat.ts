/**
 * One log format per run (`--log-format`). JSON is pino's own line format, so log shippers parse it
 * as they parse any pino service; "pretty" rewrites each such line for a person at a terminal:
 *
 *   {"level":30,"time":1767225600000,"pid":7,"hostname":"vm","msg":"Server listening at http://127.0.0.1:4040"}
 *   → 00:00:00.000 INFO  Server listening at http://127.0.0.1:4040
 *
 * Lines that are not pino JSON pass through unchanged.
 */
import os from 'node:os';
import type { ServerConfig } from './config.js';

export type LogFormat = 'json' | 'pretty';

/** pino's numeric levels. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every pino line carries that a person at a terminal does not need repeated. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);
/** A pathological record (a huge object logged by mistake) stays one readable screen. */
const MAX_PRETTY_LINE_CHARS = 8192;

export function resolveLogFormat(configured: ServerConfig['logFormat'], stdoutIsTty: boolean): LogFormat {
  if (configured === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return configured;
}

function clockText(timeMs: number): string {
  const date = new Date(timeMs);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One pino record as a human line (plus the error stack, indented, when there is one). */
export function prettyRecord(record: Record<string, unknown>): string {
  const level = typeof record.level === 'number' ? (LEVEL_NAMES[record.level] ?? `L${record.level}`) : 'INFO';
  const time = typeof record.time === 'number' ? clockText(record.time) : '--:--:--.---';
  let line = `${time} ${level.padEnd(5)} ${typeof record.msg === 'string' ? record.msg : ''}`;
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object' && typeof (value as { stack?: unknown }).stack === 'string') {
      stack = (value as { stack: string }).stack;
      continue;
    }
    line += ` ${key}=${fieldText(value)}`;
  }
  if (line.length > MAX_PRETTY_LINE_CHARS) line = `${line.slice(0, MAX_PRETTY_LINE_CHARS)}… (${line.length - MAX_PRETTY_LINE_CHARS} more chars)`;
  return stack ? `${line}\n${stack.replace(/^/gm, '    ')}` : line;
}

/** A pino JSON line → a pretty line; anything else unchanged. Keeps the trailing newline as given. */
export function prettyLine(line: string): string {
  const newline = line.endsWith('\n') ? '\n' : '';
  const body = newline ? line.slice(0, -1) : line;
  if (!body.startsWith('{')) return line;
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch {
    return line;
  }
  if (!record || typeof record !== 'object' || Array.isArray(record) || typeof (record as { level?: unknown }).level !== 'number') return line;
  return prettyRecord(record as Record<string, unknown>) + newline;
}

/** A pino-shaped record for the CLI's own lines, so they read like the server's in either format. */
export function logRecord(level: keyof typeof LOG_LEVELS, msg: string, fields: Record<string, unknown> = {}, nowMs: number = Date.now()): string {
  return `${JSON.stringify({ level: LOG_LEVELS[level], time: nowMs, pid: process.pid, hostname: os.hostname(), msg, ...fields })}\n`;
}

/**
 * Makes `stream.write` rewrite pino lines to the pretty format. pino writes to process.stdout through
 * its `write` when that has been replaced (instead of opening fd 1 itself), so this one hook also
 * covers Fastify's logger without reaching into the HTTP layer. pino hands over one whole record
 * (with its newline) per write, so each chunk is rewritten line by line, with no buffering.
 */
export function prettifyStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.includes('{')) return write(chunk, ...rest);
    const rewritten = text
      .split(/(?<=\n)/)
      .map((line) => prettyLine(line))
      .join('');
    // A string chunk with a Buffer encoding argument would be misread: the rewrite is always UTF-8 text.
    return write(rewritten, ...rest.filter((arg) => typeof arg === 'function'));
  }) as typeof stream.write;
}
