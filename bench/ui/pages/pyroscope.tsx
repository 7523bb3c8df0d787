// @pyroscope/flamegraph (the React component Pyroscope's UI and Grafana's old panel used).
import React from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { FlamegraphRenderer } from '@pyroscope/flamegraph';
import '@pyroscope/flamegraph/dist/index.css';

function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
}

(window as any).benchRender = async (text: string) => {
  const host = document.createElement('div');
  host.style.width = '1200px';
  document.body.appendChild(host);
  const start = performance.now();
  const data = JSON.parse(text) as { names: string[]; levels: number[][]; total: number; maxSelf: number };
  const profile = {
    version: 1,
    flamebearer: { names: data.names, levels: data.levels, numTicks: data.total, maxSelf: data.maxSelf },
    metadata: { format: 'single', spyName: '', sampleRate: 100, units: 'samples', name: 'cpu' },
  };
  const root = createRoot(host);
  flushSync(() => root.render(React.createElement(FlamegraphRenderer as any, { profile, showToolbar: false, onlyDisplay: 'flamegraph' })));
  const firstPaintMs = (await nextFrame()) - start;
  const canvas = host.querySelector('canvas');
  const zoomMs: number[] = [];
  if (canvas) {
    const rect = canvas.getBoundingClientRect();
    for (let i = 0; i < 10; i++) {
      await nextFrame();
      const t0 = performance.now();
      // Click a frame on row 2 (zoom), then the root (reset) on odd rounds.
      const y = rect.top + (i % 2 === 0 ? 2.5 : 0.5) * 18;
      canvas.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: rect.left + rect.width * 0.3, clientY: y }));
      zoomMs.push((await nextFrame()) - t0);
    }
  }
  return { firstPaintMs, zoomMs, nodes: data.levels.reduce((n, l) => n + l.length / 4, 0) };
};
