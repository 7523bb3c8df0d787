// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeLevels, flameGraphFromStacks, stacksFromCollapsed, type FlameFrames } from '@cinder/core';
import { FlameGraphView } from '../src/components/FlameGraphView.js';
import { scheduleDraw } from '../src/flamegraph/drawTask.js';
import { RecordingContext } from './recordingContext.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * Issue 13 (no task > 50 ms): a new graph is drawn in a task of its own, not inside the frame's
 * rendering step (where the page's first layout, paint and commit already are); a redraw of the same
 * graph after input stays in requestAnimationFrame, in the frame right after the input.
 */
const queues = { frames: [] as Array<() => void>, tasks: [] as Array<{ run: () => void; signal: AbortSignal }> };
const runFrames = (): void => act(() => queues.frames.splice(0).forEach((run) => run()));
const runTasks = (): void => act(() => queues.tasks.splice(0).forEach(({ run, signal }) => signal.aborted || run()));

let context: RecordingContext;
class LaidOutObserver {
  constructor(private readonly callback: () => void) {}
  observe(): void {
    // The browser's first layout (the graph's width is its clientWidth, stubbed below).
    queueMicrotask(() => this.callback());
  }
  disconnect(): void {}
}

let root: Root | null = null;
let container: HTMLDivElement;
beforeEach(() => {
  queues.frames = [];
  queues.tasks = [];
  context = new RecordingContext();
  vi.stubGlobal('requestAnimationFrame', (run: () => void) => queues.frames.push(run));
  vi.stubGlobal('cancelAnimationFrame', () => undefined);
  vi.stubGlobal('scheduler', { postTask: (run: () => void, options: { signal: AbortSignal }) => (queues.tasks.push({ run, signal: options.signal }), Promise.resolve()) });
  vi.stubGlobal('ResizeObserver', LaidOutObserver);
  vi.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(600);
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as unknown as CanvasRenderingContext2D);
  container = document.createElement('div');
  document.body.append(container);
});
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  container.remove();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const graph = (collapsed: string): FlameFrames => decodeLevels(flameGraphFromStacks(stacksFromCollapsed(collapsed)));
const view = (frames: FlameFrames, selectedFunction = ''): JSX.Element => (
  <FlameGraphView frames={frames} unit="samples" focusPath={[]} search="" searchRegex={false} selectedFunction={selectedFunction} label="CPU" />
);
const drawnLabels = (): string[] => context.calls.flatMap((call) => (call.op === 'fillText' ? [call.text] : []));

describe('when the flame graph is drawn', () => {
  it('draws a new graph in a task, a redraw of it in the next frame, and the next new graph in a task again', async () => {
    root = createRoot(container);
    await act(async () => root!.render(view(graph('main;alpha 5\nmain;beta 3\n'))));
    expect(queues.frames).toHaveLength(0);
    expect(drawnLabels()).toEqual([]);
    runTasks();
    expect(drawnLabels()).toEqual(expect.arrayContaining(['main', 'alpha', 'beta']));

    // The next answer: a new graph, in a task.
    context.calls.length = 0;
    const frames = graph('main;gamma 7\n');
    act(() => root!.render(view(frames)));
    expect(queues.frames).toHaveLength(0);
    runTasks();
    expect(drawnLabels()).toEqual(expect.arrayContaining(['gamma']));
    // The same graph with a function picked in the top table (outlined): a redraw, in the next frame.
    context.calls.length = 0;
    act(() => root!.render(view(frames, 'gamma')));
    expect(queues.tasks).toHaveLength(0);
    expect(queues.frames).toHaveLength(1);
    runFrames();
    expect(context.calls.some((call) => call.op === 'strokeRect')).toBe(true);
  });

  it('a draw that was overtaken is never run', () => {
    const drawn: string[] = [];
    const cancelTask = scheduleDraw(() => drawn.push('task'), 'task');
    const cancelFrame = scheduleDraw(() => drawn.push('frame'), 'frame');
    cancelTask();
    cancelFrame();
    runTasks();
    expect(drawn).toEqual([]);
    expect(queues.frames).toHaveLength(1);
  });

  it('without the Scheduler API a task is a timer, never a synchronous draw', () => {
    vi.stubGlobal('scheduler', undefined);
    vi.useFakeTimers();
    try {
      const drawn: string[] = [];
      scheduleDraw(() => drawn.push('task'), 'task');
      expect(drawn).toEqual([]);
      vi.runAllTimers();
      expect(drawn).toEqual(['task']);
      const cancel = scheduleDraw(() => drawn.push('cancelled'), 'task');
      cancel();
      vi.runAllTimers();
      expect(drawn).toEqual(['task']);
    } finally {
      vi.useRealTimers();
    }
  });
});
