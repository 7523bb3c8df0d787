/**
 * GET /api/v1/flamegraph?format=tree (level of detail, core/flamegraph/treeWire.ts) against a real
 * server, for every fixture of testdata/ the store accepts: exact root and node totals against the
 * untruncated merge (Connect SelectMergeStacktraces without truncation), the one-pixel rule, seeded zoom sequences spliced like the
 * UI does, and top table / search totals against an independent computation on the untruncated tree.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallTreeBuilder,
  decodeLevels,
  decodeTreeWire,
  flameGraphFromTree,
  focusTree,
  framesFromLodTree,
  ingestFormatOf,
  searchFrames,
  sniffFormat,
  spliceLod,
  topTable,
  TREE_WIRE_CONTENT_TYPE,
  type CallTree,
  type DecodedTreeWire,
  type FlameGraphResponse,
  type LodTree,
} from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { connectJson, ingest, profileTypesOf, readFixture } from './helpers/client.js';

function fixtureFiles(dir = testdataDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return fixtureFiles(full);
      return entry === 'README.md' || entry === 'expected.json' ? [] : [full];
    });
}

/**
 * The untruncated merge as the JSON answer draws it with maxNodes above the node count (no `other`),
 * rebuilt into a call tree: levels keep every name byte for byte (folded text and pprof exports do not:
 * `;`, spaces and empty names).
 */
function treeFromLevels(flamegraph: { names: string[]; levels: { values?: string[] }[]; total: string }): CallTree {
  const frames = decodeLevels({ names: flamegraph.names, levels: flamegraph.levels.map((l) => (l.values ?? []).map(Number)), total: Number(flamegraph.total), maxSelf: 0 });
  const builder = new CallTreeBuilder();
  const nodeOf = new Int32Array(frames.count);
  for (let i = 0; i < frames.count; i++) {
    const p = frames.parent[i]!;
    nodeOf[i] = p < 0 ? 0 : builder.child(nodeOf[p]!, builder.nameId(frames.names[frames.nameIndex[i]!]!));
    builder.addSelf(nodeOf[i]!, frames.selfValues[i]!);
  }
  return builder.build();
}

/** For each node of `tree`, the node of `full` at the same path, or -1. */
function matchInto(full: CallTree, tree: CallTree): Int32Array {
  const map = new Map<string, number>();
  for (let node = 1; node < full.nodeCount; node++) map.set(`${full.parent[node]}\u0000${full.names[full.nameIndex[node]!]}`, node);
  const out = new Int32Array(tree.nodeCount).fill(-1);
  if (tree.nodeCount > 0) out[0] = 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const p = out[tree.parent[node]!]!;
    out[node] = p < 0 ? -1 : (map.get(`${p}\u0000${tree.names[tree.nameIndex[node]!]}`) ?? -1);
  }
  return out;
}

/** Problems of `lod` against the untruncated `full` tree (empty = exact). */
function inexactNodes(full: CallTree, lod: LodTree): string[] {
  const match = matchInto(full, lod);
  const problems: string[] = [];
  if (lod.total[0] !== full.total[0]) problems.push(`root total ${lod.total[0]} ≠ ${full.total[0]}`);
  const fullChildren = new Int32Array(full.nodeCount);
  for (let n = 1; n < full.nodeCount; n++) fullChildren[full.parent[n]!]!++;
  const lodChildren = new Int32Array(lod.nodeCount);
  for (let n = 1; n < lod.nodeCount; n++) lodChildren[lod.parent[n]!]!++;
  for (let node = 0; node < lod.nodeCount && problems.length < 5; node++) {
    const f = match[node]!;
    if (f < 0) problems.push(`node ${lod.names[lod.nameIndex[node]!]} not in the full tree`);
    else if (lod.total[node] !== full.total[f] || lod.self[node] !== full.self[f]) problems.push(`node ${f}: ${lod.total[node]}/${lod.self[node]} ≠ ${full.total[f]}/${full.self[f]}`);
    else if (lod.truncated[node] === 1 && lodChildren[node]! >= fullChildren[f]!) problems.push(`node ${f} truncated but complete`);
  }
  return problems;
}

/** The full-tree nodes the contract sends at `width` for `focus`. */
function expectedSent(full: CallTree, width: number, focus: readonly string[]): number[] {
  let view = 0;
  for (const name of focus) {
    let next = -1;
    for (let n = view + 1; n < full.nodeCount && next < 0; n++) if (full.parent[n] === view && full.names[full.nameIndex[n]!] === name) next = n;
    if (next < 0) return [0];
    view = next;
  }
  const out = new Set<number>([0]);
  for (let n = view; n > 0; n = full.parent[n]!) out.add(n);
  const ok = new Uint8Array(full.nodeCount);
  ok[view] = 1;
  for (let n = view + 1; n < full.nodeCount; n++) {
    if (ok[full.parent[n]!] === 1 && full.total[n]! * width >= full.total[view]!) {
      ok[n] = 1;
      out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}

describe('GET /api/v1/flamegraph?format=tree against the fixtures', () => {
  let server: StartedServer;
  const fromMs = Date.now() - 30 * 60_000;
  const profileMs = Date.now() - 10 * 60_000;
  const untilMs = Date.now() + 60_000;
  /** fixture → its service and stored profile types. */
  const stored: Array<{ file: string; service: string; types: string[] }> = [];

  const get = async (params: Record<string, string>): Promise<Response> =>
    fetch(`${server.baseUrl}/api/v1/flamegraph?${new URLSearchParams({ from: String(fromMs), until: String(untilMs), ...params }).toString()}`);

  const fullTree = async (query: string): Promise<CallTree> => {
    // Connect's SelectMergeStacktraces: sums (gauges are not averaged there), no truncation at this max.
    const brace = query.indexOf('{');
    const { status, body } = await connectJson<{ flamegraph: { names: string[]; levels: { values?: string[] }[]; total: string } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: query.slice(0, brace),
      labelSelector: query.slice(brace),
      start: String(fromMs),
      end: String(untilMs),
      maxNodes: '1048576',
    });
    expect(status).toBe(200);
    return treeFromLevels(body.flamegraph);
  };

  const lodAnswer = async (query: string, width: number, extra: Record<string, string> = {}): Promise<DecodedTreeWire> => {
    const response = await get({ query, format: 'tree', width: String(width), ...extra });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get('content-type')).toBe(TREE_WIRE_CONTENT_TYPE);
    return decodeTreeWire(await response.arrayBuffer());
  };

  beforeAll(async () => {
    server = await startServer({ args: ['--max-profile-size', '64MiB', '--max-samples', '200000'] });
    for (const file of fixtureFiles()) {
      const relative = path.relative(testdataDir, file);
      const raw = readFixture(testdataDir, relative);
      const inner = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      const format = ingestFormatOf(sniffFormat(inner).format);
      if (format === null) continue;
      const service = 'lod-' + relative.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
      const contentType = format === 'pprof' || format === 'jfr' ? 'application/octet-stream' : format === 'speedscope' || format === 'cpuprofile' ? 'application/json' : 'text/plain';
      const response = await ingest(server.baseUrl, { name: service, format, from: String(Math.floor(profileMs / 1000)), until: String(Math.floor(profileMs / 1000) + 10) }, raw, contentType);
      if (response.status !== 200) continue; // refused fixtures (broken/, oversized) are not trees
      const types = await profileTypesOf(server.baseUrl, service);
      if (types.length > 0) stored.push({ file: relative, service, types });
    }
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('the store accepted most fixtures', () => {
    expect(stored.length).toBeGreaterThan(25);
  });

  it('every stored profile type of every fixture: exact totals, the one-pixel rule, exact top table', { timeout: 240_000 }, async () => {
    let checked = 0;
    for (const { file, service, types } of stored) {
      for (const type of types) {
        const query = `${type}{service_name="${service}"}`;
        const full = await fullTree(query);
        if (full.nodeCount <= 1) continue;
        const json = (await (await get({ query })).json()) as FlameGraphResponse;
        for (const width of [1, 300, 1920]) {
          const answer = await lodAnswer(query, width);
          expect(inexactNodes(full, answer.tree), `${file} ${type} width ${width}`).toEqual([]);
          expect(Array.from(matchInto(full, answer.tree)).sort((a, b) => a - b), `${file} ${type} width ${width}`).toEqual(expectedSent(full, width, []));
          expect(answer.header.fullNodeCount).toBe(full.nodeCount);
          expect(answer.header.profileCount).toBe(json.profileCount);
          // Wire values are sums; the JSON answer of a gauge is their mean over the profiles.
          if (answer.header.aggregation === 'average') expect(json.flamegraph.total).toBeCloseTo(full.total[0]! / json.profileCount, 6);
          else expect(json.flamegraph.total).toBe(full.total[0]);
          expect(answer.header.top).toEqual(topTable(full, 500));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('seeded zoom sequences: the spliced tree equals the untruncated tree on every node it holds', { timeout: 240_000 }, async () => {
    let seed = 20261129;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    for (const { file, service, types } of stored) {
      const type = types[0]!;
      const query = `${type}{service_name="${service}"}`;
      const full = await fullTree(query);
      let shown = (await lodAnswer(query, 1200)).tree;
      for (let zoom = 0; zoom < 5; zoom++) {
        const frames = framesFromLodTree(shown);
        if (frames.count < 2) break;
        // `focus` is `;`-separated (as today's JSON answer has it): a path through a name holding `;` cannot be asked for.
        let focus: string[] = [];
        for (let attempt = 0; attempt < 20 && (focus.length === 0 || focus.some((name) => name.includes(';'))); attempt++) {
          focus = [];
          for (let f = 1 + Math.floor(next() * (frames.count - 1)); f > 0; f = frames.parent[f]!) focus.unshift(frames.names[frames.nameIndex[f]!]!);
        }
        if (focus.some((name) => name.includes(';'))) break;
        const width = 300 + Math.floor(next() * 1700);
        const detail = await lodAnswer(query, width, { focus: focus.join(';') });
        expect(detail.header.focusPath).toEqual(focus);
        // The focused answer's top table is today's JSON answer's for the same focus.
        expect(detail.header.top).toEqual(topTable(focusTree(full, focus, { keepPrefix: true }), 500));
        expect(Array.from(matchInto(full, detail.tree)).sort((a, b) => a - b)).toEqual(expectedSent(full, width, focus));
        shown = spliceLod(shown, detail);
        expect(inexactNodes(full, shown), `${file} zoom ${zoom} into ${focus.join(';')}`).toEqual([]);
      }
    }
  });

  it('search totals equal searching the untruncated flame graph (substring and RE2)', async () => {
    for (const { service, types } of stored.slice(0, 12)) {
      const query = `${types[0]}{service_name="${service}"}`;
      const full = await fullTree(query);
      const frames = decodeLevels(flameGraphFromTree(full, 0).flamegraph);
      for (const search of [{ text: 'runtime', regex: false }, { text: '^(main|java)', regex: true }, { text: 'no-such-frame', regex: false }]) {
        const expected = searchFrames(frames, search);
        let matchedSelf = 0;
        for (let i = 0; i < frames.count; i++) if (expected.matched[i]) matchedSelf += frames.selfValues[i]!;
        const answer = await lodAnswer(query, 800, { search: search.text, ...(search.regex ? { searchRegex: '1' } : {}) });
        expect(answer.header.search).toEqual({ ...search, matchedTotal: expected.matchedValue, matchedSelf });
      }
    }
  });

  it('the JSON answer is unchanged by the tree route and agrees on top and total', async () => {
    const { service, types } = stored.find((s) => s.file === 'java/profile_java') ?? stored[0]!;
    const query = `${types[0]}{service_name="${service}"}`;
    const json = (await (await get({ query, maxNodes: '64' })).json()) as FlameGraphResponse;
    const tree = await lodAnswer(query, 1200);
    expect(json.flamegraph.total).toBe(tree.tree.total[0]);
    expect(json.top).toEqual(tree.header.top);
    expect(tree.header.aggregation).toBe('sum');
    expect(json.flamegraph.levels.flat().length / 4).toBeLessThanOrEqual(64 + 64);
  });

  it('a focus that is not in the selection: the root alone, viewRootNode -1', async () => {
    const { service, types } = stored[0]!;
    const answer = await lodAnswer(`${types[0]}{service_name="${service}"}`, 500, { focus: 'no;such;path' });
    expect(answer.header.viewRootNode).toBe(-1);
    expect(answer.tree.nodeCount).toBe(1);
    expect(answer.header.top).toEqual([]);
  });

  it('focusPath= (a JSON array) reaches frames whose names contain ";", which focus= cannot', async () => {
    // Go generics put `;` in names (testdata/go/gotruncatefix: NewUnaryHandler[go.shape.struct { …; … }]).
    let checked = 0;
    for (const { file, service, types } of stored) {
      for (const type of types) {
        const query = `${type}{service_name="${service}"}`;
        const full = await fullTree(query);
        let node = -1;
        for (let n = 1; n < full.nodeCount && node < 0; n++) if (full.names[full.nameIndex[n]!]!.includes(';')) node = n;
        if (node < 0) continue;
        const focus: string[] = [];
        for (let n = node; n > 0; n = full.parent[n]!) focus.unshift(full.names[full.nameIndex[n]!]!);
        const answer = await lodAnswer(query, 800, { focusPath: JSON.stringify(focus) });
        expect(answer.header.viewRootNode, file).toBeGreaterThan(0);
        expect(answer.header.focusPath).toEqual(focus);
        expect(inexactNodes(full, answer.tree), file).toEqual([]);
        expect(Array.from(matchInto(full, answer.tree)).sort((a, b) => a - b), file).toEqual(expectedSent(full, 800, focus));
        expect(answer.header.top).toEqual(topTable(focusTree(full, focus, { keepPrefix: true }), 500));
        // The same path `;`-joined splits the name: not in the selection.
        expect((await lodAnswer(query, 800, { focus: focus.join(';') })).header.viewRootNode).toBe(-1);
        // The JSON answer takes it too (one parser for every format).
        const json = (await (await get({ query, focusPath: JSON.stringify(focus) })).json()) as FlameGraphResponse;
        expect(json.flamegraph.total).toBe(full.total[node]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    const { service, types } = stored[0]!;
    const query = `${types[0]}{service_name="${service}"}`;
    const refused: Record<string, string>[] = [{ focusPath: 'a;b' }, { focusPath: '{"a":1}' }, { focusPath: '["a",2]' }, { focusPath: '["a"]', focus: 'a' }];
    for (const params of refused) {
      const response = await get({ query, format: 'tree', ...params });
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(((await response.json()) as { reason?: string }).reason).toMatch(/QUERY_INVALID_ARGUMENT/);
    }
  });

  it('refuses a bad width or search pattern with 400 QUERY_INVALID_ARGUMENT', async () => {
    const { service, types } = stored[0]!;
    const query = `${types[0]}{service_name="${service}"}`;
    const cases: Record<string, string>[] = [{ width: '0' }, { width: '16385' }, { width: '12.5' }, { width: 'wide' }, { search: '(', searchRegex: '1' }, { search: 'x', searchRegex: 'maybe' }];
    for (const params of cases) {
      const response = await get({ query, format: 'tree', ...params });
      expect(response.status, JSON.stringify(params)).toBe(400);
      const body = (await response.json()) as { reason?: string };
      expect(body.reason, JSON.stringify(body)).toMatch(/QUERY_INVALID_ARGUMENT/);
    }
  });
});
