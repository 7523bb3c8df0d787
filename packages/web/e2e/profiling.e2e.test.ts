import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The Profiling page and explorer in Debian's Chromium against a real Cinder server with real
 * fixtures ingested: every test id and state of the Profiling page spec, selection, zoom,
 * search, keyboard, URL round trip and kiosk mode. Screenshots land in e2e/artifacts/.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

describe('Profiling page in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  const upload = async (file: string, name: string, ageSec: number): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(server.baseUrl, { name, spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - ageSec) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    // A 3 h ingest window so a profile can be placed in the previous hour (regression baseline).
    server = await startServer({ args: ['--ingest-window', '3h'] });
    await upload('go/go.cpu.labels.pprof', 'backend', 120);
    await upload('go/heap.pb.gz', 'backend', 120);
    await upload('java/profile_java', 'ai-llm', 300);
    // Loki's heap: far more call-tree nodes than the UI asks the server for.
    await upload('go/heap', 'loki', 200);
    // An hour earlier backend did far less: the previous-period baseline for regression detection.
    await upload('go/cpu.pb.gz', 'backend', 3900);
    // A fresh user-data-dir per run (launchChromium): no profile state leaks between runs.
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (urlPath: string): Promise<Page> => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.baseUrl}${urlPath}`);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  };

  /** The accessible mirror of the flame graph: the frame names it lists. */
  const mirroredFrames = async (page: Page): Promise<string> => (await page.getByTestId('flamegraph-a11y-table').first().textContent()) ?? '';

  it('shows the loading skeleton, then the header with its four actions', async () => {
    const page = await context.newPage();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/config', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.baseUrl}/pyroscope`);
    await expect.poll(() => page.getByTestId('pyroscope-loading').count()).toBe(1);
    expect(await page.getByTestId('pyroscope-refresh-button').count()).toBe(0);
    release();
    await page.getByTestId('pyroscope-refresh-button').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Profiling');
    for (const id of ['explore-link', 'pyroscope-external-link']) {
      const link = page.getByTestId(id);
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    }
    // The full UI link follows the page's own origin, never a hard-coded localhost:4040.
    expect(await page.getByTestId('pyroscope-external-link').getAttribute('href')).toBe(`${server.baseUrl}/explore`);
    const iframe = page.getByTestId('pyroscope-iframe');
    expect(await iframe.evaluate((el) => getComputedStyle(el).height)).toBe(`${1000 - 73}px`);
    expect(await page.getByTestId('pyroscope-page').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(18, 18, 18)');
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await page.screenshot({ path: path.join(artifacts, 'profiling-page.png') });
    await page.close();
  });

  it('config failure: yellow banner with the exact text, page still usable with the default Grafana URL', async () => {
    const page = await context.newPage();
    await page.route('**/api/v1/config', (route) => route.fulfill({ status: 500, body: 'boom' }));
    await page.goto(`${server.baseUrl}/pyroscope`);
    const banner = page.getByTestId('pyroscope-error');
    await banner.waitFor();
    expect((await banner.textContent())?.trim()).toContain('Failed to load configuration. Using default Grafana URL.');
    expect(await page.getByTestId('grafana-external-link').getAttribute('href')).toBe('/grafana/d/hsi-profiling/hsi-profiling?orgId=1&theme=dark');
    await page.getByTestId('pyroscope-iframe').waitFor();
    await page.close();
  });

  it('rewrites a localhost Grafana URL to the browser host and keeps other URLs', async () => {
    const page = await context.newPage();
    await page.route('**/api/v1/config', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ grafana_url: 'http://localhost:3000/grafana', public_url: '', retention_ms: 1, rollup_retention_ms: 1, version: 'x' }) }),
    );
    await page.goto(`${server.baseUrl}/pyroscope`);
    const grafana = page.getByTestId('grafana-external-link');
    await grafana.waitFor();
    expect(await grafana.getAttribute('href')).toBe('http://127.0.0.1:3000/grafana/d/hsi-profiling/hsi-profiling?orgId=1&theme=dark');
    expect(await page.getByTestId('explore-link').getAttribute('href')).toContain('http://127.0.0.1:3000/grafana/explore?orgId=1&theme=dark&left=');
    await page.close();
  });

  it('selecting a service and a profile type changes the graph', async () => {
    const page = await open('/pyroscope?service=backend');
    await page.getByTestId('flamegraph-a11y-table').first().waitFor();
    await expect.poll(() => mirroredFrames(page)).toContain('runtime');
    const backendFrames = await mirroredFrames(page);
    // Switch the service with the multi-select.
    await page.getByTestId('service-select').locator('button').first().click();
    await page.getByRole('listbox').getByText('backend', { exact: true }).click();
    await page.getByRole('listbox').getByText('ai-llm', { exact: true }).click();
    await page.getByRole('listbox').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => mirroredFrames(page)).toContain('java');
    expect(await mirroredFrames(page)).not.toBe(backendFrames);
    expect(page.url()).toContain('service=ai-llm');
    // Back to backend: its types include memory, and picking one changes the graph.
    await page.goto(`${server.baseUrl}/pyroscope?service=backend`);
    const typeSelect = page.getByTestId('profile-type-select');
    await typeSelect.waitFor();
    await expect.poll(async () => (await typeSelect.locator('option').allTextContents()).join('|')).toMatch(/CPU/);
    const options = await typeSelect.locator('option').allTextContents();
    expect(options.join('|')).toMatch(/Memory · in-use bytes/);
    const heapId = await typeSelect.locator('option', { hasText: 'Memory · in-use bytes' }).getAttribute('value');
    await typeSelect.selectOption(heapId!);
    await expect.poll(() => page.url()).toContain(`type=${encodeURIComponent(heapId!)}`);
    await expect.poll(() => mirroredFrames(page)).not.toBe(backendFrames);
    await page.close();
  });

  it('click focuses a frame (breadcrumbs, URL) and reset zooms out', async () => {
    const page = await open('/pyroscope?service=backend');
    const canvas = page.getByTestId('flamegraph-canvas').first();
    await canvas.waitFor();
    await expect.poll(() => mirroredFrames(page)).toContain('runtime');
    const box = (await canvas.boundingBox())!;
    // Row 1 (just under "total"), a quarter of the way in: a real frame.
    await page.mouse.move(box.x + box.width * 0.25, box.y + 30);
    await page.getByTestId('flamegraph-tooltip').waitFor();
    expect(await page.getByTestId('flamegraph-tooltip').textContent()).toMatch(/%/);
    await page.mouse.click(box.x + box.width * 0.25, box.y + 30);
    await expect.poll(() => page.url()).toContain('focus=');
    expect(await page.getByTestId('flamegraph-breadcrumbs').first().textContent()).toMatch(/›|all/);
    await page.screenshot({ path: path.join(artifacts, 'focused.png') });
    await page.getByTestId('flamegraph-reset').first().click();
    await expect.poll(() => page.url()).not.toContain('focus=');
    await page.close();
  });

  it('a graph cut at one pixel says so; zooming loads the subtree in full detail; the legend names packages', async () => {
    const page = await open('/pyroscope?service=loki&type=' + encodeURIComponent('memory:alloc_space:bytes:space:bytes'));
    const info = page.getByTestId('truncation-info').first();
    await info.waitFor();
    // Level of detail (issue 13, e2e/lod.e2e.test.ts): nothing is folded into "other".
    expect(await info.textContent()).toMatch(/[\d,]+ of [\d,]+ nodes drawn, every one at least 1 px wide/);
    const legend = page.getByTestId('flamegraph-legend').first();
    expect(await legend.textContent()).toMatch(/runtime|github\.com/);
    const canvas = page.getByTestId('flamegraph-canvas').first();
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.3, box.y + 30);
    await expect.poll(() => info.textContent()).toMatch(/zoomed subtree loaded in full detail/);
    await page.screenshot({ path: path.join(artifacts, 'truncated-zoom.png') });
    await page.close();
  });

  it('dragging across the timeline selects that range (graph and URL follow)', async () => {
    const page = await open('/pyroscope?service=backend');
    const timeline = page.getByTestId('timeline-canvas');
    await timeline.waitFor();
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    const box = (await timeline.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('from') ?? '').toMatch(/^\d{13}$/);
    const fromMs = Number(new URL(page.url()).searchParams.get('from'));
    const untilMs = Number(new URL(page.url()).searchParams.get('until'));
    expect(untilMs).toBeGreaterThan(fromMs);
    expect(untilMs - fromMs).toBeLessThan(30 * 60_000);
    expect(await page.getByTestId('time-range-button').textContent()).not.toBe('Last 1 hour');
    await page.close();
  });

  it('regression detection names the service and the functions that grew past the thresholds', async () => {
    const page = await open('/pyroscope?service=backend');
    const section = page.getByTestId('regressions-section');
    await section.waitFor();
    await expect.poll(async () => (await page.getByTestId('regression-backend').getAttribute('data-level')) ?? '').toBe('none');
    await page.getByTestId('regressions-baseline').selectOption('previous');
    await expect.poll(async () => (await page.getByTestId('regression-backend').getAttribute('data-level')) ?? '').toBe('alert');
    const row = await page.getByTestId('regression-backend').textContent();
    expect(row).toMatch(/main\.work: .+ → .+/);
    await page.close();
  });

  it('search highlights matches and reports their share of the total', async () => {
    const page = await open('/pyroscope?service=backend');
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await page.getByTestId('flamegraph-search').first().fill('runtime');
    const result = page.getByTestId('flamegraph-search-result').first();
    await result.waitFor();
    // The exact matched total comes from the server (the graph holds only what is a pixel wide).
    await expect.poll(() => result.textContent()).toMatch(/\d+ frames · .+ · [\d.]+% of total/);
    await expect.poll(() => page.url()).toContain('search=runtime');
    await page.screenshot({ path: path.join(artifacts, 'search.png') });
    await page.close();
  });

  it('keyboard: arrows move, Enter focuses, Escape resets, / jumps to search', async () => {
    const page = await open('/pyroscope?service=backend');
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await expect.poll(() => mirroredFrames(page)).toContain('runtime');
    const scroller = page.locator('.flamegraph-scroll').first();
    await scroller.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('focus=');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.url()).not.toContain('focus=');
    await scroller.focus();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('flamegraph-search');
    await page.close();
  });

  it('the URL carries the whole view: reload and a pasted link give the same view', async () => {
    const query = '/pyroscope?service=ai-llm&from=now-3h&until=now&search=java&refresh=1m';
    const page = await open(query);
    await page.getByTestId('flamegraph-search-result').first().waitFor();
    expect(await page.getByTestId('service-select').locator('button').first().textContent()).toBe('ai-llm');
    expect(await page.getByTestId('flamegraph-search').first().inputValue()).toBe('java');
    expect(await page.getByTestId('auto-refresh-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('auto-refresh-select').inputValue()).toBe('1m');
    expect(await page.getByTestId('time-range-button').textContent()).toMatch(/3 hours|3h/);
    await page.reload();
    await page.getByTestId('flamegraph-search-result').first().waitFor();
    expect(await page.getByTestId('flamegraph-search').first().inputValue()).toBe('java');
    expect(await page.getByTestId('service-select').locator('button').first().textContent()).toBe('ai-llm');
    await page.close();
  });

  it('refresh re-queries: disabled with a spinning icon while it runs, then enabled again', async () => {
    const page = await open('/pyroscope?service=backend');
    const button = page.getByTestId('pyroscope-refresh-button');
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let requests = 0;
    await page.route('**/api/v1/flamegraph*', async (route) => {
      requests++;
      await held;
      await route.continue();
    });
    await button.click();
    await expect.poll(() => button.isDisabled()).toBe(true);
    expect(await button.locator('svg').first().getAttribute('class')).toContain('animate-spin');
    release();
    await expect.poll(() => button.isDisabled()).toBe(false);
    expect(requests).toBeGreaterThan(0);
    await page.close();
  });

  it('no data for the range says what was asked and lists services that have data', async () => {
    const page = await open('/pyroscope?service=backend&from=now-30d&until=now-29d');
    const notice = page.getByTestId('no-data').first();
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/Asked for/);
    await page.close();
    const other = await open('/pyroscope?service=nonexistent');
    const noData = other.getByTestId('no-data').first();
    await noData.waitFor();
    expect(await other.getByTestId('services-with-data').first().textContent()).toMatch(/backend[\s\S]*ai-llm|ai-llm[\s\S]*backend/);
    await other.screenshot({ path: path.join(artifacts, 'no-data.png') });
    await other.close();
  });

  it('a slow query shows a spinner after 300 ms; a failed one shows the server’s message', async () => {
    const page = await context.newPage();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/flamegraph*', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.baseUrl}/pyroscope?service=backend`);
    await page.getByTestId('slow-query-spinner').first().waitFor();
    release();
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await page.unroute('**/api/v1/flamegraph*');
    await page.route('**/api/v1/flamegraph*', (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ code: 'invalid_argument', message: 'the zoo is closed on Mondays' }) }),
    );
    await page.goto(`${server.baseUrl}/pyroscope?service=ai-llm`);
    const failed = page.getByTestId('query-failed').first();
    await failed.waitFor();
    expect(await failed.textContent()).toContain('the zoo is closed on Mondays');
    await page.close();
  });

  it('server unreachable is a readable state, not a blank page', async () => {
    const page = await context.newPage();
    await page.route('**/api/v1/services*', (route) => route.abort('connectionrefused'));
    await page.goto(`${server.baseUrl}/pyroscope`);
    await page.getByTestId('server-unreachable').first().waitFor();
    await page.close();
  });

  it('kiosk mode hides the chrome on both pages', async () => {
    const page = await open('/pyroscope?kiosk=1&service=backend');
    await page.getByTestId('pyroscope-iframe').waitFor();
    expect(await page.getByTestId('pyroscope-refresh-button').count()).toBe(0);
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await page.goto(`${server.baseUrl}/explore?kiosk=1`);
    await page.getByTestId('explore-page').waitFor();
    expect(await page.locator('header').count()).toBe(0);
    await page.close();
  });

  it('the explorer filters by label values that exist and groups the timeline', async () => {
    const page = await open('/explore?service=backend');
    await page.getByTestId('label-filters').waitFor();
    await page.getByTestId('timeline-legend').waitFor();
    await expect.poll(() => page.getByTestId('filter-name').locator('option').allTextContents()).toContain('function');
    await page.getByTestId('filter-name').selectOption('function');
    // The value field offers the values that exist for that label.
    await expect.poll(() => page.locator('#label-values option').count()).toBeGreaterThan(0);
    const value = await page.locator('#label-values option').first().getAttribute('value');
    await page.getByTestId('filter-op').selectOption('!=');
    await page.getByTestId('filter-value').fill(value!);
    await page.getByTestId('filter-add').click();
    await expect.poll(() => page.url()).toContain('filter=');
    await page.getByTestId('group-by-select').selectOption('function');
    await expect.poll(() => page.url()).toContain('groupBy=function');
    await expect.poll(async () => (await page.getByTestId('timeline-legend').textContent()) ?? '').not.toContain(value!);
    // An invalid regex is refused by the server (RE2), and its message shows on the chip.
    await page.getByTestId('filter-op').selectOption('=~');
    await page.getByTestId('filter-value').fill('(');
    await page.getByTestId('filter-add').click();
    await expect.poll(async () => (await page.getByTestId('filter-chip-error').textContent()) ?? '').toContain('invalid regular expression "("');
    await page.screenshot({ path: path.join(artifacts, 'explore.png') });
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });
});
