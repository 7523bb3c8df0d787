// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROOT_NODE, frameAtPath } from '@cinder/core';
import { fakeFetch, settle, tree } from './lodFakeServer.js';
import { ApiClient } from '../src/api/client.js';
import { LodEngine } from '../src/flamegraph/lodEngine.js';
import { forEachFrameUnder, type LodHoldRequest, type LodRequest } from '../src/flamegraph/lodView.js';
import { GUESSED_PROFILE_TYPE, peekStartupFlameLaidOut, resetStartupPrefetch, startStartupPrefetch, STARTUP_GENERATION, takeStartupFlame } from '../src/flamegraph/startupPrefetch.js';
import { createLodWorker } from '../src/flamegraph/lodWorker.js';
import { useLodFlameGraph, type LodFlameGraph, type LodSelection } from '../src/hooks/useLodFlameGraph.js';
import { useQuery, type QueryState } from '../src/hooks/useQuery.js';
import { loadUPlot, useUPlot } from '../src/timeline/uplotLoader.js';
import { buildQuery } from '../src/state/selector.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A Worker running flame.worker.ts's engine in this thread, asynchronously, recording what it was sent. */
const posted: Array<LodRequest | LodHoldRequest> = [];
class FakeWorker {
  static started = 0;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  private readonly engine = new LodEngine();
  private stopped = false;
  constructor() {
    FakeWorker.started++;
  }
  postMessage(data: LodRequest | LodHoldRequest): void {
    posted.push(data);
    setTimeout(() => {
      if (this.stopped) return;
      if (data.kind === 'hold') this.engine.hold(data);
      else this.onmessage?.({ data: this.engine.handle(data) });
    }, 1);
  }
  terminate(): void {
    this.stopped = true;
  }
}

const FROM_MS = 1_700_000_000_000;
/** What the explorer at `explorerUrl` shows: the guessed CPU type of service x over an absolute range. */
const selection: LodSelection = { query: buildQuery(GUESSED_PROFILE_TYPE, ['x'], []), fromMs: FROM_MS, untilMs: FROM_MS + 3_600_000 };
const explorerUrl = { pathname: '/explore', search: `?service=x&from=${selection.fromMs}&until=${selection.untilMs}` };

let root: Root | null = null;

/** Renders useLodFlameGraph over `selection` as the explorer does; `show(focus)` renders a zoom. */
function mountHook(client: ApiClient, widthCssPx: number): { states: LodFlameGraph[]; last: () => LodFlameGraph; show: (focus: string[]) => void } {
  const states: LodFlameGraph[] = [];
  function Probe(props: { focus: string[] }): JSX.Element | null {
    states.push(useLodFlameGraph(client, 'a', selection, props.focus, widthCssPx));
    return null;
  }
  root = createRoot(document.createElement('div'));
  const show = (focus: string[]): void => act(() => root!.render(<Probe focus={focus} />));
  show([]);
  return { states, last: () => states[states.length - 1]!, show };
}

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  resetStartupPrefetch();
  posted.length = 0;
  vi.unstubAllGlobals();
});

describe('start-up decode (issue 13: the answer is laid out while the page code loads)', () => {
  it('lays out the start-up answer as it comes in and gives the start-up worker its tree; the page adopts the frames and zooms splice into that tree', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const requests: URL[] = [];
    vi.stubGlobal('fetch', fakeFetch(requests));
    startStartupPrefetch(explorerUrl, 1000);
    // As soon as the bytes are in, before any page asked, the worker is sent them to hold (not to lay out).
    for (let i = 0; i < 100 && posted.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(posted.map((request) => [request.kind, request.generation])).toEqual([['hold', STARTUP_GENERATION]]);

    const client = new ApiClient({ fetchImpl: fakeFetch(requests) });
    const { last, show } = mountHook(client, 1000);
    await settle(() => last().frames !== null);
    // One full-view request (the start-up one) and one decode of it: the page sent neither again.
    expect(requests.filter((url) => url.pathname === '/api/v1/flamegraph')).toHaveLength(1);
    expect(posted).toHaveLength(1);
    expect(last().frames!.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(last().complete).toBe(true);

    // A zoom that lacks detail is spliced by the same worker into the tree it decoded at start-up.
    show(['main', 'busy']);
    await settle(() => last().complete);
    expect(posted.map((request) => [request.kind, request.generation])).toEqual([
      ['hold', STARTUP_GENERATION],
      ['splice', STARTUP_GENERATION],
    ]);
    const spliced = last().frames!;
    expect(spliced.totalValue).toBe(tree.total[ROOT_NODE]);
    let under = 0;
    forEachFrameUnder(spliced, frameAtPath(spliced, ['main', 'busy']), false, () => (under++, true));
    expect(under).toBe(200);
  });

  it("lays the answer out before the page's code asks: the page's first render has the graph, and asks for nothing", async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const requests: URL[] = [];
    vi.stubGlobal('fetch', fakeFetch(requests));
    const startedBefore = FakeWorker.started;
    startStartupPrefetch(explorerUrl, 1000);
    // The worker starts in a task of its own, after the requests are out (not in the entry's task).
    expect(FakeWorker.started).toBe(startedBefore);
    await settle(() => peekStartupFlameLaidOut(selection) !== null);
    expect(FakeWorker.started).toBe(startedBefore + 1);
    const client = new ApiClient({ fetchImpl: fakeFetch(requests) });
    // Width 0: the graph has not measured itself yet; the start-up width (the window's) stands in.
    const { states } = mountHook(client, 0);
    expect(states[0]!.frames?.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(states[0]!.loading).toBe(false);
    // The effect took the start-up answer: nobody else can, and the page asked for nothing.
    expect(peekStartupFlameLaidOut(selection)).toBeNull();
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(requests.filter((url) => url.pathname === '/api/v1/flamegraph')).toHaveLength(1);
    expect(states.every((state) => state.frames !== null && !state.loading)).toBe(true);
  });

  it('an adopter on a worker other than the start-up one sends it the bytes, and zooms splice there', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const requests: URL[] = [];
    vi.stubGlobal('fetch', fakeFetch(requests));
    startStartupPrefetch(explorerUrl, 1000);
    await settle(() => peekStartupFlameLaidOut(selection) !== null);
    // Someone else (another graph) took the start-up worker, which holds the start-up tree.
    const other = createLodWorker();
    const client = new ApiClient({ fetchImpl: fakeFetch(requests) });
    const { last, show } = mountHook(client, 1000);
    expect(last().frames).not.toBeNull();
    await settle(() => posted.length === 2);
    // The start-up worker got its copy; the hook's own worker got the bytes (no second decode asked of the page).
    expect(posted.map((request) => [request.kind, request.generation])).toEqual([
      ['hold', STARTUP_GENERATION],
      ['hold', STARTUP_GENERATION],
    ]);
    show(['main', 'busy']);
    await settle(() => last().complete);
    expect(posted.map((request) => request.kind)).toEqual(['hold', 'hold', 'splice']);
    const spliced = last().frames!;
    let under = 0;
    forEachFrameUnder(spliced, frameAtPath(spliced, ['main', 'busy']), false, () => (under++, true));
    expect(under).toBe(200);
    expect(requests.filter((url) => url.pathname === '/api/v1/flamegraph' && !url.searchParams.has('focus'))).toHaveLength(1);
    other.terminate();
  });

  it('keeps the bytes for an adopter on another worker: the decode is sent a copy', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const requests: URL[] = [];
    vi.stubGlobal('fetch', fakeFetch(requests));
    startStartupPrefetch(explorerUrl, 1000);
    const adopted = takeStartupFlame({ query: selection.query, fromMs: selection.fromMs, untilMs: selection.untilMs, widthCssPx: 1000 }, new AbortController().signal);
    expect(adopted?.decode).not.toBeNull();
    const [buffer, early] = await Promise.all([adopted!.promise, adopted!.decode!.answer]);
    expect(early.ok && early.generation).toBe(STARTUP_GENERATION);
    expect(buffer.byteLength).toBeGreaterThan(0);
  });

  it('a page that opened something else first makes the worker drop the late start-up decode as stale', async () => {
    const engine = new LodEngine();
    const answer = (): Promise<ArrayBuffer> => fakeFetch([])('/api/v1/flamegraph?width=1000').then((response) => response.arrayBuffer());
    expect(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: await answer() })).toMatchObject({ ok: true, generation: 1 });
    const late = engine.handle({ id: 2, kind: 'open', generation: STARTUP_GENERATION, buffer: await answer() });
    expect(late).toMatchObject({ ok: false, stale: true });
    // Nor does a late hold replace the tree: a zoom of the start-up generation is stale, one of the page's is not.
    engine.hold({ kind: 'hold', generation: STARTUP_GENERATION, buffer: await answer() });
    expect(engine.handle({ id: 3, kind: 'splice', generation: STARTUP_GENERATION, buffer: await answer() })).toMatchObject({ ok: false, stale: true });
    expect(engine.handle({ id: 4, kind: 'splice', generation: 1, buffer: await answer() })).toMatchObject({ ok: true });
  });

  it('a start-up answer that does not decode is not held, and the worker goes on answering', async () => {
    const engine = new LodEngine();
    engine.hold({ kind: 'hold', generation: STARTUP_GENERATION, buffer: new Uint8Array([1, 2, 3]).buffer });
    expect(engine.handle({ id: 1, kind: 'splice', generation: STARTUP_GENERATION, buffer: new ArrayBuffer(0) })).toMatchObject({ ok: false, stale: true });
    const answer = await fakeFetch([])('/api/v1/flamegraph?width=1000').then((response) => response.arrayBuffer());
    expect(engine.handle({ id: 2, kind: 'open', generation: 1, buffer: answer })).toMatchObject({ ok: true, generation: 1 });
  });

  it('useQuery starts from an answer already in for its key and does not ask again; a new key asks', async () => {
    const asked: string[] = [];
    const states: QueryState<string>[] = [];
    function Probe(props: { queryKey: string }): JSX.Element | null {
      states.push(useQuery(props.queryKey, async () => (asked.push(props.queryKey), `answer ${props.queryKey}`), { key: 'a', data: 'start-up answer' }));
      return null;
    }
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Probe queryKey="a" />));
    expect(states[0]).toEqual({ data: 'start-up answer', error: null, loading: false, slow: false });
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    expect(asked).toEqual([]);
    act(() => root!.render(<Probe queryKey="b" />));
    await settle(() => states[states.length - 1]!.data === 'answer b');
    expect(asked).toEqual(['b']);
  });

  it('useUPlot hands a chart mounted after uPlot loaded the class itself (not the result of calling it)', async () => {
    // uPlot reads the device pixel ratio's media query when it loads; jsdom has none.
    vi.stubGlobal('matchMedia', () => ({ matches: false, addEventListener: () => undefined, removeEventListener: () => undefined, addListener: () => undefined, removeListener: () => undefined }));
    const uplot = await loadUPlot();
    const seen: unknown[] = [];
    function Chart(): JSX.Element | null {
      seen.push(useUPlot());
      return null;
    }
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Chart />));
    expect(seen[0]).toBe(uplot);
  });
});
