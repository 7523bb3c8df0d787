import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTreeFromProfile, collapsedFromTree, decodeCollapsed, decodeCpuprofile, decodePprof, decodeSpeedscope, totalOf } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, maybeGunzipFile, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/** Exports that re-import, the offline HTML viewer, and opening files in the browser without ingest. */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const CPU_TOTAL_NS = 470_000_000; // go/cpu.pb.gz, expected.json

describe('exports and file upload in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  let downloads: string;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    expect((await ingest(server.baseUrl, { name: 'shop', from: String(Math.floor(Date.now() / 1000) - 60) }, body, contentType)).status).toBe(200);
    downloads = mkdtempSync(path.join(os.tmpdir(), 'cinder-downloads-'));
    context = await launchChromium({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  const exportAs = async (page: Page, format: string): Promise<{ name: string; bytes: Buffer }> => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-select').selectOption(format)]);
    const file = path.join(downloads, download.suggestedFilename());
    await download.saveAs(file);
    return { name: download.suggestedFilename(), bytes: readFileSync(file) };
  };

  it('every export downloads a file that re-imports with the same stacks and total', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=shop`);
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    const input = collapsedFromTree(callTreeFromProfile(decodePprof(maybeGunzipFile(readFixture(testdataDir, 'go/cpu.pb.gz'))), 1));

    const pprof = await exportAs(page, 'pprof');
    expect(pprof.name).toMatch(/\.pb$/);
    expect(collapsedFromTree(callTreeFromProfile(decodePprof(pprof.bytes), 0))).toBe(input);

    const folded = await exportAs(page, 'folded');
    const foldedProfile = decodeCollapsed(folded.bytes.toString('utf8'));
    expect(totalOf(foldedProfile, 0)).toBe(CPU_TOTAL_NS);
    expect(collapsedFromTree(callTreeFromProfile(foldedProfile, 0))).toBe(input);

    const speedscope = await exportAs(page, 'speedscope');
    expect(speedscope.name).toMatch(/\.speedscope\.json$/);
    const [speedscopeEntry] = decodeSpeedscope(speedscope.bytes.toString('utf8'));
    expect(totalOf(speedscopeEntry!.profile, 0) * 10_000_000).toBe(CPU_TOTAL_NS); // in 10 ms samples, as ingest reads speedscope

    const cpuprofile = await exportAs(page, 'cpuprofile');
    expect(cpuprofile.name).toMatch(/\.cpuprofile$/);
    const cpuprofileProfile = decodeCpuprofile(cpuprofile.bytes.toString('utf8'));
    expect(totalOf(cpuprofileProfile, 0)).toBe(CPU_TOTAL_NS);
    expect(collapsedFromTree(callTreeFromProfile(cpuprofileProfile, 0))).toBe(input);

    const jsonExport = await exportAs(page, 'json');
    const json = JSON.parse(jsonExport.bytes.toString('utf8')) as { flamebearer: { numTicks: number; levels: number[][] } };
    expect(json.flamebearer.numTicks).toBe(CPU_TOTAL_NS);
    // The JSON export re-imports through the file opener with the same stacks.
    const { decodeFlamebearer } = await import('@cinder/core');
    expect(collapsedFromTree(callTreeFromProfile(decodeFlamebearer(jsonExport.bytes.toString('utf8')), 0))).toBe(input);
    const reopen = await context.newPage();
    await reopen.goto(`${server.baseUrl}/upload`);
    await reopen.getByTestId('upload-input').setInputFiles(path.join(downloads, jsonExport.name));
    await expect.poll(async () => (await reopen.getByTestId('upload-view').textContent().catch(() => '')) ?? '').toContain('(flamebearer JSON)');
    await reopen.close();

    const svg = (await exportAs(page, 'svg')).bytes.toString('utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('runtime');

    const png = (await exportAs(page, 'png')).bytes;
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    writeFileSync(path.join(artifacts, 'export.png'), png);

    const html = await exportAs(page, 'html');
    const htmlFile = path.join(downloads, html.name);
    // Opened from disk with the network off: the graph must still draw and zoom.
    const offline = await context.newPage();
    await context.setOffline(true);
    await offline.goto(`file://${htmlFile}`);
    await offline.getByTestId('export-canvas').waitFor();
    expect(await offline.evaluate(() => (window as unknown as { cinderExport: { frames: number } }).cinderExport.frames)).toBeGreaterThan(10);
    expect(await offline.evaluate(() => (window as unknown as { cinderExport: { zoom(n: string): boolean } }).cinderExport.zoom('runtime.main'))).toBe(true);
    expect(await offline.locator('#info').textContent()).toContain('zoomed: runtime.main');
    await offline.screenshot({ path: path.join(artifacts, 'export-html.png') });
    await context.setOffline(false);
    await offline.close();
    await page.close();
  });

  it('opens pprof, folded and speedscope files without ingesting them, and can diff one against stored data', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/upload`);
    for (const [file, format] of [
      ['go/heap.pb.gz', 'pprof'],
      ['collapsed/perf-java-stacks-01-collapsed-all.txt', 'folded'],
      ['speedscope/simple.speedscope.json', 'speedscope'],
    ] as const) {
      await page.getByTestId('upload-input').setInputFiles(path.join(testdataDir, file));
      await expect.poll(async () => (await page.getByTestId('upload-view').textContent().catch(() => '')) ?? '').toContain(`(${format})`);
    }
    await page.getByTestId('upload-input').setInputFiles(path.join(testdataDir, 'go/cpu.pb.gz'));
    await page.getByTestId('upload-sample-type').selectOption({ label: 'cpu (nanoseconds)' });
    await expect.poll(() => page.getByTestId('upload-compare').locator('option').count()).toBeGreaterThan(1);
    const option = await page.getByTestId('upload-compare').locator('option', { hasText: 'shop · CPU' }).first().getAttribute('value');
    await page.getByTestId('upload-compare').selectOption(option!);
    await page.getByTestId('upload-diff').waitFor();
    // Nothing was ingested: the server still holds one profile for one service.
    const services = (await (await fetch(`${server.baseUrl}/api/v1/services`)).json()) as { services: { serviceName: string }[] };
    expect(services.services.map((s) => s.serviceName)).toEqual(['shop']);
    await page.close();
  });

  it('a garbage or wrong-format file gets a clear message', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/upload`);
    const garbage = path.join(downloads, 'garbage.bin');
    writeFileSync(garbage, Buffer.from([0xff, 0x00, 0x13, 0x37, 0xc3, 0x28, 0xa0, 0xa1]));
    await page.getByTestId('upload-input').setInputFiles(garbage);
    await expect.poll(async () => (await page.getByTestId('upload-error').textContent().catch(() => '')) ?? '').toMatch(/not a profile Cinder can read/);
    const prose = path.join(downloads, 'notes.txt');
    writeFileSync(prose, 'these are just some notes\nwith no counts at all\n');
    await page.getByTestId('upload-input').setInputFiles(prose);
    await expect.poll(async () => (await page.getByTestId('upload-error').textContent().catch(() => '')) ?? '').toMatch(/not a folded profile/);
    await page.close();
  });
});
