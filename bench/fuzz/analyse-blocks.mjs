// Attribution of event-loop blocks (measurement only):
//   node bench/fuzz/analyse-blocks.mjs --blocks /tmp/blocks.jsonl [--profile DIR_OR_FILE.cpuprofile] [--min-ms 80]
// For each block from blockprobe.mjs longer than --min-ms: the requests in flight on the server, and
// (with a main-thread CPU profile from --cpu-prof) the functions that ran during it, by self time and by
// the nearest "handler-ish" frame of ours, so a block can be pinned on an encoder, a merge or GC.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string' },
    profile: { type: 'string' },
    'min-ms': { type: 'string', default: '80' },
    top: { type: 'string', default: '12' },
  },
});
if (!values.blocks) throw new Error('--blocks FILE (written by blockprobe.mjs) is required');
const minMs = Number(values['min-ms']);
const top = Number(values.top);
const allBlocks = readFileSync(values.blocks, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
{
  const max = (key) => Math.max(0, ...allBlocks.map((b) => b[key] ?? 0));
  const over = (key, ms) => allBlocks.filter((b) => (b[key] ?? 0) > ms).length;
  process.stdout.write(`longest gap: wall ${max('gapMs')} ms, main-thread CPU ${max('cpuMs')} ms; gaps > 80 / > 100 ms: wall ${over('gapMs', 80)} / ${over('gapMs', 100)}, CPU ${over('cpuMs', 80)} / ${over('cpuMs', 100)}\n`);
}
const blocks = allBlocks
  .filter((b) => b.gapMs >= minMs)
  .sort((a, b) => a.hrStartUs - b.hrStartUs);

/** Picks the main thread's profile: the biggest .cpuprofile in a folder (workers' are small). */
function loadProfile(where) {
  if (!where) return null;
  let file = where;
  if (statSync(where).isDirectory()) {
    const files = readdirSync(where)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(where, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (!files.length) throw new Error(`no .cpuprofile in ${where}`);
    file = files[0];
  }
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  return { file, profile, byId, parent, times };
}

const prof = loadProfile(values.profile);
const label = (node) => {
  const f = node.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '') : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
};
const ours = (node) => /packages\/(server|core)\//.test(node.callFrame.url);

const totals = new Map(); // "our outermost-but-one frame" → ms across all blocks
for (const block of blocks) {
  const inFlight = block.inFlight.map((r) => `${r.method} ${r.url} [${r.contentType}] age ${r.ageMs} ms`).join('\n      ');
  process.stdout.write(`block ${block.gapMs} ms (CPU ${block.cpuMs ?? '?'} ms) ending ${new Date(block.epochEndMs).toISOString()}\n  in flight:\n      ${inFlight || '(none)'}\n`);
  if (!prof) continue;
  const self = new Map();
  const innerOurs = new Map();
  const outerOurs = new Map();
  let sampledMs = 0;
  const { profile, byId, parent, times } = prof;
  for (let i = 0; i < profile.samples.length; i++) {
    if (times[i] < block.hrStartUs || times[i] > block.hrEndUs) continue;
    const dtMs = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    sampledMs += dtMs;
    const leaf = byId.get(profile.samples[i]);
    const key = label(leaf);
    self.set(key, (self.get(key) ?? 0) + dtMs);
    // Walk up: innermost frame of ours (what of ours was running), outermost of ours (which request path).
    let inner = null;
    let outer = null;
    let chain = [];
    for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (ours(node)) {
        if (!inner) inner = label(node);
        chain.push(label(node));
      }
    }
    outer = chain.length ? chain.slice(-3).reverse().join(' > ') : '(not ours: ' + key + ')';
    innerOurs.set(inner ?? key, (innerOurs.get(inner ?? key) ?? 0) + dtMs);
    outerOurs.set(outer, (outerOurs.get(outer) ?? 0) + dtMs);
    totals.set(inner ?? key, (totals.get(inner ?? key) ?? 0) + dtMs);
  }
  const show = (title, map) => {
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    process.stdout.write(`  ${title}:\n${rows.map(([k, v]) => `    ${v.toFixed(1).padStart(7)} ms  ${k}`).join('\n')}\n`);
  };
  process.stdout.write(`  sampled ${sampledMs.toFixed(1)} ms\n`);
  show('self', self);
  show('innermost frame of ours', innerOurs);
  show('outermost frames of ours', outerOurs);
}
if (prof) {
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top * 2);
  process.stdout.write(`\nall blocks ≥ ${minMs} ms (${blocks.length}), innermost frame of ours:\n${rows.map(([k, v]) => `  ${v.toFixed(1).padStart(8)} ms  ${k}`).join('\n')}\n`);
}
