import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Label filter chips and the labels breakdown in Chromium against a real server: the same fixture
 * is ingested twice as region=eu and once as region=us, so each filter has a different, known total.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

describe('label filters in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  const upload = async (name: string, ageSec: number): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    const response = await ingest(server.baseUrl, { name, spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    await upload('shop{region=eu}', 120);
    await upload('shop{region=eu}', 600);
    await upload('shop{region=us}', 300);
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (urlPath: string): Promise<Page & { errors: string[] }> => {
    const page = (await context.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(error.message));
    await page.goto(`${server.baseUrl}${urlPath}`);
    return page;
  };

  /** The flame graph's total as the page holds it (the exact number, not the formatted text). */
  const shownTotal = async (page: Page): Promise<number> => Number(await page.getByTestId('flamegraph-total').getAttribute('data-total'));

  /** The total for a selector, asked of the API directly. */
  const apiTotal = async (type: string, selector: string): Promise<number> => {
    const params = new URLSearchParams({ query: `${type}${selector}`, from: String(Date.now() - 3_600_000), until: String(Date.now()) });
    const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${params.toString()}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { flamegraph: { total: number } }).flamegraph.total;
  };

  const addChip = async (page: Page, name: string, op: string, value: string): Promise<void> => {
    await expect.poll(() => page.getByTestId('filter-name').locator('option').allTextContents()).toContain(name);
    await page.getByTestId('filter-name').selectOption(name);
    await page.getByTestId('filter-op').selectOption(op);
    await page.getByTestId('filter-value').fill(value);
    await page.getByTestId('filter-add').click();
  };

  it('Profiling page: a chip filters every query to the exact filtered total; removing it restores the total; reload keeps it', async () => {
    const page = await open('/pyroscope?service=shop');
    await page.getByTestId('flamegraph-total').waitFor();
    const type = await page.getByTestId('profile-type-select').inputValue();
    const all = await apiTotal(type, '{service_name="shop"}');
    const eu = await apiTotal(type, '{service_name="shop", region="eu"}');
    const us = await apiTotal(type, '{service_name="shop", region="us"}');
    // The fixture twice against once: the filters must give different totals for the test to mean anything.
    expect(eu).toBe(2 * us);
    expect(all).toBe(eu + us);
    await expect.poll(() => shownTotal(page)).toBe(all);

    // Values are suggested by the server for the chosen label.
    await expect.poll(() => page.getByTestId('filter-name').locator('option').allTextContents()).toContain('region');
    await page.getByTestId('filter-name').selectOption('region');
    await expect
      .poll(async () => (await page.getByTestId('filter-value-suggestions').locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).sort())
      .toEqual(['eu', 'us']);

    const queried: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (/\/api\/v1\/(flamegraph|timeline)$/.test(url.pathname)) queried.push(url.searchParams.get('query') ?? '');
    });
    await page.getByTestId('filter-op').selectOption('=');
    await page.getByTestId('filter-value').fill('eu');
    await page.getByTestId('filter-add').click();
    await expect.poll(() => page.url()).toContain(`filter=${encodeURIComponent('region=eu')}`);
    await expect.poll(() => shownTotal(page)).toBe(eu);
    expect(await page.getByTestId('filter-chip').getAttribute('data-chip')).toBe('region="eu"');
    // Flame graph (with its top table), timeline and the Top functions section all asked for the filtered selection.
    await expect.poll(() => page.getByTestId('top-functions').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(queried.length).toBeGreaterThanOrEqual(3);
    for (const query of queried) expect(query).toContain('region="eu"');
    await page.screenshot({ path: path.join(artifacts, 'profiling-label-filter.png') });

    await page.reload();
    await page.getByTestId('filter-chip').waitFor();
    expect(await page.getByTestId('filter-chip').getAttribute('data-chip')).toBe('region="eu"');
    await expect.poll(() => shownTotal(page)).toBe(eu);

    // "Open comparison" carries the chip: both sides of the comparison are the filtered selection.
    const compareHref = await page.getByTestId('compare-link').getAttribute('href');
    expect(new URL(compareHref!, server.baseUrl).searchParams.getAll('filter')).toEqual(['region=eu']);
    const compare = await open(compareHref!);
    await expect.poll(() => compare.getByTestId('diff-totals').getAttribute('data-comparison-total').then(Number)).toBe(eu);
    expect(compare.errors).toEqual([]);
    await compare.close();

    await page.getByTestId('filter-chip-remove').click();
    await expect.poll(() => shownTotal(page)).toBe(all);
    expect(page.url()).not.toContain('filter=');
    expect(await page.getByTestId('filter-chip').count()).toBe(0);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('Explore: a regex chip with a bad pattern shows the server’s 400 message next to the chip', async () => {
    const page = await open('/explore?service=shop');
    await page.getByTestId('flamegraph-total').waitFor();
    const type = await page.getByTestId('profile-type-select').inputValue();
    await addChip(page, 'region', '=~', 'e(u');
    const error = page.getByTestId('filter-chip-error');
    await error.waitFor();
    const params = new URLSearchParams({ query: `${type}{service_name="shop", region=~"e(u"}` });
    const response = await fetch(`${server.baseUrl}/api/v1/labels?${params.toString()}`);
    expect(response.status).toBe(400);
    const serverMessage = ((await response.json()) as { message: string }).message;
    expect(serverMessage).toContain('invalid regular expression');
    expect(await error.textContent()).toBe(serverMessage);
    await page.getByTestId('explorer-controls').locator('..').screenshot({ path: path.join(artifacts, 'label-filter-invalid-regex.png') });
    // The refused chip is kept (in the URL too) so it can be read and fixed; a link to it shows the same message.
    expect(new URL(page.url()).searchParams.getAll('filter')).toEqual(['region=~e(u']);
    await page.reload();
    await page.getByTestId('filter-chip-error').waitFor();
    expect(await page.getByTestId('filter-chip-error').textContent()).toBe(serverMessage);
    await page.getByTestId('filter-chip-remove').click();
    await addChip(page, 'region', '=~', 'e.');
    await expect.poll(() => shownTotal(page)).toBe(await apiTotal(type, '{service_name="shop", region=~"e."}'));
    expect(await page.getByTestId('filter-chip-error').count()).toBe(0);
    await page.close();
  });

  it('labels breakdown: one timeline and share per value; clicking one filters to it', async () => {
    const page = await open('/explore?service=shop');
    await page.getByTestId('flamegraph-total').waitFor();
    const type = await page.getByTestId('profile-type-select').inputValue();
    await expect.poll(() => page.getByTestId('breakdown-label').locator('option').allTextContents()).toContain('region');
    await page.getByTestId('breakdown-label').selectOption('region');
    const rows = page.getByTestId('breakdown-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-value')))).toEqual(['eu', 'us']);
    const shares = (await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-share'))))) as number[];
    expect(shares[0]).toBeCloseTo(2 / 3, 6);
    expect(shares[1]).toBeCloseTo(1 / 3, 6);
    // The sparklines' chart code loads on demand (uPlot, after the flame graph's first paint).
    await expect.poll(() => page.getByTestId('label-breakdown').locator('.sparkline canvas').count()).toBe(2);
    await page.screenshot({ path: path.join(artifacts, 'label-filters.png'), fullPage: true });

    await rows.nth(1).click();
    await expect.poll(() => page.url()).toContain(`filter=${encodeURIComponent('region=us')}`);
    await expect.poll(() => shownTotal(page)).toBe(await apiTotal(type, '{service_name="shop", region="us"}'));
    expect(await page.getByTestId('filter-chip').getAttribute('data-chip')).toBe('region="us"');
    // Filtered to one value, the breakdown shows that value alone at 100 %.
    await expect.poll(() => rows.count()).toBe(1);
    expect(Number(await rows.first().getAttribute('data-share'))).toBe(1);
    await page.screenshot({ path: path.join(artifacts, 'label-filters-applied.png'), fullPage: true });
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
