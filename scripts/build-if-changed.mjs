#!/usr/bin/env node
/**
 * `npm start` and `npm run build` call this. It builds core + server (tsc -b) and the web UI (vite)
 * only when their inputs changed since the last successful build, so a restart without edits skips
 * both (≈6.5 s → well under a second on this machine).
 *
 * "Changed" means a different SHA-256 over the inputs' paths and contents, stored in a stamp file
 * next to each output (dist/.build-stamp). Contents, not mtimes: a `git checkout` or a copy touches
 * every mtime without changing anything, and an editor can save a file within one mtime tick.
 * A missing output also forces the build, whatever the stamp says.
 *
 *   node scripts/build-if-changed.mjs            build what changed
 *   node scripts/build-if-changed.mjs --force    run every build (npm run build; tsc -b stays incremental)
 *   node scripts/build-if-changed.mjs --dry-run  say what would be built, build nothing (exit 0)
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP_NAME = '.build-stamp';
/** A source tree far bigger than ours means a wrong root (e.g. a node_modules walked by mistake). */
const MAX_INPUT_FILES = 20_000;

/** What each build reads and writes; paths are relative to the repository root. */
export const targets = [
  {
    name: 'core + server (tsc -b)',
    inputs: [
      'packages/core/src',
      'packages/server/src',
      'tsconfig.base.json',
      'packages/core/tsconfig.json',
      'packages/server/tsconfig.json',
      'packages/core/package.json',
      'packages/server/package.json',
      'package-lock.json',
    ],
    outputs: ['packages/core/dist/index.js', 'packages/server/dist/cli.js'],
    stampDir: 'packages/server/dist',
    command: (rebuildAll) => [process.execPath, [path.resolve(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packages/core', 'packages/server', ...(rebuildAll ? ['--force'] : [])], repoRoot],
  },
  {
    name: 'web UI (vite build)',
    // The UI bundles core from its sources (vite.config.ts aliases @cinder/core), so core is an input.
    inputs: [
      'packages/web/src',
      'packages/web/index.html',
      'packages/web/public',
      'packages/web/vite.config.ts',
      'packages/web/tsconfig.json',
      'packages/web/package.json',
      'packages/core/src',
      'package-lock.json',
    ],
    outputs: ['packages/web/dist/index.html'],
    stampDir: 'packages/web/dist',
    command: () => [process.execPath, [path.resolve(repoRoot, 'node_modules/vite/bin/vite.js'), 'build'], path.resolve(repoRoot, 'packages/web')],
  },
];

function listFiles(relative, out) {
  const absolute = path.resolve(repoRoot, relative);
  if (!existsSync(absolute)) return;
  if (statSync(absolute).isFile()) {
    out.push(relative);
    return;
  }
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const child = path.posix.join(relative, entry.name);
    if (entry.isDirectory()) listFiles(child, out);
    else if (entry.isFile()) out.push(child);
    if (out.length > MAX_INPUT_FILES) throw new Error(`more than ${MAX_INPUT_FILES} input files under ${relative}: is the input list wrong?`);
  }
}

/** SHA-256 over every input file's path and bytes, in a stable order. */
export function inputsHash(inputs) {
  const files = [];
  for (const input of inputs) listFiles(input, files);
  const hash = createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    hash.update(file).update('\0');
    hash.update(readFileSync(path.resolve(repoRoot, file))).update('\0');
  }
  return hash.digest('hex');
}

function readStamp(target) {
  try {
    return readFileSync(path.resolve(repoRoot, target.stampDir, STAMP_NAME), 'utf8').trim();
  } catch {
    return null;
  }
}

/** Why the target must be built, or null when its outputs are current. */
export function reasonToBuild(target, hash, force) {
  if (force) return 'forced';
  const missing = target.outputs.find((output) => !existsSync(path.resolve(repoRoot, output)));
  if (missing) return `${missing} is missing`;
  const stamp = readStamp(target);
  if (stamp === null) return 'no build stamp yet';
  if (stamp !== hash) return 'sources changed';
  return null;
}

function main() {
  const args = new Set(process.argv.slice(2));
  const force = args.has('--force');
  const dryRun = args.has('--dry-run');
  for (const target of targets) {
    const hash = inputsHash(target.inputs);
    const reason = reasonToBuild(target, hash, force);
    if (reason === null) {
      process.stdout.write(`build: ${target.name} is up to date\n`);
      continue;
    }
    process.stdout.write(`build: ${target.name}: ${reason}${dryRun ? ' (dry run: not building)' : ', building'}\n`);
    if (dryRun) continue;
    // tsc -b trusts its tsbuildinfo (kept outside dist): with an output deleted it could skip emitting.
    const [command, commandArgs, cwd] = target.command(reason.endsWith('is missing'));
    const result = spawnSync(command, commandArgs, { cwd, stdio: 'inherit' });
    if (result.status !== 0) {
      process.stderr.write(`build: ${target.name} failed (${result.error ? result.error.message : `exit ${result.status ?? result.signal}`})\n`);
      process.exit(result.status || 1);
    }
    mkdirSync(path.resolve(repoRoot, target.stampDir), { recursive: true });
    // The hash from before the build: an edit made during the build makes the next start build again.
    writeFileSync(path.resolve(repoRoot, target.stampDir, STAMP_NAME), `${hash}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
