import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * "Share" freezes what the user sees, in Chromium against a real server with three Go CPU profiles:
 * a frame-filter preset in the URL (`frameFilter=`) and an opened profile (`profile=`) both go into
 * the snapshot, so its frames and total are the ones on screen.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
type Snapshot = { viewUrl: string; result: { flamegraph: { names: string[]; total: number }; profileCount: number } };

describe('Share keeps frame filters and opened profiles in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  const nowSec = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    server = await startServer();
    for (const ageSec of [600, 400, 200]) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
      const response = await ingest(server.baseUrl, { name: 'shop', spyName: 'gospy', from: String(nowSec - ageSec) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
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
    await page.getByTestId('flamegraph-total').waitFor();
    return page;
  };
  const share = async (page: Page): Promise<Snapshot> => {
    await page.getByTestId('share-button').click();
    const link = await page.getByTestId('share-link').inputValue();
    const id = new URL(link).pathname.split('/').pop()!;
    return (await (await fetch(`${server.baseUrl}/api/v1/snapshots/${id}`)).json()) as Snapshot;
  };
  const shownTotal = async (page: Page): Promise<number> => Number(await page.getByTestId('flamegraph-total').getAttribute('data-total'));

  it('frameFilter=preset:go-runtime: the snapshot has no runtime.* frames', async () => {
    const plain = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}`);
    const unfiltered = await share(plain);
    // The fixture is full of runtime frames, so their absence below means the filter was applied.
    expect(unfiltered.result.flamegraph.names.filter((name) => name.startsWith('runtime.')).length).toBeGreaterThan(5);
    await plain.close();

    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}&frameFilter=${encodeURIComponent('preset:go-runtime')}`);
    const snapshot = await share(page);
    expect(snapshot.viewUrl).toContain('frameFilter=preset%3Ago-runtime');
    expect(snapshot.result.flamegraph.names.filter((name) => name.startsWith('runtime.'))).toEqual([]);
    expect(snapshot.result.flamegraph.names.length).toBeGreaterThan(1);
    // Hiding frames keeps the root total: the one on screen.
    expect(snapshot.result.flamegraph.total).toBe(await shownTotal(page));
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('an opened profile: the snapshot total equals that profile’s', async () => {
    const listed = (await (await fetch(`${server.baseUrl}/api/v1/heatmap/profiles?${new URLSearchParams({ query: `${CPU}{service_name="shop"}`, from: 'now-1h', until: 'now' })}`)).json()) as {
      profiles: { profileId: string; value: number }[];
    };
    expect(listed.profiles).toHaveLength(3);
    const opened = listed.profiles[1]!;
    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}&profile=${encodeURIComponent(opened.profileId)}`);
    await page.getByTestId('profiles-banner').waitFor();
    await expect.poll(() => shownTotal(page), { timeout: 15_000 }).toBe(opened.value);
    const snapshot = await share(page);
    expect(snapshot.result.profileCount).toBe(1);
    expect(snapshot.result.flamegraph.total).toBe(opened.value);
    // Not the range's (three profiles).
    const range = (await (await fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ query: `${CPU}{service_name="shop"}`, from: 'now-1h', until: 'now' })}`)).json()) as {
      flamegraph: { total: number };
    };
    expect(range.flamegraph.total).toBe(3 * opened.value);
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
