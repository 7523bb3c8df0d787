// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_NODE, frameAtPath } from '@cinder/core';
import { fakeClient, selection, settle, tree } from './lodFakeServer.js';
import { useLodFlameGraph, type LodFlameGraph } from '../src/hooks/useLodFlameGraph.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * prefetchFocus: the explorer renders a zoom at transition priority, so the zoom's detail is asked for
 * at the click. The hook against a fake server that answers with core's own level-of-detail cut: what it fetches
 * (and does not fetch) as the focus changes, and that the graph it hands out is never blank.
 */
let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
});

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
