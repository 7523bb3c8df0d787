import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetStartupPrefetch, startStartupPrefetch, startupNowMs, takeStartupFlame, takeStartupServices, takeStartupServicesIfIn, GUESSED_PROFILE_TYPE } from '../src/flamegraph/startupPrefetch.js';
import { buildQuery } from '../src/state/selector.js';

/** Start-up requests are adopted only when they are exactly what the page would send, and only once. */
function stubServer(): string[] {
  const seen: string[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    const url = String(input);
    seen.push(url);
    if (url.startsWith('/api/v1/services')) return new Response(JSON.stringify({ services: [{ serviceName: 'big', profileTypes: [] }] }), { status: 200 });
    return new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { 'content-type': 'application/vnd.cinder.tree' } });
  });
  return seen;
}

const FROM_MS = 1_700_000_000_000;
const UNTIL_MS = FROM_MS + 3_600_000;
const query = buildQuery(GUESSED_PROFILE_TYPE, ['big'], []);

afterEach(() => {
  resetStartupPrefetch();
  vi.unstubAllGlobals();
});

describe('start-up prefetch', () => {
  it('asks for the services and the flame graph of the explorer URL, at the window width in 128 px steps', async () => {
    const seen = stubServer();
    startStartupPrefetch({ pathname: '/explore', search: `?service=big&from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    await Promise.resolve();
    expect(seen).toContain(`/api/v1/services?from=${FROM_MS}&until=${UNTIL_MS}`);
    const flame = seen.find((url) => url.startsWith('/api/v1/flamegraph'))!;
    const params = new URL(flame, 'http://x').searchParams;
    expect(params.get('query')).toBe(query);
    expect(params.get('format')).toBe('tree');
    expect(params.get('width')).toBe('1408');
    expect(startupNowMs()).not.toBeNull();
  });

  it('hands the flame-graph answer to one adopter asking for the same selection at a width up to its own', async () => {
    stubServer();
    startStartupPrefetch({ pathname: '/explore', search: `?service=big&from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    const request = { query, fromMs: FROM_MS, untilMs: UNTIL_MS, widthCssPx: 1280 };
    const signal = new AbortController().signal;
    expect(takeStartupFlame({ ...request, widthCssPx: 1536 }, signal)).toBeNull();
    expect(takeStartupFlame({ ...request, query: buildQuery(GUESSED_PROFILE_TYPE, ['other'], []) }, signal)).toBeNull();
    expect(takeStartupFlame({ ...request, untilMs: UNTIL_MS + 1 }, signal)).toBeNull();
    expect(takeStartupFlame({ ...request, frameFilters: ['hide:re:^runtime'] }, signal)).toBeNull();
    const adopted = takeStartupFlame(request, signal);
    expect(adopted?.widthCssPx).toBe(1408);
    expect(takeStartupFlame(request, signal)).toBeNull();
    expect(new Uint8Array(await adopted!.promise)).toEqual(new Uint8Array([1, 2, 3]));
    expect(takeStartupFlame(request, signal)).toBeNull();
  });

  it('puts the answer back when its adopter gives up first (a React effect cleanup)', async () => {
    stubServer();
    startStartupPrefetch({ pathname: '/explore', search: `?service=big&from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    const request = { query, fromMs: FROM_MS, untilMs: UNTIL_MS, widthCssPx: 1408 };
    const first = new AbortController();
    const adopted = takeStartupFlame(request, first.signal)!;
    first.abort();
    await expect(adopted.promise).rejects.toMatchObject({ name: 'AbortError' });
    const second = takeStartupFlame(request, new AbortController().signal);
    expect(second).not.toBeNull();
    expect((await second!.promise).byteLength).toBe(3);
  });

  it('gives the services answer once, for the same range only', async () => {
    stubServer();
    startStartupPrefetch({ pathname: '/pyroscope', search: `?from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    expect(takeStartupServices(FROM_MS, UNTIL_MS + 1)).toBeNull();
    expect(startupNowMs()).not.toBeNull();
    const services = takeStartupServices(FROM_MS, UNTIL_MS);
    expect((await services!)[0]!.serviceName).toBe('big');
    expect(takeStartupServices(FROM_MS, UNTIL_MS)).toBeNull();
    // A page opened later resolves "now" itself.
    expect(startupNowMs()).toBeNull();
  });

  it('hands the services answer over synchronously once it is in (the first render then has it), once', async () => {
    stubServer();
    startStartupPrefetch({ pathname: '/explore', search: `?from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    // Not in yet: the page falls back to the promise.
    expect(takeStartupServicesIfIn(FROM_MS, UNTIL_MS)).toBeNull();
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(takeStartupServicesIfIn(FROM_MS, UNTIL_MS + 1)).toBeNull();
    expect(takeStartupServicesIfIn(FROM_MS, UNTIL_MS)?.[0]?.serviceName).toBe('big');
    expect(takeStartupServicesIfIn(FROM_MS, UNTIL_MS)).toBeNull();
    expect(takeStartupServices(FROM_MS, UNTIL_MS)).toBeNull();
  });

  it('sends nothing for other pages or a host app config', async () => {
    const seen = stubServer();
    startStartupPrefetch({ pathname: '/compare', search: `?from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    startStartupPrefetch({ pathname: '/explore', search: `?config=/host/config&from=${FROM_MS}&until=${UNTIL_MS}` }, 1300);
    await Promise.resolve();
    expect(seen).toEqual([]);
    expect(takeStartupServices(FROM_MS, UNTIL_MS)).toBeNull();
  });
});
