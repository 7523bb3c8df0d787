import { describe, expect, it } from 'vitest';
import {
  breadcrumbs,
  childrenOf,
  decodeLevels,
  flameGraphFromStacks,
  frameAtPath,
  frameName,
  functionTotals,
  hitTest,
  neighbourFrame,
  pathOf,
  searchFrames,
  stacksFromCollapsed,
  valueToCssX,
  viewportForFrame,
  visibleRects,
  type FlameFrames,
} from '@cinder/core';

// The worked example of §3.3.3 of the API spec, as the server encodes it.
const specExample = {
  names: ['total', 'main', 'c', 'a', 'b', 'gc'],
  levels: [[0, 10, 0, 0], [0, 4, 4, 5, 0, 6, 0, 1], [4, 4, 1, 3, 0, 2, 2, 2], [5, 3, 3, 4]],
  total: 10,
  maxSelf: 4,
};

function framesFrom(collapsed: string): FlameFrames {
  return decodeLevels(flameGraphFromStacks(stacksFromCollapsed(collapsed)));
}

/** name@depth[x,x+total) per frame, in level order: a readable picture of the layout. */
function describeFrames(frames: FlameFrames): string[] {
  const out: string[] = [];
  for (let i = 0; i < frames.count; i++) {
    const start = frames.startValue[i]!;
    out.push(`${frameName(frames, i)}@${frames.depth[i]}[${start},${start + frames.totalValues[i]!}) self=${frames.selfValues[i]} parent=${frames.parent[i] === -1 ? '-' : frameName(frames, frames.parent[i]!)}`);
  }
  return out;
}

describe('decodeLevels', () => {
  it('decodes the spec example into absolute x and parents', () => {
    const frames = decodeLevels(specExample);
    expect(describeFrames(frames)).toEqual([
      'total@0[0,10) self=0 parent=-',
      'gc@1[0,4) self=4 parent=total',
      'main@1[4,10) self=0 parent=total',
      'a@2[4,8) self=1 parent=main',
      'c@2[8,10) self=2 parent=main',
      'b@3[5,8) self=3 parent=a',
    ]);
    expect(frames.totalValue).toBe(10);
    expect(Array.from(frames.rowStart)).toEqual([0, 1, 3, 5, 6]);
  });

  it('agrees with flameGraphFromStacks on the spec example', () => {
    const built = flameGraphFromStacks(stacksFromCollapsed('main;a;b 3\nmain;a 1\nmain;c 2\ngc 4'));
    expect(describeFrames(decodeLevels(built))).toEqual(describeFrames(decodeLevels(specExample)));
    expect(built.maxSelf).toBe(4);
  });

  it('handles an empty flame graph', () => {
    const frames = decodeLevels({ names: ['total'], levels: [], total: 0, maxSelf: 0 });
    expect(frames.count).toBe(0);
    expect(hitTest(frames, { startValue: 0, endValue: 1, widthCssPx: 100 }, 5, 5, 18)).toBe(-1);
    expect(searchFrames(frames, { text: 'a', regex: false }).share).toBe(0);
  });

  it('keeps siblings under the right parent when a parent has self value before its children', () => {
    const frames = framesFrom('p;x 2\np 5\nq;y 1\nq;z 1');
    const p = frameAtPath(frames, ['p']);
    const q = frameAtPath(frames, ['q']);
    expect(childrenOf(frames, p).map((i) => frameName(frames, i))).toEqual(['x']);
    expect(childrenOf(frames, q).map((i) => frameName(frames, i))).toEqual(['y', 'z']);
  });
});

describe('viewport', () => {
  const frames = decodeLevels(specExample);

  it('maps value to css pixels for the whole graph and for a zoomed frame', () => {
    const whole = viewportForFrame(frames, 0, 1000);
    expect(valueToCssX(whole, 4)).toBe(400);
    const a = frameAtPath(frames, ['main', 'a']);
    const zoomed = viewportForFrame(frames, a, 1000);
    expect(zoomed).toEqual({ startValue: 4, endValue: 8, widthCssPx: 1000 });
    expect(valueToCssX(zoomed, 5)).toBe(250);
  });

  it('culls frames outside a zoomed viewport and clips ancestors to it', () => {
    const a = frameAtPath(frames, ['main', 'a']);
    const rects = visibleRects(frames, viewportForFrame(frames, a, 1000), { firstDepth: 0, lastDepth: 10 });
    expect(rects.map((r) => `${frameName(frames, r.frameIndex)} x=${r.cssX} w=${r.cssWidth}`)).toEqual([
      'total x=0 w=1000',
      'main x=0 w=1000',
      'a x=0 w=1000',
      'b x=250 w=750',
    ]);
  });

  it('draws only the requested rows', () => {
    const rects = visibleRects(frames, viewportForFrame(frames, 0, 1000), { firstDepth: 2, lastDepth: 2 });
    expect(rects.map((r) => frameName(frames, r.frameIndex))).toEqual(['a', 'c']);
  });

  it('merges runs of sub-pixel frames into one box and keeps wide neighbours separate', () => {
    // 1000 tiny frames of value 1, then one wide frame of 1000, on a 100 px canvas: each tiny frame is 0.05 px.
    const stacks: Array<[string[], number]> = [];
    for (let i = 0; i < 1000; i++) stacks.push([['root', `tiny${String(i).padStart(4, '0')}`], 1]);
    stacks.push([['root', 'wide'], 1000]);
    const big = decodeLevels(flameGraphFromStacks(stacks));
    const rects = visibleRects(big, viewportForFrame(big, 0, 100), { firstDepth: 2, lastDepth: 2, mergeBelowCssPx: 1 });
    expect(rects).toHaveLength(2);
    expect(rects[0]!.mergedCount).toBe(1000);
    expect(rects[0]!.cssX).toBe(0);
    expect(rects[0]!.cssWidth).toBeCloseTo(50, 6);
    expect(frameName(big, rects[1]!.frameIndex)).toBe('wide');
    expect(rects[1]!.mergedCount).toBe(1);
    expect(rects[1]!.cssWidth).toBeCloseTo(50, 6);
  });

  it('visits a number of frames that follows pixels, not profile size', () => {
    const stacks: Array<[string[], number]> = [];
    for (let i = 0; i < 200_000; i++) stacks.push([['r', `f${i}`], 1]);
    const big = decodeLevels(flameGraphFromStacks(stacks));
    const rects = visibleRects(big, viewportForFrame(big, 0, 500), { firstDepth: 2, lastDepth: 2 });
    // The whole row is sub-pixel and contiguous: one merged box.
    expect(rects).toHaveLength(1);
    expect(rects[0]!.mergedCount).toBe(200_000);
    expect(rects[0]!.cssWidth).toBeCloseTo(500, 6);
  });
});

describe('hitTest', () => {
  const frames = decodeLevels(specExample);
  const whole = viewportForFrame(frames, 0, 1000);
  const rowHeight = 20;

  it('finds the frame under a point, including the scroll offset in y', () => {
    expect(frameName(frames, hitTest(frames, whole, 10, 5, rowHeight))).toBe('total');
    expect(frameName(frames, hitTest(frames, whole, 399, 25, rowHeight))).toBe('gc');
    expect(frameName(frames, hitTest(frames, whole, 400, 25, rowHeight))).toBe('main');
    expect(frameName(frames, hitTest(frames, whole, 600, 65, rowHeight))).toBe('b');
  });

  it('returns -1 for empty space and outside the graph', () => {
    expect(hitTest(frames, whole, 450, 65, rowHeight)).toBe(-1); // a's self space under a, left of b
    expect(hitTest(frames, whole, 100, 65, rowHeight)).toBe(-1); // below gc
    expect(hitTest(frames, whole, 100, 500, rowHeight)).toBe(-1);
    expect(hitTest(frames, whole, -1, 5, rowHeight)).toBe(-1);
    expect(hitTest(frames, whole, 1000, 5, rowHeight)).toBe(-1);
  });

  it('uses the zoomed viewport', () => {
    const zoomed = viewportForFrame(frames, frameAtPath(frames, ['main', 'a']), 1000);
    expect(frameName(frames, hitTest(frames, zoomed, 10, 25, rowHeight))).toBe('main');
    expect(frameName(frames, hitTest(frames, zoomed, 300, 65, rowHeight))).toBe('b');
  });
});

describe('search', () => {
  it('matches substrings case-insensitively and reports the share of total', () => {
    const frames = decodeLevels(specExample);
    const result = searchFrames(frames, { text: 'GC', regex: false });
    expect(result.matchedFrameCount).toBe(1);
    expect(result.matchedValue).toBe(4);
    expect(result.share).toBeCloseTo(0.4);
  });

  it('does not count a match nested in another match twice', () => {
    // fib calls fib: the inner fib's value is already inside the outer one.
    const frames = framesFrom('main;fib;fib;fib 6\nmain;fib 2\nmain;other 2');
    const result = searchFrames(frames, { text: 'fib', regex: false });
    expect(result.matchedFrameCount).toBe(3);
    expect(result.matchedValue).toBe(8);
    expect(result.share).toBeCloseTo(0.8);
  });

  it('supports regular expressions and reports invalid ones', () => {
    const frames = framesFrom('main;alpha 1\nmain;beta 1\nmain;alphabet 2');
    expect(searchFrames(frames, { text: '^alpha$', regex: true }).matchedValue).toBe(1);
    expect(searchFrames(frames, { text: 'alpha|beta', regex: true }).matchedValue).toBe(4);
    const bad = searchFrames(frames, { text: '(', regex: true });
    expect(bad.error).not.toBeNull();
    expect(bad.matchedFrameCount).toBe(0);
  });

  it('never matches the virtual root', () => {
    const frames = framesFrom('main 1');
    expect(searchFrames(frames, { text: 'tot', regex: false }).matchedFrameCount).toBe(0);
  });
});

describe('paths, breadcrumbs and keyboard navigation', () => {
  const frames = decodeLevels(specExample);

  it('round-trips a frame through its path', () => {
    const b = frameAtPath(frames, ['main', 'a', 'b']);
    expect(frameName(frames, b)).toBe('b');
    expect(pathOf(frames, b)).toEqual(['main', 'a', 'b']);
    expect(frameAtPath(frames, [])).toBe(0);
    expect(frameAtPath(frames, ['main', 'nope'])).toBe(-1);
    expect(breadcrumbs(frames, b).map((c) => c.name)).toEqual(['total', 'main', 'a', 'b']);
  });

  it('moves up to the caller, down to the widest callee, and along the row', () => {
    const main = frameAtPath(frames, ['main']);
    const a = frameAtPath(frames, ['main', 'a']);
    const c = frameAtPath(frames, ['main', 'c']);
    expect(neighbourFrame(frames, a, 'up')).toBe(main);
    expect(neighbourFrame(frames, main, 'down')).toBe(a);
    expect(neighbourFrame(frames, a, 'right')).toBe(c);
    expect(neighbourFrame(frames, c, 'right')).toBe(c);
    expect(neighbourFrame(frames, main, 'left')).toBe(frameAtPath(frames, ['gc']));
    expect(neighbourFrame(frames, 0, 'up')).toBe(0);
    expect(neighbourFrame(frames, -1, 'down')).toBe(0);
  });

  it('skips frames outside the viewport', () => {
    const a = frameAtPath(frames, ['main', 'a']);
    const zoomed = viewportForFrame(frames, a, 100);
    expect(neighbourFrame(frames, a, 'right', zoomed)).toBe(a);
  });
});

describe('functionTotals', () => {
  it('sums self per function and counts recursive totals once', () => {
    const frames = framesFrom('main;fib;fib 6\nmain;fib 2\nmain;x;fib 1');
    const byName = Object.fromEntries(functionTotals(frames).map((row) => [row.name, row]));
    expect(byName['fib']).toEqual({ name: 'fib', self: 9, total: 9 });
    expect(byName['main']).toEqual({ name: 'main', self: 0, total: 9 });
    expect(byName['x']).toEqual({ name: 'x', self: 0, total: 1 });
  });
});
