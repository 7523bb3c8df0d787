/** `npm start` builds only what changed: the decision of scripts/build-if-changed.mjs. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputsHash, reasonToBuild, targets, type BuildTarget } from '../../../../scripts/build-if-changed.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('build-if-changed', () => {
  let dir: string;
  let target: BuildTarget;
  const stamp = (hash: string): void => {
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', '.build-stamp'), `${hash}\n`);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cinder-build-stamp-'));
    mkdirSync(path.join(dir, 'src', 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(dir, 'src', 'nested', 'b.ts'), 'export const b = 2;\n');
    mkdirSync(path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'dist', 'out.js'), '');
    target = { name: 'test', inputs: [path.join(dir, 'src')], outputs: [path.join(dir, 'dist', 'out.js')], stampDir: path.join(dir, 'dist'), command: () => ['true', [], dir] };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the first time, skips when nothing changed, builds again after an edit', () => {
    const first = inputsHash(target.inputs);
    expect(reasonToBuild(target, first, false)).toBe('no build stamp yet');
    stamp(first);
    expect(reasonToBuild(target, inputsHash(target.inputs), false)).toBeNull();
    writeFileSync(path.join(dir, 'src', 'nested', 'b.ts'), 'export const b = 3;\n');
    expect(reasonToBuild(target, inputsHash(target.inputs), false)).toBe('sources changed');
  });

  it('sees added and deleted files, but not a touched one (a checkout rewrites mtimes, not contents)', () => {
    const before = inputsHash(target.inputs);
    const future = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, 'src', 'a.ts'), future, future);
    expect(inputsHash(target.inputs)).toBe(before);
    writeFileSync(path.join(dir, 'src', 'c.ts'), '');
    const added = inputsHash(target.inputs);
    expect(added).not.toBe(before);
    rmSync(path.join(dir, 'src', 'c.ts'));
    rmSync(path.join(dir, 'src', 'a.ts'));
    expect(inputsHash(target.inputs)).not.toBe(before);
  });

  it('builds when an output is missing whatever the stamp says, and always when forced', () => {
    const hash = inputsHash(target.inputs);
    stamp(hash);
    expect(reasonToBuild(target, hash, true)).toBe('forced');
    rmSync(path.join(dir, 'dist', 'out.js'));
    expect(reasonToBuild(target, hash, false)).toMatch(/out\.js is missing$/);
  });

  it("the real targets read every source folder the builds use (a renamed folder would go unseen)", () => {
    for (const t of targets) for (const input of t.inputs) expect(existsSync(path.resolve(repoRoot, input)), `${t.name}: ${input}`).toBe(true);
    const web = targets.find((t) => t.name.startsWith('web'))!;
    // vite bundles core from its sources, so a core edit must rebuild the UI too.
    expect(web.inputs).toContain('packages/core/src');
    const server = targets.find((t) => t.name.startsWith('core + server'))!;
    expect(server.inputs).toEqual(expect.arrayContaining(['packages/core/src', 'packages/server/src']));
    expect(server.outputs).toContain('packages/server/dist/cli.js');
  });
});
