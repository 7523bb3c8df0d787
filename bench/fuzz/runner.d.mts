// Types for the server test that imports the fuzz runner (plain ESM so `node` runs it unbuilt).

export interface FuzzFailure {
  kind: 'hang' | '5xx' | 'server-exit' | 'not-ready';
  key: string;
  count: number;
  status: number | null;
  route: string;
  family: string;
  method: string;
  /** Folder with request.json, body.bin and request.http of the first instance. */
  dir: string | null;
  detail: string;
  suspects?: string[];
  reproducer?: string;
  reproducedAs?: string;
}

export interface FuzzSummary {
  ok: boolean;
  seed: number;
  requested: number;
  sent: number;
  stoppedBy: 'completed' | 'time limit' | 'hang' | 'server exited' | '/ready failed';
  durationSec: number;
  statusCounts: Record<string, number>;
  families: Record<string, { sent: number; ok: number; client: number; server: number; other: number }>;
  latencyMs: { p50: number; p99: number; max: number };
  maxEventLoopLagSec: number | null;
  lagSource: string | null;
  peakRssBytes: number;
  expected501: Record<string, number>;
  failures: FuzzFailure[];
  outDir: string;
}

export interface FuzzOptions {
  seed?: number;
  requests?: number;
  maxSeconds?: number;
  concurrency?: number;
  skip?: string[];
  readyEvery?: number;
  hangMs?: number;
  readyTimeoutMs?: number;
  outDir?: string;
  log?: (line: string) => void;
  serverArgs?: string[];
  baseUrl?: string;
  testdataDir?: string;
}

export function runFuzz(options?: FuzzOptions): Promise<FuzzSummary>;
export function triage(summary: FuzzSummary, options?: { log?: (line: string) => void; hangMs?: number; testdataDir?: string }): Promise<FuzzSummary>;
export function formatSummary(summary: FuzzSummary): string;
export function loadProto(): Promise<unknown>;
