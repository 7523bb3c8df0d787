/** One log format per run: pino JSON or pretty lines, for the server's logger and the CLI's own lines alike. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { logRecord, prettyLine, prettyRecord, resolveLogFormat } from '../../src/logFormat.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliSource = path.resolve(here, '../../src/cli.ts');

describe('pretty log lines', () => {
  it('turns a pino record into time, level, message and the remaining fields', () => {
    const line = '{"level":40,"time":1767225600123,"pid":7,"hostname":"vm","reqId":"req-1","msg":"slow query","durationMs":812,"query":"cpu{service_name=\\"a b\\"}"}\n';
    expect(prettyLine(line)).toBe('00:00:00.123 WARN  slow query reqId=req-1 durationMs=812 query="cpu{service_name=\\"a b\\"}"\n');
  });

  it('prints an error stack indented under its line', () => {
    const text = prettyRecord({ level: 50, time: 0, msg: 'maintenance failed', err: { type: 'Error', message: 'disk full', stack: 'Error: disk full\n    at store.ts:1' } });
    expect(text).toBe('00:00:00.000 ERROR maintenance failed\n    Error: disk full\n        at store.ts:1');
  });

  it('leaves lines that are not pino records alone', () => {
    for (const line of ['Usage: cinder serve [options]\n', '{not json}\n', '{"msg":"no level"}\n', '[1,2]\n', '']) expect(prettyLine(line)).toBe(line);
  });

  it('keeps a huge record to one bounded line', () => {
    const text = prettyRecord({ level: 30, time: 0, msg: 'big', blob: 'x'.repeat(100_000) });
    expect(text.length).toBeLessThan(8300);
    expect(text).toMatch(/more chars\)$/);
  });

  it('CLI records are pino-shaped, so both formats treat them like the server lines', () => {
    const record = JSON.parse(logRecord('info', 'listening on 127.0.0.1:4040', {}, 0)) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, time: 0, msg: 'listening on 127.0.0.1:4040', pid: process.pid });
  });

  it('auto is pretty on a terminal and JSON otherwise; an explicit choice wins', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});

/** Starts `cinder serve` from source, waits for "listening", stops it with SIGTERM; returns stdout and stderr. */
async function runServe(extraArgs: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-logformat-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cliSource, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--no-self-profiling', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on" within 30 s:\n${stdout}\n${stderr}`)), 30_000);
      const check = (): void => {
        if (/listening on 127\.0\.0\.1:\d+/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code}) before listening:\n${stdout}\n${stderr}`));
      });
    });
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(killTimer);
    return { stdout, stderr, code };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('cinder serve --log-format', () => {
  it('json: every stdout line is a pino record, the server logger and the CLI lines alike', async () => {
    const { stdout, code } = await runServe(['--log-format', 'json', '--log-level', 'info']);
    expect(code).toBe(0);
    const records = lines(stdout).map((line) => JSON.parse(line) as { level: number; msg: string });
    const messages = records.map((r) => r.msg);
    expect(messages.some((m) => m.startsWith('Server listening at'))).toBe(true); // Fastify's pino
    expect(messages.some((m) => /^listening on 127\.0\.0\.1:\d+ /.test(m))).toBe(true); // the CLI
    expect(messages).toContain('SIGTERM, shutting down');
    expect(records.every((r) => typeof r.level === 'number')).toBe(true);
  });

  it('pretty: no JSON line is left, and the same events read as text', async () => {
    const { stdout, code } = await runServe(['--log-format', 'pretty', '--log-level', 'info']);
    expect(code).toBe(0);
    const output = lines(stdout);
    expect(output.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(output.some((line) => /^\d\d:\d\d:\d\d\.\d{3} INFO  Server listening at http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true);
    expect(output.some((line) => /^\d\d:\d\d:\d\d\.\d{3} INFO  listening on 127\.0\.0\.1:\d+ /.test(line))).toBe(true);
    expect(output.some((line) => line.endsWith('INFO  SIGTERM, shutting down'))).toBe(true);
  });

  it('auto on a pipe is JSON, and the listening line survives --log-level warn (tests and benchmarks wait for it)', async () => {
    const { stdout } = await runServe(['--log-level', 'warn']);
    const output = lines(stdout);
    expect(output.length).toBeGreaterThan(0);
    expect(output.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([expect.stringMatching(/^listening on 127\.0\.0\.1:\d+ /)]);
  });
});
