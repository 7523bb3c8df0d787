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

/** A 32-bit mix of (parent, name) (murmur3 finaliser), for the stack index. */
function stackHash(parent: number, nameId: number): number {
  let h = Math.imul(parent + 1, 0x9e3779b1) ^ nameId;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Catalog {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  persistedNames = 0;

  /** Stack node i: parent (−1 for a root frame) and function name id. parent[i] < i always. */
  stackParent = new Int32Array(1024);
  stackName = new Int32Array(1024);
  stackCount = 0;
  /**
   * Open-addressing hash index over the stack nodes: slot → node id (−1 = empty), probed linearly,
   * at most half full. It replaces a Map keyed by (parent + 1) · 2^32 + name, which stopped being
   * exact past 2^21 parents (distinct stacks collided) and cost ~50 bytes and a heap number per node;
   * this costs 8–16 bytes per node and stores no key: the probed node's own parent and name are compared.
   */
  private stackIndex = new Int32Array(2048).fill(-1);
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
    const index = this.stackIndex;
    const mask = index.length - 1;
    let slot = stackHash(parent, nameId) & mask;
    for (;;) {
      const id = index[slot]!;
      if (id === -1) break;
      if (this.stackParent[id] === parent && this.stackName[id] === nameId) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.stackCount;
    this.reserveStacks(id + 1);
    this.stackParent[id] = parent;
    this.stackName[id] = nameId;
    this.stackCount++;
    index[slot] = id;
    if (this.stackCount * 2 > index.length) this.rebuildStackIndex(index.length * 2);
    return id;
  }

  /**
   * Appends stack nodes read back from the store (ids in order, already unique), indexing them in
   * one pass at the end: much cheaper at open than stackId() per row.
   */
  loadStacks(parents: ArrayLike<number>, names: ArrayLike<number>, count: number): void {
    this.reserveStacks(this.stackCount + count);
    for (let i = 0; i < count; i++) {
      this.stackParent[this.stackCount + i] = parents[i]!;
      this.stackName[this.stackCount + i] = names[i]!;
    }
    this.stackCount += count;
    let size = this.stackIndex.length;
    while (this.stackCount * 2 > size) size *= 2;
    this.rebuildStackIndex(size);
  }

  private reserveStacks(count: number): void {
    if (count <= this.stackParent.length) return;
    let capacity = this.stackParent.length;
    while (capacity < count) capacity *= 2;
    const parents = new Int32Array(capacity);
    parents.set(this.stackParent.subarray(0, this.stackCount));
    this.stackParent = parents;
    const names = new Int32Array(capacity);
    names.set(this.stackName.subarray(0, this.stackCount));
    this.stackName = names;
  }

  private rebuildStackIndex(size: number): void {
    const index = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.stackCount; id++) {
      let slot = stackHash(this.stackParent[id]!, this.stackName[id]!) & mask;
      while (index[slot] !== -1) slot = (slot + 1) & mask;
      index[slot] = id;
    }
    this.stackIndex = index;
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
