/**
 * The only module of the UI that calls fetch. Every call takes an AbortSignal so a newer request
 * (new service, new range, a keystroke in a filter) cancels the one it replaces instead of racing it.
 */
import type {
  AlertsResponse,
  DeliveryLogEntry,
  RuleSeriesResponse,
  RuleView,
  DiffResponse,
  Snapshot,
  SnapshotMeta,
  ApiErrorBody,
  AppConfig,
  FlameGraphResponse,
  HeatmapProfilesResponse,
  HeatmapResponse,
  SandwichResponse,
  ServiceInfo,
  TimelineResponse,
} from '@cinder/core';

export type { HeatmapProfilesResponse, HeatmapResponse };

/** Why a request failed, in the terms the UI shows: the server could not be reached, or it said no. */
export type ApiErrorKind = 'unreachable' | 'http' | 'aborted' | 'malformed';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof ApiError ? error.kind === 'aborted' : error instanceof DOMException && error.name === 'AbortError';
}

export interface ApiClientOptions {
  /** Base URL of the Cinder server; "" = same origin as the page. */
  baseUrl?: string;
  /** Where the app config comes from; the host app may point the page at its own config endpoint. */
  configUrl?: string;
  fetchImpl?: typeof fetch;
}

type Params = Record<string, string | number | undefined>;

export class ApiClient {
  private readonly baseUrl: string;
  private readonly configUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
    this.configUrl = options.configUrl ?? `${this.baseUrl}/api/v1/config`;
    // Bound so `this` is the window when the global fetch is used (an unbound call throws "Illegal invocation").
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  }

  url(path: string, params: Params = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
    const query = search.toString();
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`;
  }

  /** Sends the request; a failure (network, abort, non-2xx) becomes an ApiError, so callers only see good answers. */
  private async send(url: string, signal: AbortSignal, init: { method?: string; body?: string; accept: string }): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        signal,
        method: init.method ?? 'GET',
        headers: init.body !== undefined ? { accept: init.accept, 'content-type': 'application/json' } : { accept: init.accept },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
    } catch (error) {
      throw this.failure(error, signal, 'unreachable', `Cannot reach the Cinder server (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (!response.ok) {
      let text = '';
      try {
        text = await response.text();
      } catch (error) {
        throw this.failure(error, signal, 'unreachable', `The connection to the server broke while reading its answer (${String(error)}).`);
      }
      let body: Partial<ApiErrorBody> = {};
      try {
        body = JSON.parse(text) as Partial<ApiErrorBody>;
      } catch {
        // A proxy's HTML error page: keep the status line as the message.
      }
      // 502/503/504 from a proxy in front of a stopped server read as "unreachable" to a person.
      const kind: ApiErrorKind = response.status >= 502 && response.status <= 504 && !body.code ? 'unreachable' : 'http';
      throw new ApiError(kind, body.message ?? `${response.status} ${response.statusText || 'error'}`.trim(), response.status, body.code ?? null);
    }
    return response;
  }

  private failure(error: unknown, signal: AbortSignal, kind: ApiErrorKind, message: string): ApiError {
    if (signal.aborted || (error instanceof DOMException && error.name === 'AbortError')) return new ApiError('aborted', 'request cancelled');
    return new ApiError(kind, message);
  }

  private async getJson<T>(url: string, signal: AbortSignal, init: { method?: string; body?: string } = {}): Promise<T> {
    const response = await this.send(url, signal, { ...init, accept: 'application/json' });
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.failure(error, signal, 'unreachable', `The connection to the server broke while reading its answer (${String(error)}).`);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('malformed', `The server answered ${url} with something that is not JSON.`, response.status);
    }
  }

  private async getBlob(url: string, signal: AbortSignal, accept: string): Promise<Blob> {
    const response = await this.send(url, signal, { accept });
    try {
      return await response.blob();
    } catch (error) {
      throw this.failure(error, signal, 'unreachable', `The connection to the server broke while reading its answer (${String(error)}).`);
    }
  }

  config(signal: AbortSignal): Promise<AppConfig> {
    return this.getJson<AppConfig>(this.configUrl, signal);
  }

  async services(fromMs: number, untilMs: number, signal: AbortSignal): Promise<ServiceInfo[]> {
    const body = await this.getJson<{ services: ServiceInfo[] }>(this.url('/api/v1/services', { from: fromMs, until: untilMs }), signal);
    return body.services ?? [];
  }

  flameGraph(
    request: {
      query: string;
      fromMs: number;
      untilMs: number;
      maxNodes?: number;
      focus?: string;
      traceId?: string;
      spanId?: string;
      profileIds?: readonly string[];
      frameFilters?: readonly string[];
    },
    signal: AbortSignal,
  ): Promise<FlameGraphResponse> {
    return this.getJson(
      withFrameFilters(request.frameFilters, this.url('/api/v1/flamegraph', {
        query: request.query,
        from: request.fromMs,
        until: request.untilMs,
        maxNodes: request.maxNodes,
        focus: request.focus,
        traceId: request.traceId,
        spanId: request.spanId,
        profileId: request.profileIds && request.profileIds.length > 0 ? request.profileIds.join(',') : undefined,
      })),
      signal,
    );
  }

  /**
   * The level-of-detail flame graph (format=tree, core flamegraph/treeWire.ts): the nodes at least one
   * pixel wide at `widthCssPx` under the view root (`focus`, or everything), exact values, the exact top
   * table in the header (and the exact search totals when `search` is set). Bytes: decoding belongs to
   * the flame-graph worker (flamegraph/lodWorker.ts).
   */
  async flameGraphTree(
    request: {
      query: string;
      fromMs: number;
      untilMs: number;
      widthCssPx: number;
      focus?: readonly string[];
      search?: { text: string; regex: boolean };
      topLimit?: number;
      profileIds?: readonly string[];
      frameFilters?: readonly string[];
    },
    signal: AbortSignal,
  ): Promise<ArrayBuffer> {
    const url = withFrameFilters(request.frameFilters, this.url('/api/v1/flamegraph', {
      query: request.query,
      from: request.fromMs,
      until: request.untilMs,
      format: 'tree',
      width: Math.max(1, Math.min(16384, Math.round(request.widthCssPx))),
      ...focusParams(request.focus),
      search: request.search?.text,
      searchRegex: request.search?.regex ? '1' : undefined,
      topLimit: request.topLimit,
      profileId: request.profileIds && request.profileIds.length > 0 ? request.profileIds.join(',') : undefined,
    }));
    const response = await this.send(url, signal, { accept: 'application/vnd.cinder.tree' });
    try {
      return await response.arrayBuffer();
    } catch (error) {
      throw this.failure(error, signal, 'unreachable', `The connection to the server broke while reading its answer (${String(error)}).`);
    }
  }

  /** The selection as a file the server encodes: pprof protobuf (for `go tool pprof`), folded text, speedscope JSON or a Chrome `.cpuprofile`. */
  flameGraphFile(
    request: { query: string; fromMs: number; untilMs: number; format: 'pprof' | 'collapsed' | 'speedscope' | 'cpuprofile'; frameFilters?: readonly string[] },
    signal: AbortSignal,
  ): Promise<Blob> {
    return this.getBlob(
      withFrameFilters(request.frameFilters, this.url('/api/v1/flamegraph', { query: request.query, from: request.fromMs, until: request.untilMs, format: request.format })),
      signal,
      request.format === 'pprof' ? 'application/octet-stream' : request.format === 'collapsed' ? 'text/plain' : 'application/json',
    );
  }

  /** The selection as folded text (`a;b;c 3` lines), for diffing in the browser against a local file. */
  async flameGraphCollapsed(request: { query: string; fromMs: number; untilMs: number }, signal: AbortSignal): Promise<string> {
    return (await this.flameGraphFile({ ...request, format: 'collapsed' }, signal)).text();
  }

  createSnapshot(
    request: { query: string; fromMs: number; untilMs: number; focus?: string; title?: string; viewUrl: string; frameFilters?: readonly string[]; profileIds?: readonly string[] },
    signal: AbortSignal,
  ): Promise<SnapshotMeta & { url: string }> {
    const body = {
      query: request.query,
      from: request.fromMs,
      until: request.untilMs,
      focus: request.focus,
      title: request.title,
      viewUrl: request.viewUrl,
      maxNodes: 16384,
      // As /api/v1/flamegraph's `filter` and `profileId`, so the snapshot is the graph on screen.
      ...(request.frameFilters?.length ? { filter: request.frameFilters } : {}),
      ...(request.profileIds?.length ? { profileId: request.profileIds } : {}),
    };
    return this.getJson(this.url('/api/v1/snapshots'), signal, { method: 'POST', body: JSON.stringify(body) });
  }

  snapshot(id: string, signal: AbortSignal): Promise<Snapshot> {
    return this.getJson(this.url(`/api/v1/snapshots/${encodeURIComponent(id)}`), signal);
  }

  async snapshots(signal: AbortSignal): Promise<SnapshotMeta[]> {
    return (await this.getJson<{ snapshots: SnapshotMeta[] }>(this.url('/api/v1/snapshots'), signal)).snapshots ?? [];
  }

  deleteSnapshot(id: string, signal: AbortSignal): Promise<void> {
    return this.getJson(this.url(`/api/v1/snapshots/${encodeURIComponent(id)}`), signal, { method: 'DELETE' });
  }

  diff(
    request: {
      baseline: string;
      baselineFromMs: number;
      baselineUntilMs: number;
      comparison: string;
      comparisonFromMs: number;
      comparisonUntilMs: number;
      mode: 'absolute' | 'relative';
      normalize: boolean;
      maxNodes?: number;
    },
    signal: AbortSignal,
  ): Promise<DiffResponse> {
    return this.getJson(
      this.url('/api/v1/diff', {
        baseline: request.baseline,
        baselineFrom: request.baselineFromMs,
        baselineUntil: request.baselineUntilMs,
        comparison: request.comparison,
        comparisonFrom: request.comparisonFromMs,
        comparisonUntil: request.comparisonUntilMs,
        mode: request.mode,
        normalize: request.normalize ? 'duration' : 'none',
        maxNodes: request.maxNodes,
      }),
      signal,
    );
  }

  timeline(request: { query: string; fromMs: number; untilMs: number; stepSeconds?: number; groupBy?: string }, signal: AbortSignal): Promise<TimelineResponse> {
    return this.getJson(
      this.url('/api/v1/timeline', { query: request.query, from: request.fromMs, until: request.untilMs, step: request.stepSeconds, groupBy: request.groupBy }),
      signal,
    );
  }

  /** Per-profile totals over time in value rows (GET /api/v1/heatmap; server/src/http/heatmapRoute.ts). */
  heatmap(request: { query: string; fromMs: number; untilMs: number; stepSeconds: number }, signal: AbortSignal): Promise<HeatmapResponse> {
    return this.getJson(this.url('/api/v1/heatmap', { query: request.query, from: request.fromMs, until: request.untilMs, step: request.stepSeconds }), signal);
  }

  /** The profiles of a range, or of one heatmap cell (slot time and row), largest first. */
  heatmapProfiles(
    request: { query: string; fromMs: number; untilMs: number; stepSeconds?: number; slotMs?: number; row?: number },
    signal: AbortSignal,
  ): Promise<HeatmapProfilesResponse> {
    return this.getJson(
      this.url('/api/v1/heatmap/profiles', { query: request.query, from: request.fromMs, until: request.untilMs, step: request.stepSeconds, slot: request.slotMs, row: request.row }),
      signal,
    );
  }

  sandwich(
    request: { query: string; fromMs: number; untilMs: number; functionName: string; frameFilters?: readonly string[]; profileIds?: readonly string[] },
    signal: AbortSignal,
  ): Promise<SandwichResponse> {
    const profileId = request.profileIds && request.profileIds.length > 0 ? request.profileIds.join(',') : undefined;
    return this.getJson(
      withFrameFilters(request.frameFilters, this.url('/api/v1/sandwich', { query: request.query, from: request.fromMs, until: request.untilMs, function: request.functionName, profileId })),
      signal,
    );
  }

  async labelNames(request: { query: string; fromMs: number; untilMs: number }, signal: AbortSignal): Promise<string[]> {
    const body = await this.getJson<{ names: string[] }>(this.url('/api/v1/labels', { query: request.query, from: request.fromMs, until: request.untilMs }), signal);
    return body.names ?? [];
  }

  async labelValues(request: { name: string; query: string; fromMs: number; untilMs: number }, signal: AbortSignal): Promise<string[]> {
    const body = await this.getJson<{ values: string[] }>(
      this.url('/api/v1/label-values', { name: request.name, query: request.query, from: request.fromMs, until: request.untilMs }),
      signal,
    );
    return body.values ?? [];
  }

  /** Alert and recording rules (/api/v1/rules; `spec` is a rule as docs/api.md describes it). */
  async rules(signal: AbortSignal): Promise<RuleView[]> {
    return (await this.getJson<{ rules: RuleView[] }>(this.url('/api/v1/rules'), signal)).rules ?? [];
  }

  rule(id: string, signal: AbortSignal): Promise<RuleView & { deliveries: DeliveryLogEntry[] }> {
    return this.getJson(this.url(`/api/v1/rules/${encodeURIComponent(id)}`), signal);
  }

  saveRule(id: string | null, spec: unknown, signal: AbortSignal): Promise<RuleView> {
    return id === null
      ? this.getJson(this.url('/api/v1/rules'), signal, { method: 'POST', body: JSON.stringify(spec) })
      : this.getJson(this.url(`/api/v1/rules/${encodeURIComponent(id)}`), signal, { method: 'PUT', body: JSON.stringify(spec) });
  }

  deleteRule(id: string, signal: AbortSignal): Promise<void> {
    return this.getJson(this.url(`/api/v1/rules/${encodeURIComponent(id)}`), signal, { method: 'DELETE' });
  }

  async testRule(id: string, signal: AbortSignal): Promise<DeliveryLogEntry[]> {
    return (await this.getJson<{ deliveries: DeliveryLogEntry[] }>(this.url(`/api/v1/rules/${encodeURIComponent(id)}/test`), signal, { method: 'POST', body: '{}' })).deliveries ?? [];
  }

  /** A rule's watched value per second over a range (GET /api/v1/rules/:id/series). */
  ruleSeries(id: string, request: { fromMs: number; untilMs: number; points?: number }, signal: AbortSignal): Promise<RuleSeriesResponse> {
    return this.getJson(this.url(`/api/v1/rules/${encodeURIComponent(id)}/series`, { from: request.fromMs, until: request.untilMs, points: request.points ?? 60 }), signal);
  }

  alerts(signal: AbortSignal): Promise<AlertsResponse> {
    return this.getJson(this.url('/api/v1/alerts'), signal);
  }
}

/** Frame filters are a repeated `filter` parameter (docs/api.md "Frame filters"), which `url()`'s one-value map cannot hold. */
export function withFrameFilters(frameFilters: readonly string[] | undefined, url: string): string {
  if (!frameFilters || frameFilters.length === 0) return url;
  const extra = frameFilters.map((filter) => `filter=${encodeURIComponent(filter)}`).join('&');
  return `${url}${url.includes('?') ? '&' : '?'}${extra}`;
}

/**
 * The zoom path as the server takes it: `focus=a;b` while no name contains `;`, else `focusPath=` (a
 * JSON array), since Go generic names such as `pkg.F[go.shape;int]` would be split by `;`.
 */
export function focusParams(focus: readonly string[] | undefined): { focus?: string; focusPath?: string } {
  if (!focus || focus.length === 0) return {};
  return focus.some((name) => name.includes(';')) ? { focusPath: JSON.stringify(focus) } : { focus: focus.join(';') };
}
