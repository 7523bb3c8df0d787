// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_NODE, frameAtPath, pathOf } from '@cinder/core';
import { fakeClient, selection, settle, tree } from './lodFakeServer.js';
import { forEachFrameUnder } from '../src/flamegraph/lodView.js';
import { useLodFlameGraph, type LodFlameGraph } from '../src/hooks/useLodFlameGraph.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * The hook against a fake server that answers with core's own level-of-detail cut: what it fetches
 * (and does not fetch) as the focus changes, and that the graph it hands out is never blank.
 */
let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
});

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
