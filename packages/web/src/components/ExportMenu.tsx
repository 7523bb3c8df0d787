/** Export the shown flame graph: pprof, folded, speedscope and .cpuprofile from the server; flamebearer JSON, SVG, PNG, HTML here. */
import { useEffect, useRef, useState, type JSX } from 'react';
import {
  collapsedFromTree,
  colorForFrameName,
  cpuprofileJsonFromTree,
  frameName,
  isCpuprofileUnit,
  speedscopeFromTree,
  viewportForFrame,
  type CallTree,
  type FlameFrames,
  type FlameGraphData,
} from '@cinder/core';
import { isAbort, type ApiClient } from '../api/client.js';
import { download, flameGraphSvg, flamebearerJson, selfContainedHtml } from '../flamegraph/exports.js';
import { MAX_CANVAS_SIDE_DEVICE_PX, ROW_HEIGHT_CSS_PX, renderFlameGraph } from '../flamegraph/renderer.js';
import { EXPORT_HEADER_CSS_PX, legendCaption, packageLegend, paintHeader, svgWithHeader } from './exportTitle.js';

export interface ExportMenuProps {
  client: ApiClient;
  /** null = not stored data (a file opened on /upload): folded, speedscope and .cpuprofile are written here from `localTree`, pprof is not offered. */
  query: string | null;
  localTree?: CallTree;
  fromMs: number;
  untilMs: number;
  profileTypeId: string;
  unit: string;
  data: FlameGraphData;
  frames: FlameFrames;
  /** Written into the PNG, SVG and HTML (see exportTitle.ts; the person may have edited it). */
  title: string;
  aggregation?: 'sum' | 'average';
  profileCount?: number;
  /** The view's frame filters: server-encoded files are filtered like the graph on screen. */
  frameFilters?: readonly string[];
}

const WIDTH_CSS_PX = 1200;

function pngOf(frames: FlameFrames, header: { title: string; caption: string }): Promise<Blob> {
  const heightCssPx = Math.min(frames.rowCount * ROW_HEIGHT_CSS_PX, MAX_CANVAS_SIDE_DEVICE_PX - EXPORT_HEADER_CSS_PX);
  // The renderer owns its canvas (it sets the transform and clears), so the graph is drawn apart and placed under the header.
  const graph = document.createElement('canvas');
  graph.width = WIDTH_CSS_PX;
  graph.height = heightCssPx;
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH_CSS_PX;
  canvas.height = heightCssPx + EXPORT_HEADER_CSS_PX;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#121212';
  ctx.fillRect(0, 0, WIDTH_CSS_PX, canvas.height);
  paintHeader(ctx, WIDTH_CSS_PX, header.title, header.caption, packageLegend(frames));
  renderFlameGraph(graph.getContext('2d')!, {
    frames,
    viewport: viewportForFrame(frames, 0, WIDTH_CSS_PX),
    heightCssPx,
    scrollTopCssPx: 0,
    devicePixelRatio: 1,
    search: null,
    selectedFrame: -1,
    hoveredFrame: -1,
    highlightName: null,
  });
  ctx.drawImage(graph, 0, EXPORT_HEADER_CSS_PX);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode a PNG'))), 'image/png'));
}

export function ExportMenu(props: ExportMenuProps): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  // A newer export (or leaving the page) cancels a server export still downloading.
  const pending = useRef<AbortController | null>(null);
  useEffect(() => () => pending.current?.abort(), []);
  // The title names the file too, so two downloads of different services do not both read "cinder-process_cpu".
  const base = `cinder-${props.title.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || (props.profileTypeId.split(':')[0] ?? 'profile')}`;
  const caption = legendCaption(props.frames, props.unit, props.aggregation, props.profileCount);
  const run = async (format: string): Promise<void> => {
    setError(null);
    try {
      const extension = { pprof: 'pb', folded: 'folded.txt', speedscope: 'speedscope.json', cpuprofile: 'cpuprofile' }[format];
      if (props.query === null && props.localTree && extension && format !== 'pprof') {
        const tree = props.localTree;
        const text =
          format === 'folded'
            ? collapsedFromTree(tree)
            : format === 'speedscope'
              ? speedscopeFromTree(tree, { name: props.title, unit: props.unit })
              : cpuprofileJsonFromTree(tree, { unit: props.unit, startTimeUs: props.fromMs * 1000 });
        download(`${base}.${extension}`, new Blob([text], { type: format === 'folded' ? 'text/plain' : 'application/json' }));
      } else if (props.query !== null && (format === 'pprof' || format === 'folded' || format === 'speedscope' || format === 'cpuprofile')) {
        pending.current?.abort();
        const controller = new AbortController();
        pending.current = controller;
        const file = await props.client.flameGraphFile(
          { query: props.query, fromMs: props.fromMs, untilMs: props.untilMs, format: format === 'folded' ? 'collapsed' : format, frameFilters: props.frameFilters },
          controller.signal,
        );
        download(`${base}.${extension}`, file);
      } else if (format === 'json') {
        download(`${base}.flamebearer.json`, new Blob([flamebearerJson(props.data, props.profileTypeId, props.unit)], { type: 'application/json' }));
      } else if (format === 'svg') {
        const svg = svgWithHeader(flameGraphSvg(props.frames, props.unit, WIDTH_CSS_PX), WIDTH_CSS_PX, props.title, caption, packageLegend(props.frames));
        download(`${base}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
      } else if (format === 'png') {
        download(`${base}.png`, await pngOf(props.frames, { title: props.title, caption }));
      } else if (format === 'html') {
        // The app's colours per frame (decodeLevels order is the file's frame order).
        const frameColors = Array.from({ length: props.frames.count }, (_, i) => colorForFrameName(frameName(props.frames, i)));
        download(`${base}.html`, new Blob([selfContainedHtml(props.data, props.title, props.unit, { frameColors })], { type: 'text/html' }));
      }
    } catch (caught) {
      if (isAbort(caught)) return;
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <span className="export-menu">
      <select
        aria-label="Export"
        value=""
        data-testid="export-select"
        onChange={(event) => {
          const format = event.target.value;
          event.target.value = '';
          void run(format);
        }}
      >
        <option value="">Export…</option>
        {props.query !== null ? <option value="pprof">pprof</option> : null}
        <option value="folded">folded text</option>
        <option value="speedscope">speedscope JSON</option>
        {isCpuprofileUnit(props.unit) ? <option value="cpuprofile">Chrome .cpuprofile</option> : null}
        <option value="json">flamebearer JSON</option>
        <option value="png">PNG</option>
        <option value="svg">SVG</option>
        <option value="html">HTML (offline, interactive)</option>
      </select>
      {error ? (
        <span className="hint error-text" role="alert">
          export failed: {error}
        </span>
      ) : null}
    </span>
  );
}
