#!/usr/bin/env node
import { CinderError } from '@cinder/core';
import { ConfigError, loadConfig, serveUsage } from './config.js';
import { startCinder } from './main.js';

const usage = `Usage: cinder <command> [options]

Commands:
  serve    start the server (ingest, query API and web UI)

Run "cinder serve --help" for the options of serve.
`;

async function serve(argv: string[]): Promise<void> {
  const config = loadConfig(argv, process.env);
  if (config.help) {
    process.stdout.write(serveUsage);
    return;
  }
  const server = await startCinder(config);
  process.stdout.write(
    `cinder: listening on ${config.host}:${new URL(server.address).port} (UI: ${server.address}/pyroscope), data in ${config.dataDir}, retention ${Math.round(config.retentionMs / 86_400_000)}d raw / ${Math.round(config.rollupRetentionMs / 86_400_000)}d rollups\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`cinder: ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`cinder: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      await serve(rest);
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

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CinderError) {
    process.stderr.write(`cinder: ${error.message}\n`);
  } else {
    process.stderr.write(`cinder: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
