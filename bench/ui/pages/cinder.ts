// Cinder's renderer, bundled from the web package's sources (the same code the UI draws with).
import { decodeLevels, viewportForFrame, type FlameGraphData } from '@cinder/core';
import { renderFlameGraph } from '../../../packages/web/src/flamegraph/renderer.js';

const WIDTH = 1200;
const HEIGHT = 800;

function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
}

(window as unknown as Record<string, unknown>).benchRender = async (text: string) => {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('2d')!;
  // Timed from the text in memory, parse included, as for every renderer.
  const start = performance.now();
  const data = JSON.parse(text) as FlameGraphData;
  const frames = decodeLevels(data);
  const draw = (frame: number): void => {
    renderFlameGraph(ctx, {
      frames,
      viewport: viewportForFrame(frames, frame, WIDTH),
      heightCssPx: HEIGHT,
      scrollTopCssPx: 0,
      devicePixelRatio: 1,
      search: null,
      selectedFrame: -1,
      hoveredFrame: -1,
      highlightName: null,
    });
  };
  draw(0);
  const firstPaintMs = (await nextFrame()) - start;
  // Zoom into the ten largest frames at depth 2..4 and back, one frame each.
  const candidates: number[] = [];
  for (let f = 0; f < frames.count; f++) if (frames.depth[f]! >= 2 && frames.depth[f]! <= 4) candidates.push(f);
  candidates.sort((a, b) => frames.totalValues[b]! - frames.totalValues[a]!);
  const zoomMs: number[] = [];
  const drawMs: number[] = [];
  for (const frame of candidates.slice(0, 10)) {
    await nextFrame();
    const t0 = performance.now();
    draw(frame);
    drawMs.push(performance.now() - t0);
    zoomMs.push((await nextFrame()) - t0);
  }
  return { firstPaintMs, zoomMs, drawMs, nodes: frames.count };
};
