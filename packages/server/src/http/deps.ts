import type { AlertEngine } from '../alerts/engine.js';
import type { ServerConfig } from '../config.js';
import type { IngestService } from '../ingest/pipeline.js';
import type { PushService } from '../ingest/push.js';
import type { OtlpIngestService } from '../ingest/otlp.js';
import type { ServerMetrics } from '../metrics.js';
import type { ReadPath } from '../query/readPath.js';
import type { SettingsStore } from '../settings/settingsStore.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
import type { Store } from '../storage/store.js';

/** What the HTTP layer is handed by main.ts: every route file reads its services from here. */
export interface ServerDeps {
  config: ServerConfig;
  store: Store;
  ingest: IngestService;
  push: PushService;
  otlp: OtlpIngestService;
  read: ReadPath;
  snapshots: SnapshotStore;
  /** settings.v1.SettingsService (Drilldown's per-tenant settings). */
  settings: SettingsStore;
  /** Alert and recording rules (alerts/engine.ts); absent = the /api/v1/rules routes are not registered. */
  alerts?: AlertEngine;
  metrics: ServerMetrics;
  /** null = ready; otherwise /ready answers 503 with this reason. */
  notReadyReason: () => string | null;
  /** The clock relative times (`now-1h`) are read against. */
  now: () => number;
}
