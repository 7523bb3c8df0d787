/**
 * uPlot (~50 kB of code whose evaluation and first chart took 25–70 ms of the main thread on this
 * 2-core machine), loaded on demand: on a page that opens with a flame graph, after its first paint
 * (issue 13: open → painted); elsewhere at once. Charts draw into boxes already laid out at their
 * size, so nothing moves when it arrives.
 */
import { useEffect, useState } from 'react';
import type uPlot from 'uplot';
import { afterFirstFlamePaint } from '../flamegraph/paintMark.js';

type UPlotClass = typeof uPlot;
let loaded: UPlotClass | null = null;
let loading: Promise<UPlotClass> | null = null;

export function loadUPlot(): Promise<UPlotClass> {
  loading ??= afterFirstFlamePaint()
    .then(() => import('uplot'))
    .then(
      (module) => (loaded = module.default),
      (error: unknown) => {
        // A failed chunk load may be retried by the next chart.
        loading = null;
        throw error;
      },
    );
  return loading;
}

/** The uPlot class once loaded (null before: draw nothing yet). */
export function useUPlot(): UPlotClass | null {
  // An initializer: uPlot is a class, which useState would otherwise call as one.
  const [uplot, setUPlot] = useState<UPlotClass | null>(() => loaded);
  useEffect(() => {
    if (uplot) return;
    let live = true;
    loadUPlot().then(
      (value) => live && setUPlot(() => value),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [uplot]);
  return uplot;
}
