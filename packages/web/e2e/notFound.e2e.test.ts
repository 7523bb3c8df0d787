import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../server/test/helpers/startServer.js';
import { launchChromium } from './browser.js';

/**
 * Unknown app URLs show the app's not-found page (status 404) while API paths keep their JSON
 * errors, and every page has a favicon that loads under the Content-Security-Policy.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

describe('not-found page and favicon in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startServer();
    context = await launchChromium({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  it('an unknown URL opens the app’s not-found page with a 404, under the CSP', async () => {
    const page = await context.newPage();
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { cspViolations: string[] }).cspViolations ??= [];
        (window as unknown as { cspViolations: string[] }).cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const response = await page.goto(`${server.baseUrl}/no/such/page?x=1`);
    expect(response?.status()).toBe(404);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.locator('h1', { hasText: 'Not found' }).waitFor();
    expect(await page.locator('.not-found').textContent()).toContain('/no/such/page');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'not-found.png') });
    await page.getByRole('link', { name: 'Profiling page' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/pyroscope');
    await page.getByRole('heading', { name: 'Profiling' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])).toEqual([]);
    await page.close();
  });

  it.each([
    ['GET', '/api/v1/no-such-route', 'text/html'],
    ['GET', '/pyroscope/no-such-route', 'text/html,application/xhtml+xml'],
    ['GET', '/%61pi/v1/no-such-route', 'text/html'],
    ['GET', '/assets/no-such-file.js', 'text/html'],
    ['GET', '/querier.v1.QuerierService/Nope', 'text/html'],
    ['GET', '/no/such/page', 'application/json'],
    ['GET', '/no/such/page', '*/*'],
    ['POST', '/no/such/page', 'text/html'],
  ])('%s %s (Accept: %s) keeps answering a JSON 404', async (method, urlPath, accept) => {
    const response = await fetch(`${server.baseUrl}${urlPath}`, { method, headers: { accept }, ...(method === 'POST' ? { body: '{}' } : {}) });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { reason?: string; code?: string }).reason ?? '').toMatch(/NOT_FOUND/);
  });

  it('every page names a favicon that loads, and /favicon.ico answers too', async () => {
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${server.baseUrl}/pyroscope`);
    await page.getByRole('heading', { name: 'Profiling' }).waitFor();
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(href).toBe('/favicon.svg');
    // The browser resolves and decodes the icon as an image under the page's CSP.
    const size = await page.evaluate(async (url) => {
      const image = new Image();
      image.src = url;
      await image.decode();
      return [image.naturalWidth, image.naturalHeight];
    }, href!);
    expect(size[0]).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    await page.close();
    const svg = await fetch(`${server.baseUrl}/favicon.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.headers.get('content-security-policy')).toContain("default-src 'self'");
    const ico = await fetch(`${server.baseUrl}/favicon.ico`);
    expect(ico.status).toBe(200);
    const bytes = new Uint8Array(await ico.arrayBuffer());
    // ICONDIR: reserved 0, type 1 (icon), one image.
    expect([...bytes.slice(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
  });
});
