import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Histogram, Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { IngestMetrics } from './ingest/context.js';

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
  readonly storeMemory = new Gauge({
    name: 'cinder_store_memory_bytes',
    help: 'Bytes the store holds in memory, by part (database buffers by kind, caches)',
    labelNames: ['part'],
    registers: [this.registry],
  });

  /**
   * The watchdog: how long the event loop was blocked. Every request shares one thread, so a block
   * here is latency for everyone (the budget is ~100 ms per request).
   */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private loopDelayMaxSinceStartNs = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cinder_process_' });
    this.loopDelay.enable();
    const sinceLastScrape = (): number => {
      const maxNs = this.loopDelay.max;
      this.loopDelayMaxSinceStartNs = Math.max(this.loopDelayMaxSinceStartNs, maxNs);
      this.loopDelay.reset();
      return maxNs;
    };
    new Gauge({
      name: 'cinder_event_loop_lag_seconds',
      help: 'Longest event-loop block since the previous scrape (seconds)',
      registers: [this.registry],
      collect() {
        this.set(sinceLastScrape() / 1e9);
      },
    });
    const maxSinceStartNs = (): number => Math.max(this.loopDelayMaxSinceStartNs, this.loopDelay.max);
    new Gauge({
      name: 'cinder_event_loop_lag_max_seconds',
      help: 'Longest event-loop block since the server started listening (seconds)',
      registers: [this.registry],
      collect() {
        this.set(maxSinceStartNs() / 1e9);
      },
    });
  }

  /**
   * The server answers requests from now on: what loading modules and opening the store blocked
   * before is start-up time, not a request's wait, so the watchdog starts counting here.
   */
  serving(): void {
    this.loopDelay.reset();
    this.loopDelayMaxSinceStartNs = 0;
  }

  close(): void {
    this.loopDelay.disable();
  }

  accepted(count: number, bytes: number): void {
    this.ingestedProfiles.inc(count);
    if (bytes > 0) this.ingestedBytes.inc(bytes);
  }

  rejected(reason: string): void {
    this.rejectedProfiles.inc({ reason });
  }
}
