// Byte-level mutators: bit flips, truncation, insertion, deletion, splicing, and protobuf-aware
// varint / length tweaks (a wire-format walk finds the varints, so a mutation lands in a field value
// or a length prefix rather than only in random bytes).
import { gunzipSync, gzipSync } from 'node:zlib';

export const isGzip = (bytes) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Gunzip when gzipped (bounded: a corrupt or huge member yields the input unchanged). */
export function maybeGunzip(bytes) {
  if (!isGzip(bytes)) return Buffer.from(bytes);
  try {
    return gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 });
  } catch {
    return Buffer.from(bytes);
  }
}

export const gzip = (bytes) => gzipSync(bytes, { level: 6 });

/** Interesting varint values: edges of int32/int64/uint64, and zero/one. */
const VARINTS = [0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

export function encodeVarint(value) {
  const out = [];
  let v = BigInt.asUintN(64, value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

/**
 * Offsets of varints in a protobuf message (recursing into length-delimited fields that parse as
 * messages), bounded to 4,096 entries and depth 8. Each entry: { start, end, isLength }.
 */
export function protoVarints(bytes, maxEntries = 4096) {
  const readVarint = (pos, end) => {
    let shift = 0n;
    let value = 0n;
    for (let i = pos; i < end && i < pos + 10; i++) {
      value |= BigInt(bytes[i] & 0x7f) << shift;
      if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
      shift += 7n;
    }
    return null;
  };
  const walk = (start, end, depth) => {
    const local = [];
    let pos = start;
    while (pos < end) {
      const key = readVarint(pos, end);
      if (!key || key.value === 0n) return null;
      const wire = Number(key.value & 7n);
      pos = key.next;
      if (wire === 0) {
        const v = readVarint(pos, end);
        if (!v) return null;
        local.push({ start: pos, end: v.next, isLength: false });
        pos = v.next;
      } else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = readVarint(pos, end);
        if (!len || len.next + Number(len.value) > end) return null;
        local.push({ start: pos, end: len.next, isLength: true });
        const bodyStart = len.next;
        const bodyEnd = len.next + Number(len.value);
        if (depth < 8 && bodyEnd > bodyStart) {
          const inner = walk(bodyStart, bodyEnd, depth + 1);
          if (inner) local.push(...inner);
        }
        pos = bodyEnd;
      } else return null;
      if (local.length > maxEntries) break;
    }
    return pos <= end ? local : null;
  };
  const all = walk(0, bytes.length, 0) ?? [];
  return all.length > maxEntries ? all.slice(0, maxEntries) : all;
}

/** Replaces one varint (a field value or a length prefix) with an edge value or an overlong encoding. */
export function varintTweak(rng, bytes) {
  const varints = protoVarints(bytes);
  if (varints.length === 0) return bitFlip(rng, bytes, 1);
  const target = rng.pick(varints);
  let replacement;
  if (target.isLength && rng.chance(0.5)) {
    // Length off by a little: the classic truncated/overrunning sub-message.
    const delta = rng.pick([-2, -1, 1, 2, 1000]);
    let value = 0n;
    for (let i = target.end - 1; i >= target.start; i--) value = (value << 7n) | BigInt(bytes[i] & 0x7f);
    replacement = encodeVarint(value + BigInt(delta) < 0n ? 0n : value + BigInt(delta));
  } else if (rng.chance(0.15)) {
    replacement = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]); // 11 bytes: overlong
  } else {
    replacement = encodeVarint(rng.pick(VARINTS));
  }
  return Buffer.concat([bytes.subarray(0, target.start), replacement, bytes.subarray(target.end)]);
}

export function bitFlip(rng, bytes, count = 1 + rng.int(8)) {
  const out = Buffer.from(bytes);
  if (out.length === 0) return out;
  for (let i = 0; i < count; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
}

export function truncate(rng, bytes) {
  if (bytes.length === 0) return Buffer.from(bytes);
  return Buffer.from(bytes.subarray(0, rng.int(bytes.length)));
}

export function insertBytes(rng, bytes) {
  const at = rng.int(bytes.length + 1);
  const junk = rng.chance(0.5) ? rng.bytes(1 + rng.int(16)) : Buffer.alloc(1 + rng.int(64), rng.pick([0x00, 0xff, 0x3b, 0x0a, 0x7b, 0x22]));
  return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
}

export function deleteBytes(rng, bytes) {
  if (bytes.length === 0) return Buffer.from(bytes);
  const at = rng.int(bytes.length);
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rng.int(32)))]);
}

/** First part of one input + second part of another: structure from both, boundaries wrong. */
export function splice(rng, a, b) {
  return Buffer.concat([a.subarray(0, rng.int(a.length + 1)), b.subarray(rng.int(b.length + 1))]);
}

/**
 * One to three random mutations. `other` (optional) is a second input for splicing; `proto` says
 * the bytes are a protobuf message, so varint tweaks are likely.
 */
export function mutate(rng, bytes, { other = null, proto = false } = {}) {
  let out = Buffer.from(bytes);
  const steps = 1 + rng.int(3);
  const applied = [];
  for (let i = 0; i < steps; i++) {
    const kind = rng.weighted([
      [3, 'bitflip'],
      [2, 'truncate'],
      [2, 'insert'],
      [2, 'delete'],
      [other ? 1 : 0, 'splice'],
      [proto ? 5 : 0, 'varint'],
    ]);
    applied.push(kind);
    if (kind === 'bitflip') out = bitFlip(rng, out);
    else if (kind === 'truncate') out = truncate(rng, out);
    else if (kind === 'insert') out = insertBytes(rng, out);
    else if (kind === 'delete') out = deleteBytes(rng, out);
    else if (kind === 'splice') out = splice(rng, out, other);
    else out = varintTweak(rng, out);
  }
  return { bytes: out, applied };
}
