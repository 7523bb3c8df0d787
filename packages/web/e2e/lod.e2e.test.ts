import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page, Response, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeLevels,
  decodeTreeWire,
  flameGraphFromStacks,
  formatValue,
  frameAtPath,
  framesFromLodTree,
  pathOf,
  searchFrames,
  stacksFromCollapsed,
  type DecodedTreeWire,
  type FlameFrames,
} from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The level-of-detail flame graph (issue 13) in Debian's Chromium against a real server holding a
 * real profile with far more nodes than a graph's width can show: the painted root total is the
 * profile's, every painted frame is a real node with its exact values (no "other"), and zooming into
 * a frame whose children were cut loads them in the background (more frames under it, same totals).
 * Paint state comes from the canvas's data attributes (flamegraph/paintMark.ts).
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const ROW_HEIGHT_CSS_PX = 18;
const ALLOC_SPACE = 'memory:alloc_space:bytes:space:bytes';
// Loki's heap profile: ~2.2 TB of allocations over thousands of call-tree nodes (testdata/expected.json).
const expected = JSON.parse(readFileSync(path.join(testdataDir, 'expected.json'), 'utf8')) as Record<string, { sample_types?: { type: string; sum: number }[] }>;
const allocSpaceSum = expected['go/heap']!.sample_types!.find((t) => t.type === 'alloc_space')!.sum;

describe('level-of-detail flame graph in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/heap') }]);
    const response = await ingest(server.baseUrl, { name: 'loki', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - 200) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  /** Tree answers the page receives, decoded here in Node with core's decoder. */
  const treeAnswers = (page: Page): Array<{ url: URL; answer: DecodedTreeWire }> => {
    const answers: Array<{ url: URL; answer: DecodedTreeWire }> = [];
    page.on('response', (response: Response) => {
      const url = new URL(response.url());
      if (url.pathname !== '/api/v1/flamegraph' || url.searchParams.get('format') !== 'tree') return;
      void response.body().then((bytes) => answers.push({ url, answer: decodeTreeWire(new Uint8Array(bytes)) }));
    });
    return answers;
  };

  const painted = (page: Page, focus: string) =>
    page.locator(`[data-testid="flamegraph-canvas"][data-paint-state="final"][data-paint-focus="${focus.replace(/"/g, '\\"')}"]`).first();

  /** The whole merged profile, from the folded-text export (not the tree path), by root-first path. */
  const truthFor = async (url: URL): Promise<{ frames: FlameFrames; byPath: Map<string, { total: number; self: number }> }> => {
    const params = new URLSearchParams({ query: url.searchParams.get('query')!, from: url.searchParams.get('from')!, until: url.searchParams.get('until')!, format: 'collapsed' });
    const text = await (await fetch(`${server.baseUrl}/api/v1/flamegraph?${params}`)).text();
    const frames = decodeLevels(flameGraphFromStacks(stacksFromCollapsed(text)));
    const byPath = new Map<string, { total: number; self: number }>();
    for (let f = 0; f < frames.count; f++) byPath.set(JSON.stringify(pathOf(frames, f)), { total: frames.totalValues[f]!, self: frames.selfValues[f]! });
    return { frames, byPath };
  };

  const expectExact = (answer: DecodedTreeWire, byPath: Map<string, { total: number; self: number }>): void => {
    const frames = framesFromLodTree(answer.tree);
    for (let f = 0; f < frames.count; f++) {
      const framePath = pathOf(frames, f);
      expect(framePath).not.toContain('other');
      const truth = byPath.get(JSON.stringify(framePath));
      expect(truth, framePath.join(';')).toBeDefined();
      expect([frames.totalValues[f], frames.selfValues[f]]).toEqual([truth!.total, truth!.self]);
    }
  };

  it('paints the exact root total from whole frames, then zooms into a cut frame and splices its detail in', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const answers = treeAnswers(page);
    await page.goto(`${server.baseUrl}/explore?service=loki&type=${encodeURIComponent(ALLOC_SPACE)}`);
    const canvas = painted(page, '');
    await canvas.waitFor({ timeout: 30_000 });

    // The painted graph: the profile's total, every frame the server sent and nothing else.
    expect(Number(await canvas.getAttribute('data-paint-total'))).toBe(allocSpaceSum);
    expect(Number(await page.getByTestId('flamegraph-total').getAttribute('data-total'))).toBe(allocSpaceSum);
    await expect.poll(() => answers.length).toBeGreaterThan(0);
    const open = answers.find((a) => !a.url.searchParams.has('focus') && a.url.searchParams.get('width') !== '1')!;
    expect(open).toBeDefined();
    const width = Number(open.url.searchParams.get('width'));
    expect(width).toBeGreaterThan(400);
    expect(Number(await canvas.getAttribute('data-paint-frames'))).toBe(open.answer.header.nodeCount);
    expect(open.answer.header.nodeCount).toBeLessThan(open.answer.header.fullNodeCount);
    expect(open.answer.tree.names).not.toContain('other');
    const truth = await truthFor(open.url);
    expect(truth.frames.totalValue).toBe(allocSpaceSum);
    expectExact(open.answer, truth.byPath);
    expect(await page.getByTestId('truncation-info').textContent()).toMatch(/of [\d,]+ nodes drawn, every one at least 1 px wide/);

    // Zoom into the frame of depth 1..4 that hides the most value the zoomed view would show.
    const frames = framesFromLodTree(open.answer.tree);
    const box = (await canvas.boundingBox())!;
    let target = -1;
    let bestHidden = 0;
    for (let f = 1; f < frames.count; f++) {
      if (frames.depth[f]! > 4 || frames.truncated[f] !== 1) continue;
      let hidden = frames.totalValues[f]! - frames.selfValues[f]!;
      for (let g = f + 1; g < frames.count; g++) if (frames.parent[g] === f) hidden -= frames.totalValues[g]!;
      const widthCssPx = (frames.totalValues[f]! / frames.totalValue) * box.width;
      if (widthCssPx >= 30 && hidden * width >= frames.totalValues[f]! && hidden > bestHidden) {
        bestHidden = hidden;
        target = f;
      }
    }
    expect(target, 'a wide frame whose children were cut').toBeGreaterThan(0);
    const targetPath = pathOf(frames, target);
    const cssX = ((frames.startValue[target]! + frames.totalValues[target]! / 2) / frames.totalValue) * box.width;
    await page.mouse.click(box.x + cssX, box.y + frames.depth[target]! * ROW_HEIGHT_CSS_PX + ROW_HEIGHT_CSS_PX / 2);
    const focus = targetPath.join(';');
    await expect.poll(() => new URL(page.url()).searchParams.get('focus')).toBe(focus);
    const zoomed = painted(page, focus);
    await zoomed.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(artifacts, 'lod-zoom.png') });

    // The detail arrived: more frames under the zoomed one, the same root total, exact values.
    let framesUnderBefore = 0;
    for (let f = target + 1; f < frames.count; f++) {
      for (let a = frames.parent[f]!; a >= 0; a = frames.parent[a]!) {
        if (a === target) {
          framesUnderBefore++;
          break;
        }
      }
    }
    const framesUnderAfter = Number(await zoomed.getAttribute('data-paint-frames-under-focus'));
    expect(framesUnderAfter, `frames under ${focus}`).toBeGreaterThan(framesUnderBefore);
    expect(Number(await zoomed.getAttribute('data-paint-total'))).toBe(allocSpaceSum);
    const detail = answers.find((a) => a.url.searchParams.get('focus') === focus);
    expect(detail, 'the zoom fetched its subtree').toBeDefined();
    expectExact(detail!.answer, truth.byPath);
    // Everything at least one pixel wide in the zoomed view is drawn: count it in the whole profile.
    const truthTarget = frameAtPath(truth.frames, targetPath);
    expect(truthTarget).toBeGreaterThan(0);
    const viewTotal = truth.frames.totalValues[truthTarget]!;
    let visibleUnder = 0;
    for (let f = truthTarget + 1; f < truth.frames.count; f++) {
      let wide = true;
      let under = false;
      for (let a = f; a >= 0; a = truth.frames.parent[a]!) {
        if (a === truthTarget) {
          under = true;
          break;
        }
        if (truth.frames.totalValues[a]! * width < viewTotal) wide = false;
      }
      if (under && wide) visibleUnder++;
    }
    expect(framesUnderAfter).toBeGreaterThanOrEqual(visibleUnder);
    expect(await page.getByTestId('truncation-info').textContent()).toMatch(/zoomed subtree loaded in full detail/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('search reports the exact matched total of the whole profile, not of the frames drawn', async () => {
    const page = await context.newPage();
    const answers = treeAnswers(page);
    await page.goto(`${server.baseUrl}/explore?service=loki&type=${encodeURIComponent(ALLOC_SPACE)}&search=compress`);
    await painted(page, '').waitFor({ timeout: 30_000 });
    const result = page.getByTestId('flamegraph-search-result').first();
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/ of total$/);
    const open = answers.find((a) => !a.url.searchParams.has('focus') && a.url.searchParams.get('width') !== '1')!;
    const truth = await truthFor(open.url);
    const exact = searchFrames(truth.frames, { text: 'compress', regex: false });
    expect(exact.matchedValue).toBeGreaterThan(0);
    expect(await result.textContent()).toContain(`· ${formatValue(exact.matchedValue, 'bytes')} ·`);
    await page.close();
  });

  /**
   * Nothing moves when the timeline arrives after the flame graph (issue 13): the timeline's place is
   * held at its size while its answer and uPlot load. The page's timeline answer is held back here
   * until the flame graph has painted, as it is on a big profile, then let through; the flame graph's
   * canvas must be where it was, and the timeline's block as tall as its placeholder was.
   */
  it('keeps the flame graph in place when the timeline arrives after it', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let heldBack = 0;
    await page.route('**/api/v1/timeline?**', async (route: Route) => {
      heldBack++;
      await released;
      await route.continue();
    });
    await page.goto(`${server.baseUrl}/explore?service=loki&type=${encodeURIComponent(ALLOC_SPACE)}`);
    const canvas = page.locator('[data-testid="flamegraph-canvas"][data-paint-state="final"][data-paint-focus=""]').first();
    await canvas.waitFor({ timeout: 30_000 });
    // Where the graph first painted: the panels that come after it (title, share, export, top table) must not move it.
    const firstPaint = (await canvas.boundingBox())!;
    await expect.poll(() => heldBack, { timeout: 10_000 }).toBeGreaterThan(0);
    const placeholder = page.getByTestId('timeline-placeholder');
    await placeholder.waitFor({ timeout: 10_000 });
    // Let the rest of the page settle (labels, top table, frame filters) with the timeline still out.
    await page.waitForTimeout(500);
    const before = (await canvas.boundingBox())!;
    expect(Math.abs(before.y - firstPaint.y), `flame graph moved from y=${firstPaint.y} to y=${before.y} after its first paint`).toBeLessThan(1);
    const placeholderBox = (await placeholder.boundingBox())!;
    const placeholderParts = { plot: (await page.getByTestId('timeline-placeholder-plot').boundingBox())!.height, legend: (await placeholder.locator('table').boundingBox())!.height };
    expect(placeholderBox.height).toBeGreaterThan(140);

    release();
    // The timeline with its uPlot chart drawn.
    await page.locator('[data-testid="timeline"] canvas').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    const after = (await canvas.boundingBox())!;
    const timelineBox = (await page.getByTestId('timeline').boundingBox())!;
    await page.screenshot({ path: path.join(artifacts, 'layout-timeline-arrived.png') });
    expect(await page.getByTestId('timeline-placeholder').count()).toBe(0);
    const timelineParts = { plot: (await page.getByTestId('timeline-canvas').boundingBox())!.height, legend: (await page.getByTestId('timeline-legend').boundingBox())!.height };
    expect(timelineParts, 'the timeline has the sizes its placeholder held').toEqual(placeholderParts);
    expect(Math.abs(after.y - before.y), `flame graph moved from y=${before.y} to y=${after.y}`).toBeLessThan(1);
    expect(Math.abs(timelineBox.height - placeholderBox.height)).toBeLessThan(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
