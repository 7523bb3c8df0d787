import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/startServer.js';

/**
 * No module of core or server imports itself back through others: a cycle is where layers stop
 * being layers (http ⇄ query was one). Type-only imports count too: they tie the files together
 * for a reader just the same.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'gen' ? [] : sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
    const target = path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'));
    targets.push(target);
  }
  return targets;
}

function importGraph(files: string[]): Map<string, string[]> {
  return new Map(files.map((file) => [file, localImports(file).filter((target) => files.includes(target))]));
}

function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'visiting') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle.map((f) => path.relative(repoRoot, f));
  }
  return null;
}

describe('import graph', () => {
  for (const pkg of ['packages/core/src', 'packages/server/src']) {
    it(`${pkg} has no import cycle`, () => {
      const files = sourceFiles(path.join(repoRoot, pkg));
      expect(files.length).toBeGreaterThan(10);
      expect(findCycle(importGraph(files))).toBeNull();
    });
  }

  it('the checker reads real imports and finds a cycle when there is one', () => {
    const dir = path.join(repoRoot, 'packages/server/src/http');
    const server = path.join(dir, 'server.ts');
    const apiRoutes = path.join(dir, 'apiRoutes.ts');
    const graph = importGraph([server, apiRoutes]);
    expect(graph.get(server)).toContain(apiRoutes);
    expect(findCycle(graph)).toBeNull();
    // The shape the read-path refactor removed: server.ts → queryRoutes.ts → server.ts.
    graph.set(apiRoutes, [server]);
    expect(findCycle(graph)).toEqual([path.relative(repoRoot, server), path.relative(repoRoot, apiRoutes), path.relative(repoRoot, server)]);
  });
});
