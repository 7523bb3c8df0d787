/**
 * Pyroscope's legacy render answers (spec §3.6): flamebearer JSON with a timeline of per-bucket
 * sums in seconds. Built from the same read path as every other answer.
 */
import { validateProfileTypeId, type FlameGraphData } from '@cinder/core';
import type { FlameGraphRequest, ReadPath } from './readPath.js';

export interface LegacyTimeline {
  startTime: number;
  samples: number[];
  durationDelta: number;
  watermarks: null;
}

export interface LegacyRenderRequest extends FlameGraphRequest {
  /** At most one label: upstream's render groups by one. */
  groupBy?: string;
  aggregation: 'sum' | 'average';
}

export interface LegacyRenderAnswer {
  flamegraph: FlameGraphData;
  metadata: FlamebearerMetadata;
  timeline: LegacyTimeline;
  /** Per value of `groupBy`; null without grouping. */
  groups: Record<string, LegacyTimeline> | null;
}

export interface FlamebearerMetadata {
  format: string;
  spyName: string;
  sampleRate: number;
  units: string;
  name: string;
}

export async function legacyRender(read: ReadPath, tenant: string, request: LegacyRenderRequest): Promise<LegacyRenderAnswer> {
  const stepSec = calcPointIntervalSec(request.fromMs, request.toMs);
  const groupBy = request.groupBy ? [request.groupBy] : [];
  const [answer, series] = await Promise.all([
    read.flameGraph(tenant, request),
    read.timeline(tenant, { ...request, groupBy, stepSec, aggregation: request.aggregation, limit: 0 }),
  ]);
  const timelineOf = (points: { timestampMs: number; value: number }[]): LegacyTimeline => legacyTimeline(points, request.fromMs, request.toMs, stepSec);
  const merged = new Map<number, number>();
  for (const entry of series) for (const point of entry.points) merged.set(point.timestampMs, (merged.get(point.timestampMs) ?? 0) + point.value);
  let groups: Record<string, LegacyTimeline> | null = null;
  if (request.groupBy) {
    groups = {};
    for (const entry of series) {
      const value = entry.labels.find(([name]) => name === request.groupBy)?.[1] ?? '*';
      groups[value] = timelineOf(entry.points);
    }
  }
  return {
    flamegraph: answer.flamegraph,
    metadata: flamebearerMetadata(request.profileTypeId),
    timeline: timelineOf([...merged.entries()].map(([timestampMs, value]) => ({ timestampMs, value }))),
    groups,
  };
}

export function flamebearerMetadata(profileTypeId: string): FlamebearerMetadata {
  const parts = validateProfileTypeId(profileTypeId);
  let units = parts.sampleUnit;
  if (['inuse_objects', 'alloc_objects', 'goroutine', 'samples'].includes(parts.sampleType)) units = 'objects';
  if (parts.sampleType === 'cpu') units = 'samples';
  return { format: 'single', spyName: '', sampleRate: parts.sampleType === 'cpu' ? 1_000_000_000 : 100, units, name: parts.sampleType };
}

/** Pyroscope's CalcPointInterval (§3.6.4), in seconds. */
export function calcPointIntervalSec(fromMs: number, toMs: number): number {
  const rawMs = (toMs - fromMs) / 1500;
  if (rawMs < 15_000) return 15;
  const table: Array<[number, number]> = [
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [bound, step] of table) if (rawMs <= bound) return step / 1000;
  return 31_536_000;
}

/** §3.6.4 legacy timeline: seconds, zero-filled, sums not rates. */
export function legacyTimeline(points: { timestampMs: number; value: number }[], fromMs: number, toMs: number, stepSec: number): LegacyTimeline {
  const stepMs = stepSec * 1000;
  const a = Math.floor(fromMs / stepMs) * stepMs;
  const b = Math.floor(toMs / stepMs) * stepMs;
  const count = a >= b ? 0 : Math.floor((b / 1000 - a / 1000) / stepSec);
  const samples = new Array<number>(count).fill(0);
  for (const point of points) {
    if (point.timestampMs < a || point.timestampMs >= b) continue;
    const index = Math.floor((Math.floor(point.timestampMs / 1000) - a / 1000) / stepSec);
    if (index >= 0 && index < count) samples[index] = Math.max(0, Math.floor(point.value));
  }
  return { startTime: a / 1000, samples, durationDelta: stepSec, watermarks: null };
}
