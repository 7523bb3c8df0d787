// The fuzzer's inputs: the real fixtures in testdata/ (grouped by format) and crafted bodies for
// the classes a mutator rarely reaches by chance (deep chains, extreme numbers, amplification).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { encodeVarint, gzip, maybeGunzip } from './mutate.mjs';

/** Larger files are skipped: a fuzz request should be cheap unless it is crafted to be expensive. */
const MAX_FIXTURE_BYTES = 400 * 1024;

function walkFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walkFiles(full));
    else out.push(full);
  }
  return out;
}

/** Fixtures by format. `name` is the path relative to testdata/ (shown in reproducers). */
export function loadFixtures(testdataDir) {
  const groups = { pprof: [], sampleTypeConfig: [], folded: [], speedscope: [], jfr: [], jfrLabels: [], cpuprofile: [], perfScript: [], otlp: [], other: [] };
  for (const full of walkFiles(testdataDir)) {
    const name = path.relative(testdataDir, full);
    if (name === 'README.md' || name === 'expected.json' || name.startsWith('java-jfr/expected/')) continue;
    const size = statSync(full).size;
    if (size > MAX_FIXTURE_BYTES) continue;
    const bytes = readFileSync(full);
    const entry = { name, bytes };
    if (name.endsWith('.st.json')) groups.sampleTypeConfig.push(entry);
    else if (name.includes('speedscope') && name.endsWith('.json')) groups.speedscope.push(entry);
    else if (name.startsWith('perf-script/')) groups.perfScript.push(entry);
    else if (name.endsWith('.cpuprofile')) groups.cpuprofile.push(entry);
    else if (name.endsWith('.txt')) groups.folded.push(entry);
    else if (name.endsWith('.labels.pb.gz')) groups.jfrLabels.push(entry);
    else if (name.includes('.jfr')) groups.jfr.push(entry);
    else if (name.startsWith('otlp/') && name.endsWith('.pb.bin')) groups.otlp.push(entry);
    else if (name.endsWith('.json') || name.endsWith('.cpuprofile') || name.startsWith('otlp/')) groups.other.push(entry);
    else groups.pprof.push(entry);
  }
  for (const [group, entries] of Object.entries(groups)) {
    if (entries.length === 0 && group !== 'other') throw new Error(`no ${group} fixtures under ${testdataDir}`);
  }
  return groups;
}

// ------------------------------------------------------------------ legacy binary formats (tree/trie)

/** format=tree: pre-order `uvarint len, name, uvarint self, uvarint childCount`; root name "". */
export function encodeTreeFormat(node) {
  const out = [];
  const stack = [node];
  while (stack.length) {
    const current = stack.pop();
    const name = Buffer.from(current.name, 'utf8');
    out.push(...encodeVarint(BigInt(name.length)), ...name, ...encodeVarint(BigInt(current.value ?? 0)), ...encodeVarint(BigInt(current.children?.length ?? 0)));
    for (let i = (current.children?.length ?? 0) - 1; i >= 0; i--) stack.push(current.children[i]);
  }
  return Buffer.from(out);
}

/** A chain root → f0 → … → f(depth-1) with value 1 at the leaf, written without recursion. */
export function deepTreeBody(depth, trie = false) {
  const chunks = [Buffer.from([0, 0, 1])]; // root: "" value 0, one child
  for (let i = 0; i < depth; i++) {
    const name = Buffer.from(trie ? (i === 0 ? 'f' : ';f') : 'f');
    const last = i === depth - 1;
    chunks.push(Buffer.from([name.length]), name, Buffer.from([last ? 1 : 0, last ? 0 : 1]));
  }
  return Buffer.concat(chunks);
}

/** A small random tree for format=tree / trie (trie names are `;`-prefixed key chunks). */
export function randomTree(rng, trie = false) {
  let budget = 2 + rng.int(40);
  const make = (depth) => {
    const children = [];
    const count = depth > 6 || budget <= 0 ? 0 : rng.int(4);
    for (let i = 0; i < count && budget > 0; i++, budget--) {
      const frame = rng.pick(['main', 'runtime.mallocgc', 'net/http.(*conn).serve', 'a', 'b', 'fib', 'λ', 'x'.repeat(1 + rng.int(20))]);
      children.push({ name: trie ? `;${frame}` : frame, value: rng.chance(0.6) ? 1 + rng.int(1000) : 0, children: make(depth + 1).children });
    }
    return { name: '', value: 0, children };
  };
  const root = make(0);
  if (trie && root.children.length) for (const child of root.children) child.name = child.name.slice(1);
  return encodeTreeFormat(root);
}

// ------------------------------------------------------------------ crafted text bodies

export const HUGE_NUMBERS = ['9'.repeat(400), '9223372036854775807', '9223372036854775808', '18446744073709551616', '-1', '1e308', '1e309', 'NaN', 'Infinity', '0x10', '1.5', '-0', '00000000000000000000001', '4294967296'];

export function deepFoldedBody(depth, count = '1') {
  const frames = [];
  for (let i = 0; i < depth; i++) frames.push(`f${i % 10}`);
  return Buffer.from(`${frames.join(';')} ${count}\n`);
}

export function speedscopeEvented(depth, { weightAt = (i) => i, unit = 'milliseconds' } = {}) {
  const events = [];
  for (let i = 0; i < depth; i++) events.push({ type: 'O', frame: i % 4, at: weightAt(i) });
  for (let i = depth - 1; i >= 0; i--) events.push({ type: 'C', frame: i % 4, at: weightAt(2 * depth - 1 - i) });
  return Buffer.from(
    JSON.stringify({
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }] },
      profiles: [{ type: 'evented', name: 'fuzz', unit, startValue: 0, endValue: weightAt(2 * depth), events }],
    }),
  );
}

/** Sampled speedscope with literal weights (text, so 1e400 and -1 reach the decoder as written). */
export function speedscopeSampledRaw(weights, depth = 3) {
  const stack = Array.from({ length: depth }, (_, i) => i % 4);
  const samples = weights.map(() => JSON.stringify(stack)).join(',');
  return Buffer.from(
    `{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]},` +
      `"profiles":[{"type":"sampled","name":"fuzz","unit":"none","startValue":0,"endValue":${weights.length},"samples":[${samples}],"weights":[${weights.join(',')}]}]}`,
  );
}

// ------------------------------------------------------------------ crafted pprof (via the generated schema)

/**
 * Crafted pprof messages: extreme values, inline amplification, deep stacks, broken references.
 * `proto` = { create, toBinary, ProfileSchema }. Returns { bytes, variant }.
 */
export function craftedPprof(rng, proto) {
  const { create, toBinary, ProfileSchema } = proto;
  const variant = rng.pick(['int64-max', 'negative', 'inline-amplification', 'deep-stack', 'bad-string-index', 'bad-location-ref', 'huge-period', 'time-extremes', 'no-sample-types', 'many-sample-types', 'long-names', 'many-labels']);
  const strings = ['', 'samples', 'count', 'cpu', 'nanoseconds', 'main', 'work', 'main.go', 'key', 'value'];
  const fn = (id, nameIndex = 5n) => ({ id: BigInt(id), name: nameIndex, systemName: nameIndex, filename: 7n, startLine: 1n });
  const profile = {
    sampleType: [
      { type: 1n, unit: 2n },
      { type: 3n, unit: 4n },
    ],
    periodType: { type: 3n, unit: 4n },
    period: 10_000_000n,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    durationNanos: 10_000_000_000n,
    function: [fn(1), fn(2, 6n)],
    location: [
      { id: 1n, line: [{ functionId: 1n, line: 10n }] },
      { id: 2n, line: [{ functionId: 2n, line: 20n }] },
    ],
    sample: [{ locationId: [2n, 1n], value: [5n, 50_000_000n] }],
    stringTable: strings,
  };
  if (variant === 'int64-max') profile.sample.push({ locationId: [1n], value: [2n ** 63n - 1n, 2n ** 63n - 1n] });
  else if (variant === 'negative') profile.sample.push({ locationId: [1n], value: [-1n, -(2n ** 63n)] });
  else if (variant === 'inline-amplification') {
    // One location with N inlined lines referenced M times per sample: N×M frames from a tiny body.
    const lines = rng.pick([10, 100, 1000]);
    const refs = rng.pick([10, 1000, 100_000]);
    profile.location.push({ id: 3n, line: Array.from({ length: lines }, () => ({ functionId: 1n, line: 1n })) });
    profile.sample.push({ locationId: Array.from({ length: refs }, () => 3n), value: [1n, 1n] });
  } else if (variant === 'deep-stack') {
    const depth = rng.pick([1000, 20_000, 200_000]);
    profile.sample.push({ locationId: Array.from({ length: depth }, (_, i) => BigInt(1 + (i % 2))), value: [1n, 1n] });
  } else if (variant === 'bad-string-index') {
    profile.function.push({ id: 3n, name: 2n ** 40n, systemName: 999n, filename: -1n, startLine: 0n });
    profile.location.push({ id: 3n, line: [{ functionId: 3n }] });
    profile.sample.push({ locationId: [3n], value: [1n, 1n] });
  } else if (variant === 'bad-location-ref') profile.sample.push({ locationId: [0n, 77n, 2n ** 63n - 1n], value: [1n, 1n] });
  else if (variant === 'huge-period') profile.period = rng.pick([2n ** 63n - 1n, -1n, 0n]);
  else if (variant === 'time-extremes') {
    profile.timeNanos = rng.pick([2n ** 63n - 1n, -(2n ** 63n), -1n, 0n]);
    profile.durationNanos = rng.pick([2n ** 63n - 1n, -1n]);
  } else if (variant === 'no-sample-types') profile.sampleType = [];
  else if (variant === 'many-sample-types') {
    profile.sampleType = Array.from({ length: 200 }, () => ({ type: 1n, unit: 2n }));
    profile.sample = [{ locationId: [1n], value: Array.from({ length: 200 }, () => 1n) }];
  } else if (variant === 'long-names') {
    profile.stringTable[5] = 'm'.repeat(rng.pick([70_000, 1_000_000]));
  } else if (variant === 'many-labels') {
    profile.sample[0].label = Array.from({ length: rng.pick([100, 5000]) }, (_, i) => ({ key: 8n, str: 9n, num: BigInt(i) }));
  }
  const bytes = Buffer.from(toBinary(ProfileSchema, create(ProfileSchema, profile)));
  return { bytes: rng.chance(0.5) ? gzip(bytes) : bytes, variant };
}

/** gzip of `size` zero bytes: a decompression bomb that must stop at the decompressed limit. */
const bombs = new Map();
export function gzipBomb(size) {
  if (!bombs.has(size)) bombs.set(size, gzip(Buffer.alloc(size)));
  return bombs.get(size);
}

export { gzip, maybeGunzip };
