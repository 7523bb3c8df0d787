/**
 * Shared snapshots: a query result and the view that showed it, frozen in the data folder so a link
 * keeps working after the profiles age out of retention. One JSON file per snapshot, per tenant
 * folder, written atomically (atomicFile.ts), so a crash never leaves half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CinderError, ErrorCodes, type Snapshot, type SnapshotMeta } from '@cinder/core';
import { writeJsonAtomic } from '../atomicFile.js';

const ID = /^[0-9a-f]{20}$/;

export class SnapshotStore {
  constructor(private readonly rootDir: string) {}

  private tenantDir(tenant: string): string {
    // Tenant ids may hold characters that are not safe in paths; a hash keeps folders apart.
    return path.join(this.rootDir, createHash('sha256').update(tenant).digest('hex').slice(0, 32));
  }

  private file(tenant: string, id: string): string {
    if (!ID.test(id)) throw new CinderError(ErrorCodes.NOT_FOUND, `no snapshot "${id.slice(0, 40)}": snapshot ids are 20 hex characters`);
    return path.join(this.tenantDir(tenant), `${id}.json`);
  }

  async create(tenant: string, snapshot: Omit<Snapshot, 'id' | 'createdMs'>): Promise<SnapshotMeta> {
    const id = randomBytes(10).toString('hex');
    const full: Snapshot = { ...snapshot, id, createdMs: Date.now() };
    await writeJsonAtomic(path.join(this.tenantDir(tenant), `${id}.json`), full);
    const { result: _result, ...meta } = full;
    return meta;
  }

  async get(tenant: string, id: string): Promise<Snapshot> {
    try {
      return JSON.parse(await readFile(this.file(tenant, id), 'utf8')) as Snapshot;
    } catch (error) {
      if (error instanceof CinderError) throw error;
      throw new CinderError(ErrorCodes.NOT_FOUND, `no snapshot "${id}" on this server (it may have been deleted)`);
    }
  }

  async list(tenant: string): Promise<SnapshotMeta[]> {
    let names: string[];
    try {
      names = await readdir(this.tenantDir(tenant));
    } catch {
      return [];
    }
    const metas: SnapshotMeta[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const { result: _result, ...meta } = JSON.parse(await readFile(path.join(this.tenantDir(tenant), name), 'utf8')) as Snapshot;
        metas.push(meta);
      } catch {
        // A file that does not parse is not a snapshot we wrote; skip it.
      }
    }
    return metas.sort((a, b) => b.createdMs - a.createdMs);
  }

  async delete(tenant: string, id: string): Promise<void> {
    const file = this.file(tenant, id);
    await this.get(tenant, id);
    await rm(file);
  }
}
