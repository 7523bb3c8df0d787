import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Content width (CSS px) of an element that may mount later than its owner (a callback ref, unlike
 * useElementSize's object ref, sees the element whenever it appears), kept current by ResizeObserver.
 */
export function useMeasuredWidth<T extends HTMLElement>(): [ref: (element: T | null) => void, widthCssPx: number] {
  const [widthCssPx, setWidthCssPx] = useState(0);
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((element: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!element) return;
    setWidthCssPx(element.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    observer.current = new ResizeObserver(() => setWidthCssPx(element.clientWidth));
    observer.current.observe(element);
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  return [ref, widthCssPx];
}
