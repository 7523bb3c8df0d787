/**
 * A fake Cinder for the level-of-detail hook's tests: answers `format=tree` requests with core's own
 * level-of-detail cut of one small tree (a hot path, and 200 callees each under a pixel of the whole).
 */
import { act } from 'react';
import { CallTreeBuilder, ROOT_NODE, encodeTreeWire, selectLod, type CallTree } from '@cinder/core';
import { ApiClient } from '../src/api/client.js';
import type { LodSelection } from '../src/hooks/useLodFlameGraph.js';

function profileTree(): CallTree {
  const builder = new CallTreeBuilder();
  const add = (path: string[], self: number): void => {
    let node = ROOT_NODE;
    for (const name of path) node = builder.child(node, builder.nameId(name));
    builder.addSelf(node, self);
  };
  add(['main', 'serve', 'handle'], 50_000);
  add(['main', 'whole', 'x'], 30_000);
  // 200 callees of `busy`, each far under a pixel of the whole graph, each a few pixels of `busy`.
  for (let i = 0; i < 200; i++) add(['main', 'busy', `step${String(i).padStart(3, '0')}`], 50);
  return builder.build();
}

export const tree = profileTree();
export const selection: LodSelection = { query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="x"}', fromMs: 0, untilMs: 1 };

export function fakeClient(requests: URL[]): ApiClient {
  return new ApiClient({ fetchImpl: fakeFetch(requests) });
}

/** The fake server as a fetch (for code that makes its own ApiClient, as the start-up prefetch does). */
export function fakeFetch(requests: URL[]): (input: RequestInfo | URL) => Promise<Response> {
  return async (input) => {
    const url = new URL(String(input), 'http://cinder.test');
    requests.push(url);
    if (url.pathname === '/api/v1/services') return new Response(JSON.stringify({ services: [] }), { status: 200 });
    const width = Number(url.searchParams.get('width'));
    const focusPath = url.searchParams.get('focus')?.split(';') ?? [];
    const cut = selectLod(tree, { widthCssPx: width, focusPath });
    const bytes = encodeTreeWire(
      { profileTypeId: selection.query.split('{')[0]!, unit: 'nanoseconds', aggregation: 'sum', profileCount: 1, fromMs: 0, untilMs: 1, width, focusPath, viewRootNode: cut.viewRootNode, fullNodeCount: cut.fullNodeCount, top: [{ name: 'handle', self: 50_000, total: 50_000 }] },
      cut.tree,
    );
    return new Response(bytes.slice().buffer, { status: 200, headers: { 'content-type': 'application/vnd.cinder.tree' } });
  };
}

export async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
  }
}
