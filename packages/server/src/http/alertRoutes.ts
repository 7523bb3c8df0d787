/**
 * Alert and recording rules (`/api/v1/rules`) and alert state (`/api/v1/alerts`); tenant-scoped
 * like every query route (X-Scope-OrgID) and behind the query token. Types in core/alertRules.ts,
 * documented in docs/api.md.
 */
import type { FastifyInstance } from 'fastify';
import type { AlertsResponse, DeliveryLogEntry, RuleSeriesResponse, RuleView } from '@cinder/core';
import type { AlertEngine } from '../alerts/engine.js';
import { first, nonNegativeInt, timeRange, type Query } from './params.js';

export function registerAlertRoutes(app: FastifyInstance, alerts: AlertEngine): void {
  const idOf = (request: { params: unknown }): string => (request.params as { id: string }).id;

  app.get('/api/v1/rules', async (request): Promise<{ rules: RuleView[] }> => ({ rules: alerts.list(request.tenant) }));
  app.post('/api/v1/rules', async (request, reply) => reply.status(201).send(await alerts.create(request.tenant, request.body)));
  app.get('/api/v1/rules/:id', async (request): Promise<RuleView & { deliveries: DeliveryLogEntry[] }> => alerts.get(request.tenant, idOf(request)));
  app.put('/api/v1/rules/:id', async (request): Promise<RuleView> => alerts.update(request.tenant, idOf(request), request.body));
  app.delete('/api/v1/rules/:id', async (request, reply) => {
    await alerts.delete(request.tenant, idOf(request));
    return reply.status(204).send();
  });
  app.post('/api/v1/rules/:id/test', async (request): Promise<{ deliveries: DeliveryLogEntry[] }> => ({ deliveries: await alerts.sendTest(request.tenant, idOf(request)) }));
  app.get('/api/v1/rules/:id/series', async (request): Promise<RuleSeriesResponse> => {
    const q = request.query as Query;
    const range = timeRange(q, alerts.nowMs());
    return alerts.series(request.tenant, idOf(request), range.fromMs, range.toMs, nonNegativeInt(first(q.points), 'points'));
  });
  app.get('/api/v1/alerts', async (request): Promise<AlertsResponse> => alerts.alerts(request.tenant));
}
