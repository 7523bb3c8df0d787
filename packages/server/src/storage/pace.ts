/**
 * Cooperative yielding for long loops on the main thread (appending a batch's rows, walking a
 * merge): `const pause = pacer.tick(); if (pause) await pause;` in the loop gives the event loop a
 * turn once the loop has run for sliceMs since the last one (awaiting `undefined` would still cost a
 * microtask per iteration), so no request waits behind a big batch or merge for longer than that.
 * Checking the clock costs ~30 ns, so by default it is read every 1,024 ticks (loops over rows);
 * loops over bigger items (profiles) check it every tick.
 */
/**
 * What every pacer shares: a yield schedules the pacer's next slice with setImmediate, and the
 * slices of several pacers queued there run back to back in one turn of the loop. Six concurrent
 * requests with their own 15 ms slices held the loop ~90 ms (issue 10's fuzz). So a slice that
 * follows another pacer's directly (no idle gap, another pacer) only gets what is left of the first
 * one's slice, and at least MIN_SHARE_MS so each makes progress: a run of N back-to-back slices
 * lasts about max(sliceMs, N × MIN_SHARE_MS).
 */
const MIN_SHARE_MS = 2;
/** Longer than this between one slice's end and the next one's start: the loop had a turn in between. */
const IDLE_GAP_MS = 1;
let runStartMs = 0;
let lastSliceEndMs = Number.NEGATIVE_INFINITY;
let lastPacerId = -1;
let nextPacerId = 0;

export class Pacer {
  private readonly id = nextPacerId++;
  private ticks = 0;
  private sliceStart = performance.now();
  /** When the run of back-to-back slices this one belongs to started (a pacer made right after another's slice joins its run). */
  private runStart = this.sliceStart - lastSliceEndMs <= IDLE_GAP_MS ? runStartMs : this.sliceStart;

  constructor(
    private readonly sliceMs = 15,
    private readonly checkEvery = 1024,
  ) {}

  /** undefined within the slice; past it, a promise that resolves after the event loop's turn. */
  tick(): Promise<void> | undefined {
    if (++this.ticks % this.checkEvery !== 0) return undefined;
    const nowMs = performance.now();
    const ownMs = nowMs - this.sliceStart;
    if (ownMs < this.sliceMs && (ownMs < MIN_SHARE_MS || nowMs - this.runStart < this.sliceMs)) return undefined;
    lastSliceEndMs = nowMs;
    lastPacerId = this.id;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        const resumedMs = performance.now();
        // A pacer resuming right after another one's slice continues that run; alone, or after an idle gap, it starts one.
        if (resumedMs - lastSliceEndMs > IDLE_GAP_MS || lastPacerId === this.id) runStartMs = resumedMs;
        this.sliceStart = resumedMs;
        this.runStart = runStartMs;
        resolve();
      }),
    );
  }
}
