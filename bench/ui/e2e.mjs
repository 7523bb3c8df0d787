// bench:ui end-to-end case (issue 13): the real UI in headless Debian Chromium against a real built
// server holding the ~1M-node CPU profile (bench/bigProfile.mjs). Per fresh browser (new user-data-dir):
// navigation to /explore → flame graph painted with its final data; click on a depth-3 frame → first
// repaint (feedback) and the repaint with the subtree's detail; the longest main-thread task (longtask
// observer, so only tasks ≥ 50 ms are seen). Times come from the UI's own paint marks
// (packages/web/src/flamegraph/paintMark.ts), so they include fetch, decode, layout and drawing.
// Usage: BENCH_UI_CASES=e2e node bench/ui/run.mjs (BENCH_UI_E2E_RUNS=5 browsers, after a first one
// reported apart: see runEndToEnd). Against a baseline
// in the same run: BENCH_UI_E2E_BASELINE=<another built checkout> (e.g. a `git worktree` of main, its
// node_modules linked to this one's, after `npm run build`) starts its server too and alternates fresh
// browsers between the two, so both see the same machine load; the medians and their ratios are
// printed. To see what a long task
// was: BENCH_UI_E2E_LOAF=1 prints each browser's long animation frames (≥ 50 ms) with the scripts that
// ran in them (no cost to the page); BENCH_UI_E2E_TRACE=<dir> saves a Chrome trace per browser and
// prints the main thread's tasks ≥ 30 ms (tracing slows the page: not for comparing with targets).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { median, repoRoot, startBenchServer } from '../lib.mjs';
import { bigPprof, bigTree } from '../bigProfile.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PAINT_MARK = 'cinder:flamegraph-paint';
const ROW_HEIGHT_CSS_PX = 18;
const STEP_TIMEOUT_MS = 60_000;
export const TARGETS = { openMs: 500, zoomFinalMs: 200, zoomFirstMs: 50, longestTaskMs: 50 };

const core = await import(path.join(repoRoot, 'packages/core/dist/index.js'));

/**
 * The frame the bench clicks: the widest one three levels below where the profile starts to branch,
 * placed as the UI lays it out (x(child) = x(parent) + self(parent) + earlier siblings' totals,
 * siblings by ascending name). Every stack of the generated profile starts with the same 7 frames (a
 * 100 %-wide chain, as `main` → runtime frames are in a real service), so "depth 3" counted from the
 * root would zoom into 100 % of the graph and load nothing new. Computed from the generator's tree,
 * not asked of the server, so locating it warms no server cache.
 */
export function depth3Target(tree) {
  const index = core.childIndex(tree);
  const rootTotal = tree.total[0];
  let chainDepth = 0;
  for (let node = 0; ; chainDepth++) {
    const children = core.childrenOfNode(index, node);
    if (children.length !== 1 || tree.total[children[0]] !== rootTotal) break;
    node = children[0];
  }
  const targetDepth = chainDepth + 3;
  let best = null;
  // Children sit after their parent's self value (Pyroscope's level layout, core tree/render.ts).
  const walk = (node, depth, startValue, names) => {
    let x = startValue + tree.self[node];
    for (const child of core.childrenOfNode(index, node)) {
      const childNames = [...names, core.nodeName(tree, child)];
      if (depth + 1 === targetDepth) {
        if (!best || tree.total[child] > best.total) best = { path: childNames, total: tree.total[child], startValue: x };
      } else {
        walk(child, depth + 1, x, childNames);
      }
      x += tree.total[child];
    }
  };
  walk(0, 0, 0, []);
  return { ...best, depth: targetDepth, chainDepth, rootTotal, centerFraction: (best.startValue + best.total / 2) / rootTotal };
}

export async function ingestBig(baseUrl, bytes) {
  const nowSec = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const response = await fetch(`${baseUrl}/ingest?name=big&from=${nowSec - 60}&until=${nowSec - 50}&format=pprof`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`ingest of the big profile answered ${response.status}: ${text.slice(0, 300)}`);
  return { ingestMs: performance.now() - started, nowSec };
}

/**
 * BENCH_UI_E2E_TRACE=<dir>: a Chrome trace (CDP Tracing) of each browser's page, from navigation to the
 * zoom's detail, saved there (open it in chrome://tracing or Perfetto), with the main thread's longest
 * tasks and what ran in them printed. Tracing costs the page some time: figures of a traced run are
 * for finding what is slow, not for comparing against the targets.
 */
const traceDir = process.env.BENCH_UI_E2E_TRACE || null;
const TRACE_CATEGORIES = process.env.BENCH_UI_E2E_TRACE_CATEGORIES ? process.env.BENCH_UI_E2E_TRACE_CATEGORIES.split(',') : ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading', 'toplevel'];

async function startTrace(context, page) {
  const session = await context.newCDPSession(page);
  await session.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: TRACE_CATEGORIES } });
  return {
    async stop(file) {
      const complete = new Promise((resolve) => session.once('Tracing.tracingComplete', resolve));
      await session.send('Tracing.end');
      const { stream } = await complete;
      const chunks = [];
      // Bounded: a trace of this page is a few MB; the stream ends with eof.
      for (let i = 0; i < 100_000; i++) {
        const chunk = await session.send('IO.read', { handle: stream, size: 1 << 20 });
        chunks.push(chunk.base64Encoded ? Buffer.from(chunk.data, 'base64') : Buffer.from(chunk.data));
        if (chunk.eof) break;
      }
      await session.send('IO.close', { handle: stream });
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, Buffer.concat(chunks));
      return file;
    },
  };
}

/** The renderer main thread's tasks of ≥ 30 ms in a trace, with their biggest direct children. */
export function longestTraceTasks(file, minMs = 30) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && events.some((x) => x.pid === e.pid && x.name === 'ParseHTML'))
    ?? events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return [];
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts);
  const navigation = events.find((e) => e.name === 'navigationStart' && e.pid === main.pid)?.ts ?? onMain[0]?.ts ?? 0;
  const tasks = onMain.filter((e) => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask');
  return tasks
    .filter((task) => task.dur >= minMs * 1000)
    .map((task) => {
      const inside = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur);
      const direct = inside.filter((e) => !inside.some((p) => p !== e && p.ts <= e.ts && p.ts + p.dur >= e.ts + e.dur && p.dur > e.dur));
      const label = (e) => {
        const url = e.args?.data?.url ?? e.args?.data?.frame?.url ?? e.args?.fileName ?? '';
        const fn = e.args?.data?.functionName ?? e.args?.data?.type ?? '';
        return `${e.name}${fn ? ` ${fn}` : ''}${url ? ` ${String(url).split('/').pop()}` : ''} ${(e.dur / 1000).toFixed(1)}ms`;
      };
      return { atMs: Math.round((task.ts - navigation) / 1000), durationMs: Math.round(task.dur / 100) / 10, inside: direct.sort((a, b) => b.dur - a.dur).slice(0, 4).map(label) };
    });
}

/** BENCH_UI_E2E_LOAF=1: long animation frames of ≥ 50 ms with the scripts that ran in them, one line each. */
export function loafLines(loafs) {
  return (loafs ?? [])
    .filter((f) => f.duration >= 50)
    .map((f) => {
      const scripts = f.scripts
        .filter((x) => x.ms >= 3)
        .map((x) => `${x.type} ${x.invoker}${x.fn ? ` ${x.fn}` : ''} ${x.source} ${x.ms.toFixed(0)}ms${x.forcedLayoutMs >= 3 ? ` (forced layout ${x.forcedLayoutMs.toFixed(0)})` : ''}`)
        .join(' · ');
      return `LoAF @${f.startTime.toFixed(0)} ${f.duration.toFixed(0)} ms (blocking ${f.blockingDuration.toFixed(0)}, render ${f.renderMs.toFixed(0)}, style+layout ${f.layoutMs.toFixed(0)}): ${scripts}`;
    });
}

/** One fresh browser: open, wait for the final paint, click the depth-3 frame, wait for its detail. */
export async function oneBrowser(url, target, progress) {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-bench-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(() => {
      window.__longTasks = [];
      try {
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.__longTasks.push({ startTime: entry.startTime, duration: entry.duration });
        }).observe({ type: 'longtask', buffered: true });
      } catch {
        window.__longTasks = null;
      }
      // Long animation frames name the scripts that ran in them (what a long task was), for BENCH_UI_E2E_LOAF.
      window.__loafs = [];
      try {
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            const render = entry.renderStart > 0 ? entry.startTime + entry.duration - entry.renderStart : 0;
            window.__loafs.push({
              startTime: entry.startTime,
              duration: entry.duration,
              blockingDuration: entry.blockingDuration,
              renderMs: render,
              layoutMs: entry.styleAndLayoutStart > 0 ? entry.startTime + entry.duration - entry.styleAndLayoutStart : 0,
              scripts: entry.scripts.map((x) => ({ invoker: x.invoker, type: x.invokerType, source: (x.sourceURL || '').split('/').pop(), fn: x.sourceFunctionName, ms: x.duration, forcedLayoutMs: x.forcedStyleAndLayoutDuration })),
            });
          }
        }).observe({ type: 'long-animation-frame', buffered: true });
      } catch {
        window.__loafs = null;
      }
    });
    const tracing = traceDir ? await startTrace(context, page) : null;
    await page.goto(url);
    const finalPaint = (focus, after) =>
      page.waitForFunction(
        ({ name, focus, after }) => {
          const mark = performance.getEntriesByName(name).find((m) => m.startTime > after && m.detail?.state === 'final' && m.detail.focus === focus);
          return mark ? { startTime: mark.startTime, ...mark.detail } : null;
        },
        { name: PAINT_MARK, focus, after },
        { timeout: STEP_TIMEOUT_MS, polling: 20 },
      );
    const opened = await (await finalPaint('', 0)).jsonValue();
    // Let the rest of the page (timeline, labels) settle, as a person would before clicking.
    await page.waitForTimeout(700);
    const canvas = page.getByTestId('flamegraph-canvas').first();
    const box = await canvas.boundingBox();
    await page.evaluate(() => {
      window.__clickAt = null;
      document.addEventListener('click', (event) => (window.__clickAt ??= event.timeStamp), { capture: true });
    });
    await page.mouse.click(box.x + target.centerFraction * box.width, box.y + target.depth * ROW_HEIGHT_CSS_PX + ROW_HEIGHT_CSS_PX / 2);
    const clickAt = await page.evaluate(() => window.__clickAt);
    if (clickAt === null) throw new Error('the click never reached the page');
    const focus = target.path.join(';');
    let zoomed;
    try {
      zoomed = await (await finalPaint(focus, clickAt)).jsonValue();
    } catch (error) {
      const url = page.url();
      throw new Error(`no final paint of ${focus} after the click (page at ${url}): ${error.message.split('\n')[0]}`);
    }
    await page.waitForTimeout(300);
    const result = await page.evaluate(
      ({ name, focus, clickAt }) => {
        const marks = performance.getEntriesByName(name).filter((m) => m.startTime > clickAt && m.detail?.focus === focus);
        // When the first flame-graph answer was in: tasks before it are page start-up (bundle, first render).
        const answer = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/flamegraph'));
        // The UI's own steps (absent on a UI without the level-of-detail path): bytes in, frames back from the worker.
        const step = (mark, markFocus) => {
          const found = performance.getEntriesByName(mark).find((m) => m.detail?.focus === markFocus);
          return found ? { at: found.startTime, workMs: found.detail.workMs ?? null, adopted: found.detail.adopted === true } : null;
        };
        return {
          steps: {
            openPageReady: step('cinder:flamegraph-page-ready', ''),
            openPredecoded: step('cinder:flamegraph-predecoded', ''),
            openAnswer: step('cinder:flamegraph-answer', ''),
            openLaidOut: step('cinder:flamegraph-laid-out', ''),
            zoomAnswer: step('cinder:flamegraph-answer', focus),
            zoomLaidOut: step('cinder:flamegraph-laid-out', focus),
          },
          first: marks[0] ? { startTime: marks[0].startTime, ...marks[0].detail } : null,
          longTasks: window.__longTasks,
          loafs: window.__loafs,
          answerAt: answer ? answer.responseEnd : 0,
          flameRequests: performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/flamegraph') && !r.name.includes('focus=')).length,
          askedAt: answer ? answer.startTime : 0,
        };
      },
      { name: PAINT_MARK, focus, clickAt },
    );
    const longTasks = result.longTasks ?? [];
    const traceFile = tracing ? await tracing.stop(path.join(traceDir, `e2e-${Date.now()}-${process.pid}.json`)) : null;
    if (traceFile) progress(`trace written to ${traceFile}`);
    return {
      traceTasks: traceFile ? longestTraceTasks(traceFile) : null,
      openMs: opened.startTime,
      flameAskedMs: result.askedAt,
      flameAnswerMs: result.answerAt,
      openFrames: opened.frames,
      // The page took the request its entry sent at start-up (packages/web/src/flamegraph/startupPrefetch.ts).
      openAdopted: result.steps.openAnswer?.adopted === true,
      flameRequests: result.flameRequests,
      openTotal: opened.totalValue,
      zoomFirstMs: result.first.startTime - clickAt,
      zoomFirstFramesUnder: result.first.framesUnderFocus,
      zoomFinalMs: zoomed.startTime - clickAt,
      zoomAnswerMs: result.steps.zoomAnswer ? result.steps.zoomAnswer.at - clickAt : NaN,
      zoomLaidOutMs: result.steps.zoomLaidOut ? result.steps.zoomLaidOut.at - clickAt : NaN,
      zoomWorkMs: result.steps.zoomLaidOut?.workMs ?? NaN,
      openLaidOutMs: result.steps.openLaidOut ? result.steps.openLaidOut.at : NaN,
      // Phases of the open (absent on a UI without these marks): the page's code asks for the answer;
      // start-up has laid the answer out (before the page asked, when the page was slower).
      openPageReadyMs: result.steps.openPageReady ? result.steps.openPageReady.at : NaN,
      openPredecodedMs: result.steps.openPredecoded ? result.steps.openPredecoded.at : NaN,
      // When the page had the bytes: the later of "answer in" and "page ready" (on any UI with the marks).
      openTakenMs: result.steps.openAnswer ? result.steps.openAnswer.at : NaN,
      openWorkMs: result.steps.openLaidOut?.workMs ?? NaN,
      zoomFinalFramesUnder: zoomed.framesUnderFocus,
      zoomTotal: zoomed.totalValue,
      longestTaskMs: longTasks.length === 0 ? 0 : Math.max(...longTasks.map((t) => t.duration)),
      longestTaskAfterAnswerMs: Math.max(0, ...longTasks.filter((t) => t.startTime + t.duration > result.answerAt).map((t) => t.duration)),
      longTaskCount: longTasks.length,
      // Each long task as start@duration (ms from navigation), and the click's time, to tell the phases apart.
      longTaskList: longTasks.map((t) => `${t.startTime.toFixed(0)}+${t.duration.toFixed(0)}`).join(' '),
      clickAtMs: clickAt,
      loafs: result.loafs ?? [],
      longTasksObserved: result.longTasks !== null,
      errors,
    };
  } finally {
    await context.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
    progress?.('browser closed');
  }
}

/** Returns printable rows; throws when the server or the page does not get there. */
export async function runEndToEnd({ runs = Number(process.env.BENCH_UI_E2E_RUNS ?? 5), progress = () => undefined, baselineRoot = process.env.BENCH_UI_E2E_BASELINE || null } = {}) {
  progress('generating the ~1M-node profile (cached under bench/.out)');
  const bytes = bigPprof();
  const tree = bigTree();
  const target = depth3Target(tree);
  progress(`target: depth ${target.depth} (3 below the ${target.chainDepth}-frame common chain) ${target.path.slice(target.chainDepth).join(' › ')} (${((100 * target.total) / target.rootTotal).toFixed(1)}% of total, ${tree.nodeCount - 1} nodes)`);
  const serverArgs = ['--max-profile-size', '64MiB', '--max-samples', '2000000', '--max-frames-per-profile', '10000000'];
  const server = await startBenchServer(serverArgs);
  const baseline = baselineRoot ? await startBenchServer(serverArgs, { root: path.resolve(baselineRoot) }) : null;
  try {
    const { ingestMs, nowSec } = await ingestBig(server.baseUrl, bytes);
    progress(`ingested ${(bytes.length / 1048576).toFixed(1)} MiB in ${ingestMs.toFixed(0)} ms`);
    // An absolute range: every browser asks for the same selection.
    const explore = (baseUrl, atSec) => `${baseUrl}/explore?service=big&from=${(atSec - 300) * 1000}&until=${(atSec + 60) * 1000}`;
    const url = explore(server.baseUrl, nowSec);
    const baselineUrl = baseline ? explore(baseline.baseUrl, (await ingestBig(baseline.baseUrl, bytes)).nowSec) : null;
    const baselineResults = [];
    const results = [];
    // One browser per server before the measured ones, reported on its own row: the first Chromium
    // started after a while reads its ~200 MB from disk (1.5–1.9 s to the paint here, whichever tree),
    // and the server is still laying the just-ingested day out in the background (warm-up after write).
    progress('first browser (reported apart, not in the medians)');
    const first = await oneBrowser(url, target, progress);
    if (baselineUrl) await oneBrowser(baselineUrl, target, progress);
    // Other work on this 2-core machine stretches every task: the load is printed with the figures.
    const loadBefore = os.loadavg()[0];
    for (let run = 0; run < runs; run++) {
      progress(`e2e browser ${run + 1}/${runs}`);
      // With a baseline: one browser each, in alternating order.
      if (baselineUrl && run % 2 === 1) baselineResults.push(await oneBrowser(baselineUrl, target, progress));
      const result = await oneBrowser(url, target, progress);
      if (baselineUrl && run % 2 === 0) baselineResults.push(await oneBrowser(baselineUrl, target, progress));
      if (result.openTotal !== target.rootTotal) throw new Error(`painted root total ${result.openTotal} ≠ the profile's ${target.rootTotal}`);
      if (result.errors.length > 0) throw new Error(`page errors: ${result.errors.join('; ')}`);
      progress(
        `  open ${result.openMs.toFixed(0)} ms (${result.openFrames} frames; ${result.openAdopted ? 'start-up request adopted' : 'asked by the page'}, ${result.flameRequests} full-view request${result.flameRequests === 1 ? '' : 's'}; flame graph asked at ${result.flameAskedMs.toFixed(0)}, answered at ${result.flameAnswerMs.toFixed(0)}) · zoom first ${result.zoomFirstMs.toFixed(0)} ms (${result.zoomFirstFramesUnder} under) · final ${result.zoomFinalMs.toFixed(0)} ms (${result.zoomFinalFramesUnder} under) · longest task ${result.longestTaskMs.toFixed(0)} ms (${result.longTaskCount} ≥ 50 ms; after the answer ${result.longestTaskAfterAnswerMs.toFixed(0)} ms${result.longTaskCount > 0 ? `; tasks at+ms ${result.longTaskList}; click at ${result.clickAtMs.toFixed(0)}` : ''})`,
      );
      if (process.env.BENCH_UI_E2E_LOAF) for (const line of loafLines(result.loafs)) progress(`    ${line}`);
      for (const task of result.traceTasks ?? []) progress(`    trace: task at ${task.atMs} ms, ${task.durationMs} ms: ${task.inside.join(' · ')}`);
      results.push(result);
    }
    const row = (label, key, target, digits = 0) => {
      const values = results.map((r) => r[key]);
      const m = median(values);
      return [label, m.toFixed(digits), values.map((v) => v.toFixed(digits)).join(' '), target === undefined ? '' : `< ${target}`, target === undefined ? '' : m < target ? 'ok' : 'MISSED'];
    };
    const versus = (label, key) => {
      const ours = median(results.map((r) => r[key]));
      const theirs = median(baselineResults.map((r) => r[key]));
      return [label, ours.toFixed(0), theirs.toFixed(0), theirs > 0 ? `${(ours / theirs).toFixed(2)}×` : '', ''];
    };
    const baselineRows = baselineUrl
      ? [
          [`same run, alternating with the baseline ${baselineRoot}`, 'this tree', 'baseline', 'ratio', ''],
          versus('open /explore → flame graph painted (ms)', 'openMs'),
          versus('click depth-3 frame → first repaint (ms)', 'zoomFirstMs'),
          versus('click depth-3 frame → repaint with detail (ms)', 'zoomFinalMs'),
          versus('longest main-thread task (ms; 0 = none ≥ 50)', 'longestTaskMs'),
          ['browsers with a main-thread task ≥ 50 ms', String(results.filter((r) => r.longestTaskMs >= 50).length), String(baselineResults.filter((r) => r.longestTaskMs >= 50).length), '', ''],
        ]
      : [];
    return {
      results,
      baselineResults,
      ingestMs,
      rows: [
        ['end to end (1M-node profile, ' + runs + ' fresh browsers)', 'median', 'runs', 'target', ''],
        row('open /explore → flame graph painted (ms)', 'openMs', TARGETS.openMs),
        row('  flame-graph request sent at (ms)', 'flameAskedMs'),
        row('  flame-graph answer in at (ms)', 'flameAnswerMs'),
        row('  start-up decode laid the answer out at (ms)', 'openPredecodedMs'),
        row('  page ready for the answer at (ms)', 'openPageReadyMs'),
        row('  page had the answer at (ms)', 'openTakenMs'),
        row('  frames back from the worker at (ms)', 'openLaidOutMs'),
        row('  decode + layout of the open (ms)', 'openWorkMs', undefined, 1),
        row('click depth-3 frame → first repaint (ms)', 'zoomFirstMs', TARGETS.zoomFirstMs),
        row('click depth-3 frame → repaint with detail (ms)', 'zoomFinalMs', TARGETS.zoomFinalMs),
        row('  zoom answer in at (ms after the click)', 'zoomAnswerMs'),
        row('  spliced frames back from the worker at (ms)', 'zoomLaidOutMs'),
        row('  worker: decode + splice + layout (ms)', 'zoomWorkMs', undefined, 1),
        row('longest main-thread task (ms; 0 = none ≥ 50)', 'longestTaskMs', TARGETS.longestTaskMs),
        row('  of which after the flame-graph answer arrived', 'longestTaskAfterAnswerMs', TARGETS.longestTaskMs),
        row('frames painted at open', 'openFrames'),
        row('frames under the zoomed frame: first repaint', 'zoomFirstFramesUnder'),
        row('frames under the zoomed frame: with detail', 'zoomFinalFramesUnder'),
        ['first browser after the ingest (not in the medians): open / longest task (ms)', `${first.openMs.toFixed(0)} / ${first.longestTaskMs.toFixed(0)}`, '', '', ''],
        ['ingest of the 11.4 MiB pprof (ms, once)', ingestMs.toFixed(0), '', '', ''],
        ['machine load average (1 min) before → after', `${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`, '', '', ''],
        ...baselineRows,
      ],
    };
  } finally {
    await server.stop();
    await baseline?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows } = await runEndToEnd({ progress: (m) => process.stderr.write(`  … ${m}\n`) });
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  console.log(rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n'));
}
