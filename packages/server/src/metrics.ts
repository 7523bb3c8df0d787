import { Counter, Histogram, Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { IngestMetrics } from './ingest/pipeline.js';

/** The server's Prometheus metrics, one registry per server instance (tests start several). */
export class ServerMetrics implements IngestMetrics {
  readonly registry = new Registry();
  private readonly ingestedProfiles = new Counter({
    name: 'cinder_ingested_profiles_total',
    help: 'Profiles stored (one per series a request split into)',
    registers: [this.registry],
  });
  private readonly ingestedBytes = new Counter({
    name: 'cinder_ingested_bytes_total',
    help: 'Request bytes of accepted /ingest uploads, as received',
    registers: [this.registry],
  });
  private readonly rejectedProfiles = new Counter({
    name: 'cinder_rejected_profiles_total',
    help: 'Rejected ingest requests by reason (Cinder error code)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'cinder_request_duration_seconds',
    help: 'HTTP request latency by route kind',
    labelNames: ['kind', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly storeBytes = new Gauge({ name: 'cinder_store_bytes', help: 'Bytes of the data folder on disk', registers: [this.registry] });
  readonly storeSeries = new Gauge({ name: 'cinder_store_series', help: 'Series in the store', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cinder_process_' });
  }

  accepted(count: number, bytes: number): void {
    this.ingestedProfiles.inc(count);
    if (bytes > 0) this.ingestedBytes.inc(bytes);
  }

  rejected(reason: string): void {
    this.rejectedProfiles.inc({ reason });
  }
}
