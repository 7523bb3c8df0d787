import { describe, expect, it } from 'vitest';
import {
  CallTreeBuilder,
  ROOT_NODE,
  decodeLevels,
  encodeTreeWire,
  flameGraphFromTree,
  frameAtPath,
  frameName,
  pathOf,
  selectLod,
  type CallTree,
  type TreeWireMeta,
  type FlameFrames,
} from '@cinder/core';
import { LodEngine } from '../src/flamegraph/lodEngine.js';
import { averagingFactor, flameDataFromFrames, lazyFlameData, forEachFrameUnder, framesTransferList, hiddenValuesOf, pathKey, viewIsComplete, type LodAnswer, type ViewFrames } from '../src/flamegraph/lodView.js';
import { inThreadLodWorker } from '../src/flamegraph/lodWorker.js';
import { framesUnder } from '../src/flamegraph/paintMark.js';
import { requestWidthFor } from '../src/hooks/useLodFlameGraph.js';

/** A deterministic bushy tree of about `nodeCount` nodes with a long tail of small subtrees. */
function randomTree(nodeCount: number, seed = 7): CallTree {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const builder = new CallTreeBuilder();
  const nodes = [ROOT_NODE];
  const depth = [0];
  let guard = 0;
  while (nodes.length < nodeCount && guard++ < nodeCount * 20) {
    let parent = nodes[Math.max(0, nodes.length - 1 - Math.floor(random() ** 3 * Math.min(nodes.length, 400)))]!;
    if (depth[parent]! >= 25 || random() < 0.05) parent = nodes[Math.floor(random() * Math.min(nodes.length, 50))]!;
    const node = builder.child(parent, builder.nameId(`pkg${Math.floor(random() * 9)}.fn${Math.floor(random() * 600)}`));
    if (node === nodes.length) {
      nodes.push(node);
      depth.push(depth[parent]! + 1);
    }
    builder.addSelf(node, 1 + Math.floor(random() ** 4 * 5000));
  }
  return builder.build();
}

/** What the server sends for `tree` (the same core functions its route uses). */
function answer(tree: CallTree, widthCssPx: number, focusPath: string[] = [], meta: Partial<TreeWireMeta> = {}): ArrayBuffer {
  const cut = selectLod(tree, { widthCssPx, focusPath });
  const bytes = encodeTreeWire(
    {
      profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      unit: 'nanoseconds',
      aggregation: 'sum',
      profileCount: 1,
      fromMs: 0,
      untilMs: 1,
      width: widthCssPx,
      focusPath,
      viewRootNode: cut.viewRootNode,
      fullNodeCount: cut.fullNodeCount,
      top: [],
      ...meta,
    },
    cut.tree,
  );
  return bytes.slice().buffer;
}

function ok(result: LodAnswer): Extract<LodAnswer, { ok: true }> {
  if (!result.ok) throw new Error(result.message);
  return result;
}

/** Full-tree frames by path: the truth every node drawn must equal. */
function truthByPath(tree: CallTree): Map<string, { total: number; self: number }> {
  const frames = decodeLevels(flameGraphFromTree(tree, Number.MAX_SAFE_INTEGER).flamegraph);
  const out = new Map<string, { total: number; self: number }>();
  for (let f = 0; f < frames.count; f++) out.set(pathKey(pathOf(frames, f)), { total: frames.totalValues[f]!, self: frames.selfValues[f]! });
  return out;
}

function expectExact(frames: FlameFrames, truth: Map<string, { total: number; self: number }>): void {
  for (let f = 0; f < frames.count; f++) {
    const expected = truth.get(pathKey(pathOf(frames, f)));
    expect(expected, pathOf(frames, f).join(';')).toBeDefined();
    expect(frames.totalValues[f]).toBe(expected!.total);
    expect(frames.selfValues[f]).toBe(expected!.self);
    expect(frameName(frames, f)).not.toBe('other');
  }
}

/** Visible nodes at `width` under the frame at `path` in the full tree: what a complete view must hold. */
function visibleUnder(tree: CallTree, path: string[], widthCssPx: number): number {
  const frames = decodeLevels(flameGraphFromTree(tree, Number.MAX_SAFE_INTEGER).flamegraph);
  const view = frameAtPath(frames, path);
  const needed = frames.totalValues[view]! / widthCssPx;
  let count = 0;
  forEachFrameUnder(frames, view, false, (f) => {
    // A node is sent when it and every ancestor up to the view are wide enough.
    let wide = true;
    for (let a = f; a !== view; a = frames.parent[a]!) if (frames.totalValues[a]! < needed) wide = false;
    if (wide) count++;
    return true;
  });
  return count;
}

describe('level-of-detail view (worker engine)', () => {
  const tree = randomTree(6000);
  const truth = truthByPath(tree);
  const width = 300;

  it('opens a full-view answer: exact root total and node values, no "other", hidden value accounted for', () => {
    const engine = new LodEngine();
    const opened = ok(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, width) }));
    const frames = opened.frames;
    expect(frames.totalValue).toBe(tree.total[ROOT_NODE]);
    expect(frames.count).toBeLessThan(tree.nodeCount);
    expectExact(frames, truth);
    // total = self + Σ children drawn + hidden, for every frame.
    const childSum = new Float64Array(frames.count);
    for (let f = 1; f < frames.count; f++) childSum[frames.parent[f]!]! += frames.totalValues[f]!;
    for (let f = 0; f < frames.count; f++) expect(frames.selfValues[f]! + childSum[f]! + frames.hiddenValues[f]!).toBeCloseTo(frames.totalValues[f]!, 6);
    expect(opened.header.width).toBe(width);
  });

  it('zooming: incomplete until the focused detail is spliced in, then exact and complete; the root total never changes', () => {
    const engine = new LodEngine();
    let frames = ok(engine.handle({ id: 1, kind: 'open', generation: 3, buffer: answer(tree, width) })).frames;
    let fetched = new Map<string, number>([[pathKey([]), frames.totalValue / width]]);
    expect(viewIsComplete(frames, [], width, fetched)).toBe(true);
    // Zoom three times, each time into the widest child of the current view that hides detail.
    let path: string[] = [];
    for (let step = 0; step < 3; step++) {
      const view = frameAtPath(frames, path);
      let pick = -1;
      forEachFrameUnder(frames, view, false, (f) => {
        if (frames.parent[f] === view && (pick < 0 || frames.totalValues[f]! > frames.totalValues[pick]!)) pick = f;
        return true;
      });
      expect(pick).toBeGreaterThan(0);
      path = pathOf(frames, pick);
      const before = framesUnder(frames, pick);
      const needsFetch = !viewIsComplete(frames, path, width, fetched);
      if (!needsFetch) continue;
      const spliced = ok(engine.handle({ id: 2 + step, kind: 'splice', generation: 3, buffer: answer(tree, width, path) }));
      frames = spliced.frames;
      fetched = new Map(fetched).set(pathKey(path), frames.totalValues[frameAtPath(frames, path)]! / width);
      expect(frames.totalValue).toBe(tree.total[ROOT_NODE]);
      expectExact(frames, truth);
      expect(viewIsComplete(frames, path, width, fetched)).toBe(true);
      const after = framesUnder(frames, frameAtPath(frames, path));
      expect(after).toBeGreaterThan(before);
      // Everything one pixel wide in the zoomed view is there.
      expect(after).toBeGreaterThanOrEqual(visibleUnder(tree, path, width));
    }
    expect(path.length).toBeGreaterThan(0);
  });

  it('a view with nothing hidden that could reach a pixel is complete without a fetch', () => {
    // main;whole has two big children and nothing small; main;cut has 50 children each < 1 px at the root, > 1 px zoomed.
    const builder = new CallTreeBuilder();
    const add = (path: string[], self: number): void => {
      let node = ROOT_NODE;
      for (const name of path) node = builder.child(node, builder.nameId(name));
      builder.addSelf(node, self);
    };
    add(['main', 'whole', 'x'], 4000);
    add(['main', 'whole', 'y'], 3000);
    for (let i = 0; i < 50; i++) add(['main', 'cut', `tiny${i}`], 60);
    const small = builder.build();
    const engine = new LodEngine();
    const frames = ok(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: answer(small, 100) })).frames;
    const fetched = new Map([[pathKey([]), frames.totalValue / 100]]);
    expect(frameAtPath(frames, ['main', 'cut', 'tiny0'])).toBe(-1);
    expect(viewIsComplete(frames, ['main', 'whole'], 100, fetched)).toBe(true);
    expect(viewIsComplete(frames, ['main', 'whole', 'x'], 100, fetched)).toBe(true);
    // Zoomed into `cut`, its 3000 hidden units span the whole width: its children must be fetched.
    expect(viewIsComplete(frames, ['main', 'cut'], 100, fetched)).toBe(false);
    const spliced = ok(engine.handle({ id: 2, kind: 'splice', generation: 1, buffer: answer(small, 100, ['main', 'cut']) })).frames;
    expect(frameAtPath(spliced, ['main', 'cut', 'tiny0'])).toBeGreaterThan(0);
    expect(viewIsComplete(spliced, ['main', 'cut'], 100, new Map(fetched).set(pathKey(['main', 'cut']), 3000 / 100))).toBe(true);
    // A path not held at all needs its answer.
    expect(viewIsComplete(frames, ['no-such-function'], 100, fetched)).toBe(false);
  });

  it('refuses a zoom answer of a replaced selection, and an answer that is not a tree', () => {
    const engine = new LodEngine();
    ok(engine.handle({ id: 1, kind: 'open', generation: 5, buffer: answer(tree, width) }));
    const stale = engine.handle({ id: 2, kind: 'splice', generation: 4, buffer: answer(tree, width, ['x']) });
    expect(stale).toMatchObject({ ok: false, stale: true });
    const olderOpen = engine.handle({ id: 3, kind: 'open', generation: 4, buffer: answer(tree, width) });
    expect(olderOpen).toMatchObject({ ok: false, stale: true });
    const broken = engine.handle({ id: 4, kind: 'open', generation: 6, buffer: new TextEncoder().encode('{"levels":[]}').buffer });
    expect(broken).toMatchObject({ ok: false, stale: false });
    expect(broken.ok ? '' : broken.message).toMatch(/not a Cinder tree answer/);
  });

  it('a focus path the selection lacks leaves the held tree as it was', () => {
    const engine = new LodEngine();
    const opened = ok(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, width) }));
    const spliced = ok(engine.handle({ id: 2, kind: 'splice', generation: 1, buffer: answer(tree, width, ['no-such-function']) }));
    expect(spliced.header.viewRootNode).toBe(-1);
    expect(spliced.frames.count).toBe(opened.frames.count);
    expect(spliced.frames.totalValue).toBe(opened.frames.totalValue);
    // Once asked for, a missing path is as complete as it gets (no endless refetch, a final paint).
    const fetched = new Map([[pathKey([]), opened.frames.totalValue / width]]);
    expect(viewIsComplete(spliced.frames, ['no-such-function'], width, fetched)).toBe(false);
    expect(viewIsComplete(spliced.frames, ['no-such-function'], width, new Map(fetched).set(pathKey(['no-such-function']), 0))).toBe(true);
  });

  it('hands its frames over as distinct transferable buffers', () => {
    const frames = ok(new LodEngine().handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, width) })).frames;
    const buffers = framesTransferList(frames);
    // The ten frame arrays and the colour index per name (lodView.ts ViewFrames).
    expect(buffers.length).toBe(11);
    expect(new Set(buffers).size).toBe(buffers.length);
  });

  it('the in-thread fallback answers like the worker', async () => {
    const worker = inThreadLodWorker();
    const result = ok(await worker.run({ kind: 'open', generation: 1, buffer: answer(tree, width) }));
    expect(result.frames.totalValue).toBe(tree.total[ROOT_NODE]);
    worker.terminate();
    await expect(worker.run({ kind: 'open', generation: 2, buffer: answer(tree, width) })).rejects.toThrow(/stopped/);
  });
});

describe('gauges', () => {
  it('shows the mean over the profiles for an averaged type: frames, top rows and search totals; zooms splice sums', () => {
    const tree = randomTree(1500, 3);
    const meta: Partial<TreeWireMeta> = {
      profileTypeId: 'memory:inuse_space:bytes:space:bytes',
      unit: 'bytes',
      aggregation: 'average',
      profileCount: 4,
      top: [{ name: 'pkg1.fn1', self: 400, total: 800 }],
      search: { text: 'fn', regex: false, matchedTotal: 1000, matchedSelf: 200 },
    };
    const engine = new LodEngine();
    const opened = ok(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, 200, [], meta) }));
    expect(opened.frames.totalValue).toBe(tree.total[ROOT_NODE]! / 4);
    expect(opened.header.aggregation).toBe('average');
    expect(opened.header.top[0]).toEqual({ name: 'pkg1.fn1', self: 100, total: 200 });
    expect(opened.header.search).toMatchObject({ matchedTotal: 250, matchedSelf: 50 });
    const child = pathOf(opened.frames, 1);
    const spliced = ok(engine.handle({ id: 2, kind: 'splice', generation: 1, buffer: answer(tree, 200, child, meta) }));
    expect(spliced.frames.totalValue).toBe(tree.total[ROOT_NODE]! / 4);
    const f = frameAtPath(spliced.frames, child);
    const truth = decodeLevels(flameGraphFromTree(tree, Number.MAX_SAFE_INTEGER).flamegraph);
    expect(spliced.frames.totalValues[f]).toBe(truth.totalValues[frameAtPath(truth, child)]! / 4);
  });

  it('keeps sums for cumulative types, and for one profile', () => {
    expect(averagingFactor({ profileTypeId: 'memory:inuse_space:bytes:space:bytes', profileCount: 1, aggregation: 'average' })).toBe(1);
    expect(averagingFactor({ profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', profileCount: 9, aggregation: 'sum' })).toBe(1);
    expect(averagingFactor({ profileTypeId: 'memory:inuse_space:bytes:space:bytes', profileCount: 8, aggregation: 'average' })).toBe(1 / 8);
  });
});

describe('level-of-detail helpers', () => {
  const tree = randomTree(2000, 11);

  it('exports what is shown as Pyroscope levels that decode back to the same frames (gaps, no "other")', () => {
    const frames = ok(new LodEngine().handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, 200) })).frames;
    const data = flameDataFromFrames(frames);
    expect(data.total).toBe(frames.totalValue);
    expect(data.names).not.toContain('other');
    const back = decodeLevels(data);
    expect(back.count).toBe(frames.count);
    expect(Array.from(back.startValue)).toEqual(Array.from(frames.startValue));
    expect(Array.from(back.totalValues)).toEqual(Array.from(frames.totalValues));
    expect(Array.from(back.parent)).toEqual(Array.from(frames.parent));
    // The lazy form the explorer hands to its exports reads the same.
    expect(JSON.parse(JSON.stringify(lazyFlameData(frames)))).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('counts the frames under a frame as a walk of parents does', () => {
    const frames = decodeLevels(flameGraphFromTree(tree, Number.MAX_SAFE_INTEGER).flamegraph);
    for (const f of [0, 1, 5, Math.floor(frames.count / 2), frames.count - 1]) {
      let brute = 0;
      for (let g = 0; g < frames.count; g++) {
        for (let a = frames.parent[g]!; a >= 0; a = frames.parent[a]!) {
          if (a === f) {
            brute++;
            break;
          }
        }
      }
      expect(framesUnder(frames, f)).toBe(brute);
      let visited = 0;
      forEachFrameUnder(frames, f, true, () => (visited++, true));
      expect(visited).toBe(brute + 1);
    }
  });

  it('hidden value is 0 for complete frames and never negative', () => {
    const frames = ok(new LodEngine().handle({ id: 1, kind: 'open', generation: 1, buffer: answer(tree, 50) })).frames as ViewFrames;
    const hidden = hiddenValuesOf(frames);
    for (let f = 0; f < frames.count; f++) {
      expect(hidden[f]).toBeGreaterThanOrEqual(0);
      if (frames.truncated[f] === 0) expect(hidden[f]).toBe(0);
      else expect(hidden[f]).toBeGreaterThan(0);
    }
  });

  it('asks widths in 128 px steps, within the server limit', () => {
    expect(requestWidthFor(0)).toBe(0);
    expect(requestWidthFor(1)).toBe(128);
    expect(requestWidthFor(1300)).toBe(1408);
    expect(requestWidthFor(100_000)).toBe(16384);
  });
});
