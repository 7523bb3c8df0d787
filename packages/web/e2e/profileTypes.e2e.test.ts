import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from '../../server/test/helpers/startServer.js';
import { ingest, multipartBody, profileTypesOf, readFixture } from '../../server/test/helpers/client.js';
import { launchChromium } from './browser.js';

/**
 * Profile-type names and defaults in the pickers, against a real server holding the real
 * `@pyroscope/nodejs` SDK's captures next to Go, Java and py-spy fixtures: the Node SDK's CPU time
 * is offered as "Wall · CPU time", no picker shows one name twice, and time comes before counts.
 */
describe('profile-type names in Chromium', () => {
  let server: StartedServer;
  let context: BrowserContext;
  const NODE_CPU = 'wall:cpu:nanoseconds:wall:nanoseconds';

  const uploadMultipart = async (file: string, name: string, spyName: string): Promise<void> => {
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
    const response = await ingest(server.baseUrl, { name, spyName, from: String(Math.floor(Date.now() / 1000) - 60) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  };

  beforeAll(async () => {
    server = await startServer();
    for (const file of ['nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', 'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz']) {
      // As the SDK sends them: a raw gzipped pprof body.
      const nowS = Math.floor(Date.now() / 1000);
      const response = await ingest(server.baseUrl, { name: 'node-app{env=e2e}', from: String(nowS - 70), until: String(nowS - 60), format: 'pprof', spyName: 'nodespy', sampleRate: '100' }, readFixture(testdataDir, file), 'application/octet-stream');
      expect(response.status, response.text).toBe(200);
    }
    await uploadMultipart('go/cpu.pb.gz', 'go-app', 'gospy');
    await uploadMultipart('go/heap.pb.gz', 'go-app', 'gospy');
    await uploadMultipart('nodejs/nodejs-heap.pb.gz', 'old-node-app', 'nodespy');
    await uploadMultipart('nodejs/nodejs-wall.pb.gz', 'old-node-app', 'nodespy');
    await uploadMultipart('java/profile_java', 'java-app', 'javaspy');
    await uploadMultipart('python/pyspy-1.pb.gz', 'py-app', 'pyspy');
    context = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  const open = async (urlPath: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}${urlPath}`);
    return page;
  };

  const optionsOf = async (page: Page, testId: string): Promise<{ texts: string[]; values: string[]; selected: string }> => {
    const select = page.getByTestId(testId);
    await expect.poll(() => select.locator('option').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    const texts = await select.locator('option').allTextContents();
    const values = await select.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    return { texts, values, selected: await select.inputValue() };
  };

  it('the Node SDK service offers CPU time under its own name and opens on it', async () => {
    const stored = await profileTypesOf(server.baseUrl, 'node-app');
    expect(stored).toContain(NODE_CPU);
    const page = await open('/pyroscope?service=node-app');
    const { texts, values, selected } = await optionsOf(page, 'profile-type-select');
    expect(texts).toEqual(['Wall · CPU time', 'Wall · wall time', 'Wall · samples', 'Memory · in-use bytes', 'Memory · in-use objects']);
    expect(new Set(values)).toEqual(new Set(stored));
    expect(selected).toBe(NODE_CPU);
    // Top functions: CPU time and in-use bytes, not sample counts.
    const top = page.getByTestId('top-functions');
    await expect.poll(async () => (await top.locator('h3').allTextContents()).join('|')).toBe('By Wall · CPU time|By Memory · in-use bytes');
    await page.close();
  });

  it('"All services": every type of every service has a different name', async () => {
    const page = await open('/pyroscope');
    const { texts, values, selected } = await optionsOf(page, 'profile-type-select');
    const everyId = new Set<string>();
    for (const service of ['node-app', 'go-app', 'old-node-app', 'java-app', 'py-app']) for (const id of await profileTypesOf(server.baseUrl, service)) everyId.add(id);
    expect(new Set(values)).toEqual(everyId);
    expect(new Set(texts).size).toBe(texts.length);
    // The two in-use memory types (Go's and Node's) and the two CPU sample counts (Go's, py-spy's) are told apart.
    expect(texts.filter((t) => t.startsWith('Memory · in-use bytes'))).toHaveLength(2);
    expect(texts.filter((t) => t.startsWith('CPU · samples'))).toHaveLength(2);
    expect(selected).toBe('process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    await page.close();
  });

  it('Compare and Request pickers use the same names and defaults', async () => {
    const compare = await open('/compare?service=node-app');
    const compareOptions = await optionsOf(compare, 'compare-type');
    expect(compareOptions.selected).toBe(NODE_CPU);
    expect(new Set(compareOptions.texts).size).toBe(compareOptions.texts.length);
    expect(compareOptions.texts).toContain('Wall · CPU time');
    await compare.close();
    const request = await open('/request?service=node-app&traceId=0123456789abcdef0123456789abcdef');
    const requestOptions = await optionsOf(request, 'request-type');
    expect(requestOptions.selected).toBe(NODE_CPU);
    expect(requestOptions.texts[0]).toBe('Wall · CPU time');
    await request.close();
    const python = await open('/pyroscope?service=py-app');
    // py-spy has one type, sample counts: with nothing measured in time it is the default.
    await expect.poll(() => python.getByTestId('profile-type-select').inputValue(), { timeout: 15_000 }).toBe('process_cpu:samples:count::milliseconds');
    expect(await python.getByTestId('profile-type-select').locator('option').allTextContents()).toEqual(['CPU · samples']);
    await python.close();
  });
});
