import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';

/**
 * Opening /explore evaluates only the code that paints its flame graph (issue 13: no task > 50 ms, open →
 * painted < 500 ms): main.tsx asks for react, react-dom, App and the explorer page; the panels around the
 * graph (top table, export, share, frame filters, call tree, heatmap), uPlot, the RE2 engine and the other
 * pages are lazily loaded chunks, never in that module graph. Built with the app's own vite config.
 */
const webRoot = fileURLToPath(new URL('..', import.meta.url));

interface Chunk {
  type: 'chunk';
  fileName: string;
  facadeModuleId: string | null;
  isEntry: boolean;
  imports: string[];
  moduleIds: string[];
  code: string;
}

async function buildChunks(): Promise<Chunk[]> {
  const result = await build({ root: webRoot, configFile: path.join(webRoot, 'vite.config.ts'), logLevel: 'silent', build: { write: false, emptyOutDir: false } });
  const outputs = (Array.isArray(result) ? result : [result]) as Array<{ output: Array<Chunk | { type: 'asset' }> }>;
  return outputs.flatMap((o) => o.output).filter((item): item is Chunk => item.type === 'chunk');
}

/** `roots` and every chunk they import statically. */
function staticChunks(chunks: readonly Chunk[], roots: readonly Chunk[]): Chunk[] {
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Map<string, Chunk>();
  const stack = [...roots];
  while (stack.length > 0) {
    const chunk = stack.pop()!;
    if (seen.has(chunk.fileName)) continue;
    seen.set(chunk.fileName, chunk);
    for (const file of chunk.imports) {
      const next = byFile.get(file);
      if (next) stack.push(next);
    }
  }
  return [...seen.values()];
}

/** Every module in those chunks. */
function staticClosure(chunks: readonly Chunk[], roots: readonly Chunk[]): Set<string> {
  return new Set(staticChunks(chunks, roots).flatMap((chunk) => chunk.moduleIds.map((id) => id.replace(/\\/g, '/'))));
}

const rel = (id: string): string => (id.includes('/node_modules/') ? id.slice(id.lastIndexOf('/node_modules/') + '/node_modules/'.length) : path.relative(webRoot, id));

describe('bundle split', () => {
  it("keeps /explore's start-up module graph free of lazily loaded panels and pages", async () => {
    const chunks = await buildChunks();
    const chunkWith = (suffix: string): Chunk => {
      const found = chunks.find((c) => c.moduleIds.some((id) => id.replace(/\\/g, '/').endsWith(suffix)));
      expect(found, `a chunk holding ${suffix}`).toBeDefined();
      return found!;
    };
    // The entry chunk (its facade is index.html, which loads src/main.tsx).
    const entry = chunks.find((c) => c.isEntry && c.moduleIds.some((id) => id.replace(/\\/g, '/').endsWith('src/main.tsx')));
    expect(entry).toBeDefined();
    // What main.tsx loads for /explore before its first render.
    const startupRoots = [entry!, chunkWith('src/App.tsx'), chunkWith('src/pages/ExplorePage.tsx')];
    const startup = staticClosure(chunks, startupRoots);
    // The page's own code is one chunk (vite.config.ts groups it), not a request per shared module:
    // on 6 connections per host, 16 small chunks came in ~100 ms later than one.
    for (const part of ['src/App.tsx', 'src/pages/ExplorePage.tsx', 'src/components/Explorer.tsx', 'src/components/FlameGraphView.tsx', 'src/flamegraph/renderer.ts', 'src/components/Timeline.tsx', 'src/hooks/useLodFlameGraph.ts']) {
      expect(chunkWith(part).fileName, part).toBe(chunkWith('src/App.tsx').fileName);
    }
    const startupChunkFiles = staticChunks(chunks, [...startupRoots, chunkWith('react-dom/client.js')]).map((chunk) => chunk.fileName).sort();
    expect(startupChunkFiles.length, startupChunkFiles.join(' ')).toBeLessThanOrEqual(8);
    // …which the entry imports without preload lists (a <link> per chunk cost its task 10–30 ms).
    expect(entry!.code).not.toContain('__vite__mapDeps');
    const startupFiles = [...startup].map(rel);

    // The graph's own code is there (so the check below can fail)…
    for (const needed of ['src/components/Explorer.tsx', 'src/components/FlameGraphView.tsx', 'src/flamegraph/renderer.ts', 'src/components/Timeline.tsx']) {
      expect(startupFiles, needed).toContain(needed);
    }
    // …and none of what loads later.
    const later = [
      'src/components/TopTable.tsx',
      'src/components/ExportMenu.tsx',
      'src/components/ShareButton.tsx',
      'src/components/FrameFilters.tsx',
      'src/components/CallTree.tsx',
      'src/components/Heatmap.tsx',
      'src/pages/ProfilingPage.tsx',
      'src/pages/ComparePage.tsx',
      'src/pages/RulesPage.tsx',
      'src/pages/UploadPage.tsx',
      'src/pages/SnapshotPage.tsx',
      'src/pages/RequestPage.tsx',
      'src/flamegraph/regexEngine.ts',
    ];
    for (const lazyFile of later) expect(startupFiles, lazyFile).not.toContain(lazyFile);
    // (uPlot's stylesheet is there: the timeline's boxes are laid out at their size before uPlot comes.)
    expect(startupFiles.filter((f) => (f.startsWith('uplot/') || f.startsWith('re2js/')) && !f.endsWith('.css'))).toEqual([]);
    // react-dom is a module graph of its own (its evaluation is the biggest single piece of start-up).
    expect(startupFiles.filter((f) => f.startsWith('react-dom/'))).toEqual([]);
  }, 120_000);
});
