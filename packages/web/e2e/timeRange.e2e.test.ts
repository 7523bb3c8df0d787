import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The time-range controls against a real server: presets from 5 minutes to 30 days, a typed
 * relative range, shift earlier/later and zoom out (each moving the queried window, seen in the URL
 * and in whether the fixture's profile is in range), one time format, auto-refresh off by default.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

describe('time range in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  const HOUR_MS = 3_600_000;

  beforeAll(async () => {
    server = await startServer({ args: ['--ingest-window', '3h'] });
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    // One profile 90 minutes ago: inside "last 2h", outside "last 1h" and outside the 2 h before that.
    const response = await ingest(server.baseUrl, { name: 'clock-app', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - 90 * 60) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const param = (page: Page, name: string): string | null => new URL(page.url()).searchParams.get(name);
  const hasData = async (page: Page): Promise<boolean> => (await page.getByTestId('flamegraph-canvas').count()) > 0;
  const noData = async (page: Page): Promise<boolean> => (await page.getByTestId('no-data').count()) > 0;

  it('presets run from 5 minutes to 30 days; a typed now-2h applies and finds the profile 90 minutes back', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=clock-app`);
    // Default last hour: the profile is 90 minutes old, so nothing is in range.
    await expect.poll(() => noData(page), { timeout: 15_000 }).toBe(true);
    await page.getByTestId('time-range-button').click();
    const presets = await page.getByTestId('time-presets').locator('button').allTextContents();
    expect(presets[0]).toBe('Last 5 minutes');
    expect(presets[presets.length - 1]).toBe('Last 30 days');
    expect(presets).toContain('Last 7 days');
    await page.getByTestId('time-presets').getByRole('button', { name: 'Last 30 days' }).click();
    await expect.poll(() => param(page, 'from')).toBe('now-30d');
    expect(await page.getByTestId('time-range-button').textContent()).toBe('Last 30 days');
    await expect.poll(() => hasData(page), { timeout: 15_000 }).toBe(true);

    await page.getByTestId('time-range-button').click();
    expect(await page.getByTestId('time-from').inputValue()).toBe('now-30d');
    await page.getByTestId('time-from').fill('yesterday');
    expect(await page.getByTestId('time-range-error').textContent()).toMatch(/“From” is not a time/);
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'time-range-picker.png') });
    await page.getByTestId('time-from').fill('now - 2h');
    await page.getByTestId('time-until').fill('now');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => param(page, 'from')).toBe('now-2h');
    expect(await page.getByTestId('time-range-button').textContent()).toBe('Last 2h');
    await expect.poll(() => hasData(page), { timeout: 15_000 }).toBe(true);
    await page.close();
  });

  it('shift earlier, later and zoom out move the queried window', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=clock-app&from=now-1h`);
    await expect.poll(() => noData(page), { timeout: 15_000 }).toBe(true);
    // Ending now: nothing later to shift to.
    expect(await page.getByTestId('time-shift-later').isDisabled()).toBe(true);
    const beforeMs = Date.now();
    await page.getByTestId('time-shift-earlier').click();
    await expect.poll(() => param(page, 'from') ?? '').toMatch(/^\d{13}$/);
    const fromMs = Number(param(page, 'from'));
    const untilMs = Number(param(page, 'until'));
    expect(untilMs - fromMs).toBe(HOUR_MS);
    expect(Math.abs(untilMs - (beforeMs - HOUR_MS))).toBeLessThan(60_000);
    // 2 h → 1 h ago holds the profile from 90 minutes ago.
    await expect.poll(() => hasData(page), { timeout: 15_000 }).toBe(true);
    // Absolute ranges read in the app's one format.
    expect(await page.getByTestId('time-range-button').textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} → \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await page.getByTestId('time-shift-later').isDisabled()).toBe(false);
    await page.getByTestId('time-shift-later').click();
    // Back to the live last hour (the default, so it leaves the URL).
    await expect.poll(() => `${param(page, 'from')}|${param(page, 'until')}`).toBe('null|null');
    expect(await page.getByTestId('time-range-button').textContent()).toBe('Last 1 hour');
    await expect.poll(() => noData(page), { timeout: 15_000 }).toBe(true);
    await page.getByTestId('time-zoom-out').click();
    await expect.poll(() => param(page, 'from')).toBe('now-2h');
    await expect.poll(() => hasData(page), { timeout: 15_000 }).toBe(true);
    await page.getByTestId('time-zoom-out').click();
    await expect.poll(() => param(page, 'from')).toBe('now-4h');
    await page.close();
  });

  it('auto-refresh is off by default, with a visible toggle; no 12-hour times anywhere', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=clock-app&from=now-2h`);
    const toggle = page.getByTestId('auto-refresh-toggle');
    await toggle.waitFor();
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect(await toggle.textContent()).toBe('Off');
    expect(await page.getByTestId('auto-refresh-select').isDisabled()).toBe(true);
    // Nothing re-queries by itself while it is off.
    let queries = 0;
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/')) queries++;
    });
    await expect.poll(() => hasData(page), { timeout: 15_000 }).toBe(true);
    await page.waitForTimeout(500);
    const settled = queries;
    await page.waitForTimeout(1500);
    expect(queries).toBe(settled);
    expect(param(page, 'refresh')).toBeNull();
    await toggle.click();
    await expect.poll(() => param(page, 'refresh')).toBe('30s');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('auto-refresh-select').selectOption('1m');
    await expect.poll(() => param(page, 'refresh')).toBe('1m');
    await toggle.click();
    await expect.poll(() => param(page, 'refresh')).toBeNull();
    // Every time on the page, e.g. the service card's last profile, is 24-hour.
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).not.toMatch(/\d{1,2}:\d{2}(:\d{2})?\s?(am|pm)\b/i);
    await page.close();
  });
});
