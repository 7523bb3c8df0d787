import { useEffect, useState, type RefObject } from 'react';

/**
 * Content-box size of an element, updated by ResizeObserver. Not read in the effect: the effect of
 * a page's first commit runs before the browser has laid the page out, and reading a size there lays
 * the whole page out inside that task (60+ ms on this loaded 2-core machine; issue 13: no task
 * > 50 ms). The observer's first call comes right after the browser's own layout of the frame.
 */
export function useElementSize(ref: RefObject<HTMLElement | null>): { widthCssPx: number; heightCssPx: number } {
  const [size, setSize] = useState({ widthCssPx: 0, heightCssPx: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    // The same size keeps the same state, so an observation that changes nothing renders nothing.
    const measure = (): void => {
      const widthCssPx = element.clientWidth;
      const heightCssPx = element.clientHeight;
      setSize((previous) => (previous.widthCssPx === widthCssPx && previous.heightCssPx === heightCssPx ? previous : { widthCssPx, heightCssPx }));
    };
    if (typeof ResizeObserver === 'undefined') {
      measure();
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
