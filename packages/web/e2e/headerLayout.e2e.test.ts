import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Layout rules a screenshot shows but no other test checks, at 1280×800 and 1920×1080: the flame
 * panel's controls (title, Share, Export, view tabs) share one row under the heading, the compare
 * timeline keeps room for a tick label at its right edge, and Explore's header is the shared AppNav.
 */
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
/** uPlot's axis font (its default) and the widest tick label the compare timeline draws over a day. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
const WIDEST_X_LABEL = '11-29 03:00';

describe('header and timeline layout at both viewport sizes', () => {
  let server: StartedServer;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startServer();
    for (const ageSec of [1800, 600]) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
      const response = await ingest(server.baseUrl, { name: 'checkout', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
  });

  const centreY = async (page: Page, testId: string): Promise<number> => {
    const box = (await page.getByTestId(testId).first().boundingBox())!;
    return box.y + box.height / 2;
  };

  for (const size of SIZES) {
    it(`${size.width}×${size.height}`, async () => {
      const context = await launchChromium({ viewport: size });
      contexts.push(context);
      const errors: string[] = [];

      for (const pagePath of [`/pyroscope?service=checkout&type=${encodeURIComponent(CPU)}`, `/explore?service=checkout&type=${encodeURIComponent(CPU)}`]) {
        const page = await context.newPage();
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${server.baseUrl}${pagePath}`);
        await page.getByTestId('export-select').waitFor();
        // The layout settled: the flame graph now paints before the timeline's answer and chart are in,
        // and their arrival moves the rows below it.
        await page.getByTestId('timeline-canvas').locator('canvas').first().waitFor();
        // One row of controls: Export is neither alone on a line nor below the tabs.
        const row = await centreY(page, 'share-button');
        expect(Math.abs((await centreY(page, 'share-title')) - row), `${pagePath}: title`).toBeLessThan(8);
        expect(Math.abs((await centreY(page, 'export-select')) - row), `${pagePath}: Export`).toBeLessThan(8);
        const tabs = (await page.getByRole('tablist', { name: 'Flame graph view' }).boundingBox())!;
        expect(Math.abs(tabs.y + tabs.height / 2 - row), `${pagePath}: view tabs`).toBeLessThan(8);
        // Below the heading, never beside a cut-off heading.
        const heading = (await page.locator('#flamegraph-heading').boundingBox())!;
        expect(heading.y + heading.height).toBeLessThanOrEqual(row);
        const exportBox = (await page.getByTestId('export-select').boundingBox())!;
        expect(exportBox.width).toBeLessThan(130);
        await page.close();
      }

      // Explore's header is the app's navigation, with Explore current and Compare keeping the selection.
      const explore = await context.newPage();
      explore.on('pageerror', (error) => errors.push(error.message));
      await explore.goto(`${server.baseUrl}/explore?service=checkout`);
      const nav = explore.locator('.page-header').getByTestId('app-nav');
      await nav.waitFor();
      expect(await nav.locator('[aria-current="page"]').textContent()).toBe('Explore');
      expect(await nav.getByTestId('explore-compare-link').getAttribute('href')).toContain('/compare?service=checkout');
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Profiling', 'Explore', 'Compare', 'Open a file', 'Snapshots', 'Rules']);
      await explore.close();

      // The compare timeline's plot ends at least half a tick label before the chart's right edge.
      const compare = await context.newPage();
      compare.on('pageerror', (error) => errors.push(error.message));
      await compare.goto(`${server.baseUrl}/compare?service=checkout&type=${encodeURIComponent(CPU)}&from=now-24h&until=now`);
      const timeline = compare.getByTestId('compare-timeline');
      await timeline.locator('.u-over').waitFor();
      // The chart is drawn again when the page's later answers land (before this work too, ~0.2–0.4 s
      // after the first): both boxes are read from one drawn chart, in one call.
      const readBoxes = (): Promise<{ chart: { x: number; width: number }; plot: { x: number; width: number } } | null> =>
        timeline.evaluate((element) => {
          const canvas = element.querySelector('canvas');
          const over = element.querySelector('.u-over');
          if (!canvas || !over) return null;
          const a = canvas.getBoundingClientRect();
          const b = over.getBoundingClientRect();
          return { chart: { x: a.x, width: a.width }, plot: { x: b.x, width: b.width } };
        });
      await expect.poll(readBoxes).not.toBeNull();
      const { chart, plot } = (await readBoxes())!;
      const halfLabel = await compare.evaluate(
        ([font, text]) => {
          const ctx = document.createElement('canvas').getContext('2d')!;
          ctx.font = font!;
          return ctx.measureText(text!).width / 2;
        },
        [AXIS_FONT, WIDEST_X_LABEL],
      );
      expect(chart.x + chart.width - (plot.x + plot.width)).toBeGreaterThanOrEqual(halfLabel);
      await compare.close();
      expect(errors).toEqual([]);
    }, 120_000);
  }
});
