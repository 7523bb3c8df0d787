import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLevels, diffToFlameGraph, formatPercent, formatValue, frameName, type DiffResponse, type FlameGraphResponse } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * The comparison view's timeline in Chromium against a real server: two ranges brushed with the
 * mouse give a diff whose totals are those of the two ranges asked for separately; the diff
 * tooltip's four values match the API's; the profile type carries over from the Profiling page.
 */
const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const CPU_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const MIN = 60_000;

describe('Compare: brushed ranges, label selectors, type carry-over', () => {
  let server: StartedServer;
  let context: BrowserContext;
  // Profiles: two in the baseline window (50 and 45 minutes ago), one in the comparison window (20 minutes ago).
  const nowMs = Date.now();
  const profileTimesMs = [nowMs - 50 * MIN, nowMs - 45 * MIN, nowMs - 20 * MIN];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer();
    for (const atMs of profileTimesMs) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/go.cpu.labels.pprof') }]);
      const response = await ingest(server.baseUrl, { name: 'ranged', spyName: 'gospy', from: String(Math.floor(atMs / 1000)) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
    // A second profile type on the same service (Go heap: alloc/in-use), for the type carry-over.
    const heap = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/heap.pb.gz') }]);
    const heapResponse = await ingest(server.baseUrl, { name: 'ranged', spyName: 'gospy', from: String(Math.floor((nowMs - 20 * MIN) / 1000)) }, heap.body, heap.contentType);
    expect(heapResponse.status, heapResponse.text).toBe(200);
    // Another service, so "All services" has more than one to merge.
    const other = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/go.cpu.labels.pprof') }]);
    const otherResponse = await ingest(server.baseUrl, { name: 'other', spyName: 'gospy', from: String(Math.floor((nowMs - 10 * MIN) / 1000)) }, other.body, other.contentType);
    expect(otherResponse.status, otherResponse.text).toBe(200);
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const getJson = async <T>(route: string, params: Record<string, string | number>): Promise<T> => {
    const response = await fetch(`${server.baseUrl}${route}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  };
  const rangeTotal = async (query: string, fromMs: number, untilMs: number): Promise<number> =>
    (await getJson<FlameGraphResponse>('/api/v1/flamegraph', { query, from: fromMs, until: untilMs })).flamegraph.total;

  /** Drags on the timeline from one time to another (page pixels computed from the axis the page reports). */
  const brush = async (page: Page, fromMs: number, untilMs: number): Promise<void> => {
    const timeline = page.getByTestId('compare-timeline');
    const axisFromMs = Number(await timeline.getAttribute('data-from-ms'));
    const axisUntilMs = Number(await timeline.getAttribute('data-until-ms'));
    // The page may still be laying out (a diff arriving adds a scrollbar and narrows the chart): wait for two equal reads.
    const over = timeline.locator('.u-over');
    let box = (await over.boundingBox())!;
    for (let attempt = 0; attempt < 20; attempt++) {
      await page.waitForTimeout(100);
      const next = (await over.boundingBox())!;
      if (next.x === box.x && next.width === box.width) break;
      box = next;
    }
    const x = (ms: number): number => box.x + ((ms - axisFromMs) / (axisUntilMs - axisFromMs)) * box.width;
    const y = box.y + box.height / 2;
    // uPlot starts a drag where its cursor last was: move there in steps and let it catch up first.
    await page.mouse.move(x(fromMs), y, { steps: 5 });
    await page.waitForTimeout(50);
    await page.mouse.down();
    await page.mouse.move((x(fromMs) + x(untilMs)) / 2, y, { steps: 4 });
    await page.mouse.move(x(untilMs), y, { steps: 4 });
    await page.mouse.up();
  };

  /** The colour drawn at a time on the timeline, halfway up the plot. */
  const pixelAt = async (page: Page, ms: number): Promise<[number, number, number]> => {
    const timeline = page.getByTestId('compare-timeline');
    const axisFromMs = Number(await timeline.getAttribute('data-from-ms'));
    const axisUntilMs = Number(await timeline.getAttribute('data-until-ms'));
    return timeline.evaluate(
      (el, args) => {
        const canvas = el.querySelector('canvas')!;
        const over = el.querySelector('.u-over')!.getBoundingClientRect();
        const rect = canvas.getBoundingClientRect();
        const ratio = canvas.width / rect.width;
        const cssX = over.left - rect.left + ((args.ms - args.axisFromMs) / (args.axisUntilMs - args.axisFromMs)) * over.width;
        const cssY = over.top - rect.top + over.height * 0.6;
        const data = canvas.getContext('2d')!.getImageData(Math.round(cssX * ratio), Math.round(cssY * ratio), 1, 1).data;
        return [data[0]!, data[1]!, data[2]!] as [number, number, number];
      },
      { ms, axisFromMs, axisUntilMs },
    );
  };

  it('brushing a baseline and a comparison range: the diff totals are those two ranges’ totals, and the tooltip shows both sides, delta and delta %', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/compare?service=ranged&type=${encodeURIComponent(CPU_TYPE)}&preset=ranges`);
    await page.getByTestId('compare-timeline').locator('.u-over').waitFor();
    expect(await page.getByTestId('compare-timeline').getAttribute('data-brushing')).toBe('baseline');

    await page.getByTestId('diff-totals').waitFor();
    await brush(page, nowMs - 55 * MIN, nowMs - 40 * MIN);
    await expect.poll(() => new URL(page.url()).searchParams.get('bfrom')).not.toBeNull();
    // After the baseline, the next drag sets the comparison (as in Pyroscope's comparison view).
    expect(await page.getByTestId('compare-timeline').getAttribute('data-brushing')).toBe('comparison');
    // Brushing the baseline pinned the comparison where it was shown (the view's second half); the next drag moves it.
    const pinnedComparisonFrom = new URL(page.url()).searchParams.get('cfrom');
    expect(pinnedComparisonFrom).not.toBeNull();
    await brush(page, nowMs - 25 * MIN, nowMs - 15 * MIN);
    await expect.poll(() => new URL(page.url()).searchParams.get('cfrom')).not.toBe(pinnedComparisonFrom);

    const params = new URL(page.url()).searchParams;
    expect(params.get('preset')).toBe('ranges');
    const baseline = { fromMs: Number(params.get('bfrom')), untilMs: Number(params.get('buntil')) };
    const comparison = { fromMs: Number(params.get('cfrom')), untilMs: Number(params.get('cuntil')) };
    // The brushed ranges are where the mouse went (within a few pixels of a 1 h axis at ~1300 px: ≤ 30 s).
    expect(Math.abs(baseline.fromMs - (nowMs - 55 * MIN))).toBeLessThan(30_000);
    expect(Math.abs(baseline.untilMs - (nowMs - 40 * MIN))).toBeLessThan(30_000);
    expect(Math.abs(comparison.fromMs - (nowMs - 25 * MIN))).toBeLessThan(30_000);
    expect(Math.abs(comparison.untilMs - (nowMs - 15 * MIN))).toBeLessThan(30_000);

    // The diff's totals equal the two ranges asked for independently; two profiles vs one.
    const query = `${CPU_TYPE}{service_name="ranged"}`;
    const baselineTotal = await rangeTotal(query, baseline.fromMs, baseline.untilMs);
    const comparisonTotal = await rangeTotal(query, comparison.fromMs, comparison.untilMs);
    expect(comparisonTotal).toBeGreaterThan(0);
    expect(baselineTotal).toBe(2 * comparisonTotal);
    const totals = page.getByTestId('diff-totals');
    await expect.poll(async () => Number(await totals.getAttribute('data-comparison-total'))).toBe(comparisonTotal);
    expect(Number(await totals.getAttribute('data-baseline-total'))).toBe(baselineTotal);
    expect(await totals.textContent()).toBe(`baseline ${formatValue(baselineTotal, 'nanoseconds')} → comparison ${formatValue(comparisonTotal, 'nanoseconds')}`);

    // Colour-coded selections: blue where the baseline is, orange where the comparison is, neither outside.
    // (Polled: a diff arriving can re-lay the page out and redraw the chart.)
    const blueOverRed = async (ms: number): Promise<number> => {
      const [r, , b] = await pixelAt(page, ms);
      return b - r;
    };
    await expect.poll(() => blueOverRed(nowMs - 47 * MIN)).toBeGreaterThan(20);
    await expect.poll(() => blueOverRed(nowMs - 18 * MIN)).toBeLessThan(-20);
    await expect.poll(() => blueOverRed(nowMs - 32 * MIN)).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'compare-ranges.png') });
    for (const [width, height] of [[1280, 800], [1920, 1080]] as const) {
      await page.setViewportSize({ width, height });
      // The chart follows its box's new width; wait for uPlot to draw at it before the shot.
      await expect.poll(async () => Math.round((await page.getByTestId('compare-timeline').locator('.u-over').boundingBox())!.width / 100)).toBeGreaterThan(width / 100 - 3);
      await page.screenshot({ path: path.join(artifacts, `compare-${width}x${height}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1400, height: 1000 });

    // Tooltip of the frame at depth 1: baseline, comparison, delta and delta %, as the API's numbers say.
    const api = await getJson<DiffResponse>('/api/v1/diff', {
      baseline: query,
      baselineFrom: baseline.fromMs,
      baselineUntil: baseline.untilMs,
      comparison: query,
      comparisonFrom: comparison.fromMs,
      comparisonUntil: comparison.untilMs,
      mode: 'absolute',
      normalize: 'duration',
      maxNodes: 4096,
    });
    const canvas = page.getByTestId('diff-flamegraph').locator('canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + 18 * 1.5);
    const tooltip = page.getByTestId('flamegraph-tooltip');
    await tooltip.waitFor();
    const name = (await tooltip.locator('.tooltip-name').textContent())!;
    const combined = diffToFlameGraph(api.flamegraph);
    const frames = decodeLevels(combined.flamegraph);
    let frame = -1;
    for (let i = 0; i < frames.count; i++) if (frames.depth[i] === 1 && frameName(frames, i) === name) frame = i;
    expect(frame, `frame ${name} at depth 1 in the API's diff`).toBeGreaterThan(0);
    const left = combined.leftTotal[frame]!;
    const right = combined.rightTotal[frame]!;
    const scale = api.normalization.baselineScale;
    // 15 min of baseline against 10 min of comparison: the baseline is scaled by 10/15.
    expect(scale).toBeCloseTo((comparison.untilMs - comparison.fromMs) / (baseline.untilMs - baseline.fromMs), 6);
    const before = left * scale;
    const rows = await tooltip.locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]));
    expect(rows).toEqual([
      ['Baseline', `${formatValue(left, 'nanoseconds')} (×${scale.toPrecision(3)} = ${formatValue(before, 'nanoseconds')})`],
      ['Comparison', formatValue(right, 'nanoseconds')],
      ['Delta', `${right - before > 0 ? '+' : ''}${formatValue(right - before, 'nanoseconds')}`],
      ['Delta %', `${right - before > 0 ? '+' : '-'}${formatPercent(Math.abs(right - before) / before)}`],
    ]);
    await page.screenshot({ path: path.join(artifacts, 'compare-tooltip.png') });
    await page.close();
  });

  it('a label selector on each side narrows that side only', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/compare?service=ranged&type=${encodeURIComponent(CPU_TYPE)}&from=now-1h&preset=previous`);
    const add = async (side: 'baseline' | 'comparison', value: string): Promise<void> => {
      const names = page.getByTestId(`compare-${side}-filter-name`);
      await expect.poll(async () => names.locator('option[value="function"]').count()).toBe(1);
      await names.selectOption('function');
      await page.getByTestId(`compare-${side}-filter-value`).fill(value);
      await page.getByTestId(`compare-${side}-filter-add`).click();
    };
    await add('comparison', 'slow');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('cfilter')).toEqual(['function=slow']);
    expect(new URL(page.url()).searchParams.getAll('bfilter')).toEqual([]);
    const rangeMs = 3_600_000;
    const untilMs = Date.now();
    const totals = page.getByTestId('diff-totals');
    // The comparison is the last hour with function="slow" only: equal to that selection's total from the API (± a profile at the edges: none there).
    const slowTotal = await rangeTotal(`${CPU_TYPE}{service_name="ranged", function="slow"}`, untilMs - rangeMs - 60_000, untilMs + 60_000);
    const allTotal = await rangeTotal(`${CPU_TYPE}{service_name="ranged"}`, untilMs - rangeMs - 60_000, untilMs + 60_000);
    expect(slowTotal).toBeGreaterThan(0);
    expect(slowTotal).toBeLessThan(allTotal);
    await expect.poll(async () => Number(await totals.getAttribute('data-comparison-total'))).toBe(slowTotal);
    expect(await page.getByTestId('compare-comparison-text').textContent()).toContain('function="slow"');
    await page.close();
  });

  it('“Open comparison” on the Profiling page keeps the chosen profile type, and “All services” works', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/pyroscope?service=ranged`);
    const select = page.getByTestId('profile-type-select');
    await expect.poll(async () => select.locator('option').count()).toBeGreaterThan(2);
    // The type the page shows by default carries over, and so does one picked by hand.
    const shownByDefault = await select.inputValue();
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const picked = options.find((id) => id !== shownByDefault && id.startsWith('memory:'))!;
    expect(picked).toBeTruthy();
    for (const expected of [shownByDefault, picked]) {
      if (expected !== (await select.inputValue())) {
        await select.selectOption(expected);
        await expect.poll(() => new URL(page.url()).searchParams.get('type')).toBe(expected);
      }
      await page.getByTestId('compare-link').click();
      await page.getByTestId('compare-page').waitFor();
      await expect.poll(async () => page.getByTestId('compare-type').inputValue()).toBe(expected);
      await page.getByTestId('diff-totals').waitFor();
      await page.goBack();
      await page.getByTestId('profile-type-select').waitFor();
    }

    // All services: the Profiling page's "All" leaves the service out; the comparison runs over every service.
    await page.goto(`${server.baseUrl}/pyroscope`);
    await expect.poll(async () => page.getByTestId('profile-type-select').locator('option').count()).toBeGreaterThan(2);
    const allType = await page.getByTestId('profile-type-select').inputValue();
    await page.getByTestId('compare-link').click();
    await page.getByTestId('compare-page').waitFor();
    expect(await page.getByTestId('compare-service').inputValue()).toBe('');
    await expect.poll(async () => page.getByTestId('compare-type').inputValue()).toBe(allType);
    await page.getByTestId('compare-preset').selectOption('previous');
    const totals = page.getByTestId('diff-totals');
    await totals.waitFor();
    const endMs = Date.now();
    const allTotal = await rangeTotal(`${allType}{}`, endMs - 3_600_000 - 60_000, endMs + 60_000);
    const rangedTotal = await rangeTotal(`${allType}{service_name="ranged"}`, endMs - 3_600_000 - 60_000, endMs + 60_000);
    expect(allTotal).toBeGreaterThan(rangedTotal);
    await expect.poll(async () => Number(await totals.getAttribute('data-comparison-total'))).toBe(allTotal);
    await page.screenshot({ path: path.join(artifacts, 'compare-all-services.png') });
    await page.close();
  });
});
