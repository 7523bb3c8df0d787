// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { CallTreeBuilder, ROOT_NODE, encodeTreeWire, frameAtPath, selectLod, type CallTree } from '@cinder/core';
import { ApiClient } from '../src/api/client.js';
import { useLodFlameGraph, type LodFlameGraph, type LodSelection } from '../src/hooks/useLodFlameGraph.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * prefetchFocus: the explorer renders a zoom at transition priority, so the zoom's detail is asked for
 * at the click. The hook against a fake server that answers with core's own level-of-detail cut: what it fetches
 * (and does not fetch) as the focus changes, and that the graph it hands out is never blank.
 */
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

const tree = profileTree();
const selection: LodSelection = { query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="x"}', fromMs: 0, untilMs: 1 };

function fakeClient(requests: URL[]): ApiClient {
  return new ApiClient({
    fetchImpl: async (input) => {
      const url = new URL(String(input), 'http://cinder.test');
      requests.push(url);
      const width = Number(url.searchParams.get('width'));
      const focusPath = url.searchParams.get('focus')?.split(';') ?? [];
      const cut = selectLod(tree, { widthCssPx: width, focusPath });
      const bytes = encodeTreeWire(
        { profileTypeId: selection.query.split('{')[0]!, unit: 'nanoseconds', aggregation: 'sum', profileCount: 1, fromMs: 0, untilMs: 1, width, focusPath, viewRootNode: cut.viewRootNode, fullNodeCount: cut.fullNodeCount, top: [{ name: 'handle', self: 50_000, total: 50_000 }] },
        cut.tree,
      );
      return new Response(bytes.slice().buffer, { status: 200, headers: { 'content-type': 'application/vnd.cinder.tree' } });
    },
  });
}

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
});

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
  }
}

describe('useLodFlameGraph prefetchFocus', () => {
  it('asks for a zoom\'s detail at the click; the zoom adopts that request instead of sending its own', async () => {
    const requests: URL[] = [];
    const client = fakeClient(requests);
    const states: LodFlameGraph[] = [];
    function Probe(props: { focus: string[] }): JSX.Element | null {
      states.push(useLodFlameGraph(client, 'a', selection, props.focus, 1000));
      return null;
    }
    const last = (): LodFlameGraph => states[states.length - 1]!;
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Probe focus={[]} />));
    await settle(() => last().frames !== null);
    expect(requests).toHaveLength(1);

    // A complete view asks for nothing; a view that lacks a pixel is asked for once, before any render.
    last().prefetchFocus(['main', 'whole']);
    expect(requests).toHaveLength(1);
    last().prefetchFocus(['main', 'busy']);
    last().prefetchFocus(['main', 'busy']);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.searchParams.get('focus')).toBe('main;busy');

    act(() => root!.render(<Probe focus={['main', 'busy']} />));
    await settle(() => last().complete);
    expect(requests).toHaveLength(2);
    const spliced = last().frames!;
    expect(spliced.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(frameAtPath(spliced, ['main', 'busy', 'step000'])).toBeGreaterThan(0);
  });

  it('drops a prefetched zoom the page did not go to, and the zoom it went to fetches its own', async () => {
    const requests: URL[] = [];
    const client = fakeClient(requests);
    const states: LodFlameGraph[] = [];
    function Probe(props: { focus: string[] }): JSX.Element | null {
      states.push(useLodFlameGraph(client, 'a', selection, props.focus, 1000));
      return null;
    }
    const last = (): LodFlameGraph => states[states.length - 1]!;
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Probe focus={[]} />));
    await settle(() => last().frames !== null);
    last().prefetchFocus(['main', 'busy']);
    expect(requests).toHaveLength(2);
    act(() => root!.render(<Probe focus={['main', 'busy', 'step001']} />));
    await settle(() => last().complete);
    expect(requests).toHaveLength(3);
    expect(requests[2]!.searchParams.get('focus')).toBe('main;busy;step001');
    expect(frameAtPath(last().frames!, ['main', 'busy', 'step001'])).toBeGreaterThan(0);
  });
});
