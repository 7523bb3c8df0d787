/** The glibc malloc environment `npm start` gives the server, and the start-up hint when it is missing. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNING, glibcVersionOfProcess, mallocTuningHint } from '../../src/mallocTuning.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const startScript = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;

describe('malloc tuning', () => {
  it('npm start sets every tuning, keeping a value the user already exported', () => {
    // The part of the start script that runs the server, with node swapped for a printer of its env.
    const serverCommand = startScript.split('&&').at(-1)!.trim();
    expect(serverCommand).toMatch(/ node packages\/server\/dist\/cli\.js serve$/);
    const printEnv = serverCommand.replace(/node packages\/server\/dist\/cli\.js serve$/, `"${process.execPath}" -e "process.stdout.write(JSON.stringify(process.env))"`);
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in MALLOC_TUNING)));
    const seen = JSON.parse(execFileSync('sh', ['-c', printEnv], { env: cleanEnv, encoding: 'utf8' })) as Record<string, string>;
    for (const [name, value] of Object.entries(MALLOC_TUNING)) expect(seen[name], name).toBe(value);
    const userSet = JSON.parse(execFileSync('sh', ['-c', printEnv], { env: { ...cleanEnv, MALLOC_ARENA_MAX: '4' }, encoding: 'utf8' })) as Record<string, string>;
    expect(userSet.MALLOC_ARENA_MAX).toBe('4');
  });

  it('hints on glibc when a tuning is missing, and only then', () => {
    const all = { ...MALLOC_TUNING };
    expect(mallocTuningHint(all, 'linux', '2.36')).toBeNull();
    expect(mallocTuningHint({}, 'darwin', undefined)).toBeNull();
    expect(mallocTuningHint({}, 'linux', undefined)).toBeNull(); // musl
    const hint = mallocTuningHint({ MALLOC_ARENA_MAX: '2' }, 'linux', '2.36');
    expect(hint).toContain('MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ not set');
    expect(hint).not.toContain('MALLOC_ARENA_MAX not set');
    expect(hint).toContain('MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072');
  });

  it('finds the glibc version of this process on Linux', () => {
    if (process.platform !== 'linux') return;
    const version = glibcVersionOfProcess();
    // Debian (CI and this machine) is glibc; an Alpine/musl node reports none.
    expect(version === undefined || /^\d+\.\d+/.test(version)).toBe(true);
    if (readFileSync('/proc/self/maps', 'utf8').includes('libc.so.6')) expect(version).toMatch(/^\d+\.\d+/);
  });
});
