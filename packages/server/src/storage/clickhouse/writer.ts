/**
 * Ingest into ClickHouse: content-addressed ids computed here (no coordination with other
 * writers), symbol rows written once per day partition (a bounded cache remembers what this
 * process wrote; a miss only writes a duplicate row), and group commit — appends that arrive while
 * a batch is being written go together into the next one, one INSERT per table.
 */
import { randomBytes } from 'node:crypto';
import type { ValidatedProfile } from '../store.js';
import { nameId, ROOT_PARENT_ID, seriesId, stackNodeId, type Id64 } from '../ids.js';
import { withDerivedLabels } from '../labels.js';
import { dayOf, tsvField, tsvStringArray } from './sql.js';
import type { SymbolCache } from '../symbolCache.js';

/** Rows of one or more appends, as TabSeparated text per table. */
export interface PendingRows {
  samples: string[];
  /** key `${day}\0${tenant}\0${id}` → row text: deduplicated within the batch. */
  names: Map<string, string>;
  stacks: Map<string, string>;
  series: Map<string, string>;
  /** Series written (for the active-series limit): tenant → series id → newest time. */
  seriesSeen: Map<string, Map<Id64, number>>;
}

export function emptyRows(): PendingRows {
  return { samples: [], names: new Map(), stacks: new Map(), series: new Map(), seriesSeen: new Map() };
}

const DAY_MS = 86_400_000;

/**
 * Symbol rows are per tenant here, the shared cache keys by (day, 64-bit id): a symbol's key is its
 * id XOR a hash of the tenant, as likely to collide as two ids are (storage/ids.ts).
 */
function tenantMix(tenant: string): bigint {
  return tenant === '' ? 0n : nameId(`\u0000tenant\u0000${tenant}`);
}

/** The cache learns rows a batch wrote (their keys are `${day}\0${tenant}\0${id}`). */
export function rememberWritten(cache: SymbolCache, keys: Iterable<string>): void {
  const mixes = new Map<string, bigint>();
  for (const key of keys) {
    const [day, tenant, id] = key.split('\u0000') as [string, string, string];
    let mix = mixes.get(tenant);
    if (mix === undefined) mixes.set(tenant, (mix = tenantMix(tenant)));
    cache.add(Date.parse(`${day}T00:00:00Z`) / DAY_MS, BigInt(id) ^ mix);
  }
}

function randomPid(): string {
  return randomBytes(8).readBigUInt64LE(0).toString();
}

/** Series id of each (profile, type), computed once per append (limit check and rows share them). */
export function seriesIdsOf(profile: ValidatedProfile): Id64[] {
  return profile.profileTypeIds.map((typeId) => seriesId(profile.tenant, typeId, profile.seriesLabels));
}

/**
 * Lays one profile out as rows. Stacks are first interned into a profile-local prefix tree
 * (small ints), and each distinct local node is hashed once (never per sample × frame).
 */
export function addProfileRows(rows: PendingRows, validated: ValidatedProfile, ids: readonly Id64[], cache: SymbolCache): void {
  const profile = validated.profile;
  const day = dayOf(validated.timeMs);
  const tenant = validated.tenant;
  const tenantField = tsvField(tenant);
  const prefix = `${day}\u0000${tenant}\u0000`;
  const dayNumber = Math.floor(validated.timeMs / DAY_MS);
  const mix = tenantMix(tenant);
  const cached = (id: Id64): boolean => cache.has(dayNumber, id ^ mix);
  const nameIds: Id64[] = profile.names.map((name) => nameId(name));
  // Decimal text of each id, computed once (BigInt → string is the costly part of a row).
  const nameIdText = nameIds.map(String);
  // Local prefix tree: node → (parent node, name index); key = parent * nameCount + name index.
  const nameCount = Math.max(1, profile.names.length);
  const nodeOf = new Map<number, number>();
  const nodeParent: number[] = [];
  const nodeName: number[] = [];
  const nodeId: Id64[] = [];
  const nodeIdText: string[] = [];
  /** "id1,id2,…" of the name ids from the root to the node. */
  const nodePath: string[] = [];
  const leaf = new Int32Array(profile.stacks.length);
  for (let s = 0; s < profile.stacks.length; s++) {
    const stack = profile.stacks[s]!;
    let node = -1;
    for (let i = 0; i < stack.length; i++) {
      const nameIndex = stack[i]!;
      const key = (node + 1) * nameCount + nameIndex;
      let next = nodeOf.get(key);
      if (next === undefined) {
        next = nodeParent.length;
        const id = stackNodeId(node < 0 ? ROOT_PARENT_ID : nodeId[node]!, nameIds[nameIndex]!);
        nodeParent.push(node);
        nodeName.push(nameIndex);
        nodeId.push(id);
        nodeIdText.push(String(id));
        nodePath.push(node < 0 ? nameIdText[nameIndex]! : `${nodePath[node]!},${nameIdText[nameIndex]!}`);
        nodeOf.set(key, next);
      }
      node = next;
    }
    leaf[s] = node;
  }
  // Names used by written leaves: marked once per node (a walk stops at a marked ancestor).
  const nodeMarked = new Uint8Array(nodeParent.length);
  const nameUsed = new Uint8Array(profile.names.length);
  const leafWritten = new Uint8Array(nodeParent.length);
  const writeLeaf = (node: number): void => {
    if (node < 0 || leafWritten[node] === 1) return;
    leafWritten[node] = 1;
    const key = prefix + nodeIdText[node]!;
    if (cached(nodeId[node]!) || rows.stacks.has(key)) return;
    rows.stacks.set(key, `${day}\t${tenantField}\t${nodeIdText[node]!}\t[${nodePath[node]!}]\n`);
    for (let n = node; n >= 0 && nodeMarked[n] === 0; n = nodeParent[n]!) {
      nodeMarked[n] = 1;
      nameUsed[nodeName[n]!] = 1;
    }
  };
  const profileIdField = tsvField(validated.profileId);
  const period = Number.isFinite(profile.period) && profile.period > 0 ? profile.period : 0;
  validated.profileTypeIds.forEach((typeId, t) => {
    const values = profile.values[t]!;
    // One row per distinct (leaf, span, trace) of this profile.
    const merged = new Map<string, { node: number; span: string; trace: string; value: number }>();
    for (let s = 0; s < values.length; s++) {
      const value = values[s]!;
      if (value === 0) continue;
      let span = '';
      let trace = '';
      const labels = profile.sampleLabels[s];
      if (labels) {
        for (const [name, labelValue] of labels) {
          if (name === 'span_id') span = labelValue;
          else if (name === 'trace_id') trace = labelValue.toLowerCase();
        }
      }
      const key = span === '' && trace === '' ? String(leaf[s]) : `${leaf[s]}\u0000${span}\u0000${trace}`;
      const previous = merged.get(key);
      if (previous) previous.value += value;
      else merged.set(key, { node: leaf[s]!, span, trace, value });
    }
    // A sample type with nothing in it (e.g. a cumulative delta that did not move) is not stored.
    if (merged.size === 0) return;
    const sid = ids[t]!;
    const seriesKey = prefix + sid;
    if (!cached(sid) && !rows.series.has(seriesKey)) {
      const labels = withDerivedLabels(validated.seriesLabels, typeId);
      rows.series.set(
        seriesKey,
        `${day}\t${tenantField}\t${sid}\t${tsvField(typeId)}\t${tsvField(JSON.stringify(validated.seriesLabels))}\t${tsvStringArray(labels.map((l) => l[0]))}\t${tsvStringArray(labels.map((l) => l[1]))}\n`,
      );
    }
    let seen = rows.seriesSeen.get(tenant);
    if (!seen) rows.seriesSeen.set(tenant, (seen = new Map()));
    seen.set(sid, Math.max(seen.get(sid) ?? 0, validated.timeMs));
    const head = `${day}\t${tenantField}\t${sid}\t${Math.floor(validated.timeMs)}\t${randomPid()}\t${profileIdField}\t${period}\t`;
    for (const { node, span, trace, value } of merged.values()) {
      writeLeaf(node);
      // Stack id 0 (ROOT_PARENT_ID) = a sample with no frames (kept: part of the profile's total).
      rows.samples.push(`${head}${node < 0 ? '0' : nodeIdText[node]!}\t${value}\t${tsvField(span)}\t${tsvField(trace)}\n`);
    }
  });
  for (let nameIndex = 0; nameIndex < nameUsed.length; nameIndex++) {
    if (nameUsed[nameIndex] === 0) continue;
    const nameKey = prefix + nameIdText[nameIndex]!;
    if (!cached(nameIds[nameIndex]!) && !rows.names.has(nameKey)) {
      rows.names.set(nameKey, `${day}\t${tenantField}\t${nameIdText[nameIndex]!}\t${tsvField(profile.names[nameIndex]!)}\n`);
    }
  }
}

export function mergeRows(into: PendingRows, from: PendingRows): void {
  for (const row of from.samples) into.samples.push(row);
  for (const [key, row] of from.names) into.names.set(key, row);
  for (const [key, row] of from.stacks) into.stacks.set(key, row);
  for (const [key, row] of from.series) into.series.set(key, row);
  for (const [tenant, seen] of from.seriesSeen) {
    let target = into.seriesSeen.get(tenant);
    if (!target) into.seriesSeen.set(tenant, (target = new Map()));
    for (const [id, timeMs] of seen) target.set(id, Math.max(target.get(id) ?? 0, timeMs));
  }
}
