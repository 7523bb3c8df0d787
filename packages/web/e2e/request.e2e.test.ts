import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBuilder, encodePprof } from '@cinder/core';
import { startServer, type StartedServer } from '../../server/test/helpers/startServer.js';
import { connectJson } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/** Traces → profiles in Chromium: a deep link with a trace or span id opens that request's flame graph. */
const TRACE = '0123456789abcdef0123456789abcdef';
const SPAN = '00000000000000b2';

describe('request-level view in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  const profileMs = Date.now() - 60_000;

  beforeAll(async () => {
    server = await startServer();
    const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }, 10_000_000);
    builder.addSample(['main', 'handle', 'query'], [30_000_000], [['trace_id', TRACE]]);
    builder.addSample(['main', 'handle', 'render'], [20_000_000], [['span_id', SPAN]]);
    builder.addSample(['main', 'gc'], [50_000_000]);
    const profile = builder.build();
    profile.timeMs = profileMs;
    const push = await connectJson(server.baseUrl, 'push.v1.PusherService/Push', {
      series: [{ labels: [{ name: '__name__', value: 'process_cpu' }, { name: 'service_name', value: 'api' }], samples: [{ rawProfile: Buffer.from(encodePprof(profile)).toString('base64') }] }],
    });
    expect(push.status).toBe(200);
    context = await launchChromium({ viewport: { width: 1300, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (params: Record<string, string>): Promise<Page> => {
    const page = await context.newPage();
    const query = new URLSearchParams({ service: 'api', from: String(profileMs - 5_000), until: String(profileMs + 5_000), ...params });
    await page.goto(`${server.baseUrl}/request?${query}`);
    return page;
  };

  it('a trace id link shows only that request’s samples', async () => {
    const page = await open({ traceId: TRACE });
    const graph = page.getByTestId('request-flamegraph');
    await graph.waitFor();
    expect(await graph.locator('h2').textContent()).toMatch(/30 ms/);
    expect(await page.getByTestId('flamegraph-a11y-table').textContent()).toContain('query');
    expect(await page.getByTestId('flamegraph-a11y-table').textContent()).not.toContain('gc');
    await page.close();
  });

  it('a span id link works too', async () => {
    const page = await open({ spanId: SPAN });
    await page.getByTestId('request-flamegraph').waitFor();
    expect(await page.getByTestId('request-flamegraph').locator('h2').textContent()).toMatch(/20 ms/);
    await page.close();
  });

  it('an id no sample carried explains why and shows the service’s profile instead', async () => {
    const page = await open({ traceId: 'ffffffffffffffffffffffffffffffff' });
    await page.getByTestId('request-empty').waitFor();
    await page.getByTestId('request-flamegraph').waitFor();
    expect(await page.getByTestId('request-flamegraph').locator('h2').textContent()).toMatch(/100 ms/);
    await page.close();
  });

  it('malformed ids are refused in the form and explained for links', async () => {
    const page = await open({});
    await page.getByTestId('request-trace-id').fill('not-a-trace');
    await page.getByTestId('request-invalid-id').waitFor();
    expect(await page.getByTestId('request-submit').isDisabled()).toBe(true);
    await page.getByTestId('request-trace-id').fill(TRACE.toUpperCase());
    await page.getByTestId('request-submit').click();
    await expect.poll(() => page.url()).toContain(`traceId=${TRACE}`);
    await page.getByTestId('request-flamegraph').waitFor();
    await page.goto(`${server.baseUrl}/request?service=api&traceId=xyz`);
    await page.getByTestId('request-invalid-link').waitFor();
    await page.close();
  });
});
