import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue, type AlertsResponse, type RuleSeriesResponse, type RuleView } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { launchChromium } from './browser.js';

/**
 * The Rules page in Chromium against the built server: create, edit, send a test and delete a rule;
 * a real profile (Linux perf on a Rust program) whose `term::stdout::` stacks double in v2 makes the
 * rule fire, and the Profiling page shows the alert with a link to its frozen diff.
 */
const WATCHED = 'term::stdout::';
const fixture = readFileSync(path.join(testdataDir, 'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt'), 'utf8');
const doubled = fixture
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (line.includes(WATCHED) ? line.replace(/ (\d+)$/, (_m, n: string) => ` ${Number(n) * 2}`) : line))
  .join('\n');

describe('alert rules in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  let hook: http.Server;
  let hookUrl: string;
  const received: { status?: string }[] = [];

  const ingest = async (version: string, body: string, atS: number): Promise<void> => {
    const name = `svc-e2e.cpu{version=${version}}`;
    const response = await fetch(`${server.baseUrl}/ingest?${new URLSearchParams({ name, from: String(atS - 10), until: String(atS), format: 'folded' })}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: gzipSync(body),
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    server = await startServer();
    hook = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: string });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 4; i++) await ingest('v1', fixture, nowS - 100 + i * 10);
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  });

  it('create, edit, send a test and delete a rule; a firing alert shows on the Profiling page with its diff', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/rules`);
    await page.getByTestId('rule-new').click();
    await page.getByTestId('rule-name').fill('stdout-regression');
    await page.getByTestId('rule-query').fill('process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="svc-e2e"}');
    await page.getByTestId('rule-match').selectOption('prefix');
    await page.getByTestId('rule-pattern').fill(WATCHED);
    await page.getByTestId('rule-baseline').selectOption('previous_version');
    await page.getByTestId('rule-interval').fill('1s');
    await page.getByTestId('rule-notify-url').fill(hookUrl);
    // A bad value is refused by the server, which names the field.
    await page.getByTestId('rule-window').fill('ten minutes');
    await page.getByTestId('rule-save').click();
    await expect.poll(async () => page.getByTestId('rule-error').textContent()).toMatch(/window/);
    await page.getByTestId('rule-window').fill('10m');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-row-stdout-regression').waitFor();
    await expect.poll(async () => page.getByTestId('rule-state-stdout-regression').textContent()).toBe('inactive');

    await page.getByTestId('rule-edit-stdout-regression').click();
    expect(await page.getByTestId('rule-pattern').inputValue()).toBe(WATCHED);
    await page.getByTestId('rule-alert').fill('1.8');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-form').waitFor({ state: 'detached' });
    const rules = (await (await fetch(`${server.baseUrl}/api/v1/rules`)).json()) as { rules: RuleView[] };
    expect(rules.rules.map((r) => [r.rule.name, r.rule.thresholds.alertRatio, r.rule.watch])).toEqual([['stdout-regression', 1.8, { target: 'function', match: 'prefix', pattern: WATCHED, value: 'total' }]]);

    await page.getByTestId('rule-test-stdout-regression').click();
    await expect.poll(async () => page.getByTestId('rule-test-result').textContent()).toMatch(/delivered \(HTTP 200\)/);
    expect(received.some((r) => r.status === 'test')).toBe(true);
    await page.getByTestId('delivery-log').waitFor();
    await page.screenshot({ path: path.join(import.meta.dirname, 'artifacts', 'rules-page.png'), fullPage: true });

    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 4; i++) await ingest('v2', doubled, nowS - 45 + i * 10);
    await expect
      .poll(async () => ((await (await fetch(`${server.baseUrl}/api/v1/alerts`)).json()) as AlertsResponse).firing.length, { timeout: 15_000 })
      .toBe(1);
    await page.goto(`${server.baseUrl}/pyroscope?service=svc-e2e`);
    const alert = page.getByTestId('firing-alert-stdout-regression');
    await alert.waitFor();
    await page.getByTestId('firing-alerts').screenshot({ path: path.join(import.meta.dirname, 'artifacts', 'profiling-firing-alert.png') });
    expect(await alert.textContent()).toMatch(new RegExp(`ALERT stdout-regression: total of package ${WATCHED.replace(/[:]/g, '\\$&')} ×2\\.00`));
    await alert.getByTestId('alert-diff-link').click();
    await page.getByTestId('snapshot-diff').waitFor();
    const rows = await page.getByTestId('snapshot-diff-row').allTextContents();
    const watchedRows = rows.filter((row) => row.includes(WATCHED));
    expect(watchedRows.length).toBeGreaterThan(0);
    for (const row of watchedRows) expect(row).toMatch(/\(100 %\)/);
    await page.getByTestId('snapshot-view').waitFor();
    await page.screenshot({ path: path.join(import.meta.dirname, 'artifacts', 'alert-snapshot.png') });

    await page.goto(`${server.baseUrl}/rules`);
    await expect.poll(async () => page.getByTestId('rule-state-stdout-regression').textContent()).toBe('firing (alert)');
    await page.getByTestId('rule-delete-stdout-regression').click();
    await expect.poll(() => page.getByTestId('rule-row-stdout-regression').count()).toBe(0);
    expect(((await (await fetch(`${server.baseUrl}/api/v1/rules`)).json()) as { rules: RuleView[] }).rules).toEqual([]);
  });

  it('draws a recording rule over time on the Rules page', async () => {
    const created = await fetch(`${server.baseUrl}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'stdout-rate',
        kind: 'recording',
        query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="svc-e2e"}',
        watch: { package: WATCHED },
        window: '1m',
        interval: '1m',
        thresholds: { minProfiles: 1 },
      }),
    });
    expect(created.status).toBe(201);
    const { rule } = (await created.json()) as RuleView;
    const nowMs = Date.now();
    const series = (await (await fetch(`${server.baseUrl}/api/v1/rules/${rule.id}/series?from=${nowMs - 3_600_000}&until=${nowMs + 60_000}`)).json()) as RuleSeriesResponse;
    const drawn = series.points.filter((p) => p.valuePerSecond !== null && p.valuePerSecond > 0);
    expect(drawn.length).toBeGreaterThan(0);

    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/rules`);
    const answer = page.waitForResponse((response) => response.url().includes(`/api/v1/rules/${rule.id}/series`));
    await page.getByTestId('rule-row-stdout-rate').getByRole('button', { name: 'stdout-rate' }).click();
    const shown = (await (await answer).json()) as RuleSeriesResponse;
    const chart = page.getByTestId('rule-chart');
    await chart.getByTestId('timeline-canvas').locator('canvas').first().waitFor();
    // uPlot drew the series: pixels of its colour (#76B900) on the canvas, not just axes.
    await expect
      .poll(
        () =>
          chart.locator('canvas').first().evaluate((canvas: HTMLCanvasElement) => {
            const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 0; i < pixels.length; i += 4) if (Math.abs(pixels[i]! - 0x76) < 24 && Math.abs(pixels[i + 1]! - 0xb9) < 24 && pixels[i + 2]! < 60) count++;
            return count;
          }),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(20);
    // The legend's max is the largest point of the answer the page drew.
    const max = Math.max(...shown.points.map((p) => p.valuePerSecond ?? 0));
    expect(max).toBeGreaterThan(0);
    expect(await chart.getByTestId('timeline-legend').textContent()).toContain(formatValue(max, series.unit));
    await chart.screenshot({ path: path.join(import.meta.dirname, 'artifacts', 'rules-chart.png') });
  });
});
