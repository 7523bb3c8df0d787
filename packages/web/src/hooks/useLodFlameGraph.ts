/**
 * The explorer's flame graph as level of detail (issue 13): the server sends the nodes at least one
 * pixel wide at our width, the flame-graph worker decodes and lays them out, and a zoom that needs
 * more detail fetches its subtree in the background and splices it in. The graph on screen is never
 * blank and never wrong: until the detail arrives the zoomed view repaints from what is held (exact
 * values, the not-yet-loaded part blank), then repaints with the detail.
 */
import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { decodeTreeWire, frameAtPath, type TreeWireSearch } from '@cinder/core';
import { ApiError, isAbort, type ApiClient } from '../api/client.js';
import { createLodWorker, type LodWorker } from '../flamegraph/lodWorker.js';
import { peekStartupFlameLaidOut, requestWidthFor, startupFlameWidth, STARTUP_GENERATION, takeStartupFlame } from '../flamegraph/startupPrefetch.js';
import { FLAME_ANSWER_MARK, FLAME_LAID_OUT_MARK, FLAME_PAGE_READY_MARK, markTiming } from '../flamegraph/paintMark.js';
import { averagingFactor, pathKey, scaleHeader, viewIsComplete, type LodAnswer, type LodHeader, type ViewFrames } from '../flamegraph/lodView.js';
import { SLOW_AFTER_MS, useQuery } from './useQuery.js';

export interface LodSelection {
  query: string;
  fromMs: number;
  untilMs: number;
  profileIds?: readonly string[];
  frameFilters?: readonly string[];
}

export interface LodFlameGraph {
  frames: ViewFrames | null;
  /** Names of the full view's answer: the same across zooms (a zoom's splice only adds names). */
  openNames: readonly string[] | null;
  /** The full view's header: exact top table, profile count, unit, node count of the whole tree. */
  header: LodHeader | null;
  /** Every node ≥ 1 px of the zoomed view is held (the paint is final). */
  complete: boolean;
  /** A zoom's detail is being fetched or spliced. */
  detailLoading: boolean;
  error: ApiError | null;
  loading: boolean;
  slow: boolean;
  /**
   * Starts fetching the detail of a zoom the user just asked for, before the page has rendered it
   * (the page renders a zoom at transition priority); the zoom's own effect then adopts the request.
   */
  prefetchFocus: (focusPath: readonly string[]) => void;
}

// The start-up request (startupPrefetch.ts) must ask for the widths this hook asks for: one definition.
export { requestWidthFor, WIDTH_STEP_CSS_PX } from '../flamegraph/startupPrefetch.js';

interface Held {
  generation: number;
  key: string;
  frames: ViewFrames;
  header: LodHeader;
  openNames: readonly string[];
  fetched: ReadonlyMap<string, number>;
  widthCssPx: number;
}

const toApiError = (error: unknown): ApiError => (error instanceof ApiError ? error : new ApiError('malformed', error instanceof Error ? error.message : String(error)));

/**
 * `key` names the selection (null = nothing to show); a new key loads the full view at `widthCssPx`
 * (the graph's CSS width, measured by the caller), keeping the previous graph until it arrives.
 */
export function useLodFlameGraph(client: ApiClient, key: string | null, selection: LodSelection | null, focusPath: readonly string[], widthCssPx: number): LodFlameGraph {
  const workerRef = useRef<LodWorker | null>(null);
  const generationRef = useRef(0);
  const selectionRef = useRef(selection);
  selectionRef.current = selection;
  // The request the page sent at start-up, when it is for this selection: its width (the window's, so at
  // least the graph's) counts as asked before the graph has measured itself, and when start-up has laid
  // its answer out already, the first render has the graph (one commit, not three, before the first
  // paint: issue 13). Only peeked here (a render may be thrown away); the effect below takes it.
  const [startup] = useState(() => (key !== null && selection ? { widthCssPx: startupFlameWidth(selection), laidOut: peekStartupFlameLaidOut(selection) } : null));
  const [held, setHeld] = useState<Held | null>(() => (startup?.laidOut ? heldFrom(startup.laidOut.answer, key!, startup.laidOut.widthCssPx) : null));
  const heldRef = useRef(held);
  heldRef.current = held;
  const [status, setStatus] = useState<{ loading: boolean; slow: boolean; error: ApiError | null }>({ loading: key !== null && held === null, slow: false, error: null });
  const [detailLoading, setDetailLoading] = useState(false);
  const pendingDetailRef = useRef<{ generation: number; focusKey: string; controller: AbortController; promise: Promise<ArrayBuffer> } | null>(null);
  // Only grows: a narrower graph is drawn exactly from a wider answer.
  const widestRef = useRef(startup?.widthCssPx ?? 0);
  widestRef.current = Math.max(widestRef.current, requestWidthFor(widthCssPx));
  const requestWidth = widestRef.current;

  // Started with the page, not with the first answer: loading the worker script and core in it would
  // otherwise come after the answer, on the way to the first paint.
  useEffect(() => {
    workerRef.current ??= createLodWorker();
    return () => {
      workerRef.current?.terminate();
      workerRef.current = null;
    };
  }, []);
  const worker = (): LodWorker => (workerRef.current ??= createLodWorker());

  // The full view of a selection.
  useEffect(() => {
    if (key === null) {
      setHeld(null);
      setStatus({ loading: false, slow: false, error: null });
      return;
    }
    if (requestWidth === 0 || !selectionRef.current) return;
    const controller = new AbortController();
    const request = { ...selectionRef.current, widthCssPx: requestWidth };
    // The first render started from the start-up answer: take it (and make sure this hook's worker
    // holds its tree, which the zooms splice into).
    const first = heldRef.current;
    if (first && first.key === key && first.generation === STARTUP_GENERATION && first.widthCssPx >= requestWidth) {
      const adopted = takeStartupFlame(request, controller.signal);
      if (adopted?.decode?.laidOut?.ok) {
        if (adopted.decode.worker !== worker()) adopted.promise.then((buffer) => worker().hold({ kind: 'hold', generation: STARTUP_GENERATION, buffer }), () => undefined);
        markTiming(FLAME_PAGE_READY_MARK, { focus: '', adopted: true });
        markTiming(FLAME_ANSWER_MARK, { focus: '', adopted: true });
        markTiming(FLAME_LAID_OUT_MARK, { focus: '', frames: first.frames.count, workMs: adopted.decode.laidOut.workMs, early: true, firstRender: true });
        setStatus((previous) => (previous.loading || previous.slow || previous.error ? { loading: false, slow: false, error: null } : previous));
        return () => controller.abort();
      }
    }
    const generation = ++generationRef.current;
    setStatus((previous) => ({ ...previous, loading: true, slow: false }));
    const slowTimer = setTimeout(() => setStatus((previous) => (previous.loading ? { ...previous, slow: true } : previous)), SLOW_AFTER_MS);
    void (async () => {
      try {
        // The request the page sent at start-up, before this code loaded, when it is this one.
        const adopted = takeStartupFlame(request, controller.signal);
        markTiming(FLAME_PAGE_READY_MARK, { focus: '', adopted: adopted !== null });
        const buffer = await (adopted ? adopted.promise : client.flameGraphTree(request, controller.signal));
        const answerWidthCssPx = adopted ? adopted.widthCssPx : requestWidth;
        if (controller.signal.aborted) return;
        markTiming(FLAME_ANSWER_MARK, { focus: '', bytes: buffer.byteLength, adopted: adopted !== null });
        // Usually laid out already: start-up decoded the answer while this code loaded. This hook's
        // worker must then hold its tree (zooms splice into it): the start-up worker has it, another
        // worker is sent the bytes.
        let answer: LodAnswer | null = null;
        if (adopted?.decode) {
          const early = await adopted.decode.answer.catch(() => null);
          if (controller.signal.aborted) return;
          if (early && (early.ok || !early.stale)) answer = early;
          if (early?.ok && adopted.decode.worker !== worker()) worker().hold({ kind: 'hold', generation: STARTUP_GENERATION, buffer });
        }
        answer ??= await worker().run({ kind: 'open', generation, buffer });
        if (answer.ok) markTiming(FLAME_LAID_OUT_MARK, { focus: '', frames: answer.frames.count, workMs: answer.workMs, early: answer.generation !== generation });
        if (controller.signal.aborted || !answer.ok) {
          if (!controller.signal.aborted && !answer.ok && !answer.stale) throw new ApiError('malformed', answer.message);
          return;
        }
        // Not a transition (unlike a zoom's splice below): at start-up the timeline's and labels' answers
        // land at the same time and each interrupted and restarted it, painting the graph 130–250 ms after
        // its frames were back instead of 55–110 ms (1M-node profile, headless Chromium, 5 browsers each).
        // The answer's generation: the start-up decode's when it was adopted (zooms splice into that tree).
        setHeld(heldFrom(answer, key, answerWidthCssPx));
        setStatus({ loading: false, slow: false, error: null });
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) return;
        setHeld(null);
        setStatus({ loading: false, slow: false, error: toApiError(error) });
      } finally {
        clearTimeout(slowTimer);
      }
    })();
    return () => {
      clearTimeout(slowTimer);
      controller.abort();
    };
    // The selection object is new every render; `key` names it.
  }, [key, requestWidth, client]);

  const focusKey = pathKey(focusPath);
  const complete = useMemo(
    () => (held ? held.key === key && viewIsComplete(held.frames, focusPath, held.widthCssPx, held.fetched) : false),
    // focusKey stands for focusPath.
    [held, focusKey, key],
  );

  // A zoom's detail, fetched in the background and spliced into what is held.
  const heldGeneration = held?.key === key ? held.generation : -1;
  useEffect(() => {
    const current = heldRef.current;
    const base = selectionRef.current;
    if (!current || current.generation !== heldGeneration || !base || focusPath.length === 0) return;
    if (viewIsComplete(current.frames, focusPath, current.widthCssPx, current.fetched)) return;
    const pending = pendingDetailRef.current;
    const adopted = pending && pending.generation === current.generation && pending.focusKey === focusKey ? pending : null;
    if (pending) {
      pendingDetailRef.current = null;
      if (!adopted) pending.controller.abort();
    }
    const controller = adopted ? adopted.controller : new AbortController();
    const path = [...focusPath];
    setDetailLoading(true);
    void (async () => {
      try {
        const buffer = await (adopted ? adopted.promise : client.flameGraphTree({ ...base, widthCssPx: current.widthCssPx, focus: path, topLimit: 1 }, controller.signal));
        if (controller.signal.aborted) return;
        markTiming(FLAME_ANSWER_MARK, { focus: path.join(';'), bytes: buffer.byteLength });
        const answer = await worker().run({ kind: 'splice', generation: current.generation, buffer });
        if (answer.ok) markTiming(FLAME_LAID_OUT_MARK, { focus: path.join(';'), frames: answer.frames.count, workMs: answer.workMs });
        if (controller.signal.aborted || !answer.ok) {
          if (!controller.signal.aborted && !answer.ok && !answer.stale) throw new ApiError('malformed', answer.message);
          return;
        }
        // A transition: the page's render of the spliced graph is sliced, not one task (no task > 50 ms);
        // nothing else is usually arriving then, so it is rarely restarted.
        startTransition(() => setHeld((previous) => {
          if (!previous || previous.generation !== answer.generation) return previous;
          const viewRoot = answer.header.viewRootNode;
          // A path the selection does not have: nothing more will come for it (the view says so).
          const cutBelow = viewRoot < 0 ? 0 : viewTotal(answer.frames, path) / previous.widthCssPx;
          const fetched = new Map(previous.fetched);
          fetched.set(pathKey(path), cutBelow);
          return { ...previous, frames: answer.frames, fetched };
        }));
        setStatus((previous) => (previous.error ? { ...previous, error: null } : previous));
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) return;
        // The zoom still shows exact values from what is held; the error names what is missing.
        setStatus((previous) => ({ ...previous, error: toApiError(error) }));
      } finally {
        if (!controller.signal.aborted) setDetailLoading(false);
      }
    })();
    return () => {
      controller.abort();
      setDetailLoading(false);
    };
    // focusKey stands for focusPath; what is held is read through its ref.
  }, [heldGeneration, focusKey, client]);

  const prefetchFocus = useCallback(
    (path: readonly string[]) => {
      const current = heldRef.current;
      const base = selectionRef.current;
      const previous = pendingDetailRef.current;
      const wantedKey = pathKey(path);
      if (previous && (!current || previous.generation !== current.generation || previous.focusKey !== wantedKey)) {
        previous.controller.abort();
        pendingDetailRef.current = null;
      }
      if (!current || !base || path.length === 0 || pendingDetailRef.current) return;
      if (viewIsComplete(current.frames, path, current.widthCssPx, current.fetched)) return;
      const controller = new AbortController();
      const promise = client.flameGraphTree({ ...base, widthCssPx: current.widthCssPx, focus: [...path], topLimit: 1 }, controller.signal);
      // Nobody may adopt it (the zoom was undone first): its failure is then nobody's error.
      promise.catch(() => undefined);
      pendingDetailRef.current = { generation: current.generation, focusKey: wantedKey, controller, promise };
    },
    [client],
  );
  // A prefetch nobody adopted must not outlive the graph.
  useEffect(() => () => pendingDetailRef.current?.controller.abort(), []);

  // While a new selection loads, the previous graph stays (as useQuery keeps data): never a blank graph.
  return {
    prefetchFocus,
    frames: held?.frames ?? null,
    openNames: held?.openNames ?? null,
    header: held?.header ?? null,
    complete,
    detailLoading,
    error: status.error,
    loading: status.loading,
    slow: status.slow,
  };
}

/** What is held after a full view's answer laid out at `widthCssPx`: its root is fetched to a pixel. */
function heldFrom(answer: LodAnswer & { ok: true }, key: string, widthCssPx: number): Held {
  const fetched = new Map([[pathKey([]), answer.frames.totalValue / widthCssPx]]);
  return { generation: answer.generation, key, frames: answer.frames, openNames: answer.frames.names, header: answer.header, fetched, widthCssPx };
}

function viewTotal(frames: ViewFrames, path: readonly string[]): number {
  // The spliced frames hold the path: the answer carried the chain root → view.
  const frame = frameAtPath(frames, path);
  return frame < 0 ? 0 : frames.totalValues[frame]!;
}

/**
 * Exact search totals over the whole selection, from the server (the frames hold only what is one
 * pixel wide, so a sum over them would be short). A tiny answer: width 1 sends the root chain only.
 */
export function useExactSearch(client: ApiClient, key: string | null, selection: LodSelection | null, search: { text: string; regex: boolean }): TreeWireSearch | null {
  const searchKey = key !== null && selection && search.text !== '' ? `${key}|search|${search.regex ? 're' : 'text'}|${search.text}` : null;
  const result = useQuery<TreeWireSearch | null>(searchKey, async (signal) => {
    const buffer = await client.flameGraphTree({ ...selection!, widthCssPx: 1, topLimit: 1, search }, signal);
    const { header } = decodeTreeWire(buffer);
    return scaleHeader(header, averagingFactor(header)).search ?? null;
  });
  return searchKey !== null && result.data && result.data.text === search.text && result.data.regex === search.regex ? result.data : null;
}
