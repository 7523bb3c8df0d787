import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/** Share → a link that opens read-only in a fresh browser; missing snapshots get a page, not a blank screen. */

describe('snapshots in Chromium', () => {
  let server: StartedServer;
  const contexts: BrowserContext[] = [];
  const freshContext = async (): Promise<BrowserContext> => {
    const context = await launchChromium({ viewport: { width: 1300, height: 900 } });
    contexts.push(context);
    return context;
  };

  beforeAll(async () => {
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/go.cpu.labels.pprof') }]);
    expect((await ingest(server.baseUrl, { name: 'backend', from: String(Math.floor(Date.now() / 1000) - 60) }, body, contentType)).status).toBe(200);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('Share stores the view; the link opens read-only in a fresh browser; snapshots are listed and deleted', async () => {
    const author = await freshContext();
    const page = await author.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=backend`);
    await page.getByTestId('share-button').click();
    const link = page.getByTestId('share-link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${server.baseUrl}/snapshots/[0-9a-f]{20}$`));

    const reader = await (await freshContext()).newPage();
    await reader.goto(url);
    await reader.getByTestId('snapshot-view').waitFor();
    expect(await reader.getByTestId('snapshot-view').textContent()).toMatch(/Read-only snapshot of CPU/);
    await reader.getByTestId('flamegraph-canvas').waitFor();
    expect(await reader.getByTestId('flamegraph-a11y-table').textContent()).toContain('runtime');

    // Delete the profile data itself (stop, remove the store, start on the same folder): the link still works.
    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    for (const name of readdirSync(dataDir)) if (name.startsWith('cinder.duckdb')) rmSync(path.join(dataDir, name));
    server = await startServer({ dataDir });
    const movedUrl = `${server.baseUrl}${new URL(url).pathname}`;
    const later = await (await freshContext()).newPage();
    await later.goto(movedUrl);
    await later.getByTestId('snapshot-view').waitFor();
    expect(await later.getByTestId('flamegraph-a11y-table').textContent()).toContain('runtime');
    const live = (await (await fetch(`${server.baseUrl}/api/v1/services`)).json()) as { services: unknown[] };
    expect(live.services).toEqual([]);

    await reader.goto(`${server.baseUrl}/snapshots/00000000000000000000`);
    await reader.getByTestId('snapshot-not-found').waitFor();

    await reader.goto(`${server.baseUrl}/snapshots`);
    const id = url.split('/').pop()!;
    await reader.getByTestId(`delete-snapshot-${id}`).click();
    await expect.poll(() => reader.getByTestId(`delete-snapshot-${id}`).count()).toBe(0);
    await reader.goto(movedUrl);
    await reader.getByTestId('snapshot-not-found').waitFor();
  });
});
