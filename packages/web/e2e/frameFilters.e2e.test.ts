import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLevels, type FlameGraphResponse } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The flame graph's orientation toggle, right-click menu, server-side frame filters and call tree
 * in Debian's Chromium against a real server with a real Go CPU profile: hide keeps the root total,
 * focus changes it to the frame's total (as docs/api.md says), the call tree's totals are the flame
 * graph's, and the filters survive a reload through the URL.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
/** Each filter is a server round trip; on a busy machine that takes longer than expect.poll's 1 s default. */
const poll = <T,>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

describe('Flame graph frame filters in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    const response = await ingest(server.baseUrl, { name: 'checkout', spyName: 'gospy', from: String(Math.floor(Date.now() / 1000) - 120) }, body, contentType);
    expect(response.status, response.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (urlPath: string, options: { graph?: boolean } = {}): Promise<Page> => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.baseUrl}${urlPath}`);
    if (options.graph !== false) {
      await page.getByTestId('flamegraph-canvas').first().waitFor();
      await poll(async () => (await page.getByTestId('flamegraph-a11y-table').first().textContent()) ?? '').toContain('runtime.');
    }
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  };
  const shownTotal = async (page: Page): Promise<number> => Number(await page.getByTestId('flamegraph-total').getAttribute('data-total'));
  const mirrored = async (page: Page): Promise<string> => (await page.getByTestId('flamegraph-a11y-table').first().textContent()) ?? '';

  /** The API's answer for the same selection, filtered like the page asks. */
  const api = async (filters: string[] = []): Promise<FlameGraphResponse> => {
    const params = new URLSearchParams({ query: `${CPU}{service_name="checkout"}`, from: 'now-1h', until: 'now', maxNodes: '4096' });
    for (const filter of filters) params.append('filter', filter);
    return (await (await fetch(`${server.baseUrl}/api/v1/flamegraph?${params}`)).json()) as FlameGraphResponse;
  };

  /** Hovers a point of the graph and reads the tooltip's frame name ('' = no frame there). */
  const nameAt = async (page: Page, cssX: number, cssY: number): Promise<string> => {
    const box = (await page.getByTestId('flamegraph-canvas').first().boundingBox())!;
    await page.mouse.move(box.x + cssX, box.y + cssY);
    const tooltip = page.getByTestId('flamegraph-tooltip');
    try {
      await tooltip.waitFor({ timeout: 1000 });
    } catch {
      return '';
    }
    return (await tooltip.locator('.tooltip-name').textContent()) ?? '';
  };

  /**
   * Where the unzoomed icicle draws the widest frame that passes `accept` (below the root): the
   * centre of its box, from the layout of the same answer the page draws (API with these filters).
   */
  const findFrame = async (page: Page, filters: string[], accept: (name: string) => boolean): Promise<{ cssX: number; cssY: number; name: string }> => {
    const box = (await page.getByTestId('flamegraph-canvas').first().boundingBox())!;
    const frames = decodeLevels((await api(filters)).flamegraph);
    let best = -1;
    for (let i = 1; i < frames.count; i++) {
      if (accept(frames.names[frames.nameIndex[i]!]!) && (best < 0 || frames.totalValues[i]! > frames.totalValues[best]!)) best = i;
    }
    if (best < 0) throw new Error('no matching frame');
    const cssX = ((frames.startValue[best]! + frames.totalValues[best]! / 2) / frames.totalValue) * box.width;
    const cssY = frames.depth[best]! * 18 + 9;
    const name = frames.names[frames.nameIndex[best]!]!;
    // The page draws the same layout: the tooltip there names the same frame.
    expect(await nameAt(page, cssX, cssY)).toBe(name);
    return { cssX, cssY, name };
  };

  it('toggles icicle ↔ flame: the root row moves from the top to the bottom, and the URL keeps it', async () => {
    const page = await open('/explore?service=checkout');
    const toggle = page.getByTestId('flamegraph-orientation').first();
    expect(await toggle.getAttribute('data-orientation')).toBe('icicle');
    const box = (await page.getByTestId('flamegraph-canvas').first().boundingBox())!;
    expect(await nameAt(page, box.width / 2, 9)).toBe('total');
    await toggle.click();
    await poll(() => toggle.getAttribute('data-orientation')).toBe('flame');
    expect(page.url()).toContain('orientation=flame');
    await page.mouse.move(0, 0);
    expect(await nameAt(page, box.width / 2, box.height - 9)).toBe('total');
    expect(await nameAt(page, box.width / 2, 9)).not.toBe('total');
    await page.screenshot({ path: path.join(artifacts, 'flamegraph-flame-orientation.png') });
    await page.reload();
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await poll(() => page.getByTestId('flamegraph-orientation').first().getAttribute('data-orientation')).toBe('flame');
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('the tooltip shows self as a share of the total', async () => {
    const page = await open('/explore?service=checkout');
    const frame = await findFrame(page, [], (name) => name.startsWith('main.'));
    expect(frame.name).not.toBe('');
    expect(await page.getByTestId('flamegraph-tooltip-self').textContent()).toMatch(/\(\d+(\.\d+)?\s?% of total\)/);
    await page.close();
  });

  it('right-click → hide keeps the root total and removes the frame; → focus changes the total to the frame’s total', async () => {
    const page = await open('/explore?service=checkout');
    const before = await shownTotal(page);
    expect(before).toBe((await api()).flamegraph.total);
    const frame = await findFrame(page, [], (name) => name.startsWith('runtime.'));
    const box = (await page.getByTestId('flamegraph-canvas').first().boundingBox())!;
    await page.mouse.click(box.x + frame.cssX, box.y + frame.cssY, { button: 'right' });
    const menu = page.getByTestId('frame-context-menu');
    await menu.waitFor();
    for (const id of ['frame-menu-focus', 'frame-menu-sandwich', 'frame-menu-copy-name', 'frame-menu-copy-path', 'frame-menu-hide']) expect(await menu.getByTestId(id).count()).toBe(1);
    await page.screenshot({ path: path.join(artifacts, 'flamegraph-context-menu.png') });
    await menu.getByTestId('frame-menu-hide').click();
    await poll(() => new URL(page.url()).searchParams.getAll('frameFilter')).toEqual([`hide:name:${frame.name}`]);
    await poll(async () => (await page.getByTestId('frame-filter-chip').allTextContents()).join('|')).toContain(frame.name);
    // The hidden frame is gone from the graph; its time went to its caller, so the root total is unchanged.
    await poll(async () => (await api([`hide:name:${frame.name}`])).flamegraph.names.includes(frame.name)).toBe(false);
    await poll(() => mirrored(page)).not.toContain(frame.name);
    expect(await shownTotal(page)).toBe(before);

    // Focus on main.work: only stacks through it remain, so the total becomes main.work's total
    // (the unfiltered top table's total for it: outermost occurrences, recursion counted once).
    const workTotal = (await api()).top.find((row) => row.name === 'main.work')!.total;
    expect(workTotal).toBeLessThan(before);
    const work = await findFrame(page, [`hide:name:${frame.name}`], (name) => name === 'main.work');
    await page.mouse.click(box.x + work.cssX, box.y + work.cssY, { button: 'right' });
    await page.getByTestId('frame-menu-focus').click();
    await poll(() => shownTotal(page)).toBe(workTotal);
    expect(new URL(page.url()).searchParams.getAll('frameFilter')).toEqual([`hide:name:${frame.name}`, 'focus:name:main.work']);
    await page.screenshot({ path: path.join(artifacts, 'flamegraph-hide-focus.png') });
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('right-click → copy name / copy path write the clipboard; → sandwich opens the sandwich view on that function', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    const page = await open('/explore?service=checkout');
    const frame = await findFrame(page, [], (name) => name === 'main.work');
    const box = (await page.getByTestId('flamegraph-canvas').first().boundingBox())!;
    const rightClick = async (): Promise<void> => {
      await page.mouse.click(box.x + frame.cssX, box.y + frame.cssY, { button: 'right' });
      await page.getByTestId('frame-context-menu').waitFor();
    };
    await rightClick();
    await page.getByTestId('frame-menu-copy-name').click();
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('main.work');
    await rightClick();
    await page.getByTestId('frame-menu-copy-path').click();
    const copiedPath = await page.evaluate(() => navigator.clipboard.readText());
    expect(copiedPath.endsWith(';main.work')).toBe(true);
    expect(copiedPath.split(';').length).toBe(Math.round((frame.cssY - 9) / 18));
    // Escape closes the menu without doing anything.
    await rightClick();
    await page.keyboard.press('Escape');
    await poll(() => page.getByTestId('frame-context-menu').count()).toBe(0);
    await rightClick();
    await page.getByTestId('frame-menu-sandwich').click();
    await poll(() => new URL(page.url()).searchParams.get('view')).toBe('sandwich');
    expect(new URL(page.url()).searchParams.get('fn')).toBe('main.work');
    await page.getByTestId('sandwich').waitFor();
    expect(new URL(page.url()).searchParams.getAll('frameFilter')).toEqual([]);
    await page.close();
  });

  it('the call tree’s totals equal the flame graph’s, path by path', async () => {
    const page = await open('/explore?service=checkout&view=calltree', { graph: false });
    const rows = page.getByTestId('calltree-row');
    await rows.first().waitFor();
    const response = await api();
    const frames = decodeLevels(response.flamegraph);
    expect(Number(await rows.first().getAttribute('data-total'))).toBe(await shownTotal(page));
    expect(Number(await rows.first().getAttribute('data-total'))).toBe(frames.totalValue);
    // Expand everything shown (bounded), then check each row against the flame-graph frame on the same path.
    for (let round = 0; round < 6; round++) {
      const closed = page.locator('[data-testid="calltree-row"][aria-expanded="false"] [data-testid="calltree-toggle"]');
      const count = await closed.count();
      if (count === 0) break;
      for (let i = Math.min(count, 30) - 1; i >= 0; i--) await closed.nth(i).click();
    }
    const shown = await rows.evaluateAll((elements) =>
      elements.map((el) => ({ name: el.getAttribute('data-name')!, depth: Number(el.getAttribute('data-depth')), total: Number(el.getAttribute('data-total')), self: Number(el.getAttribute('data-self')) })),
    );
    expect(shown.length).toBeGreaterThan(10);
    const byPath = new Map<string, { total: number; self: number }>();
    const pathOfFrame: string[] = [];
    for (let i = 0; i < frames.count; i++) {
      const parent = frames.parent[i]!;
      pathOfFrame[i] = parent < 0 ? frames.names[frames.nameIndex[i]!]! : `${pathOfFrame[parent]};${frames.names[frames.nameIndex[i]!]}`;
      byPath.set(pathOfFrame[i]!, { total: frames.totalValues[i]!, self: frames.selfValues[i]! });
    }
    const stack: string[] = [];
    for (const row of shown) {
      stack.length = row.depth;
      stack.push(row.name);
      expect(byPath.get(stack.join(';')), stack.join(';')).toEqual({ total: row.total, self: row.self });
    }
    await page.screenshot({ path: path.join(artifacts, 'calltree.png') });
    await page.close();
  });

  it('the filter bar offers the detected language’s preset; filters survive a reload through the URL', async () => {
    const page = await open('/explore?service=checkout');
    const before = await shownTotal(page);
    await page.getByTestId('frame-filters-toggle').first().click();
    const preset = page.getByTestId('frame-filter-preset');
    expect(await preset.inputValue()).toBe('go-runtime');
    expect(await preset.locator('option:checked').textContent()).toContain('(detected)');
    await page.getByTestId('frame-filter-preset-add').click();
    await page.getByTestId('frame-filter-collapse').check();
    // A bad pattern is refused before any request, with the reason.
    await page.getByTestId('frame-filter-hide-input').fill('(?=x)');
    await page.getByTestId('frame-filter-hide-add').click();
    expect(await page.getByTestId('frame-filter-error').textContent()).toMatch(/RE2/);
    await page.getByTestId('frame-filter-mycode-input').fill('main.');
    await page.getByTestId('frame-filter-mycode-add').click();
    const expected = ['preset:go-runtime', 'collapse-recursion', 'my-code:main.'];
    await poll(() => new URL(page.url()).searchParams.getAll('frameFilter')).toEqual(expected);
    await page.screenshot({ path: path.join(artifacts, 'flamegraph-filters.png') });
    await poll(() => mirrored(page)).not.toContain('runtime.');
    expect(await shownTotal(page)).toBe(before);
    await page.screenshot({ path: path.join(artifacts, 'flamegraph-filters.png') });

    await page.reload();
    await page.getByTestId('flamegraph-canvas').first().waitFor();
    await poll(async () => (await page.getByTestId('frame-filter-chip').evaluateAll((els) => els.map((el) => el.getAttribute('data-filter'))))).toEqual(expected);
    await poll(() => mirrored(page)).toContain('main.');
    expect(await mirrored(page)).not.toContain('runtime.');
    const filtered = await api(expected);
    expect(filtered.flamegraph.names.filter((name) => name !== 'total').every((name) => name.startsWith('main.'))).toBe(true);
    expect(await shownTotal(page)).toBe(filtered.flamegraph.total);
    expect(filtered.flamegraph.total).toBe(before);
    // The folded export of the filtered view is filtered the same way (the server applies the URL's filters).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-select').selectOption('folded')]);
    const folded = readFileSync((await download.path())!, 'utf8');
    expect(folded.trim().split('\n').every((line) => line.startsWith('main.'))).toBe(true);
    // Removing a chip re-queries without it.
    await page.getByRole('button', { name: 'Remove filter my-code:main.' }).click();
    await poll(() => new URL(page.url()).searchParams.getAll('frameFilter')).toEqual(expected.slice(0, 2));
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });
});
