import { describe, expect, it } from 'vitest';
import {
  DIMMED_COLOR,
  MERGED_COLOR,
  colorForFrameName,
  decodeLevels,
  flameGraphFromStacks,
  frameAtPath,
  searchFrames,
  stacksFromCollapsed,
  viewportForFrame,
  type FlameFrames,
} from '@cinder/core';
import { canvasBackingSize, fitLabel, renderFlameGraph, type RenderInput } from '../src/flamegraph/renderer.js';
import { RecordingContext } from './recordingContext.js';

function framesFrom(collapsed: string): FlameFrames {
  return decodeLevels(flameGraphFromStacks(stacksFromCollapsed(collapsed)));
}

function input(frames: FlameFrames, overrides: Partial<RenderInput> = {}): RenderInput {
  return {
    frames,
    viewport: viewportForFrame(frames, 0, 1000),
    heightCssPx: 400,
    scrollTopCssPx: 0,
    devicePixelRatio: 1,
    rowHeightCssPx: 20,
    search: null,
    selectedFrame: -1,
    hoveredFrame: -1,
    highlightName: null,
    ...overrides,
  };
}

const example = framesFrom('main;a;b 3\nmain;a 1\nmain;c 2\ngc 4');

describe('renderFlameGraph', () => {
  it('draws one box per visible frame with labels that fit, coloured by package', () => {
    const ctx = new RecordingContext(6);
    const stats = renderFlameGraph(ctx, input(example));
    expect(stats).toEqual({ rowsDrawn: 4, boxesDrawn: 6, labelsDrawn: 6 });
    expect(ctx.texts()).toEqual(['total', 'gc', 'main', 'a', 'c', 'b']);
    const gc = ctx.rects()[1]!;
    expect(gc).toMatchObject({ x: 0, y: 20, w: 399, h: 19, fillStyle: colorForFrameName('gc') });
  });

  it('scales to the device pixel ratio through the transform, drawing in css pixels', () => {
    const ctx = new RecordingContext();
    renderFlameGraph(ctx, input(example, { devicePixelRatio: 2 }));
    expect(ctx.calls[0]).toEqual({ op: 'setTransform', scale: 2 });
    expect(ctx.rects()[0]!.w).toBe(999);
  });

  it('draws only the rows inside the scrolled viewport', () => {
    const deep = framesFrom(`${Array.from({ length: 500 }, (_, i) => `f${i}`).join(';')} 1`);
    const ctx = new RecordingContext();
    const stats = renderFlameGraph(ctx, input(deep, { heightCssPx: 100, scrollTopCssPx: 2000 }));
    expect(stats.rowsDrawn).toBe(5);
    const ys = ctx.rects().map((r) => r.y);
    expect(ys).toEqual([0, 20, 40, 60, 80]);
    // Row 100 (scrollTop 2000 / 20) is frame f99 (depth 0 is the virtual root).
    expect(ctx.texts()[0]).toBe('f99');
  });

  it('culls frames outside a zoomed viewport', () => {
    const ctx = new RecordingContext();
    const a = frameAtPath(example, ['main', 'a']);
    renderFlameGraph(ctx, input(example, { viewport: viewportForFrame(example, a, 1000) }));
    expect(ctx.texts()).toEqual(['total', 'main', 'a', 'b']);
  });

  it('merges sub-pixel frames into one unlabelled box', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `root;leaf${String(i).padStart(5, '0')} 1`);
    const frames = framesFrom(lines.join('\n'));
    const ctx = new RecordingContext();
    const stats = renderFlameGraph(ctx, input(frames, { viewport: viewportForFrame(frames, 0, 800) }));
    // total, root, and the 5000 leaves as one merged box.
    expect(stats.boxesDrawn).toBe(3);
    expect(ctx.rects()[2]).toMatchObject({ fillStyle: MERGED_COLOR });
    expect(ctx.rects()[2]!.w).toBeCloseTo(800, 6);
    expect(ctx.texts()).toEqual(['total', 'root']);
  });

  it('truncates labels with an ellipsis and drops them when nothing useful fits', () => {
    expect(fitLabel('github.com/x/y.Func', 1000, 6)).toBe('github.com/x/y.Func');
    expect(fitLabel('github.com/x/y.Func', 60, 6)).toBe('github.co…');
    expect(fitLabel('github.com/x/y.Func', 20, 6)).toBeNull();
    const frames = framesFrom('short 1\na_really_long_function_name 99');
    const ctx = new RecordingContext(6);
    renderFlameGraph(ctx, input(frames, { viewport: viewportForFrame(frames, 0, 150) }));
    // "short" is 1.5 px wide: no label; the long one is truncated to its box.
    expect(ctx.texts()).toEqual(['total', 'a_really_long_function…']);
  });

  it('keeps search matches in colour and dims the rest', () => {
    const ctx = new RecordingContext();
    const search = searchFrames(example, { text: 'a', regex: false });
    renderFlameGraph(ctx, input(example, { search }));
    const fill = Object.fromEntries(
      ctx.calls.flatMap((call, index) => {
        const next = ctx.calls[index + 1];
        return call.op === 'fillRect' && next?.op === 'fillText' ? [[next.text, call.fillStyle]] : [];
      }),
    );
    expect(fill['a']).toBe(colorForFrameName('a'));
    expect(fill['main']).toBe(colorForFrameName('main'));
    expect(fill['gc']).toBe(DIMMED_COLOR);
    expect(fill['b']).toBe(DIMMED_COLOR);
  });

  it('dims a merged run only when none of its frames match', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `root;leaf${String(i).padStart(4, '0')} 1`);
    const frames = framesFrom(lines.join('\n'));
    const viewport = viewportForFrame(frames, 0, 100);
    const hit = new RecordingContext();
    renderFlameGraph(hit, input(frames, { viewport, search: searchFrames(frames, { text: 'leaf0500', regex: false }) }));
    expect(hit.rects()[2]!.fillStyle).toBe(MERGED_COLOR);
    const miss = new RecordingContext();
    renderFlameGraph(miss, input(frames, { viewport, search: searchFrames(frames, { text: 'nothing', regex: false }) }));
    expect(miss.rects()[2]!.fillStyle).toBe(DIMMED_COLOR);
  });

  it('outlines the selected frame and every frame of the function picked in the table', () => {
    const frames = framesFrom('main;fib;fib 3\nmain;x;fib 1');
    const ctx = new RecordingContext();
    renderFlameGraph(ctx, input(frames, { highlightName: 'fib', selectedFrame: frameAtPath(frames, ['main', 'x']) }));
    const strokes = ctx.calls.filter((c) => c.op === 'strokeRect');
    expect(strokes).toHaveLength(4);
    expect(strokes.filter((s) => s.op === 'strokeRect' && s.strokeStyle === '#76B900')).toHaveLength(3);
  });

  it('draws nothing but a clear for an empty profile', () => {
    const ctx = new RecordingContext();
    const frames = decodeLevels({ names: ['total'], levels: [], total: 0, maxSelf: 0 });
    expect(renderFlameGraph(ctx, input(frames))).toEqual({ rowsDrawn: 0, boxesDrawn: 0, labelsDrawn: 0 });
    expect(ctx.calls.map((c) => c.op)).toEqual(['setTransform', 'clearRect']);
  });
});

describe('canvasBackingSize', () => {
  it('multiplies by the device pixel ratio', () => {
    expect(canvasBackingSize(800, 400, 2)).toEqual({ width: 1600, height: 800, scale: 2 });
  });
  it('never asks for a side larger than the browser allows', () => {
    const size = canvasBackingSize(20_000, 400, 3);
    expect(size.width).toBeLessThanOrEqual(32_767);
  });
});
