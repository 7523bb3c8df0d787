/**
 * Exports of the shown flame graph that need no server: Pyroscope flamebearer JSON, SVG, PNG and a
 * self-contained HTML file (data + a small canvas viewer inline, works offline). React-free.
 */
import type { FlameGraphData } from '@cinder/core';

/** The flamebearer shape Pyroscope's UI, `/pyroscope/render` and speedscope's importer read. */
export function flamebearerJson(data: FlameGraphData, profileTypeId: string, unit: string): string {
  const [, sampleType = ''] = profileTypeId.split(':');
  return JSON.stringify({
    version: 1,
    flamebearer: { names: data.names, levels: data.levels, numTicks: data.total, maxSelf: data.maxSelf },
    metadata: { format: 'single', spyName: '', sampleRate: sampleType === 'cpu' ? 1_000_000_000 : 100, units: unit, name: sampleType },
  });
}

// The SVG and HTML writers live in core so that `cinder query --format svg|html` writes the same files.
export { flameGraphSvg, selfContainedHtml } from '@cinder/core';

export function download(filename: string, content: Blob): void {
  const url = URL.createObjectURL(content);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
