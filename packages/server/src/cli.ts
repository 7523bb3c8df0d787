#!/usr/bin/env node
import { CinderError } from '@cinder/core';
import { ConfigError, loadConfig, serveUsage, type ServerConfig } from './config.js';
import { LOG_LEVELS, logRecord, prettifyStream, prettyLine, resolveLogFormat, type LogFormat } from './logFormat.js';
import { glibcVersionOfProcess, mallocTuningHint } from './mallocTuning.js';
import type { startCinder as StartCinder } from './main.js';
import { CommandError, EXIT_FAILED, EXIT_USAGE, UsageError, processIo } from './cli/common.js';
import { runDiff } from './cli/diff.js';
import { runPgo } from './cli/pgo.js';
import { runPush } from './cli/push.js';
import { runQuery } from './cli/query.js';

const usage = `Usage: cinder <command> [options]

Commands:
  serve    start the server (ingest, query API and web UI)
  push     upload profile files or folders (format sniffed: pprof, folded, speedscope, JFR, .cpuprofile, perf script)
  query    write the merged profile of a selection (pprof, folded, speedscope, cpuprofile, json, html, svg)
  pgo      write a default.pgo for Go's profile-guided optimisation from a service's CPU profile
  diff     compare two files or two selections (differential folded text or a diff HTML)

Run "cinder <command> --help" for the options of a command.
`;

type CliLog = (level: keyof typeof LOG_LEVELS, msg: string, fields?: Record<string, unknown>, options?: { always?: boolean }) => void;

/**
 * The CLI's own log lines, in the run's one format and filtered by --log-level like the server's.
 * `always` is for the two lines a script depends on: "listening on" (tests, benchmarks and
 * supervisors wait for it) and the reason the process is exiting.
 */
function cliLogger(format: LogFormat, logLevel: ServerConfig['logLevel']): CliLog {
  const thresholdLevel = logLevel === 'silent' ? Number.POSITIVE_INFINITY : LOG_LEVELS[logLevel];
  return (level, msg, fields = {}, options = {}) => {
    if (!options.always && LOG_LEVELS[level] < thresholdLevel) return;
    const json = logRecord(level, msg, fields);
    const stream = LOG_LEVELS[level] >= LOG_LEVELS.error ? process.stderr : process.stdout;
    stream.write(format === 'pretty' ? prettyLine(json) : json);
  };
}

function errorFields(error: unknown): Record<string, unknown> {
  // A ConfigError or CinderError is already a sentence for the operator; a stack would only bury it.
  if (error instanceof ConfigError || error instanceof CinderError) return {};
  if (error instanceof Error) return { err: { type: error.name, message: error.message, stack: error.stack } };
  return { err: { message: String(error) } };
}

async function serve(argv: string[]): Promise<void> {
  // Flag errors are usage errors, reported plainly by main() before any log format applies.
  const config = loadConfig(argv, process.env);
  if (config.help) {
    process.stdout.write(serveUsage);
    return;
  }
  const format = resolveLogFormat(config.logFormat, process.stdout.isTTY === true);
  // Before the server exists, so pino (Fastify's logger) picks the rewritten stdout up.
  if (format === 'pretty') prettifyStream(process.stdout);
  const log = cliLogger(format, config.logLevel);
  let server: Awaited<ReturnType<typeof StartCinder>>;
  try {
    // Loaded here, not at the top: the client commands (push, query, …) need none of the server and
    // start in a fraction of the time without it.
    const { startCinder } = await import('./main.js');
    server = await startCinder(config);
  } catch (error) {
    log('fatal', `cinder could not start: ${error instanceof Error ? error.message : String(error)}`, errorFields(error), { always: true });
    process.exitCode = 1;
    return;
  }
  // Handlers first: whoever waits for "listening on" may send SIGTERM the moment it reads it.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal}, shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log('error', `shutdown failed: ${error instanceof Error ? error.message : String(error)}`, errorFields(error), { always: true });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const port = new URL(server.address).port;
  const retentionDays = Math.round(config.retentionMs / 86_400_000);
  const rollupRetentionDays = Math.round(config.rollupRetentionMs / 86_400_000);
  log(
    'info',
    `listening on ${config.host}:${port} (UI: ${server.address}/pyroscope), ${config.store === '' ? `data in ${config.dataDir}` : `store ${redactedStoreUrl(config.store)}`}, retention ${retentionDays}d raw / ${rollupRetentionDays}d rollups`,
    {},
    { always: true },
  );
  const mallocHint = mallocTuningHint(process.env, process.platform, glibcVersionOfProcess());
  if (mallocHint) log('info', mallocHint);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      await serve(rest);
      return;
    case 'push':
      process.exitCode = await runPush(rest, processIo());
      return;
    case 'query':
      process.exitCode = await runQuery(rest, processIo());
      return;
    case 'pgo':
      process.exitCode = await runPgo(rest, processIo());
      return;
    case 'diff':
      process.exitCode = await runDiff(rest, processIo());
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`cinder: unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
}

/** A wrong flag: ours (ConfigError) or one node:util's parseArgs refused (unknown option, missing value). */
function isUsageError(error: unknown): error is Error {
  if (error instanceof ConfigError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`cinder ${error.command}: ${error.message}\n\nRun "cinder ${error.command} --help" for the options.\n`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof CommandError) {
    process.stderr.write(`cinder: ${error.message}\n`);
    process.exit(EXIT_FAILED);
  }
  if (isUsageError(error)) {
    process.stderr.write(`cinder: ${error.message}\n\nRun "cinder serve --help" for the options.\n`);
    process.exit(2);
  }
  process.stderr.write(`cinder: ${error instanceof CinderError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/** The store URL without its password, for logs. */
function redactedStoreUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
