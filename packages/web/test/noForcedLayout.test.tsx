// @vitest-environment jsdom
import { act, useRef, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeLevels, flameGraphFromStacks, stacksFromCollapsed } from '@cinder/core';
import { FlameGraphView } from '../src/components/FlameGraphView.js';
import { useElementSize } from '../src/hooks/useElementSize.js';
import { useMeasuredWidth } from '../src/hooks/useMeasuredWidth.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * Issue 13 (no task > 50 ms): a page's first commit must not read layout. Reading a size or a scroll
 * position there lays the whole new page out inside React's task; the browser's own layout of the
 * frame, right after, is where sizes come from (ResizeObserver's first call).
 */
class FakeResizeObserver {
  static all: FakeResizeObserver[] = [];
  readonly targets: Element[] = [];
  constructor(private readonly callback: () => void) {
    FakeResizeObserver.all.push(this);
  }
  observe(target: Element): void {
    this.targets.push(target);
  }
  disconnect(): void {
    this.targets.length = 0;
  }
  /** What the browser does after its layout of a frame. */
  fire(): void {
    if (this.targets.length > 0) this.callback();
  }
}
const fireObservers = (): void => act(() => FakeResizeObserver.all.forEach((observer) => observer.fire()));

/** Counts layout reads (clientWidth / clientHeight / scrollTop / scrollHeight) and scrollTop writes. */
const layout = { reads: 0, scrollWrites: 0, widthCssPx: 1000 };
const restore: Array<() => void> = [];
function spyOn(proto: object, name: string, descriptor: PropertyDescriptor): void {
  const original = Object.getOwnPropertyDescriptor(proto, name);
  Object.defineProperty(proto, name, { configurable: true, ...descriptor });
  restore.push(() => (original ? Object.defineProperty(proto, name, original) : delete (proto as Record<string, unknown>)[name]));
}

let root: Root | null = null;
beforeEach(() => {
  FakeResizeObserver.all = [];
  layout.reads = 0;
  layout.scrollWrites = 0;
  layout.widthCssPx = 1000;
  vi.stubGlobal('ResizeObserver', FakeResizeObserver);
  spyOn(Element.prototype, 'clientWidth', { get: () => (layout.reads++, layout.widthCssPx) });
  spyOn(Element.prototype, 'clientHeight', { get: () => (layout.reads++, 300) });
  spyOn(Element.prototype, 'scrollHeight', { get: () => (layout.reads++, 900) });
  spyOn(Element.prototype, 'scrollTop', { get: () => (layout.reads++, 0), set: () => void layout.scrollWrites++ });
  spyOn(HTMLCanvasElement.prototype, 'getContext', { value: () => null });
});
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  while (restore.length > 0) restore.pop()!();
  vi.unstubAllGlobals();
});

describe('sizes come from the browser layout, not from the commit', () => {
  it('useElementSize reads nothing when it mounts, then takes the observed size (and keeps it for the same size)', () => {
    const seen: number[] = [];
    function Box(): JSX.Element {
      const ref = useRef<HTMLDivElement>(null);
      seen.push(useElementSize(ref).widthCssPx);
      return <div ref={ref} />;
    }
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Box />));
    expect(layout.reads).toBe(0);
    expect(seen).toEqual([0]);
    fireObservers();
    expect(seen).toEqual([0, 1000]);
    // The same size again keeps the state (React may render once more before it bails out, no more).
    fireObservers();
    fireObservers();
    const renders = seen.length;
    fireObservers();
    expect(seen.length).toBe(renders);
    expect(new Set(seen.slice(1))).toEqual(new Set([1000]));
  });

  it('useMeasuredWidth starts from its guess and renders again only when the rounded width changes', () => {
    const seen: number[] = [];
    const roundUp = (widthCssPx: number): number => Math.ceil(widthCssPx / 128) * 128;
    function Panel(): JSX.Element {
      const [ref, widthCssPx] = useMeasuredWidth<HTMLDivElement>(roundUp, 1024);
      seen.push(widthCssPx);
      return <div ref={ref} />;
    }
    root = createRoot(document.createElement('div'));
    act(() => root!.render(<Panel />));
    expect(layout.reads).toBe(0);
    fireObservers();
    // 1000 px is in the guessed step (1024): nothing to render.
    expect(seen).toEqual([1024]);
    layout.widthCssPx = 1100;
    fireObservers();
    expect(seen).toEqual([1024, 1152]);
  });

  it('a flame graph mounts without reading layout or touching its scroll position; flipping it to a flame scrolls to the root', () => {
    const frames = decodeLevels(flameGraphFromStacks(stacksFromCollapsed('main;a;b 5\nmain;a;c 3\nmain;d 2\n')));
    const view = (inverted: boolean): JSX.Element => (
      <FlameGraphView frames={frames} unit="samples" focusPath={[]} search="" searchRegex={false} selectedFunction="" label="CPU" inverted={inverted} />
    );
    root = createRoot(document.createElement('div'));
    act(() => root!.render(view(false)));
    expect(layout.reads).toBe(0);
    expect(layout.scrollWrites).toBe(0);
    // The mirror for screen readers comes in the deferred render after the graph's.
    expect(document.querySelectorAll('[data-testid="flamegraph-a11y-table"] tbody tr').length).toBe(0);
    const container = document.createElement('div');
    document.body.append(container);
    act(() => root!.unmount());
    root = createRoot(container);
    act(() => root!.render(view(false)));
    expect(container.querySelectorAll('[data-testid="flamegraph-a11y-table"] tbody tr').length).toBe(frames.count - 1);
    act(() => root!.render(view(true)));
    expect(layout.scrollWrites).toBe(1);
    container.remove();
  });
});
