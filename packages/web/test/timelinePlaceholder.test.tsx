// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { Timeline, TimelinePlaceholder, TIMELINE_HEIGHT_CSS_PX } from '../src/components/Timeline.js';
import type { TimelineSeries } from '../src/timeline/timelineData.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * The timeline's placeholder holds the timeline's place at its size while its answer and uPlot load
 * (issue 13: the flame graph below must not move when the timeline arrives). jsdom has no layout, so
 * this compares what sizes the block: the boxes, their classes and fixed heights, and the legend's
 * rows; the browser test (e2e/layoutStability.e2e.test.ts) measures the real thing.
 */
let root: Root | null = null;
let host: HTMLElement | null = null;
afterEach(() => {
  act(() => root?.unmount());
  host?.remove();
  root = null;
  host = null;
});

function render(element: JSX.Element): HTMLElement {
  host = document.createElement('div');
  document.body.append(host);
  root = createRoot(host);
  act(() => root!.render(element));
  return host.firstElementChild as HTMLElement;
}

/** What decides the block's height: elements (hidden ones take none), classes that size them, fixed heights. */
function skeleton(element: Element): string[] {
  const lines: string[] = [];
  const walk = (node: Element, depth: number): void => {
    if ((node as HTMLElement).hidden) return;
    const classes = [...node.classList].filter((c) => c !== 'timeline-canvas-pending').sort().join('.');
    const minHeight = (node as HTMLElement).style?.minHeight ?? '';
    const height = (node as HTMLElement).style?.height ?? '';
    lines.push(`${'  '.repeat(depth)}${node.tagName.toLowerCase()}${classes ? `.${classes}` : ''}${minHeight ? ` min-height:${minHeight}` : ''}${height ? ` height:${height}` : ''}`);
    for (const child of node.children) walk(child, depth + 1);
  };
  walk(element, 0);
  return lines;
}

const series = (count: number): TimelineSeries[] =>
  Array.from({ length: count }, (_, i) => ({
    label: `service-${i}`,
    points: [
      [1_700_000_000_000, 1 + i],
      [1_700_000_010_000, 2 + i],
    ],
  }));

function timeline(count: number, heightCssPx?: number): string[] {
  const element = render(<Timeline series={series(count)} fromMs={1_700_000_000_000} untilMs={1_700_000_060_000} unit="nanoseconds" onSelectRange={() => undefined} {...(heightCssPx ? { heightCssPx } : {})} />);
  const lines = skeleton(element);
  act(() => root!.unmount());
  root = null;
  return lines;
}

function placeholder(legendRows: number, heightCssPx?: number): string[] {
  const element = render(<TimelinePlaceholder legendRows={legendRows} {...(heightCssPx ? { heightCssPx } : {})} />);
  const lines = skeleton(element);
  act(() => root!.unmount());
  root = null;
  return lines;
}

describe('timeline placeholder', () => {
  it('has the boxes, fixed height and legend rows of the timeline it stands for', () => {
    expect(placeholder(1)).toEqual(timeline(1));
    expect(placeholder(3)).toEqual(timeline(3));
    expect(placeholder(2, 200)).toEqual(timeline(2, 200));
    expect(placeholder(1).join('\n')).toContain(`min-height:${TIMELINE_HEIGHT_CSS_PX}px`);
  });

  it('differs when the row count differs (the comparison can fail)', () => {
    expect(placeholder(1)).not.toEqual(timeline(2));
    expect(placeholder(1, 200)).not.toEqual(timeline(1));
  });

  it('keeps a spinner inside the plot box, not above it', () => {
    const element = render(
      <TimelinePlaceholder legendRows={1}>
        <span data-testid="inside" />
      </TimelinePlaceholder>,
    );
    expect(element.querySelector('[data-testid="timeline-placeholder-plot"] [data-testid="inside"]')).not.toBeNull();
  });
});
