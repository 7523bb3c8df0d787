import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Content width (CSS px) of an element that may mount later than its owner (a callback ref, unlike
 * useElementSize's object ref, sees the element whenever it appears), kept current by ResizeObserver.
 * `roundUp` keeps only the steps the owner cares about (a width change within a step renders nothing),
 * and `initialCssPx` is the owner's guess until the first measurement.
 */
export function useMeasuredWidth<T extends HTMLElement>(roundUp: (widthCssPx: number) => number = (w) => w, initialCssPx = 0): [ref: (element: T | null) => void, widthCssPx: number] {
  const [widthCssPx, setWidthCssPx] = useState(initialCssPx);
  const observer = useRef<ResizeObserver | null>(null);
  const roundUpRef = useRef(roundUp);
  roundUpRef.current = roundUp;
  const ref = useCallback((element: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!element) return;
    if (typeof ResizeObserver === 'undefined') {
      setWidthCssPx(roundUpRef.current(element.clientWidth));
      return;
    }
    // Not read here: this runs in React's commit, and reading a width there lays the whole new page out
    // inside that task (25–85 ms of the first commit on this loaded 2-core machine; issue 13: no task
    // > 50 ms). The observer's first call comes right after the browser's own layout of the frame.
    observer.current = new ResizeObserver(() => setWidthCssPx(roundUpRef.current(element.clientWidth)));
    observer.current.observe(element);
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  return [ref, widthCssPx];
}
