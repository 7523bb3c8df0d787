import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../src/api/client.js';

interface Seen {
  url: string;
  init: RequestInit | undefined;
}

function recordingClient(answer: (url: string, init?: RequestInit) => Promise<Response>): { client: ApiClient; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), init });
    return answer(String(input), init);
  }) as typeof fetch;
  return { client: new ApiClient({ fetchImpl }), seen };
}

describe('ApiClient file exports (the fetches ExportMenu and UploadPage used to make themselves)', () => {
  it('downloads pprof bytes unchanged, with the signal and the selection in the URL', async () => {
    // Bytes that are not valid UTF-8: reading them as text would corrupt the file.
    const pprofBytes = new Uint8Array([0x1f, 0x8b, 0xff, 0x00, 0xfe, 0x0a]);
    const { client, seen } = recordingClient(async () => new Response(pprofBytes, { status: 200, headers: { 'content-type': 'application/octet-stream' } }));
    const controller = new AbortController();
    const blob = await client.flameGraphFile({ query: 'cpu{service_name="a"}', fromMs: 1000, untilMs: 2000, format: 'pprof' }, controller.signal);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(pprofBytes);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.init?.signal).toBe(controller.signal);
    const url = new URL(seen[0]!.url, 'http://x');
    expect(url.pathname).toBe('/api/v1/flamegraph');
    expect(Object.fromEntries(url.searchParams)).toEqual({ query: 'cpu{service_name="a"}', from: '1000', until: '2000', format: 'pprof' });
  });

  it('returns folded text for the upload comparison', async () => {
    const { client, seen } = recordingClient(async () => new Response('a;b 3\na 1\n', { status: 200 }));
    const signal = new AbortController().signal;
    expect(await client.flameGraphCollapsed({ query: 'q', fromMs: 5, untilMs: 6 }, signal)).toBe('a;b 3\na 1\n');
    expect(seen[0]!.init?.signal).toBe(signal);
    expect(new URL(seen[0]!.url, 'http://x').searchParams.get('format')).toBe('collapsed');
  });

  it("turns a refused export into an ApiError with the server's code and message", async () => {
    const { client } = recordingClient(async () => new Response(JSON.stringify({ code: 'CINDER_QUERY_TOO_LARGE', message: 'range too long' }), { status: 400 }));
    const error = await client.flameGraphFile({ query: 'q', fromMs: 0, untilMs: 1, format: 'collapsed' }, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: 'http', status: 400, code: 'CINDER_QUERY_TOO_LARGE', message: 'range too long' });
  });

  it('reports a cancelled export as aborted', async () => {
    const { client } = recordingClient(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const controller = new AbortController();
    const pending = client.flameGraphCollapsed({ query: 'q', fromMs: 0, untilMs: 1 }, controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'aborted' });
  });
});
