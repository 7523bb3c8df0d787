/**
 * Page start-up without a waterfall (issue 13): when the page opens on the explorer, the services list
 * and the flame graph's level-of-detail answer are asked for as soon as the URL is parsed, before the
 * rest of the UI's code has loaded, instead of after the bundle, the first render, the services answer
 * and the width measurement (~0.5 s later on this machine). The hooks then adopt the request in flight
 * when it is exactly what they would have sent (same query, range, profiles, filters and a width at
 * least theirs); anything else is left to the normal path, so a wrong guess costs one request, never a
 * wrong graph. The answer is also decoded and laid out as soon as it is in (the page's code is usually
 * still loading then), so the page that adopts it gets frames, not bytes, in its first render.
 *
 * This module is loaded by the entry chunk: it must stay small (no React, no components, no core
 * decoder: that comes with the page's chunk, imported when the answer is in).
 */
import { ApiClient } from '../api/client.js';
import { matchRoute } from '../routes.js';
import { buildQuery } from '../state/selector.js';
import { resolveRange } from '../state/time.js';
import { parseViewState } from '../state/viewState.js';
import type { ServiceInfo } from '@cinder/core';
import { workerLodWorker, type LodWorker } from './lodWorkerClient.js';
import type { LodAnswer } from './lodView.js';
import { expectFlamePaint, FLAME_PREDECODED_MARK, markTiming } from './paintMark.js';
import { mainThreadMustWarmFont, warmFlameFont } from './font.js';

/**
 * The type the explorer opens on when the URL names none and the service has CPU time (core's
 * defaultProfileType puts CPU time first). A service without it wastes the guess, nothing more.
 */
export const GUESSED_PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
/** Past this a start-up answer is not adopted (a stale "now" or a page the user has long left). */
const ADOPT_WITHIN_MS = 15_000;
/** Widths are asked in steps so a resize by a few pixels does not refetch; only a wider graph does. */
export const WIDTH_STEP_CSS_PX = 128;
/**
 * The worker generation of the start-up answer's decode. A page's own opens count from 1, so the
 * worker drops this decode as stale if it arrives after the page opened something else, and a page
 * adopting it keeps this generation for its zooms (which splice into the tree the worker holds).
 */
export const STARTUP_GENERATION = 0;

/** The start-up answer laid out on the page's thread, and the worker sent a copy (for zoom splices). */
export interface StartupDecode {
  /** The worker sent a copy of the answer (it holds the tree zooms splice into); null = none. */
  worker: LodWorker | null;
  answer: Promise<LodAnswer>;
  /** The answer once laid out (null before, or when it failed). */
  laidOut: LodAnswer | null;
}

export interface StartupFlameRequest {
  query: string;
  fromMs: number;
  untilMs: number;
  widthCssPx: number;
  profileIds: readonly string[];
  frameFilters: readonly string[];
}

interface Startup {
  startedMs: number;
  /** "Now" used to resolve the URL's range: the page's clock starts from it so the keys match. */
  nowMs: number;
  services: { fromMs: number; untilMs: number; promise: Promise<ServiceInfo[]>; value: ServiceInfo[] | null } | null;
  flame: { request: StartupFlameRequest; promise: Promise<ArrayBuffer>; decode: StartupDecode; taken: boolean } | null;
}

let startup: Startup | null = null;
/** The window's width when the page started (what the start-up request asked at), 0 = not known. */
let startupWindowWidthCssPx = 0;
/**
 * The flame-graph worker, started with the page (in a task of its own): it takes ~200 ms to start on
 * this loaded 2-core machine, and is then ready for the first zoom, with the label font warmed (font.ts).
 * The start-up decode sends it the answer whoever has taken it since.
 */
let startedWorker: LodWorker | null = null;
/** Handed to the first useLodFlameGraph (or refused to it, when not started by then): once. */
let workerTaken = false;

/** Starts the flame-graph worker now (where workers exist); the first useLodFlameGraph takes it. */
export function startStartupWorker(): void {
  if (startedWorker || workerTaken || typeof Worker === 'undefined') return;
  try {
    // A classic worker (one bundled script): a module worker took 60–280 ms to answer its first message
    // on this loaded 2-core machine, a classic one 20–75 ms.
    startedWorker = workerLodWorker(new Worker(new URL('./flame.worker.ts', import.meta.url)));
  } catch {
    startedWorker = null;
  }
}

/** The worker started with the page, once; null when there is none (the caller starts its own). */
export function takeStartupWorker(): LodWorker | null {
  if (workerTaken) return null;
  // Asked once: a start-up worker not yet started by then would be nobody's.
  workerTaken = true;
  return startedWorker;
}

function fresh(): Startup | null {
  return startup && Date.now() - startup.startedMs < ADOPT_WITHIN_MS ? startup : null;
}

/**
 * A width the flame panel is not wider than, before it is measured: the window's as the page started
 * (so the graph's first request is the start-up one), else the window's now.
 */
export function windowWidthGuessCssPx(): number {
  if (startupWindowWidthCssPx > 0) return startupWindowWidthCssPx;
  return typeof window === 'undefined' ? 0 : window.innerWidth;
}

/** The width a flame graph `widthCssPx` wide asks for (here so the entry chunk need not load the hook). */
export function requestWidthFor(widthCssPx: number): number {
  return widthCssPx <= 0 ? 0 : Math.min(16384, Math.ceil(widthCssPx / WIDTH_STEP_CSS_PX) * WIDTH_STEP_CSS_PX);
}

/**
 * Sends the start-up requests for the current URL when it opens the explorer. `widthCssPx` is the
 * window's width: the flame panel sits inside it, so the answer is at least as detailed as needed.
 */
export function startStartupPrefetch(location: { pathname: string; search: string }, widthCssPx: number): void {
  startup = null;
  startupWindowWidthCssPx = widthCssPx;
  const route = matchRoute(location.pathname);
  if (route !== 'explore' && route !== 'profiling') return;
  // In a task of its own, after the requests are out: the start-up answer is laid out on this thread
  // (startupDecode), so the worker is only needed for the zooms and to warm the label font, and
  // starting it in the entry's task made that task > 50 ms on this loaded 2-core machine.
  setTimeout(startStartupWorker, 0);
  expectFlamePaint();
  // The worker warms the label font's glyphs as it starts (font.ts); without one, this thread does.
  if (mainThreadMustWarmFont()) setTimeout(warmFlameFont, 0);
  const params = new URLSearchParams(location.search);
  // A host app's config may point elsewhere; the page's own client decides then.
  if (params.has('config') || widthCssPx <= 0) return;
  const state = parseViewState(location.search);
  const nowMs = Date.now();
  const range = resolveRange({ from: state.from, until: state.until }, nowMs);
  const client = new ApiClient();
  // Nobody aborts these: an answer nobody adopts is dropped with the module's reference.
  const never = new AbortController().signal;
  const services: NonNullable<Startup['services']> = { fromMs: range.fromMs, untilMs: range.untilMs, promise: client.services(range.fromMs, range.untilMs, never), value: null };
  services.promise.then(
    (value) => (services.value = value),
    () => undefined,
  );
  const request: StartupFlameRequest = {
    query: buildQuery(state.profileType || GUESSED_PROFILE_TYPE, state.services, state.filters),
    fromMs: range.fromMs,
    untilMs: range.untilMs,
    widthCssPx: requestWidthFor(widthCssPx),
    profileIds: state.profiles,
    frameFilters: state.frameFilters,
  };
  const promise = client.flameGraphTree(request, never);
  promise.catch(() => undefined);
  const decode = startupDecode(promise);
  startup = { startedMs: Date.now(), nowMs, services, flame: { request, promise, decode, taken: false } };
}

/**
 * Lays the answer out as soon as it is in, on this thread: the start-up worker is usually not up yet
 * then (a worker's thread, isolate and script take ~200 ms to start on this loaded 2-core machine, the
 * answer is in after ~100–250 ms), and the page's first render can only start from frames it has. The
 * engine's code comes with the page's own chunk (a dynamic import: the entry stays small). The worker
 * gets a copy of the answer too, to hold the tree the zooms splice into (it lays nothing out: LodEngine.hold).
 */
function startupDecode(promise: Promise<ArrayBuffer>): StartupDecode {
  const decode: StartupDecode = { worker: null, answer: Promise.resolve(null as unknown as LodAnswer), laidOut: null };
  decode.answer = Promise.all([promise, import('./lodEngine.js')]).then(([buffer, { LodEngine }]) => {
    startStartupWorker();
    const worker = startedWorker;
    if (worker) {
      decode.worker = worker;
      worker.hold({ kind: 'hold', generation: STARTUP_GENERATION, buffer: buffer.slice(0) });
    }
    const decoded = new LodEngine().handle({ id: 0, kind: 'open', generation: STARTUP_GENERATION, buffer: buffer.slice(0) });
    if (decoded.ok) {
      decode.laidOut = decoded;
      markTiming(FLAME_PREDECODED_MARK, { focus: '', frames: decoded.frames.count, workMs: decoded.workMs });
    }
    return decoded;
  });
  decode.answer.catch(() => undefined);
  return decode;
}

/**
 * The "now" the start-up requests resolved the URL's range with, for the first page's clock: only until
 * that page has taken the services answer, so a page opened later reads the real now.
 */
export function startupNowMs(): number | null {
  const current = fresh();
  return current && current.services ? current.nowMs : null;
}

/** The start-up services answer for exactly this range, once (later asks go to the server). */
export function takeStartupServices(fromMs: number, untilMs: number): Promise<ServiceInfo[]> | null {
  const current = fresh();
  const services = current?.services;
  if (!current || !services || services.fromMs !== fromMs || services.untilMs !== untilMs) return null;
  current.services = null;
  return services.promise;
}

/**
 * The start-up services answer for exactly this range when it is already in, once: the page's first
 * render then has the services, so the flame panel (and its width) are there one render sooner.
 * `peek` leaves it there: a render may be thrown away and done again (a transition's render is
 * restarted when something more urgent comes), so a render only peeks, and its commit takes it.
 */
export function takeStartupServicesIfIn(fromMs: number, untilMs: number, options: { peek?: boolean } = {}): ServiceInfo[] | null {
  const current = fresh();
  const services = current?.services;
  if (!current || !services || services.value === null || services.fromMs !== fromMs || services.untilMs !== untilMs) return null;
  if (!options.peek) current.services = null;
  return services.value;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[]): boolean => (a ?? []).join('\n') === b.join('\n');

/**
 * The start-up flame-graph answer when it is what `request` asks for (a width at least the asked
 * one). An adopter that gives up (its signal aborts, as a React effect cleanup does) puts it back, so
 * the next one can still use it; an adopter that gets it owns the buffer (it is transferred on).
 * `decode` is the same answer laid out, and the worker that was sent a copy (it holds the tree the
 * zooms splice into; an adopter on another worker sends its own the bytes).
 */
export function takeStartupFlame(
  request: { query: string; fromMs: number; untilMs: number; widthCssPx: number; profileIds?: readonly string[]; frameFilters?: readonly string[] },
  signal: AbortSignal,
): { promise: Promise<ArrayBuffer>; widthCssPx: number; decode: StartupDecode } | null {
  const current = fresh();
  const flame = current?.flame;
  if (!current || !flame || flame.taken) return null;
  const held = flame.request;
  if (held.query !== request.query || held.fromMs !== request.fromMs || held.untilMs !== request.untilMs) return null;
  if (held.widthCssPx < request.widthCssPx || !sameList(request.profileIds, held.profileIds) || !sameList(request.frameFilters, held.frameFilters)) return null;
  flame.taken = true;
  const release = (): void => {
    if (current.flame === flame) flame.taken = false;
  };
  signal.addEventListener('abort', release, { once: true });
  const promise = flame.promise.then(
    (buffer) => {
      signal.removeEventListener('abort', release);
      if (signal.aborted) throw new DOMException('aborted', 'AbortError');
      if (current.flame === flame) current.flame = null;
      return buffer;
    },
    (error: unknown) => {
      if (current.flame === flame) current.flame = null;
      throw error;
    },
  );
  return { promise, widthCssPx: held.widthCssPx, decode: flame.decode };
}

type FlameSelection = { query: string; fromMs: number; untilMs: number; profileIds?: readonly string[]; frameFilters?: readonly string[] };

/** The start-up flame request when it asks for `selection` (at any width) and nobody has taken it. */
function startupFlameFor(selection: FlameSelection): NonNullable<Startup['flame']> | null {
  const flame = fresh()?.flame;
  if (!flame || flame.taken) return null;
  const held = flame.request;
  if (held.query !== selection.query || held.fromMs !== selection.fromMs || held.untilMs !== selection.untilMs) return null;
  return sameList(selection.profileIds, held.profileIds) && sameList(selection.frameFilters, held.frameFilters) ? flame : null;
}

/**
 * The width the start-up request asked `selection` at (the window's, in steps), 0 when it did not ask
 * for it: the page's graph, which is inside the window, can adopt it before it has measured itself.
 */
export function startupFlameWidth(selection: FlameSelection): number {
  return startupFlameFor(selection)?.request.widthCssPx ?? 0;
}

/**
 * The start-up answer for `selection`, already laid out, for a first render to
 * start from (so the page's first commit has the graph). A peek: the render may be thrown away, so the
 * effect that follows the commit takes the request (takeStartupFlame).
 */
export function peekStartupFlameLaidOut(selection: FlameSelection): { answer: LodAnswer & { ok: true }; widthCssPx: number } | null {
  const flame = startupFlameFor(selection);
  const laidOut = flame?.decode?.laidOut;
  return flame && laidOut?.ok ? { answer: laidOut, widthCssPx: flame.request.widthCssPx } : null;
}

/** Tests: forget what start-up asked and the worker it started (stopped when nobody took it). */
export function resetStartupPrefetch(): void {
  startup = null;
  if (!workerTaken) startedWorker?.terminate();
  startedWorker = null;
  workerTaken = false;
}
