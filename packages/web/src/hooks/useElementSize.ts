import { useEffect, useState, type RefObject } from 'react';

/** Content-box size of an element, updated by ResizeObserver. */
export function useElementSize(ref: RefObject<HTMLElement | null>): { widthCssPx: number; heightCssPx: number } {
  const [size, setSize] = useState({ widthCssPx: 0, heightCssPx: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = (): void => setSize({ widthCssPx: element.clientWidth, heightCssPx: element.clientHeight });
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
