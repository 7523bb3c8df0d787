import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Nothing moves when the timeline arrives after the flame graph (issue 13): the timeline's place is
 * held at its size while its answer and uPlot load. The page's timeline answer is held back here
 * until the flame graph has painted, as it is on a big profile, then let through; the flame graph's
 * canvas must be where it was, and the timeline's block as tall as its placeholder was.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const ALLOC_SPACE = 'memory:alloc_space:bytes:space:bytes';

describe('layout stability of /explore in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/heap') }]);
    const response = await ingest(server.baseUrl, { name: 'loki', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - 200) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-chromium-'));
    context = await launchChromium(userDataDir, { viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

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
