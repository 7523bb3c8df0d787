import { describe, expect, it } from 'vitest';
import { decodeLevels, flameGraphFromStacks, hitTest, stacksFromCollapsed, viewportForFrame, type FlameFrames } from '@cinder/core';
import { icicleCssY, renderFlameGraph, type RenderInput } from '../src/flamegraph/renderer.js';
import { RecordingContext } from './recordingContext.js';

/** Flame orientation (root at the bottom) against the icicle default: rows, labels and hit tests. */
const frames: FlameFrames = decodeLevels(flameGraphFromStacks(stacksFromCollapsed('main;a;b 3\nmain;a 1\nmain;c 2\ngc 4')));
const ROW = 20;

function input(overrides: Partial<RenderInput> = {}): RenderInput {
  return {
    frames,
    viewport: viewportForFrame(frames, 0, 1000),
    heightCssPx: frames.rowCount * ROW,
    scrollTopCssPx: 0,
    devicePixelRatio: 1,
    rowHeightCssPx: ROW,
    search: null,
    selectedFrame: -1,
    hoveredFrame: -1,
    highlightName: null,
    ...overrides,
  };
}

/** Label text → the y of its row's box top. */
function labelRows(ctx: RecordingContext): Map<string, number> {
  const out = new Map<string, number>();
  for (const call of ctx.calls) if (call.op === 'fillText') out.set(call.text, Math.round(call.y - (ROW - 1) / 2));
  return out;
}

describe('flame orientation', () => {
  it('draws the root row at the bottom and the deepest row at the top', () => {
    expect(frames.rowCount).toBe(4);
    const icicle = new RecordingContext();
    renderFlameGraph(icicle, input());
    const flame = new RecordingContext();
    renderFlameGraph(flame, input({ inverted: true }));
    const top = labelRows(icicle);
    const bottom = labelRows(flame);
    expect(top.get('total')).toBe(0);
    expect(bottom.get('total')).toBe(3 * ROW);
    expect(top.get('b')).toBe(3 * ROW);
    expect(bottom.get('b')).toBe(0);
    expect(flame.rects().length).toBe(icicle.rects().length);
  });

  it('draws only the rows in view when scrolled, from the other end', () => {
    // A 2-row window scrolled to the top of a flame shows the two deepest rows (b, then a/c).
    const flame = new RecordingContext();
    renderFlameGraph(flame, input({ inverted: true, heightCssPx: 2 * ROW }));
    const labels = [...labelRows(flame).keys()].sort();
    expect(labels).toEqual(['a', 'b', 'c']);
  });

  it('hit tests through icicleCssY land on the frame drawn under the pointer', () => {
    const viewport = viewportForFrame(frames, 0, 1000);
    const at = (cssX: number, cssY: number, inverted: boolean): string => {
      const frame = hitTest(frames, viewport, cssX, icicleCssY(frames, cssY, inverted, ROW), ROW);
      return frame < 0 ? '' : frames.names[frames.nameIndex[frame]!]!;
    };
    expect(at(10, 5, false)).toBe('total');
    expect(at(10, 3 * ROW + 5, true)).toBe('total');
    expect(at(650, 5, true)).toBe('b');
    expect(at(650, 3 * ROW + 5, false)).toBe('b');
    expect(at(10, 2 * ROW + 5, true)).toBe('gc');
    expect(at(10, 4 * ROW + 5, true)).toBe('');
    expect(icicleCssY(frames, 27, false, ROW)).toBe(27);
  });
});
