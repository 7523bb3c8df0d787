/**
 * Grafana link resolution for the Profiling page header (spec: profiling-page.md, "Configuration").
 */

export const DEFAULT_GRAFANA_URL = '/grafana';

export interface BrowserLocation {
  hostname: string;
}

/**
 * - relative path (`/grafana`) → as is
 * - absolute URL on localhost / 127.0.0.1 → the browser's hostname, same port, http:
 *   (a config written for the server's own machine must still work from a laptop on the LAN)
 * - any other absolute URL → unchanged; unparsable → unchanged; missing/empty → `/grafana`
 */
export function resolveGrafanaUrl(raw: string | null | undefined, location: BrowserLocation): string {
  if (raw === undefined || raw === null || raw.trim() === '') return DEFAULT_GRAFANA_URL;
  const value = raw.trim();
  if (value.startsWith('/')) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (url.hostname === 'localhost' || url.hostname === '127.0.0.1') {
    const port = url.port ? `:${url.port}` : '';
    const rest = `${url.pathname}${url.search}${url.hash}`;
    return `http://${location.hostname}${port}${rest === '/' && !value.endsWith('/') ? '' : rest}`;
  }
  return value;
}

function trimSlash(base: string): string {
  return base.replace(/\/+$/, '');
}

export function grafanaDashboardUrl(grafanaBase: string): string {
  return `${trimSlash(grafanaBase)}/d/hsi-profiling/hsi-profiling?orgId=1&theme=dark`;
}

export function grafanaExploreUrl(grafanaBase: string): string {
  return `${trimSlash(grafanaBase)}/explore?orgId=1&theme=dark&left=${encodeURIComponent('{"datasource":"Pyroscope"}')}`;
}

/** The full Cinder UI at the server's public URL ("" = this page's origin). Never a hard-coded localhost. */
export function cinderUiUrl(publicUrl: string | undefined, origin: string): string {
  const base = publicUrl && publicUrl.trim() !== '' ? trimSlash(publicUrl.trim()) : trimSlash(origin);
  return `${base}/explore`;
}
