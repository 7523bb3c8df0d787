// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { CallTreeBuilder, ROOT_NODE, encodeTreeWire, frameAtPath, pathOf, selectLod, type CallTree } from '@cinder/core';
import { ApiClient } from '../src/api/client.js';
import { forEachFrameUnder } from '../src/flamegraph/lodView.js';
import { useLodFlameGraph, type LodFlameGraph, type LodSelection } from '../src/hooks/useLodFlameGraph.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * The hook against a fake server that answers with core's own level-of-detail cut: what it fetches
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

describe('useLodFlameGraph', () => {
  it('loads the full view at its width, fetches a zoom only when it lacks a pixel, and never blanks the graph', async () => {
    const requests: URL[] = [];
    const client = fakeClient(requests);
    const states: LodFlameGraph[] = [];
    function Probe(props: { focus: string[]; selectionKey: string }): JSX.Element | null {
      states.push(useLodFlameGraph(client, props.selectionKey, selection, props.focus, 1000));
      return null;
    }
    const last = (): LodFlameGraph => states[states.length - 1]!;
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Probe focus={[]} selectionKey="a" />));
    await settle(() => last().frames !== null);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.searchParams.get('format')).toBe('tree');
    expect(requests[0]!.searchParams.get('width')).toBe('1024');
    const opened = last().frames!;
    expect(opened.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(last().complete).toBe(true);
    expect(last().header!.top[0]!.name).toBe('handle');
    expect(frameAtPath(opened, ['main', 'busy', 'step000'])).toBe(-1);

    // Zoom into `busy`: its callees are missing. The same frames answer at once (not complete), then the detail.
    const firstZoomState = states.length;
    act(() => root!.render(<Probe focus={['main', 'busy']} selectionKey="a" />));
    expect(states[firstZoomState]!.frames).toBe(opened);
    expect(states[firstZoomState]!.complete).toBe(false);
    await settle(() => last().complete);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.searchParams.get('focus')).toBe('main;busy');
    const spliced = last().frames!;
    expect(spliced.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(last().openNames).toBe(opened.names);
    const busy = frameAtPath(spliced, ['main', 'busy']);
    let under = 0;
    forEachFrameUnder(spliced, busy, false, () => (under++, true));
    expect(under).toBe(200);
    expect(states.every((state, i) => i === 0 || state.frames !== null || states[i - 1]!.frames === null)).toBe(true);

    // Zoom into `whole`, already complete at the root's cut; and back out: no fetch.
    act(() => root!.render(<Probe focus={['main', 'whole']} selectionKey="a" />));
    await settle(() => requests.length > 2);
    expect(requests).toHaveLength(2);
    expect(last().complete).toBe(true);
    act(() => root!.render(<Probe focus={[]} selectionKey="a" />));
    act(() => root!.render(<Probe focus={['main', 'busy']} selectionKey="a" />));
    await settle(() => requests.length > 2);
    expect(requests).toHaveLength(2);
    expect(last().complete).toBe(true);
    expect(pathOf(spliced, busy)).toEqual(['main', 'busy']);

    // Another selection: a new full view, the old graph shown until it arrives.
    act(() => root!.render(<Probe focus={[]} selectionKey="b" />));
    expect(last().frames).not.toBeNull();
    await settle(() => requests.length > 2 && !last().loading);
    expect(requests[2]!.searchParams.has('focus')).toBe(false);
    expect(last().frames!.totalValue).toBe(tree.total[ROOT_NODE]);
  });
});
