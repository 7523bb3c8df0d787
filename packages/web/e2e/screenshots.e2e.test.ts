import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';
import { familyNames, pageFaces } from '../src/flamegraph/font.js';

/**
 * Every page at 1280×800 and 1920×1080, saved as `artifacts/page-<name>-<w>x<h>.png` (committed, and
 * looked at), with the layout rules checked where a screenshot cannot be trusted to catch them: one
 * scroll area (the window or the Profiling page's main view, never both), and every column of the
 * top table inside its panel in "Graph + table".
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** Faces ("weight|size|family list", as computed styles give them) that no warmed face covers. */
function unwarmedFaces(used: readonly string[]): string[] {
  const warmed = pageFaces().map((face) => ({ ...face, names: new Set(familyNames(face.family)) }));
  return used.filter((face) => {
    const [weight, size, family] = face.split('|') as [string, string, string];
    return !warmed.some((warm) => warm.weight === Number(weight) && warm.sizeCssPx === Number(size) && familyNames(family).every((name) => warm.names.has(name)));
  });
}

describe('every page at both viewport sizes', () => {
  let server: StartedServer;
  let snapshotPath = '';
  const contexts: BrowserContext[] = [];

  const upload = async (file: string, name: string, ageSec: number, spyName = 'gospy'): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(server.baseUrl, { name, spyName, from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    for (const age of [3000, 2400, 1800, 1200, 600, 120]) await upload('go/cpu.pb.gz', 'checkout{region=eu}', age);
    for (const age of [2700, 1500, 300]) await upload('java/profile_java', 'checkout{region=us}', age);
    for (const age of [2000, 900, 200]) await upload('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', 'node-api', age, 'nodespy');
    for (const age of [1900, 800]) await upload('go/heap.pb.gz', 'checkout{region=eu}', age);
    const now = Date.now();
    const created = await fetch(`${server.baseUrl}/api/v1/snapshots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `${CPU}{service_name="checkout"}`, from: now - 3_600_000, until: now, title: 'checkout · CPU · last hour', viewUrl: '/pyroscope?service=checkout' }),
    });
    expect(created.status).toBe(201);
    snapshotPath = ((await created.json()) as { url: string }).url;
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
  });

  const pages: { name: string; path: () => string; ready: (page: Page) => Promise<void>; prepare?: (page: Page) => Promise<void> }[] = [
    { name: 'profiling', path: () => '/pyroscope?service=checkout', ready: (p) => p.getByTestId('flamegraph-canvas').first().waitFor() },
    { name: 'profiling-all', path: () => '/pyroscope', ready: (p) => p.getByTestId('flamegraph-total').waitFor() },
    { name: 'explore', path: () => '/explore?service=checkout&groupBy=region', ready: (p) => p.getByTestId('flamegraph-canvas').first().waitFor() },
    {
      name: 'explore-heatmap',
      path: () => `/explore?service=checkout&type=${encodeURIComponent(CPU)}&timeline=heatmap`,
      ready: async (p) => {
        await p.getByTestId('heatmap-cell').first().waitFor();
      },
    },
    { name: 'compare', path: () => '/compare?service=checkout', ready: (p) => p.getByTestId('diff-totals').waitFor() },
    { name: 'request', path: () => '/request?service=checkout', ready: (p) => p.locator('main').first().waitFor() },
    { name: 'snapshots', path: () => '/snapshots', ready: (p) => p.getByText('checkout · CPU · last hour').first().waitFor() },
    { name: 'snapshot', path: () => snapshotPath, ready: (p) => p.getByTestId('flamegraph-canvas').first().waitFor() },
    {
      name: 'upload',
      path: () => '/upload',
      ready: (p) => p.getByTestId('upload-flamegraph').waitFor(),
      prepare: (p) => p.getByTestId('upload-input').setInputFiles(path.join(testdataDir, 'go/cpu.pb.gz')),
    },
    { name: 'rules', path: () => '/rules', ready: (p) => p.locator('h1').first().waitFor() },
    { name: 'not-found', path: () => '/no/such/page', ready: (p) => p.getByTestId('app-nav').waitFor() },
  ];

  for (const size of SIZES) {
    it(`${size.width}×${size.height}: every page, one scroll area, the whole top table`, async () => {
      const context = await launchChromium({ viewport: size });
      contexts.push(context);
      for (const entry of pages) {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${server.baseUrl}${entry.path()}`);
        await entry.prepare?.(page);
        await entry.ready(page);
        // Let late panels (breakdown, top functions, regressions) settle before the picture.
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(300);

        // One scroll area: when the Profiling page's main view scrolls, the window must not.
        const scroll = await page.evaluate(() => {
          const main = document.querySelector('.main-view');
          const doc = document.scrollingElement!;
          return { windowScrolls: doc.scrollHeight > window.innerHeight + 1, mainScrolls: main ? main.scrollHeight > main.clientHeight + 1 : false };
        });
        expect(scroll.windowScrolls && scroll.mainScrolls, `${entry.name}: two scroll areas`).toBe(false);

        // Every top-table column lies inside its panel ("Graph + table" is the default view).
        const clipped = await page.evaluate(() =>
          [...document.querySelectorAll('.flame-layout.view-both .top-table')].flatMap((table) => {
            const box = table.getBoundingClientRect();
            return [...table.querySelectorAll('thead th')].filter((th) => th.getBoundingClientRect().right > box.right + 1).map((th) => th.textContent);
          }),
        );
        expect(clipped, `${entry.name}: top-table columns cut off`).toEqual([]);

        // Pages that warm their fonts before the first layout (font.ts) warm every face their text uses.
        if (entry.name === 'explore' || entry.name === 'profiling') {
          const used = await page.evaluate(() => {
            const faces = new Set<string>();
            for (const element of document.querySelectorAll('body *')) {
              if (![...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== '')) continue;
              const style = getComputedStyle(element);
              faces.add(`${style.fontWeight}|${parseFloat(style.fontSize)}|${style.fontFamily}`);
            }
            return [...faces];
          });
          expect(unwarmedFaces(used), `${entry.name}: faces the start-up does not warm`).toEqual([]);
        }

        await page.screenshot({ path: path.join(artifacts, `page-${entry.name}-${size.width}x${size.height}.png`) });
        expect(errors, entry.name).toEqual([]);
        await page.close();
      }
      await context.close();
    }, 180_000);
  }
});
