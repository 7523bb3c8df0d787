/**
 * Cooperative yielding for long loops on the main thread (appending a batch's rows, walking a
 * merge): `const pause = pacer.tick(); if (pause) await pause;` in the loop gives the event loop a
 * turn once the loop has run for sliceMs since the last one (awaiting `undefined` would still cost a
 * microtask per iteration), so no request waits behind a big batch or merge for longer than that.
 * Checking the clock costs ~30 ns, so by default it is read every 1,024 ticks (loops over rows);
 * loops over bigger items (profiles) check it every tick.
 */
export class Pacer {
  private ticks = 0;
  private sliceStart = performance.now();

  constructor(
    private readonly sliceMs = 15,
    private readonly checkEvery = 1024,
  ) {}

  /** undefined within the slice; past it, a promise that resolves after the event loop's turn. */
  tick(): Promise<void> | undefined {
    if (++this.ticks % this.checkEvery !== 0) return undefined;
    if (performance.now() - this.sliceStart < this.sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.sliceStart = performance.now();
        resolve();
      }),
    );
  }
}
