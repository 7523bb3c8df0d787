import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Gauges averaged, the timeline as a rate with a hover readout, timeline exemplars and the heatmap,
 * in Chromium against a real server: three different in-use memory snapshots and five CPU profiles
 * (two fixtures of different size) minutes apart.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const INUSE = 'memory:inuse_space:bytes:space:bytes';
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('timeline, exemplars, heatmap and gauges in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  const nowMs = Date.now();
  const atSec = (minutesAgo: number): number => Math.floor((nowMs - minutesAgo * 60_000) / 1000);
  const heapUploads: [string, number][] = [
    ['go/heap.pb.gz', 20],
    ['go/heap', 15],
    ['go/heap.pb.gz', 10],
  ];
  const cpuUploads: [string, number][] = [
    ['go/cpu.pb.gz', 22],
    ['java/profile_java', 17],
    ['go/cpu.pb.gz', 12],
    ['java/profile_java', 11],
    ['go/cpu.pb.gz', 4],
  ];

  const upload = async (file: string, name: string, minutesAgo: number): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(server.baseUrl, { name, spyName: 'gospy', from: String(atSec(minutesAgo)), until: String(atSec(minutesAgo)) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    for (const [file, minutesAgo] of heapUploads) await upload(file, 'mem', minutesAgo);
    for (const [file, minutesAgo] of cpuUploads) await upload(file, 'shop', minutesAgo);
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

  const apiFlame = async (type: string, service: string, fromMs: number, untilMs: number) => {
    const params = new URLSearchParams({ query: `${type}{service_name="${service}"}`, from: String(fromMs), until: String(untilMs) });
    const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${params.toString()}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { flamegraph: { total: number }; profileCount: number };
  };

  const shown = async (page: Page) => {
    const total = page.getByTestId('flamegraph-total');
    return { total: Number(await total.getAttribute('data-total')), count: Number(await total.getAttribute('data-profile-count')), text: (await total.textContent()) ?? '' };
  };

  it('in-use memory over three snapshots shows their mean, "average of 3 profiles"', async () => {
    const singles = await Promise.all(heapUploads.map(([, minutesAgo]) => apiFlame(INUSE, 'mem', atSec(minutesAgo) * 1000 - 500, atSec(minutesAgo) * 1000 + 500)));
    for (const single of singles) expect(single.profileCount).toBe(1);
    const mean = singles.reduce((sum, s) => sum + s.flamegraph.total, 0) / 3;
    expect(singles[0]!.flamegraph.total).not.toBe(singles[1]!.flamegraph.total);
    const page = await open(`/pyroscope?service=mem&type=${encodeURIComponent(INUSE)}`);
    await page.getByTestId('flamegraph-total').waitFor();
    await expect.poll(async () => (await shown(page)).count).toBe(3);
    const { total, text } = await shown(page);
    expect(total).toBeCloseTo(mean, 3);
    expect(text).toContain('average of 3 profiles');
    // The timeline of a gauge is an average per profile, not a rate.
    expect(await page.getByTestId('timeline-units').textContent()).toContain('average per profile');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('CPU timeline reads in cores; hovering shows the time and each series value with its unit', async () => {
    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}`);
    await page.getByTestId('flamegraph-total').waitFor();
    expect(await page.getByTestId('timeline-units').textContent()).toContain('per second (CPU cores)');
    await expect.poll(() => page.getByTestId('timeline-legend').locator('tbody td.num').first().textContent()).toMatch(/cores?$/);
    const over = page.getByTestId('timeline-canvas').locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const hover = page.getByTestId('timeline-hover');
    await expect.poll(() => hover.isVisible()).toBe(true);
    expect(await hover.textContent()).toMatch(/shop: [\d.]+ cores?/);
    await page.screenshot({ path: path.join(artifacts, 'timeline-hover.png') });
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('clicking a timeline point lists its profiles; "Open" shows exactly that one profile', async () => {
    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}`);
    await page.getByTestId('flamegraph-total').waitFor();
    await expect.poll(async () => (await shown(page)).count).toBe(cpuUploads.length);
    const over = page.getByTestId('timeline-canvas').locator('.u-over');
    const box = (await over.boundingBox())!;
    // The cursor snaps to the nearest point: click near the newest profile (4 minutes ago of an hour).
    await page.mouse.move(box.x + box.width * 0.93, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.up();
    const list = page.getByTestId('exemplar-list');
    await list.waitFor();
    await expect.poll(() => list.getByTestId('exemplar-row').count()).toBeGreaterThan(0);
    const row = list.getByTestId('exemplar-row').first();
    const profileId = (await row.getAttribute('data-profile-id'))!;
    await page.screenshot({ path: path.join(artifacts, 'timeline-exemplars.png') });
    await row.getByTestId('exemplar-open').click();
    await expect.poll(async () => (await shown(page)).count).toBe(1);
    expect(page.url()).toContain(`profile=${encodeURIComponent(profileId)}`);
    await page.getByTestId('profiles-banner').waitFor();
    // The one profile's total is what the server merges for that id alone.
    const params = new URLSearchParams({ query: `${CPU}{service_name="shop"}`, from: String(nowMs - 3_600_000), until: String(Date.now()), profileId });
    const single = (await (await fetch(`${server.baseUrl}/api/v1/flamegraph?${params.toString()}`)).json()) as { flamegraph: { total: number }; profileCount: number };
    expect(single.profileCount).toBe(1);
    expect((await shown(page)).total).toBe(single.flamegraph.total);
    await page.getByTestId('profiles-clear').click();
    await expect.poll(async () => (await shown(page)).count).toBe(cpuUploads.length);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('heatmap: the cells hold every profile, and a cell opens exactly its count of profiles', async () => {
    const page = await open(`/pyroscope?service=shop&type=${encodeURIComponent(CPU)}`);
    await page.getByTestId('flamegraph-total').waitFor();
    await page.getByTestId('timeline-view-heatmap').click();
    const cells = page.getByTestId('heatmap-cell');
    await expect.poll(() => cells.count()).toBeGreaterThan(1);
    const counts = (await cells.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-count'))))) as number[];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(cpuUploads.length);
    await page.screenshot({ path: path.join(artifacts, 'heatmap.png') });
    for (let i = 0; i < counts.length; i++) {
      await page.getByTestId('heatmap-cell').nth(i).click();
      const list = page.getByTestId('exemplar-list');
      await list.waitFor();
      await expect.poll(() => list.getByTestId('exemplar-row').count()).toBe(counts[i]);
      await (counts[i]! > 1 ? list.getByTestId('exemplar-open-all') : list.getByTestId('exemplar-open')).click();
      await expect.poll(async () => (await shown(page)).count).toBe(counts[i]);
      await page.getByTestId('profiles-clear').click();
      await expect.poll(async () => (await shown(page)).count).toBe(cpuUploads.length);
    }
    expect(page.url()).toContain('timeline=heatmap');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
