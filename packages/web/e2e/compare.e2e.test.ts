import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/** The comparison view in Chromium against a real server: presets, modes, table filters, side by side. */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

describe('Compare view in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    // go.cpu.labels carries pprof labels function=fast|slow: two sides of one service to compare.
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/go.cpu.labels.pprof') }]);
    const response = await ingest(server.baseUrl, { name: 'backend', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - 120) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (query: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/compare${query}`);
    return page;
  };
  const statuses = async (page: Page): Promise<string[]> => page.locator('[data-testid="diff-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status') ?? ''));

  it('label preset: one value against another as a diff flame graph and a diff table', async () => {
    const page = await open('?service=backend&preset=labels&label=function&a=fast&b=slow');
    await page.getByTestId('diff-graph').waitFor();
    await page.getByTestId('diff-flamegraph').locator('canvas').waitFor();
    await expect.poll(async () => (await statuses(page)).length).toBeGreaterThan(0);
    const seen = new Set(await statuses(page));
    expect([...seen].some((s) => s === 'new' || s === 'removed' || s === 'grew' || s === 'shrank')).toBe(true);
    expect(await page.getByTestId('compare-sides').textContent()).toMatch(/function="fast"[\s\S]*function="slow"/);
    expect(await page.getByTestId('diff-legend').textContent()).toMatch(/grew[\s\S]*shrank[\s\S]*new[\s\S]*removed/);
    await page.screenshot({ path: path.join(artifacts, 'compare-diff.png') });

    // Mode switch: relative shares, and the page says so.
    await page.getByTestId('compare-mode-relative').click();
    await expect.poll(() => page.url()).toContain('mode=relative');
    await expect.poll(async () => (await page.getByTestId('compare-normalization').textContent()) ?? '').toMatch(/relative/);
    expect(await page.locator('[data-testid="diff-table"] tbody tr td.num').first().textContent()).toMatch(/%/);

    // Filters.
    await page.getByTestId('diff-filter').selectOption('new');
    await expect.poll(async () => [...new Set(await statuses(page))]).toEqual(expect.arrayContaining([]));
    for (const status of await statuses(page)) expect(status).toBe('new');
    await page.getByTestId('diff-filter').selectOption('changed');
    for (const status of await statuses(page)) expect(['grew', 'shrank']).toContain(status);
    await page.getByTestId('diff-sort').selectOption('relative');
    await expect.poll(() => page.url()).toContain('sort=relative');
    await page.close();
  });

  it('time presets: a baseline a day earlier (no data there) makes everything new; previous period likewise', async () => {
    for (const preset of ['day', 'previous']) {
      const page = await open(`?service=backend&preset=${preset}`);
      await page.getByTestId('diff-table').waitFor();
      await expect.poll(async () => (await statuses(page)).length).toBeGreaterThan(0);
      expect(new Set(await statuses(page))).toEqual(new Set(['new']));
      await page.getByTestId('diff-filter').selectOption('removed');
      await expect.poll(async () => (await page.getByTestId('diff-table').textContent()) ?? '').toContain('No function matches this filter.');
      await page.close();
    }
  });

  it('side by side shares one zoom between both graphs', async () => {
    const page = await open('?service=backend&preset=labels&label=function&a=fast&b=slow&view=side');
    const left = page.getByTestId('side-baseline');
    const right = page.getByTestId('side-comparison');
    await left.locator('canvas').waitFor();
    await right.locator('canvas').waitFor();
    const box = (await left.locator('canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.5, box.y + 30);
    await expect.poll(() => page.url()).toContain('focus=');
    const focus = new URL(page.url()).searchParams.get('focus')!;
    const last = focus.split(';').pop()!;
    await expect.poll(async () => (await right.getByTestId('flamegraph-breadcrumbs').textContent()) ?? '').toContain(last.slice(0, 20));
    await page.screenshot({ path: path.join(artifacts, 'compare-side.png') });
    await page.close();
  });

  it('the Profiling page links to the comparison with its service and range', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=backend&from=now-3h`);
    const link = page.getByTestId('compare-link');
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    expect(href).toContain('/compare?');
    expect(href).toContain('service=backend');
    expect(href).toContain('from=now-3h');
    await page.goto(`${server.baseUrl}/explore?service=backend`);
    expect(await page.getByTestId('explore-compare-link').getAttribute('href')).toContain('/compare?service=backend');
    await page.close();
  });
});
