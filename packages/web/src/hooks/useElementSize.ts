import { useEffect, useState, type RefObject } from 'react';

/** Content-box size of an element, updated by ResizeObserver. */
export function useElementSize(ref: RefObject<HTMLElement | null>): { widthCssPx: number; heightCssPx: number } {
  const [size, setSize] = useState({ widthCssPx: 0, heightCssPx: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    // The same size keeps the same state: ResizeObserver's first call (right after this effect's own
    // measurement) must not re-render the chart or graph that uses it.
    const measure = (): void => {
      const widthCssPx = element.clientWidth;
      const heightCssPx = element.clientHeight;
      setSize((previous) => (previous.widthCssPx === widthCssPx && previous.heightCssPx === heightCssPx ? previous : { widthCssPx, heightCssPx }));
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
