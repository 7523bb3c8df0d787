// A deterministic ~1M-node CPU profile as pprof bytes, for the big-profile benchmarks (query,
// ingest, bench:ui end to end). Shaped like a real CPU profile of a big Go/Java service: ~150k
// samples, stacks ~30 frames deep that share long prefixes (each sample adds a handful of new
// nodes below a prefix of an earlier one), ~25k distinct function names. ~11–12 MB uncompressed.
// Usage: `node bench/bigProfile.mjs [out.pb] [nodes]` writes the file; import bigPprof() otherwise.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib.mjs';

const core = await import(path.join(repoRoot, 'packages/core/dist/index.js'));
const { pprofBytesFromTree } = await import(path.join(repoRoot, 'packages/server/dist/query/pprofExport.js'));

/** The call tree: exactly `nodeCount` nodes (root included), every sample a leaf. */
export function bigTree(nodeCount = 1_000_000) {
  // mulberry32: exact in 32-bit integer arithmetic (an LCG in doubles loses bits and cycles early).
  let seed = 424242;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const builder = new core.CallTreeBuilder();
  const names = Array.from({ length: 25_000 }, (_, i) => `github.com/acme/svc/pkg${i % 97}.(*Type${i % 211}).Method${i}`);
  const nameIds = names.map((name) => builder.nameId(name));
  let previous = [];
  let created = 1;
  while (created < nodeCount) {
    // A prefix of the previous stack (long, as consecutive samples of a busy service are), then new frames.
    const keep = previous.length === 0 ? 0 : Math.floor(previous.length * (0.48 + 0.47 * random() ** 0.5));
    const stack = previous.slice(0, keep);
    const depth = 16 + Math.floor(random() * 20);
    let node = stack.length === 0 ? core.ROOT_NODE : stack[stack.length - 1];
    while (stack.length < depth && created < nodeCount) {
      // Hot names near the top (runtime, http), a long tail below.
      const nameId = nameIds[Math.floor(random() ** (stack.length < 6 ? 6 : 1.4) * nameIds.length)];
      const before = created;
      node = builder.child(node, nameId);
      if (node === before) created++;
      stack.push(node);
    }
    builder.addSelf(node, 10_000_000 * (1 + Math.floor(random() * 3)));
    previous = stack;
  }
  return builder.build();
}

/** pprof bytes (uncompressed) of bigTree(nodeCount), cached under bench/.out. */
export function bigPprof(nodeCount = 1_000_000) {
  const dir = path.join(repoRoot, 'bench/.out');
  const file = path.join(dir, `big-${nodeCount}.pb`);
  if (existsSync(file)) return new Uint8Array(readFileSync(file));
  const bytes = pprofBytesFromTree(bigTree(nodeCount), {
    sampleType: 'cpu',
    sampleUnit: 'nanoseconds',
    periodType: 'cpu',
    periodUnit: 'nanoseconds',
    timeNanos: 1_700_000_000_000_000_000n,
    durationNanos: 10_000_000_000n,
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, bytes);
  return bytes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const nodeCount = Number(process.argv[3] ?? 1_000_000);
  const bytes = bigPprof(nodeCount);
  if (process.argv[2]) writeFileSync(process.argv[2], bytes);
  process.stderr.write(`${nodeCount} nodes: ${(bytes.length / 1048576).toFixed(1)} MiB pprof\n`);
}
