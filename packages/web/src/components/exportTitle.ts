/**
 * What a snapshot or an exported file is called and the legend it carries: the service, profile
 * type, range and filters a person would need to tell two files apart (not a raw profile-type ID).
 */
import { colorForPackage, formatValue, packageOf, profileTypeDisplayName, type FlameFrames, type Matcher } from '@cinder/core';
import { formatDateTime } from '../state/time.js';

export function defaultExportTitle(input: { services: readonly string[]; profileTypeId: string; fromMs: number; untilMs: number; filters: readonly Matcher[]; profileCount?: number }): string {
  const services = input.services.length === 0 ? 'all services' : input.services.join(', ');
  const filters = input.filters.length > 0 ? ` · ${input.filters.map((f) => `${f.name}${f.op}"${f.value}"`).join(', ')}` : '';
  return `${services} · ${profileTypeDisplayName(input.profileTypeId)} · ${formatDateTime(input.fromMs)} → ${formatDateTime(input.untilMs)}${filters}`;
}

export interface LegendEntry {
  label: string;
  color: string;
}

/** The packages that take the most self value (what the colours mean), largest first, at most `limit`. */
export function packageLegend(frames: FlameFrames, limit = 6): LegendEntry[] {
  const selfByPackage = new Map<string, number>();
  for (let i = 0; i < frames.count; i++) {
    if (frames.depth[i] === 0) continue;
    const pkg = packageOf(frames.names[frames.nameIndex[i]!] ?? '');
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + frames.selfValues[i]!);
  }
  const total = frames.totalValue || 1;
  return [...selfByPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([pkg, self]) => ({ label: `${pkg || '(no package)'} ${((100 * self) / total).toFixed(1)} %`, color: colorForPackage(pkg) }));
}

/** "total 11.5 s · width = share of total · colour = package" (the line under the title). */
export function legendCaption(frames: FlameFrames, unit: string, aggregation: 'sum' | 'average' | undefined, profileCount: number | undefined): string {
  const plural = profileCount === 1 ? '' : 's';
  const counted = profileCount === undefined ? '' : aggregation === 'average' ? ` (average of ${profileCount} profile${plural})` : ` in ${profileCount} profile${plural}`;
  return `total ${formatValue(frames.totalValue, unit)}${counted} · box width = share of the total · colour = package:`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export const EXPORT_HEADER_CSS_PX = 52;

/** The flame-graph SVG under a header with the title, the caption and the package legend. */
export function svgWithHeader(innerSvg: string, widthCssPx: number, title: string, caption: string, legend: readonly LegendEntry[]): string {
  const heightMatch = /height="(\d+(?:\.\d+)?)"/.exec(innerSvg);
  const innerHeight = heightMatch ? Number(heightMatch[1]) : 0;
  const height = innerHeight + EXPORT_HEADER_CSS_PX;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthCssPx}" height="${height}" viewBox="0 0 ${widthCssPx} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#121212"/>`,
    `<text x="8" y="18" font-size="14" font-weight="600" fill="#e6e6e6" data-role="title">${escapeXml(title)}</text>`,
    `<text x="8" y="40" font-size="11" fill="#9a9a9a" data-role="legend">${escapeXml(caption)}</text>`,
  ];
  let x = 8 + caption.length * 5.6 + 10;
  for (const entry of legend) {
    parts.push(`<rect x="${x.toFixed(1)}" y="31" width="10" height="10" fill="${entry.color}"/>`);
    parts.push(`<text x="${(x + 14).toFixed(1)}" y="40" font-size="11" fill="#e6e6e6">${escapeXml(entry.label)}</text>`);
    x += 14 + entry.label.length * 6 + 14;
  }
  parts.push(`<g transform="translate(0 ${EXPORT_HEADER_CSS_PX})">${innerSvg}</g>`, '</svg>');
  return parts.join('');
}

/** Paints the same header on a canvas (PNG export). */
export function paintHeader(ctx: CanvasRenderingContext2D, widthCssPx: number, title: string, caption: string, legend: readonly LegendEntry[]): void {
  ctx.save();
  ctx.fillStyle = '#121212';
  ctx.fillRect(0, 0, widthCssPx, EXPORT_HEADER_CSS_PX);
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = '#e6e6e6';
  ctx.font = '600 14px system-ui, sans-serif';
  ctx.fillText(title, 8, 18, widthCssPx - 16);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#9a9a9a';
  ctx.fillText(caption, 8, 40);
  let x = 8 + ctx.measureText(caption).width + 10;
  for (const entry of legend) {
    const width = ctx.measureText(entry.label).width;
    if (x + 14 + width > widthCssPx) break;
    ctx.fillStyle = entry.color;
    ctx.fillRect(x, 31, 10, 10);
    ctx.fillStyle = '#e6e6e6';
    ctx.fillText(entry.label, x + 14, 40);
    x += 14 + width + 14;
  }
  ctx.restore();
}
