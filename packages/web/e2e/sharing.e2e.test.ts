import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTreeFromProfile, decodeCollapsed, decodeCpuprofile, totalOf } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Sharing and the smaller pages in Chromium against a real server: titled snapshots and exports
 * (PNG/SVG header with title and legend, HTML in the app's colours and formats), /upload with the
 * stored-data views and a Chrome .cpuprofile, the regressions panel (label chips, Node CPU time) and
 * the not-found page's navigation.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('sharing, upload, regressions and navigation in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  let downloads: string;

  const upload = async (file: string, name: string, ageSec: number, spyName = 'gospy'): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(server.baseUrl, { name, spyName, from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    await upload('go/cpu.pb.gz', 'shop{region=eu}', 120);
    await upload('java/profile_java', 'shop{region=us}', 300);
    await upload('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', 'node-api', 200, 'nodespy');
    downloads = mkdtempSync(path.join(os.tmpdir(), 'cinder-downloads-'));
    context = await launchChromium({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  const open = async (urlPath: string): Promise<Page & { errors: string[] }> => {
    const page = (await context.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(error.message));
    await page.goto(`${server.baseUrl}${urlPath}`);
    return page;
  };

  const exportAs = async (page: Page, format: string): Promise<{ name: string; bytes: Buffer }> => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-select').selectOption(format)]);
    const file = path.join(downloads, download.suggestedFilename());
    await download.saveAs(file);
    return { name: download.suggestedFilename(), bytes: readFileSync(file) };
  };

  it('the title names service, type, range and filters; an edited title goes into the snapshot and every export', async () => {
    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}&filter=${encodeURIComponent('region=eu')}`);
    await page.getByTestId('flamegraph-total').waitFor();
    const titleInput = page.getByTestId('share-title');
    const suggested = await titleInput.inputValue();
    expect(suggested).toMatch(/^shop · CPU · CPU time · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d → \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · region="eu"$/);

    const title = 'Checkout CPU during the eu incident';
    await titleInput.fill(title);
    await page.getByTestId('share-button').click();
    const link = await page.getByTestId('share-link').inputValue();
    const id = new URL(link).pathname.split('/').pop()!;
    const snapshot = (await (await fetch(`${server.baseUrl}/api/v1/snapshots/${id}`)).json()) as { title: string };
    expect(snapshot.title).toBe(title);
    const list = await open('/snapshots');
    await list.getByText(title).waitFor();
    await list.close();

    const svg = (await exportAs(page, 'svg')).bytes.toString('utf8');
    expect(svg).toContain(`data-role="title">${title}</text>`);
    expect(svg).toMatch(/data-role="legend">total [\d.]+ m?s in 1 profile · box width = share of the total · colour = package:/);
    expect(svg).toMatch(/<rect x="[\d.]+" y="31" width="10" height="10" fill="hsl\(/);

    const png = await exportAs(page, 'png');
    expect(png.name).toBe('cinder-Checkout-CPU-during-the-eu-incident.png');
    expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    writeFileSync(path.join(artifacts, 'export-titled.png'), png.bytes);
    // The header adds 52 px above the rows (height is bytes 20..23 of the IHDR chunk).
    const rowsOnly = png.bytes.readUInt32BE(20) - 52;
    expect(rowsOnly % 18).toBe(0);

    const html = (await exportAs(page, 'html')).bytes;
    const htmlPath = path.join(downloads, 'titled.html');
    writeFileSync(htmlPath, html);
    const offline = await context.newPage();
    await offline.goto(`file://${htmlPath}`);
    expect(await offline.title()).toBe(title);
    // The app's number format ("470 ms"), not "470.0 ms"; colours per package, not one flat hue.
    expect(await offline.locator('#info').textContent()).toBe('total 470 ms');
    const colors = JSON.parse((await offline.locator('#data').textContent())!) as { colors: string[] };
    expect(new Set(colors.colors).size).toBeGreaterThan(2);
    await offline.screenshot({ path: path.join(artifacts, 'export-html-titled.png') });
    await offline.close();
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('/upload: a Chrome .cpuprofile opens with search, top table, sandwich and exports', async () => {
    const page = await open('/upload');
    const fixture = path.join(testdataDir, 'chrome-cpuprofile/example.cpuprofile');
    await page.getByTestId('upload-input').setInputFiles(fixture);
    await page.getByTestId('upload-view').waitFor();
    expect(await page.getByTestId('upload-view').locator('h2').textContent()).toContain('Chrome .cpuprofile');
    const expected = totalOf(decodeCpuprofile(readFileSync(fixture, 'utf8')), 0);
    expect(Number(await page.getByTestId('upload-total').getAttribute('data-total'))).toBe(expected);

    // The top table lists functions; the flame graph's search filters it.
    const rows = page.getByTestId('top-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    const all = await rows.count();
    const firstName = (await rows.first().locator('td.fn').textContent())!;
    await page.getByTestId('upload-flamegraph').getByRole('searchbox').fill(firstName);
    await expect.poll(() => rows.count()).toBeLessThan(all);
    for (const name of await rows.locator('td.fn').allTextContents()) expect(name.toLowerCase()).toContain(firstName.toLowerCase());

    // Sandwich of the picked function.
    await rows.first().click();
    await page.getByRole('tab', { name: 'Sandwich' }).click();
    await page.getByTestId('sandwich').waitFor();
    expect(await page.getByTestId('sandwich').locator('h3').textContent()).toContain(firstName);
    await page.screenshot({ path: path.join(artifacts, 'upload-cpuprofile.png') });

    // Exports are written in the browser from the file's tree.
    await page.getByRole('tab', { name: 'Graph + table' }).click();
    const folded = await exportAs(page, 'folded');
    expect(totalOf(decodeCollapsed(folded.bytes.toString('utf8')), 0)).toBe(expected);
    const cpuprofile = await exportAs(page, 'cpuprofile');
    expect(callTreeFromProfile(decodeCpuprofile(cpuprofile.bytes.toString('utf8')), 0).total[0]).toBeCloseTo(expected, -4);
    expect(await page.getByTestId('export-select').locator('option[value="pprof"]').count()).toBe(0);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('regressions honour the label chips and compare CPU time, not wall time, for a Node service', async () => {
    const page = await open(`/pyroscope?filter=${encodeURIComponent('region=eu')}`);
    const shop = page.getByTestId('regression-shop');
    await shop.waitFor();
    expect(await shop.getAttribute('data-type')).toBe(CPU);
    expect(await shop.getAttribute('data-selector')).toBe(`${CPU}{service_name="shop", region="eu"}`);
    const node = page.getByTestId('regression-node-api');
    await node.waitFor();
    expect(await node.getAttribute('data-type')).toMatch(/^wall:cpu:nanoseconds:/);
    expect(await node.textContent()).toContain('Wall · CPU time');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the not-found page has the app’s navigation', async () => {
    const page = await open('/definitely/not/here');
    await page.getByTestId('app-nav').waitFor();
    await page.getByTestId('app-nav').getByRole('link', { name: 'Explore' }).click();
    await page.getByTestId('explore-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/explore');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
