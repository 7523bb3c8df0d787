/**
 * The in-memory catalogues of the embedded store: function names, the global stack prefix tree
 * and series. They are loaded once at open and grown by ingest; rows not yet committed are
 * tracked so the next write persists them (a failed commit simply retries them with the next batch).
 */
import type { LabelPairs } from '@cinder/core';

export interface SeriesEntry {
  id: number;
  tenant: string;
  profileTypeId: string;
  /** Labels as ingested (sorted), persisted. */
  storedLabels: LabelPairs;
  /** storedLabels plus the derived internal labels (__profile_type__, __type__, …), sorted. */
  labels: LabelPairs;
  labelMap: ReadonlyMap<string, string>;
}

/** Labels every series carries for queries (profile-types.md §1). */
export function withDerivedLabels(stored: LabelPairs, profileTypeId: string): LabelPairs {
  const [, type = '', unit = '', periodType = '', periodUnit = ''] = profileTypeId.split(':');
  const map = new Map<string, string>(stored);
  map.set('__profile_type__', profileTypeId);
  map.set('__type__', type);
  map.set('__unit__', unit);
  map.set('__period_type__', periodType);
  map.set('__period_unit__', periodUnit);
  const service = map.get('service_name');
  if (service !== undefined) map.set('__service_name__', service);
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function labelsKey(labels: LabelPairs): string {
  let key = '';
  for (const [name, value] of labels) key += `${name}\u0000${value}\u0001`;
  return key;
}

export class Catalog {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  persistedNames = 0;

  /** Stack node i: parent (−1 for a root frame) and function name id. parent[i] < i always. */
  stackParent = new Int32Array(1024);
  stackName = new Int32Array(1024);
  stackCount = 0;
  private readonly stackIds = new Map<number, number>();
  persistedStacks = 0;

  readonly series: SeriesEntry[] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesPerTenant = new Map<string, number>();
  persistedSeries = 0;

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /** The stack node for `parent` → frame `nameId`, created on first use. */
  stackId(parent: number, nameId: number): number {
    // Exact while parent < 2^21 · 2^32 …: node ids and name ids both stay far below 2^32.
    const key = (parent + 1) * 4294967296 + nameId;
    let id = this.stackIds.get(key);
    if (id === undefined) {
      id = this.stackCount;
      if (id === this.stackParent.length) {
        const parents = new Int32Array(id * 2);
        parents.set(this.stackParent);
        this.stackParent = parents;
        const names = new Int32Array(id * 2);
        names.set(this.stackName);
        this.stackName = names;
      }
      this.stackParent[id] = parent;
      this.stackName[id] = nameId;
      this.stackCount++;
      this.stackIds.set(key, id);
    }
    return id;
  }

  findSeries(tenant: string, profileTypeId: string, storedLabels: LabelPairs): number | undefined {
    return this.seriesIds.get(`${tenant}\u0002${profileTypeId}\u0002${labelsKey(storedLabels)}`);
  }

  seriesCountOf(tenant: string): number {
    return this.seriesPerTenant.get(tenant) ?? 0;
  }

  addSeries(tenant: string, profileTypeId: string, storedLabels: LabelPairs): number {
    const id = this.series.length;
    const labels = withDerivedLabels(storedLabels, profileTypeId);
    this.series.push({ id, tenant, profileTypeId, storedLabels, labels, labelMap: new Map(labels) });
    this.seriesIds.set(`${tenant}\u0002${profileTypeId}\u0002${labelsKey(storedLabels)}`, id);
    this.seriesPerTenant.set(tenant, this.seriesCountOf(tenant) + 1);
    return id;
  }
}
