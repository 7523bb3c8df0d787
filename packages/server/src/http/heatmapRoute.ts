/**
 * `/api/v1/heatmap` (per-profile values over time, the JSON twin of Connect's SelectHeatmap) and
 * `/api/v1/heatmap/profiles` (the stored profiles behind one heatmap cell or one timeline bucket,
 * which the UI opens by id through `/api/v1/flamegraph?profileId=`). Documented in docs/api.md.
 */
import type { FastifyInstance } from 'fastify';
import { CinderError, ErrorCodes, type HeatmapProfilesResponse, type HeatmapResponse } from '@cinder/core';
import { drainPaced } from '../query/flameGraphExport.js';
import { calcPointIntervalSec } from '../query/legacy.js';
import { HEATMAP_ROWS, MAX_HEATMAP_PROFILES, QueryService, heatmapGrid, type HeatmapResult } from '../query/service.js';
import type { ServerDeps } from './deps.js';
import { MAX_PROFILE_IDS, all, first, nonNegativeInt, splitQuery, timeRange, type Query } from './params.js';

export function registerHeatmapRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { read, now } = deps;
  // Only for its selection checks (toSelectQuery) and the store's profile points; no cache of its own.
  const query = new QueryService(deps.store, deps.config, now);

  const stepSecOf = (q: Query, fromMs: number, toMs: number): number => {
    const text = first(q.step);
    if (text === undefined || text === '') return calcPointIntervalSec(fromMs, toMs);
    const stepSec = Number(text);
    if (!Number.isFinite(stepSec)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"step" must be a number of seconds, got "${text.slice(0, 40)}"`);
    return stepSec;
  };

  app.get('/api/v1/heatmap', async (request, reply) => {
    const q = request.query as Query;
    const selection = { ...splitQuery(first(q.query)), ...timeRange(q, now()) };
    const stepSec = stepSecOf(q, selection.fromMs, selection.toMs);
    const results = await read.heatmap(request.tenant, { ...selection, groupBy: all(q.groupBy), stepSec, limit: nonNegativeInt(first(q.limit), 'limit') ?? 0 });
    // Up to 200k profiles' slots and exemplars: one JSON.stringify of it all was a block of its own.
    const body = await drainPaced(heatmapJsonChunks(Math.max(1, Math.floor(stepSec * 1000)), results));
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.get('/api/v1/heatmap/profiles', async (request): Promise<HeatmapProfilesResponse> => {
    const q = request.query as Query;
    const selection = { ...splitQuery(first(q.query)), ...timeRange(q, now()) };
    const select = query.toSelectQuery(request.tenant, selection);
    const limit = Math.min(nonNegativeInt(first(q.limit), 'limit') ?? MAX_PROFILE_IDS, MAX_PROFILE_IDS);
    const slotText = first(q.slot);
    const rowText = first(q.row);
    const row = nonNegativeInt(rowText, 'row');
    if (row !== undefined && row >= HEATMAP_ROWS) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"row" must be below ${HEATMAP_ROWS}, got ${row}`);
    const slotMs = slotText === undefined || slotText === '' ? undefined : Number(slotText);
    if (slotMs !== undefined && !Number.isFinite(slotMs)) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `"slot" must be a slot's time in ms, got "${slotText!.slice(0, 40)}"`);
    const stepMs = Math.max(1, Math.floor(stepSecOf(q, select.fromMs, select.toMs) * 1000));

    const found = await deps.store.profilePoints(select, MAX_HEATMAP_PROFILES + 1);
    if (found.points.length > MAX_HEATMAP_PROFILES) {
      throw new CinderError(ErrorCodes.QUERY_TOO_LARGE, `this range holds more than ${MAX_HEATMAP_PROFILES} profiles; narrow the time range or the selector`);
    }
    // The grid QueryService.heatmap draws (same function), so a cell's profiles are its count.
    const { rowOf, slotOf } = heatmapGrid(
      found.points.map((point) => point.value),
      select.fromMs,
      stepMs,
    );
    const slotIndex = slotMs === undefined ? undefined : Math.round((slotMs - select.fromMs) / stepMs);
    const matching = found.points.filter((point) => {
      if (slotIndex !== undefined && slotOf(point.timeMs) !== slotIndex) return false;
      if (row !== undefined && rowOf(point.value) !== row) return false;
      return true;
    });
    matching.sort((a, b) => b.value - a.value || a.timeMs - b.timeMs);
    return {
      total: matching.length,
      profiles: matching.slice(0, limit).map((point) => ({
        profileId: point.profileId,
        timeMs: point.timeMs,
        value: point.value,
        labels: Object.fromEntries(found.labelSets[point.seriesIndex]!.filter(([name]) => name !== '__profile_type__')),
      })),
    };
  });
}

/** Slots per chunk of heatmapJsonChunks: each chunk is well under a millisecond of work. */
const SLOTS_PER_CHUNK = 256;

/**
 * The HeatmapResponse of `/api/v1/heatmap` as JSON text in chunks (drained with pauses): the same
 * text as JSON.stringify of the whole response, written a slot at a time.
 */
export function* heatmapJsonChunks(stepMs: number, results: readonly HeatmapResult[]): Generator<Uint8Array, void, undefined> {
  const utf8 = new TextEncoder();
  let text = `{"stepMs":${JSON.stringify(stepMs)},"series":[`;
  let slotsInChunk = 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i]!;
    text += `${i > 0 ? ',' : ''}{"labels":${JSON.stringify(Object.fromEntries(result.labels))},"slots":[`;
    for (let s = 0; s < result.slots.length; s++) {
      const slot = result.slots[s]!;
      const shaped: HeatmapResponse['series'][number]['slots'][number] = {
        timeMs: slot.timestampMs,
        yMin: slot.yMin,
        counts: slot.counts,
        exemplars: slot.exemplars.map((e) => ({ timeMs: e.timestampMs, profileId: e.profileId, value: e.value, labels: Object.fromEntries(e.labels) })),
      };
      text += `${s > 0 ? ',' : ''}${JSON.stringify(shaped)}`;
      if (++slotsInChunk >= SLOTS_PER_CHUNK) {
        slotsInChunk = 0;
        yield utf8.encode(text);
        text = '';
      }
    }
    text += ']}';
  }
  yield utf8.encode(`${text}]}`);
}
