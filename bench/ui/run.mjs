// bench/ui: first paint and zoom frame time of flame-graph renderers in headless Debian Chromium, for
// synthetic call trees of ~10k, ~100k and ~1M nodes: Cinder's renderer (packages/web/src/flamegraph)
// against speedscope, @pyroscope/flamegraph and d3-flame-graph fed the same tree, in one run.
// Every renderer is timed from its input text in memory (parse included) to the first painted frame.
// Then the end-to-end case (e2e.mjs): the real UI against a real server holding a ~1M-node profile.
// Usage: npm run bench:ui (at the repo root). BENCH_UI_SIZES=10000,100000 to pick sizes;
// BENCH_UI_CASES=renderers or =e2e to run one of the two parts (default both).
import { createServer } from 'node:http';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const outDir = path.join(here, '.out');
const SIZES = (process.env.BENCH_UI_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const RENDERERS = (process.env.BENCH_UI_RENDERERS ?? 'cinder,speedscope,pyroscope,d3').split(',');
const CRASH_SIZE = Number(process.env.BENCH_UI_CRASH_SIZE ?? 5_000_000);
const CASE_TIMEOUT_MS = 180_000;
const CASES = (process.env.BENCH_UI_CASES ?? 'renderers,e2e').split(',');
const progress = (message) => process.stderr.write(`  … ${message}\n`);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const core = await import(path.join(repoRoot, 'packages/core/dist/index.js'));

/** A deterministic random call tree of `nodeCount` nodes: bushy near the root, deep chains below. */
function makeTree(nodeCount) {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const builder = new core.CallTreeBuilder();
  const nodes = [0];
  const depth = [0];
  // Until exactly nodeCount distinct nodes exist (a repeated name under the same parent merges).
  while (nodes.length < nodeCount) {
    // Mostly extend a recent node (stacks), sometimes branch near the top.
    let parent = nodes[Math.max(0, nodes.length - 1 - Math.floor(random() ** 3 * Math.min(nodes.length, 5000)))];
    if (depth[parent] >= 40 || random() < 0.02) parent = nodes[Math.floor(random() * Math.min(nodes.length, 2000))];
    const name = `pkg${Math.floor(random() * 40)}.Fn${Math.floor(random() * 30000)}`;
    const node = builder.child(parent, builder.nameId(name));
    if (node === nodes.length) {
      nodes.push(node);
      depth.push(depth[parent] + 1);
    }
    builder.addSelf(node, 1 + Math.floor(random() * 100));
  }
  return builder.build();
}

function writeInputs(tree, dir, label, levelsOnly) {
  const { flamegraph } = core.flameGraphFromTree(tree, 0);
  writeFileSync(path.join(dir, `${label}.levels.json`), JSON.stringify(flamegraph));
  if (levelsOnly) return { nodes: tree.nodeCount - 1, depth: flamegraph.levels.length };
  // d3-flame-graph wants a nested {name, value, children} tree (value = total).
  const children = Array.from({ length: tree.nodeCount }, () => []);
  for (let node = 1; node < tree.nodeCount; node++) children[tree.parent[node]].push(node);
  const toJson = (node) => `{"name":${JSON.stringify(core.nodeName(tree, node))},"value":${tree.total[node]},"children":[${children[node].map(toJson).join(',')}]}`;
  // Iterative string building would be kinder to the stack; depth is capped at ~60, so recursion is fine.
  writeFileSync(path.join(dir, `${label}.d3.json`), toJson(0));
  // Folded stacks for speedscope, written line by line: at 1M nodes the text outgrows a JS string.
  const paths = new Array(tree.nodeCount);
  paths[0] = '';
  const fd = openSync(path.join(dir, `${label}.collapsed.txt`), 'w');
  let chunk = '';
  for (let node = 1; node < tree.nodeCount; node++) {
    const parentPath = paths[tree.parent[node]];
    paths[node] = parentPath === '' ? core.nodeName(tree, node) : `${parentPath};${core.nodeName(tree, node)}`;
    if (tree.self[node] > 0) chunk += `${paths[node]} ${tree.self[node]}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return { nodes: tree.nodeCount - 1, depth: flamegraph.levels.length };
}

async function bundle() {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { cinder: path.join(here, 'pages/cinder.ts'), pyroscope: path.join(here, 'pages/pyroscope.tsx'), d3: path.join(here, 'pages/d3.ts') },
    bundle: true,
    outdir: outDir,
    format: 'esm',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    alias: { '@cinder/core': path.join(repoRoot, 'packages/core/src/index.ts') },
    nodePaths: [path.join(here, 'node_modules')],
    loader: { '.woff2': 'file', '.svg': 'file', '.png': 'file' },
    logLevel: 'error',
  });
  for (const name of ['cinder', 'pyroscope', 'd3']) {
    const css = existsSync(path.join(outDir, `${name}.css`)) ? `<link rel="stylesheet" href="/${name}.css">` : '';
    writeFileSync(path.join(outDir, `${name}.html`), `<!doctype html><meta charset="utf-8">${css}<body style="margin:0;width:1200px"><script type="module" src="/${name}.js"></script>`);
  }
}

function serve(dataDir) {
  const speedscopeDir = path.join(here, 'node_modules/speedscope/dist/release');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.txt': 'text/plain', '.wasm': 'application/wasm', '.woff2': 'font/woff2', '.png': 'image/png', '.ico': 'image/x-icon' };
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://x');
    let file;
    if (url.pathname.startsWith('/speedscope/')) file = path.join(speedscopeDir, url.pathname.slice('/speedscope/'.length) || 'index.html');
    else if (url.pathname.startsWith('/data/')) file = path.join(dataDir, url.pathname.slice('/data/'.length));
    else file = path.join(outDir, url.pathname.slice(1));
    if (!file.startsWith(here) && !file.startsWith(dataDir)) return response.writeHead(403).end();
    try {
      const body = readFileSync(file);
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'access-control-allow-origin': '*' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function runPage(context, base, renderer, label) {
  const page = await context.newPage();
  let crashed = false;
  page.on('crash', () => (crashed = true));
  try {
    if (renderer === 'speedscope') {
      // speedscope is an app: it fetches and parses the file itself; timed from navigation to the
      // first flame chart frame on screen, minus nothing (its parse is part of its first paint).
      const started = Date.now();
      await page.goto(`${base}/speedscope/index.html#profileURL=${encodeURIComponent(`${base}/data/${label}.collapsed.txt`)}&title=bench`);
      // Loaded = its view switcher (Time Order / Left Heavy / Sandwich) is up and a chart canvas exists;
      // before that speedscope shows its landing or loading screen.
      await page.waitForFunction(
        () => document.body.innerText.includes('Left Heavy') && [...document.querySelectorAll('canvas')].some((c) => c.width > 300 && c.height > 100),
        null,
        { timeout: CASE_TIMEOUT_MS, polling: 16 },
      );
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
      const firstPaintMs = Date.now() - started;
      const zoomMs = await page.evaluate(async () => {
        const frames = [];
        const target = document.querySelector('canvas');
        for (let i = 0; i < 10; i++) {
          await new Promise((resolve) => requestAnimationFrame(resolve));
          const t0 = performance.now();
          target?.dispatchEvent(new WheelEvent('wheel', { bubbles: true, ctrlKey: true, deltaY: i % 2 ? 40 : -40, clientX: 300, clientY: 200 }));
          await new Promise((resolve) => requestAnimationFrame(resolve));
          frames.push(performance.now() - t0);
        }
        return frames;
      });
      return { firstPaintMs, zoomMs };
    }
    await page.goto(`${base}/${renderer}.html`);
    await page.waitForFunction(() => typeof window.benchRender === 'function');
    const file = renderer === 'd3' ? `${label}.d3.json` : `${label}.levels.json`;
    return await page.evaluate(
      async ({ url, timeoutMs }) => {
        const text = await (await fetch(url)).text();
        return Promise.race([window.benchRender(text), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs))]);
      },
      { url: `${base}/data/${file}`, timeoutMs: CASE_TIMEOUT_MS },
    );
  } catch (error) {
    return { error: crashed ? 'page crashed' : String(error.message ?? error).split('\n')[0].slice(0, 80) };
  } finally {
    await page.close().catch(() => undefined);
  }
}

const printTable = (rows) => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  console.log(rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n'));
};

if (CASES.includes('renderers')) {
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-ui-'));
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-chromium-'));
progress('bundling renderers');
await bundle();
const server = await serve(dataDir);
const base = `http://127.0.0.1:${server.address().port}`;
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const rows = [['nodes', 'renderer', 'first paint (ms)', 'zoom: next frame median (ms)', 'zoom: next frame max (ms)', 'zoom: draw work median (ms)', 'first paint vs best peer']];
try {
  for (const size of [...SIZES, CRASH_SIZE]) {
    const crashOnly = size === CRASH_SIZE;
    const label = `n${size}`;
    progress(`generating a ${size}-node tree`);
    const info = writeInputs(makeTree(size), dataDir, label, crashOnly);
    const results = {};
    for (const renderer of crashOnly ? ['cinder'] : RENDERERS) {
      progress(`${renderer} @ ${info.nodes} nodes`);
      results[renderer] = await runPage(context, base, renderer, label);
    }
    const peerBest = Math.min(...['speedscope', 'pyroscope', 'd3'].map((r) => results[r]?.firstPaintMs ?? Infinity));
    for (const [renderer, result] of Object.entries(results)) {
      if (result.error) {
        rows.push([info.nodes, renderer, result.error, '-', '-', '-', '-']);
        continue;
      }
      const ratio = renderer === 'cinder' && Number.isFinite(peerBest) ? `${(peerBest / result.firstPaintMs).toFixed(1)}× faster` : '';
      rows.push([info.nodes, renderer, result.firstPaintMs.toFixed(0), median(result.zoomMs).toFixed(1), Math.max(...result.zoomMs).toFixed(1), result.drawMs ? median(result.drawMs).toFixed(2) : 'n/a', ratio]);
    }
  }
} finally {
  await context.close();
  server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(userDataDir, { recursive: true, force: true });
}
printTable(rows);
console.log('zoom: next frame = trigger → next animation frame (60 Hz, so 16.7 ms = within one frame); draw work = Cinder renderer time for the zoomed frame');
console.log('first paint: input text in memory → parsed → first frame on screen (speedscope: navigation → first flame chart frame, its own fetch and parse included)');
}

if (CASES.includes('e2e')) {
  const { runEndToEnd } = await import('./e2e.mjs');
  const { rows } = await runEndToEnd({ progress });
  console.log('');
  printTable(rows);
  console.log('end to end: navigation start → the UI\'s paint mark with the final data; click → first repaint of the zoomed view, and → the repaint with every node ≥ 1 px of the zoomed frame; longest task = longtask observer over the whole run (sees tasks ≥ 50 ms only)');
}
