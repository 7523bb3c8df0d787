/**
 * The SelectHeatmap answer written directly (query/heatmapExport.ts) equals protobuf-es's toBinary
 * and toJson of the message the Connect handler builds, on a real store's heatmap (grouped and not)
 * and on hostile values; and a big one is drained with turns of the event loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toBinary, toJsonString } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBuilder, type LabelPairs } from '@cinder/core';
import { SelectHeatmapResponseSchema } from '../src/gen/querier/v1/querier_pb.js';
import { heatmapResponseBytes, heatmapResponseChunks, heatmapResponseJson, int64Of } from '../src/query/heatmapExport.js';
import { drainPaced } from '../src/query/flameGraphExport.js';
import { withLoopTurns } from './helpers/loopTurns.js';
import { heatmapJsonChunks } from '../src/http/heatmapRoute.js';
import { heatmapMessage } from '../src/http/connectQuery.js';
import { QueryService, type HeatmapResult } from '../src/query/service.js';
import { openDuckDbStore } from '../src/storage/duckdb/store.js';
import type { Store, ValidatedProfile } from '../src/storage/store.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY_MS = 86_400_000;

function expectSame(series: readonly HeatmapResult[]): void {
  for (const withExemplars of [true, false]) {
    const message = heatmapMessage(series, withExemplars);
    expect(Buffer.from(heatmapResponseBytes(series, withExemplars)).equals(Buffer.from(toBinary(SelectHeatmapResponseSchema, message)))).toBe(true);
    expect(heatmapResponseJson(series, withExemplars)).toBe(toJsonString(SelectHeatmapResponseSchema, message));
  }
}

describe('SelectHeatmap answer written directly', () => {
  let store: Store;
  let dir: string;
  let service: QueryService;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cinder-heatmap-export-'));
    store = await openDuckDbStore({ dataDir: dir, retentionMs: 7 * DAY_MS, rollupRetentionMs: 30 * DAY_MS, now: () => NOW_MS });
    const profiles: ValidatedProfile[] = [];
    for (let i = 0; i < 600; i++) {
      const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }]);
      builder.addSample(['main', `f${i % 7}`], [1e7 * (1 + ((i * 13) % 29))], null);
      const labels: LabelPairs = [['__name__', 'process_cpu'], ['pod', `pod-${i % 12}`], ['service_name', i % 3 === 0 ? 'api' : 'wörker "x"']];
      profiles.push({ kind: 'ValidatedProfile', tenant: '', seriesLabels: labels, profileTypeIds: [CPU], timeMs: NOW_MS - 3_000_000 + i * 4_000, profileId: `profile-${i}`, profile: builder.build() });
    }
    await store.append(profiles);
    service = new QueryService(store, { maxNodesDefault: 8192, maxNodesMax: 65536 }, () => NOW_MS);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const groupBy of [[], ['pod'], ['service_name', 'pod']]) {
    it(`a stored heatmap grouped by [${groupBy.join(', ')}]: same bytes and JSON as protobuf-es`, async () => {
      const series = await service.heatmap('', { profileTypeId: CPU, labelSelector: '{}', fromMs: NOW_MS - 3_600_000, toMs: NOW_MS, groupBy, stepSec: 60, limit: 0 });
      expect(series.length).toBe(groupBy.length === 0 ? 1 : 12);
      expect(series[0]!.slots.some((slot) => slot.exemplars.length > 1)).toBe(true);
      expectSame(series);
    });
  }

  it('/api/v1/heatmap JSON in chunks is the text JSON.stringify writes for the whole response', async () => {
    for (const groupBy of [[], ['pod']]) {
      const series = await service.heatmap('', { profileTypeId: CPU, labelSelector: '{}', fromMs: NOW_MS - 3_600_000, toMs: NOW_MS, groupBy, stepSec: 5, limit: 0 });
      const whole = JSON.stringify({
        stepMs: 5_000,
        series: series.map((result) => ({
          labels: Object.fromEntries(result.labels),
          slots: result.slots.map((slot) => ({
            timeMs: slot.timestampMs,
            yMin: slot.yMin,
            counts: slot.counts,
            exemplars: slot.exemplars.map((e) => ({ timeMs: e.timestampMs, profileId: e.profileId, value: e.value, labels: Object.fromEntries(e.labels) })),
          })),
        })),
      });
      const chunks = [...heatmapJsonChunks(5_000, series)];
      expect(chunks.length).toBeGreaterThan(1);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(whole);
    }
    expect(Buffer.concat([...heatmapJsonChunks(1, [])]).toString('utf8')).toBe(JSON.stringify({ stepMs: 1, series: [] }));
  });

  it('exemplar values are whole int64s: rounded, clamped past the range, and never NaN or Infinity', () => {
    expect([2.5, -2.5, 0.4, 1e300, -1e300, 2 ** 63, -(2 ** 63)].map(int64Of)).toEqual([3n, -2n, 0n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 63n)]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expect(() => int64Of(bad)).toThrow(/int64/);
  });

  it('hostile values: empty, negative, huge, NaN/Infinity rows, -0, empty names and texts', () => {
    expectSame([]);
    expectSame([{ labels: [], slots: [] }]);
    expectSame([
      {
        labels: [['', 'v'], ['n', ''], ['ü\u{1F600}', '\ud800']],
        slots: [
          { timestampMs: 0, yMin: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e308, 5e-324], counts: [0, 3, 2 ** 31 - 1, -1, -(2 ** 31)], exemplars: [] },
          {
            timestampMs: -5_000,
            yMin: [],
            counts: [],
            exemplars: [
              { timestampMs: 0, profileId: '', value: 0, labels: [] },
              { timestampMs: 2 ** 53 - 1, profileId: 'p"\\\n', value: 1e300, labels: [['a', 'b']] },
              { timestampMs: -1, profileId: 'q', value: -1e300, labels: [] },
              { timestampMs: 7, profileId: 'r', value: 2.5, labels: [] },
            ],
          },
        ],
      },
      { labels: [['x', 'y']], slots: [{ timestampMs: 60_000, yMin: [1.5], counts: [1], exemplars: [{ timestampMs: 60_000, profileId: 'z', value: -2.5, labels: [] }] }] },
    ]);
  });

  it('a big answer is drained with turns of the event loop and equals the whole one', async () => {
    const slots = Array.from({ length: 3_000 }, (_, s) => ({
      timestampMs: NOW_MS + s * 1000,
      yMin: Array.from({ length: 20 }, (_, r) => r * 1.5),
      counts: Array.from({ length: 20 }, (_, r) => (s + r) % 5),
      exemplars: Array.from({ length: 20 }, (_, r) => ({ timestampMs: NOW_MS + s * 1000 - r, profileId: `id-${s}-${r}`, value: s * 20 + r, labels: [['pod', `pod-${r}`]] as LabelPairs })),
    }));
    const series: HeatmapResult[] = [{ labels: [['service_name', 'api']], slots }];
    for (const json of [false, true]) {
      const { result: drained, turns } = await withLoopTurns(() => drainPaced(heatmapResponseChunks(series, true, json)));
      expect(turns).toBeGreaterThan(2);
      expect(drained.equals(Buffer.from(json ? new TextEncoder().encode(heatmapResponseJson(series, true)) : heatmapResponseBytes(series, true)))).toBe(true);
    }
  });
});
