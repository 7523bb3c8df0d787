// d3-flame-graph (SVG, one element per frame), transitions off so frames measure drawing only.
import { select } from 'd3';
import flamegraph from 'd3-flame-graph';
import '../node_modules/d3-flame-graph/dist/d3-flamegraph.css';

function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
}

(window as any).benchRender = async (text: string) => {
  const host = document.createElement('div');
  host.id = 'chart';
  document.body.appendChild(host);
  const chart = (flamegraph as any)().width(1200).cellHeight(18).transitionDuration(0).minFrameSize(1);
  const start = performance.now();
  const tree = JSON.parse(text);
  select(host).datum(tree).call(chart);
  const firstPaintMs = (await nextFrame()) - start;
  const zoomMs: number[] = [];
  const root = select(host).select('g').datum() as any;
  const targets = (root?.descendants?.() ?? []).filter((d: any) => d.depth >= 2 && d.depth <= 4).sort((a: any, b: any) => b.value - a.value).slice(0, 10);
  for (const node of targets) {
    await nextFrame();
    const t0 = performance.now();
    chart.zoomTo(node);
    zoomMs.push((await nextFrame()) - t0);
  }
  return { firstPaintMs, zoomMs, nodes: root?.descendants?.().length ?? 0 };
};
