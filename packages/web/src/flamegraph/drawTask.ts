/**
 * When the canvas is drawn.
 *
 * A new graph (an answer just laid out: the page's first, a zoom's detail) is drawn in a task of its
 * own. A requestAnimationFrame callback runs inside the frame's rendering step, and there the draw
 * (15–35 ms for a 1M-node profile's ~1,400 boxes on this 2-core machine) and the frame's style, layout,
 * paint and compositor commit (another 20–40 ms on the page's first frame) made one task of 50–80 ms
 * (issue 13: no task > 50 ms).
 *
 * A redraw after input (zoom feedback, hover, scroll, search) stays in requestAnimationFrame: the
 * browser runs the rendering step right after an input's task, so a task posted from it mostly ran after
 * that frame and the feedback showed one frame later (the e2e benchmark's first zoom repaint went from
 * a median of 24 ms to 44 ms).
 */

interface TaskScheduler {
  postTask(callback: () => void, options: { priority: 'user-blocking'; signal: AbortSignal }): Promise<unknown>;
}

export type DrawTiming = 'task' | 'frame';

/** Runs `draw` in a task of its own or in the next frame; the returned function cancels it if not run yet. */
export function scheduleDraw(draw: () => void, timing: DrawTiming): () => void {
  if (timing === 'frame' && typeof requestAnimationFrame === 'function') {
    const frameRequest = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frameRequest);
  }
  const scheduler = (globalThis as { scheduler?: Partial<TaskScheduler> }).scheduler;
  if (scheduler && typeof scheduler.postTask === 'function') {
    const controller = new AbortController();
    // user-blocking: ahead of the page's other queued work (React's own tasks, answers being decoded).
    scheduler.postTask(draw, { priority: 'user-blocking', signal: controller.signal }).catch(() => undefined);
    return () => controller.abort();
  }
  const timer = setTimeout(draw, 0);
  return () => clearTimeout(timer);
}
