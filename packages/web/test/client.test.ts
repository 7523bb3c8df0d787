import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../src/api/client.js';

function fakeFetch(handler: (url: string, init?: RequestInit) => Promise<Response>): typeof fetch {
  return ((input: RequestInfo | URL, init?: RequestInit) => handler(String(input), init)) as typeof fetch;
}

describe('ApiClient', () => {
  it('builds URLs with ms times and the query', async () => {
    const seen: string[] = [];
    const client = new ApiClient({
      fetchImpl: fakeFetch(async (url) => {
        seen.push(url);
        return new Response(JSON.stringify({ services: [] }), { status: 200 });
      }),
    });
    await client.services(1000, 2000, new AbortController().signal);
    expect(seen).toEqual(['/api/v1/services?from=1000&until=2000']);
  });

  it('sends a zoom path through a name with ";" as focusPath, others as focus', async () => {
    const seen: URL[] = [];
    const client = new ApiClient({
      fetchImpl: fakeFetch(async (url) => {
        seen.push(new URL(url, 'http://cinder.test'));
        return new Response(new ArrayBuffer(8), { status: 200 });
      }),
    });
    const ask = (focus: string[]): Promise<ArrayBuffer> => client.flameGraphTree({ query: 'q', fromMs: 0, untilMs: 1, widthCssPx: 800, focus }, new AbortController().signal);
    await ask(['main', 'pkg.work']);
    await ask(['main', 'pkg.F[go.shape;int]', 'pkg.g']);
    await ask([]);
    expect(seen[0]!.searchParams.get('focus')).toBe('main;pkg.work');
    expect(seen[0]!.searchParams.has('focusPath')).toBe(false);
    expect(seen[1]!.searchParams.has('focus')).toBe(false);
    expect(JSON.parse(seen[1]!.searchParams.get('focusPath')!)).toEqual(['main', 'pkg.F[go.shape;int]', 'pkg.g']);
    expect(seen[2]!.searchParams.has('focus') || seen[2]!.searchParams.has('focusPath')).toBe(false);
  });

  it("surfaces the server's error message and code", async () => {
    const client = new ApiClient({
      fetchImpl: fakeFetch(async () => new Response(JSON.stringify({ code: 'CINDER_QUERY_BAD_SELECTOR', message: 'bad selector at 3' }), { status: 400 })),
    });
    const error = await client.flameGraph({ query: 'x{', fromMs: 0, untilMs: 1 }, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: 'http', status: 400, code: 'CINDER_QUERY_BAD_SELECTOR', message: 'bad selector at 3' });
  });

  it('tells an unreachable server apart from a failed query', async () => {
    const client = new ApiClient({ fetchImpl: fakeFetch(async () => Promise.reject(new TypeError('Failed to fetch'))) });
    const error = await client.config(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unreachable' });
  });

  it('reports cancellation as aborted, not as a failure', async () => {
    const controller = new AbortController();
    const client = new ApiClient({
      fetchImpl: fakeFetch(
        (_url, init) =>
          new Promise((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
          }),
      ),
    });
    const pending = client.timeline({ query: 'q', fromMs: 0, untilMs: 1 }, controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'aborted' });
  });
});
