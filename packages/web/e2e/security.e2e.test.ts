import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The server's Content-Security-Policy allows only the app's own files (nothing inline, no other
 * origin). Every page is opened in Chromium and used a little; the browser must report no violation.
 */

describe('the app runs under its Content-Security-Policy', () => {
  let server: StartedServer;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    const response = await ingest(server.baseUrl, { name: 'csp-app', spyName: 'gospy' }, body, contentType);
    expect(response.status, response.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  it('no page triggers a violation, and each one draws', async () => {
    const violations: string[] = [];
    for (const [urlPath, readyTestId] of [
      ['/pyroscope', 'flamegraph-canvas'],
      ['/explore', 'flamegraph-canvas'],
      ['/compare', null],
      ['/snapshots', null],
      ['/request', null],
      ['/upload', 'upload-input'],
    ] as const) {
      const page = await context.newPage();
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          (window as unknown as { cspViolations: string[] }).cspViolations ??= [];
          (window as unknown as { cspViolations: string[] }).cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
        });
      });
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(`${urlPath}: ${message.text()}`);
      });
      const response = await page.goto(`${server.baseUrl}${urlPath}`);
      expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
      if (readyTestId) await page.getByTestId(readyTestId).first().waitFor({ state: 'attached' });
      else await page.locator('h1, h2').first().waitFor();
      await page.mouse.move(400, 400);
      await page.waitForTimeout(300);
      const seen = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
      violations.push(...seen.map((v) => `${urlPath}: ${v}`));
      await page.close();
    }
    expect(violations).toEqual([]);
  });
});
