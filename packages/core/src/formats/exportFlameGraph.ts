/**
 * Single-file exports of a flame graph that need no server and no browser: SVG (every row,
 * sub-pixel frames merged, a <title> per box) and a self-contained HTML file (the flamebearer data
 * and a small canvas viewer inline; works offline). Used by the web UI's export menu and by
 * `cinder query|diff --format svg|html`, so both write the same files.
 *
 * `frameColors` / `frameNotes` (per frame, in decodeLevels order) let a diff paint each frame by
 * its change and say it in the tooltip; without them frames are coloured by package.
 */
import type { FlameGraphData } from '../api.js';
import { colorForFrameName, formatValue } from '../flamegraph/format.js';
import { frameName, viewportForFrame, visibleRects, type FlameFrames } from '../flamegraph/layout.js';

/** The web renderer's row height (packages/web/src/flamegraph/renderer.ts ROW_HEIGHT_CSS_PX). */
export const DEFAULT_ROW_HEIGHT_CSS_PX = 18;

export interface FlameGraphExportOptions {
  rowHeightCssPx?: number;
  /** CSS colour per frame (decodeLevels order); null/undefined entries fall back to the package colour. */
  frameColors?: readonly (string | null)[];
  /** Extra tooltip text per frame, e.g. "+12.5 %". */
  frameNotes?: readonly string[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The whole graph (every row), sub-pixel frames merged, with a <title> per box for hover. */
export function flameGraphSvg(frames: FlameFrames, unit: string, widthCssPx = 1200, options: FlameGraphExportOptions = {}): string {
  const rowHeight = options.rowHeightCssPx ?? DEFAULT_ROW_HEIGHT_CSS_PX;
  const viewport = viewportForFrame(frames, 0, widthCssPx);
  const rects = visibleRects(frames, viewport, { firstDepth: 0, lastDepth: frames.rowCount - 1, mergeBelowCssPx: 0.5 });
  const heightCssPx = frames.rowCount * rowHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthCssPx}" height="${heightCssPx}" viewBox="0 0 ${widthCssPx} ${heightCssPx}" font-family="ui-monospace, Menlo, monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#121212"/>`,
  ];
  const charWidth = 6.6;
  for (const rect of rects) {
    const name = frameName(frames, rect.frameIndex);
    const y = rect.depth * rowHeight;
    const width = Math.max(rect.cssWidth - (rect.mergedCount > 1 ? 0 : 1), 0.5);
    const fill = rect.mergedCount > 1 ? '#555555' : (options.frameColors?.[rect.frameIndex] ?? colorForFrameName(name));
    const note = options.frameNotes?.[rect.frameIndex];
    const title = rect.mergedCount > 1 ? `${rect.mergedCount} small frames` : `${name}: ${formatValue(frames.totalValues[rect.frameIndex]!, unit)}${note ? ` (${note})` : ''}`;
    parts.push(`<g><title>${escapeXml(title)}</title><rect x="${rect.cssX.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${rowHeight - 1}" fill="${fill}"/>`);
    const fit = Math.floor((width - 6) / charWidth);
    if (rect.mergedCount === 1 && fit >= 3) {
      const label = name.length <= fit ? name : `${name.slice(0, fit - 1)}…`;
      parts.push(`<text x="${(rect.cssX + 3).toFixed(2)}" y="${y + 12}" fill="#111111">${escapeXml(label)}</text>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * One HTML file: the flamebearer data and a ~50-line canvas viewer (click to zoom, hover for
 * values, Esc to reset). No network, no external scripts: its own CSP forbids every fetch, so a
 * frame name can never make the file call out.
 */
export function selfContainedHtml(data: FlameGraphData, title: string, unit: string, options: FlameGraphExportOptions = {}): string {
  const payload = JSON.stringify({
    names: data.names,
    levels: data.levels,
    total: data.total,
    unit,
    // The app's package colours by default (one hue per package), not a second colour scheme of the file's own.
    colors: options.frameColors ?? data.levels.flatMap((level) => {
      const colors: string[] = [];
      for (let i = 0; i + 3 < level.length; i += 4) colors.push(colorForFrameName(data.names[level[i + 3]!] ?? ''));
      return colors;
    }),
    ...(options.frameNotes ? { notes: options.frameNotes } : {}),
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<title>${escapeXml(title)}</title>
<style>body{margin:0;background:#121212;color:#e6e6e6;font:13px system-ui,sans-serif}header{padding:10px 14px}canvas{display:block}#tip{position:fixed;pointer-events:none;background:#000d;padding:4px 8px;border-radius:4px;display:none}</style>
</head><body><header><strong>${escapeXml(title)}</strong> <span id="info"></span> · click to zoom, Esc to reset</header>
<canvas id="fg" data-testid="export-canvas"></canvas><div id="tip"></div>
<script id="data" type="application/json">${payload}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('data').textContent);
  var frames = [];
  d.levels.forEach(function (level, depth) {
    var end = 0;
    for (var i = 0; i + 3 < level.length; i += 4) {
      var x = end + level[i];
      frames.push({ depth: depth, x: x, total: level[i + 1], self: level[i + 2], name: d.names[level[i + 3]], color: d.colors ? d.colors[frames.length] : null, note: d.notes ? d.notes[frames.length] : '' });
      end = x + level[i + 1];
    }
  });
  var canvas = document.getElementById('fg'), ctx = canvas.getContext('2d'), tip = document.getElementById('tip');
  var row = 18, focus = frames[0], shown = [];
  function hue(name) { var h = 2166136261; var pkg = name.split(/[./:]/)[0]; for (var i = 0; i < pkg.length; i++) { h ^= pkg.charCodeAt(i); h = Math.imul(h, 16777619); } return 'hsl(' + ((h >>> 0) % 55) + ',70%,55%)'; }
  // formatValue (flamegraph/format.ts) line for line, so the file reads "4.56 min", not "273362.3 ms" (test/formats/exportFlameGraph.test.ts compares them).
  function trim(v) { if (v === 0) return '0'; var a = Math.abs(v), f = v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2); return f.indexOf('.') >= 0 ? f.replace(/\\.?0+$/, '') : f; }
  function fmt(v) {
    var u = d.unit, a = Math.abs(v), t = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 }[u];
    if (t) { var ns = v * t, an = a * t; return an < 1e3 ? trim(ns) + ' ns' : an < 1e6 ? trim(ns / 1e3) + ' \u00b5s' : an < 1e9 ? trim(ns / 1e6) + ' ms' : an < 60e9 ? trim(ns / 1e9) + ' s' : an < 3600e9 ? trim(ns / 60e9) + ' min' : trim(ns / 3600e9) + ' h'; }
    if (u === 'bytes') { var steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], x = v, i = 0; while (Math.abs(x) >= 1024 && i < steps.length - 1) { x /= 1024; i++; } return trim(x) + ' ' + steps[i]; }
    var suffix = u === 'count' || u === '' ? '' : ' ' + u;
    return a < 1e3 ? trim(v) + suffix : a < 1e6 ? trim(v / 1e3) + 'k' + suffix : a < 1e9 ? trim(v / 1e6) + 'M' + suffix : trim(v / 1e9) + 'G' + suffix;
  }
  function draw() {
    var width = window.innerWidth, scale = width / focus.total, rows = d.levels.length;
    canvas.width = width; canvas.height = rows * row;
    ctx.font = '11px monospace'; ctx.textBaseline = 'middle'; shown = [];
    frames.forEach(function (f) {
      if (f.x + f.total <= focus.x || f.x >= focus.x + focus.total) return;
      if (f.depth < focus.depth && !(f.x <= focus.x && f.x + f.total >= focus.x + focus.total)) return;
      var x = (Math.max(f.x, focus.x) - focus.x) * scale, w = (Math.min(f.x + f.total, focus.x + focus.total) - Math.max(f.x, focus.x)) * scale;
      if (w < 0.5) return;
      ctx.fillStyle = f.color || (f.depth === 0 ? '#737373' : hue(f.name)); ctx.fillRect(x, f.depth * row, Math.max(w - 1, 0.5), row - 1);
      if (w > 30) { ctx.fillStyle = '#111'; ctx.fillText(f.name.slice(0, Math.floor((w - 6) / 6.6)), x + 3, f.depth * row + row / 2); }
      shown.push({ f: f, x: x, w: w });
    });
    document.getElementById('info').textContent = 'total ' + fmt(d.total) + (focus.depth ? ' · zoomed: ' + focus.name : '');
  }
  function at(e) { var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, depth = Math.floor((e.clientY - r.top) / row); for (var i = 0; i < shown.length; i++) { var s = shown[i]; if (s.f.depth === depth && x >= s.x && x < s.x + s.w) return s.f; } return null; }
  canvas.addEventListener('click', function (e) { var f = at(e); if (f) { focus = f; draw(); } });
  canvas.addEventListener('mousemove', function (e) { var f = at(e); if (!f) { tip.style.display = 'none'; return; } tip.style.display = 'block'; tip.style.left = e.clientX + 12 + 'px'; tip.style.top = e.clientY + 12 + 'px'; tip.textContent = f.name + ': ' + fmt(f.total) + ' (' + (100 * f.total / d.total).toFixed(2) + '%)' + (f.note ? ' · ' + f.note : ''); });
  window.addEventListener('keydown', function (e) { if (e.key === 'Escape') { focus = frames[0]; draw(); } });
  window.addEventListener('resize', draw);
  window.cinderExport = { frames: frames.length, zoom: function (name) { for (var i = 0; i < frames.length; i++) if (frames[i].name === name) { focus = frames[i]; draw(); return true; } return false; }, focused: function () { return focus.name; } };
  draw();
})();
</script></body></html>`;
}
