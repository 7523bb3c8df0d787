/**
 * Pyroscope's legacy HTTP query routes (spec §3.6): render, render-diff, label-values, labels.
 * Handlers parse, call the read path and encode flamebearer JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CinderError, ErrorCodes } from '@cinder/core';
import { collapsedBody } from '../query/flameGraphExport.js';
import { flamebearerMetadata, legacyRender } from '../query/legacy.js';
import type { ServerDeps } from './deps.js';
import { all, first, maxNodesParam, selectorMatchers, splitQuery, timeRange, type Query } from './params.js';

export function registerPyroscopeRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { read, now } = deps;

  const render = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const q = request.query as Query;
    const selection = { ...splitQuery(first(q.query)), ...timeRange(q, now()), maxNodes: maxNodesParam(q) };
    const format = first(q.format);
    if (format === 'collapsed' || format === 'folded') return reply.type('text/plain; charset=utf-8').send(await collapsedBody(await read.mergedTree(request.tenant, selection)));
    if (format === 'dot') throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, 'format=dot is not supported by Cinder; use format=collapsed or the pprof export');
    const aggregation = first(q.aggregation) === 'avg' ? 'average' : 'sum';
    const answer = await legacyRender(read, request.tenant, { ...selection, groupBy: all(q.groupBy)[0], aggregation });
    const { flamegraph } = answer;
    return {
      version: 1,
      flamebearer: { names: flamegraph.names, levels: flamegraph.levels, numTicks: flamegraph.total, maxSelf: flamegraph.maxSelf },
      metadata: answer.metadata,
      timeline: answer.timeline,
      groups: answer.groups,
      heatmap: null,
    };
  };
  app.get('/pyroscope/render', render);
  app.get('/render', render);

  app.get('/pyroscope/render-diff', async (request) => {
    const q = request.query as Query;
    const side = (prefix: 'left' | 'right') => ({ ...splitQuery(first(q[`${prefix}Query`])), ...timeRange(q, now(), `${prefix}From`, `${prefix}Until`) });
    const diff = await read.diff(request.tenant, { baseline: side('left'), comparison: side('right'), maxNodes: maxNodesParam(q), mode: 'absolute', normalize: 'none' });
    const { flamegraph } = diff;
    return {
      version: 1,
      flamebearer: { names: flamegraph.names, levels: flamegraph.levels, numTicks: flamegraph.total, maxSelf: flamegraph.maxSelf },
      metadata: { ...flamebearerMetadata(diff.profileTypeId), format: 'double' },
      leftTicks: flamegraph.leftTicks,
      rightTicks: flamegraph.rightTicks,
      timeline: null,
      groups: null,
      heatmap: null,
    };
  });

  app.get('/pyroscope/label-values', async (request) => {
    const q = request.query as Query;
    const label = first(q.label);
    if (!label) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, '"label" is required');
    const { fromMs, toMs } = timeRange(q, now());
    if (label === '__name__') return (await read.profileTypes(request.tenant, fromMs, toMs)).map((t) => t.ID);
    return read.labelValues(request.tenant, label, selectorMatchers(first(q.query)), fromMs, toMs);
  });

  app.get('/pyroscope/labels', async (request) => {
    const q = request.query as Query;
    const { fromMs, toMs } = timeRange(q, now());
    return read.labelNames(request.tenant, selectorMatchers(first(q.query)), fromMs, toMs, false);
  });
}
