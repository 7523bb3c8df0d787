/** Export the shown flame graph: pprof, folded, speedscope and .cpuprofile from the server; flamebearer JSON, SVG, PNG, HTML here. */
import { useEffect, useRef, useState, type JSX } from 'react';
import { isCpuprofileUnit, viewportForFrame, type FlameFrames, type FlameGraphData } from '@cinder/core';
import { isAbort, type ApiClient } from '../api/client.js';
import { download, flameGraphSvg, flamebearerJson, selfContainedHtml } from '../flamegraph/exports.js';
import { MAX_CANVAS_SIDE_DEVICE_PX, ROW_HEIGHT_CSS_PX, renderFlameGraph } from '../flamegraph/renderer.js';
import { formatDateTime } from '../state/time.js';

export interface ExportMenuProps {
  client: ApiClient;
  query: string;
  fromMs: number;
  untilMs: number;
  profileTypeId: string;
  unit: string;
  data: FlameGraphData;
  frames: FlameFrames;
}

const WIDTH_CSS_PX = 1200;

function pngOf(frames: FlameFrames): Promise<Blob> {
  const canvas = document.createElement('canvas');
  const heightCssPx = Math.min(frames.rowCount * ROW_HEIGHT_CSS_PX, MAX_CANVAS_SIDE_DEVICE_PX);
  canvas.width = WIDTH_CSS_PX;
  canvas.height = heightCssPx;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#121212';
  ctx.fillRect(0, 0, WIDTH_CSS_PX, heightCssPx);
  renderFlameGraph(ctx, {
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
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode a PNG'))), 'image/png'));
}

export function ExportMenu(props: ExportMenuProps): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  // A newer export (or leaving the page) cancels a server export still downloading.
  const pending = useRef<AbortController | null>(null);
  useEffect(() => () => pending.current?.abort(), []);
  const base = `cinder-${props.profileTypeId.split(':')[0] ?? 'profile'}`;
  const run = async (format: string): Promise<void> => {
    setError(null);
    try {
      if (format === 'pprof' || format === 'folded' || format === 'speedscope' || format === 'cpuprofile') {
        pending.current?.abort();
        const controller = new AbortController();
        pending.current = controller;
        const file = await props.client.flameGraphFile(
          { query: props.query, fromMs: props.fromMs, untilMs: props.untilMs, format: format === 'folded' ? 'collapsed' : format },
          controller.signal,
        );
        const extension = { pprof: 'pb', folded: 'folded.txt', speedscope: 'speedscope.json', cpuprofile: 'cpuprofile' }[format];
        download(`${base}.${extension}`, file);
      } else if (format === 'json') {
        download(`${base}.flamebearer.json`, new Blob([flamebearerJson(props.data, props.profileTypeId, props.unit)], { type: 'application/json' }));
      } else if (format === 'svg') {
        download(`${base}.svg`, new Blob([flameGraphSvg(props.frames, props.unit, WIDTH_CSS_PX)], { type: 'image/svg+xml' }));
      } else if (format === 'png') {
        download(`${base}.png`, await pngOf(props.frames));
      } else if (format === 'html') {
        download(`${base}.html`, new Blob([selfContainedHtml(props.data, `${props.profileTypeId} ${formatDateTime(props.fromMs)} → ${formatDateTime(props.untilMs)}`, props.unit)], { type: 'text/html' }));
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
        <option value="pprof">pprof</option>
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
