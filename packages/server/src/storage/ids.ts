/**
 * Content-addressed identities for everything a store keeps: any writer on any machine computes
 * the same id for the same content, without coordination and without loading anything first.
 *
 * All ids are xxHash64 (unsigned 64-bit, as bigint) of a byte layout fixed here:
 *   name id        = h64(utf8(name), seed 1)
 *   stack node id  = h64(le64(parent id) ‖ le64(name id), seed 2), the root's parent id is 0
 *   series id      = h64(utf8(JSON.stringify([tenant, profile type id, n1, v1, n2, v2, …])), seed 3),
 *                    labels sorted by name as ValidatedProfile keeps them (JSON keeps any
 *                    character of a field from being read as a separator)
 * Id 0 is reserved for "no parent" (a hash of 0 would be read as the root: probability 2^-64).
 *
 * Collisions: for n distinct items of one kind the chance that any two share an id is about
 * n² / 2^65 — 10^8 stack nodes in one tenant: 2.7·10^-4; 10^7: 2.7·10^-6. A collision merges two
 * nodes' values in flame graphs; it never corrupts other data. Changing this layout changes every
 * id: it is part of the stored format (schema version).
 */
import xxhash from 'xxhash-wasm';

const hasher = await xxhash();
const NAME_SEED = 1n;
const STACK_SEED = 2n;
const SERIES_SEED = 3n;
const encoder = new TextEncoder();
const pair = new Uint8Array(16);
const pairView = new DataView(pair.buffer);

export type Id64 = bigint;

export const ROOT_PARENT_ID: Id64 = 0n;

export function nameId(name: string): Id64 {
  return hasher.h64Raw(encoder.encode(name), NAME_SEED);
}

export function stackNodeId(parentId: Id64, functionNameId: Id64): Id64 {
  pairView.setBigUint64(0, parentId, true);
  pairView.setBigUint64(8, functionNameId, true);
  return hasher.h64Raw(pair, STACK_SEED);
}

export function seriesId(tenant: string, profileTypeId: string, sortedLabels: ReadonlyArray<readonly [string, string]>): Id64 {
  const fields: string[] = [tenant, profileTypeId];
  for (const [name, value] of sortedLabels) fields.push(name, value);
  return hasher.h64Raw(encoder.encode(JSON.stringify(fields)), SERIES_SEED);
}
