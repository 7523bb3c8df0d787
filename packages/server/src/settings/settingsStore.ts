/**
 * The per-tenant key/value settings Grafana Profiles Drilldown keeps on the server
 * (settings.v1.SettingsService): one small JSON file per tenant in the data folder, written
 * atomically; the last writer wins. Names and values are bounded so a client cannot grow the file
 * without limit.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CinderError, ErrorCodes } from '@cinder/core';
import { readJsonFile, writeJsonAtomic } from '../atomicFile.js';

export interface Setting {
  name: string;
  value: string;
  /** ms since the Unix epoch. */
  modifiedAtMs: number;
}

const MAX_NAME_CHARS = 256;
const MAX_VALUE_CHARS = 64 * 1024;
const MAX_SETTINGS_PER_TENANT = 1_000;

export class SettingsStore {
  /** One writer per tenant file at a time (read, change, write). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly rootDir: string,
    private readonly now: () => number,
  ) {}

  private file(tenant: string): string {
    // Tenant ids may hold characters that are not safe in paths; a hash keeps files apart.
    return path.join(this.rootDir, `${createHash('sha256').update(tenant).digest('hex').slice(0, 32)}.json`);
  }

  private async read(tenant: string): Promise<Setting[]> {
    const stored = (await readJsonFile(this.file(tenant))) as Setting[] | null;
    return stored ?? [];
  }

  private change<T>(tenant: string, task: (settings: Setting[]) => { settings: Setting[] | null; result: T }): Promise<T> {
    const previous = this.queues.get(tenant) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const { settings, result } = task(await this.read(tenant));
      if (settings) await writeJsonAtomic(this.file(tenant), settings);
      return result;
    });
    this.queues.set(tenant, next);
    void next.finally(() => {
      if (this.queues.get(tenant) === next) this.queues.delete(tenant);
    }).catch(() => undefined);
    return next;
  }

  async list(tenant: string): Promise<Setting[]> {
    return (await this.read(tenant)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  set(tenant: string, name: string, value: string, modifiedAtMs: number): Promise<Setting> {
    if (name === '' || name.length > MAX_NAME_CHARS) {
      throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `a setting needs a name of 1 to ${MAX_NAME_CHARS} characters`);
    }
    if (value.length > MAX_VALUE_CHARS) throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `setting "${name}" is longer than ${MAX_VALUE_CHARS} characters`);
    const setting: Setting = { name, value, modifiedAtMs: modifiedAtMs > 0 ? modifiedAtMs : this.now() };
    return this.change(tenant, (settings) => {
      const others = settings.filter((s) => s.name !== name);
      if (others.length >= MAX_SETTINGS_PER_TENANT) {
        throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `a tenant keeps at most ${MAX_SETTINGS_PER_TENANT} settings; delete some first`);
      }
      return { settings: [...others, setting], result: setting };
    });
  }

  delete(tenant: string, name: string): Promise<void> {
    return this.change(tenant, (settings) => {
      const kept = settings.filter((s) => s.name !== name);
      return { settings: kept.length === settings.length ? null : kept, result: undefined };
    });
  }
}
