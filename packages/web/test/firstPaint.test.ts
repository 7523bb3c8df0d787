import { describe, expect, it } from 'vitest';
import { colorForFrameName, framesFromLodTree, searchFrames, viewportForFrame } from '@cinder/core';
import { fakeFetch, tree } from './lodFakeServer.js';
import { LodEngine } from '../src/flamegraph/lodEngine.js';
import { renderFlameGraph } from '../src/flamegraph/renderer.js';
import { compileSearchRegex } from '../src/flamegraph/regexEngine.js';
import { loadRegexEngine, searchFramesWith, substringTest } from '../src/flamegraph/search.js';
import { groupThousands } from '../src/components/Explorer.js';
import { RecordingContext } from './recordingContext.js';

/** Work moved off the explorer's first paint (issue 13) must give what it gave before. */
describe('search without the RE2 engine in the page bundle', () => {
  const frames = framesFromLodTree(tree);
  const queries = [
    { text: 'step', regex: false },
    { text: 'STEP01', regex: false },
    { text: 'main', regex: false },
    { text: 'tot', regex: false },
    { text: 'nothing-like-it', regex: false },
    { text: 'step0[0-4]', regex: true },
    { text: '^(serve|busy)$', regex: true },
    { text: 'HANDLE', regex: true },
    { text: '(unclosed', regex: true },
    { text: '(?=lookahead)', regex: true },
  ];
  for (const query of queries) {
    it(`equals core's searchFrames for ${query.regex ? 'regex' : 'text'} "${query.text}"`, () => {
      const expected = searchFrames(frames, query);
      let actual;
      if (query.regex) {
        const compiled = compileSearchRegex(query.text);
        actual = searchFramesWith(frames, compiled.test, compiled.error);
      } else {
        actual = searchFramesWith(frames, substringTest(query.text));
      }
      expect(actual).toEqual(expected);
    });
  }

  it('loads the engine on demand, once', async () => {
    const first = loadRegexEngine();
    expect(loadRegexEngine()).toBe(first);
    expect((await first).compileSearchRegex('a+').test!('xaay')).toBe(true);
  });
});

describe('frame colours derived in the worker', () => {
  it('are core colorForFrameName per name, and the renderer paints with them', async () => {
    const buffer = await (await fakeFetch([])('/api/v1/flamegraph?width=1000')).arrayBuffer();
    const answer = new LodEngine().handle({ id: 1, kind: 'open', generation: 1, buffer });
    if (!answer.ok) throw new Error(answer.message);
    const { frames } = answer;
    expect(Array.from(frames.nameColorIndex!, (index) => frames.colorPalette![index])).toEqual(frames.names.map(colorForFrameName));
    // Each colour once in the palette (it crosses from the worker as strings).
    expect(new Set(frames.colorPalette).size).toBe(frames.colorPalette!.length);
    // Colours handed in are what is drawn (a marker colour proves the renderer did not derive its own).
    const marked = { ...frames, nameColorIndex: new Uint32Array(frames.names.length), colorPalette: ['#123456'] };
    const ctx = new RecordingContext();
    renderFlameGraph(ctx, { frames: marked, viewport: viewportForFrame(marked, 0, 1000), heightCssPx: 400, scrollTopCssPx: 0, devicePixelRatio: 1, search: null, selectedFrame: -1, hoveredFrame: -1, highlightName: null });
    const fills = new Set(ctx.rects().map((rect) => rect.fillStyle));
    expect(fills.has('#123456')).toBe(true);
    expect([...fills].some((fill) => fill.startsWith('hsl('))).toBe(false);
  });

  it('are left to the renderer for a zoom splice (it colours only what it draws)', async () => {
    const engine = new LodEngine();
    const open = await (await fakeFetch([])('/api/v1/flamegraph?width=1000')).arrayBuffer();
    const zoom = await (await fakeFetch([])('/api/v1/flamegraph?width=1000&focus=main;busy')).arrayBuffer();
    expect(engine.handle({ id: 1, kind: 'open', generation: 1, buffer: open })).toMatchObject({ ok: true });
    const spliced = engine.handle({ id: 2, kind: 'splice', generation: 1, buffer: zoom });
    if (!spliced.ok) throw new Error(spliced.message);
    expect(spliced.frames.nameColorIndex).toBeUndefined();
    const ctx = new RecordingContext();
    renderFlameGraph(ctx, { frames: spliced.frames, viewport: viewportForFrame(spliced.frames, 0, 1000), heightCssPx: 400, scrollTopCssPx: 0, devicePixelRatio: 1, search: null, selectedFrame: -1, hoveredFrame: -1, highlightName: null });
    expect(ctx.rects().some((rect) => rect.fillStyle === colorForFrameName('main'))).toBe(true);
  });
});

describe('groupThousands', () => {
  it('writes counts as toLocaleString("en-US") does', () => {
    for (const count of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 12_345_678, -4321]) expect(groupThousands(count)).toBe(count.toLocaleString('en-US'));
  });
});
