import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import {
  CallTreeBuilder,
  CinderError,
  ErrorCodes,
  callTreeFromProfile,
  collapsedFromTree,
  cpuprofileFromTree,
  decodeCollapsed,
  decodeCpuprofile,
  decodeLevels,
  decodePprof,
  decodeSpeedscope,
  flameGraphFromTree,
  flameGraphSvg,
  parseFrameLocation,
  pgoProfileFromTree,
  selfContainedHtml,
  speedscopeFromTree,
  totalOf,
  treeTotal,
  type CallTree,
} from '@cinder/core';
import { testdataDir } from '../testdata.js';

/** Nanoseconds in one unit of each time unit the fixtures use. */
const NANOSECONDS_PER: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

const unlimited = { maxSamples: Number.MAX_SAFE_INTEGER, maxFramesPerProfile: Number.MAX_SAFE_INTEGER };

function fixtureTree(relative: string, sampleType?: string): { tree: CallTree; unit: string } {
  let bytes = readFileSync(path.join(testdataDir, relative));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (relative.endsWith('.txt')) return { tree: callTreeFromProfile(decodeCollapsed(bytes.toString('utf8'), unlimited), 0), unit: 'count' };
  const profile = decodePprof(bytes, { limits: unlimited });
  const index = sampleType === undefined ? 0 : profile.sampleTypes.findIndex((t) => t.type === sampleType);
  return { tree: callTreeFromProfile(profile, index), unit: profile.sampleTypes[index]!.unit };
}

/** Folded text of a tree with every value multiplied and rounded: exact comparison after unit scaling. */
function scaledCollapsed(tree: CallTree, scale: number): string {
  const builder = new CallTreeBuilder();
  for (const line of collapsedFromTree(tree).split('\n').filter(Boolean)) {
    const space = line.lastIndexOf(' ');
    builder.addStack(line.slice(0, space).split(';'), Math.round(Number(line.slice(space + 1)) * scale));
  }
  return collapsedFromTree(builder.build());
}

const FIXTURES: [file: string, sampleType: string | undefined][] = [
  ['go/cpu.pb.gz', 'cpu'],
  ['go/heap.pb.gz', 'inuse_space'],
  ['java/profile_java', 'cpu'],
  ['nodejs/nodejs-wall.pb.gz', 'wall'],
  ['collapsed/perf-vertx-stacks-01-collapsed-all.txt', undefined],
];

describe('speedscope export', () => {
  for (const [file, sampleType] of FIXTURES) {
    it(`${file}: decodeSpeedscope reads back the same stacks and total`, () => {
      const { tree, unit } = fixtureTree(file, sampleType);
      expect(treeTotal(tree)).toBeGreaterThan(0);
      const entries = decodeSpeedscope(speedscopeFromTree(tree, { name: file, unit }), unlimited);
      expect(entries).toHaveLength(1);
      // Time units come back as samples at 100 Hz (10 ms each), as the ingest pipeline expects.
      const scale = unit in NANOSECONDS_PER ? 1e7 / NANOSECONDS_PER[unit]! : 1;
      const back = callTreeFromProfile(entries[0]!.profile, 0);
      expect(scaledCollapsed(back, scale)).toBe(collapsedFromTree(tree));
      expect(treeTotal(back) * scale).toBeCloseTo(treeTotal(tree), 0);
      expect(entries[0]!.unit).toBe(unit === 'count' ? 'none' : unit);
    });
  }
  it('writes the schema, one frame per name and one sample per node with self', () => {
    const builder = new CallTreeBuilder();
    builder.addStack(['main', 'a'], 3);
    builder.addStack(['main'], 1);
    const file = JSON.parse(speedscopeFromTree(builder.build(), { name: 'x', unit: 'objects' })) as {
      $schema: string;
      shared: { frames: { name: string }[] };
      profiles: { unit: string; samples: number[][]; weights: number[]; endValue: number }[];
    };
    expect(file.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(file.shared.frames).toEqual([{ name: 'main' }, { name: 'a' }]);
    expect(file.profiles[0]).toMatchObject({ unit: 'none', samples: [[0], [0, 1]], weights: [1, 3], endValue: 4 });
  });
});

/** Weight of each node under the two readings of timeDeltas (see exportCpuprofile.ts). */
function cpuprofileWeights(profile: ReturnType<typeof cpuprofileFromTree>): { sinceLast: Map<number, number>; untilNext: Map<number, number> } {
  const sinceLast = new Map<number, number>();
  const untilNext = new Map<number, number>();
  const times: number[] = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((at += delta));
  profile.samples.forEach((id, i) => {
    sinceLast.set(id, (sinceLast.get(id) ?? 0) + profile.timeDeltas[i]!);
    untilNext.set(id, (untilNext.get(id) ?? 0) + ((i + 1 < times.length ? times[i + 1]! : profile.endTime) - times[i]!));
  });
  return { sinceLast, untilNext };
}

describe('.cpuprofile export', () => {
  for (const [file, sampleType] of FIXTURES.filter(([, type]) => type === 'cpu' || type === 'wall')) {
    it(`${file}: each node gets exactly its self time under both readings of timeDeltas`, () => {
      const { tree, unit } = fixtureTree(file, sampleType);
      const profile = cpuprofileFromTree(tree, { unit, startTimeUs: 1_000_000 });
      expect(profile.nodes[0]!.callFrame.functionName).toBe('(root)');
      expect(profile.nodes).toHaveLength(tree.nodeCount);
      for (const node of profile.nodes) for (const child of node.children ?? []) expect(tree.parent[child - 1]).toBe(node.id - 1);
      expect(profile.samples).toHaveLength(profile.timeDeltas.length);
      const usPerUnit = NANOSECONDS_PER[unit]! / 1000;
      expect(profile.endTime - profile.startTime).toBeCloseTo(treeTotal(tree) * usPerUnit, 3);
      const { sinceLast, untilNext } = cpuprofileWeights(profile);
      for (let node = 1; node < tree.nodeCount; node++) {
        const selfUs = tree.self[node]! * usPerUnit;
        expect(sinceLast.get(node + 1) ?? 0).toBeCloseTo(selfUs, 3);
        expect(untilNext.get(node + 1) ?? 0).toBeCloseTo(selfUs, 3);
      }
    });
  }
  it('refuses a profile that is not time, naming the formats that fit', () => {
    const { tree } = fixtureTree('go/heap.pb.gz', 'inuse_space');
    expect(() => cpuprofileFromTree(tree, { unit: 'bytes' })).toThrow(CinderError);
    try {
      cpuprofileFromTree(tree, { unit: 'bytes' });
    } catch (error) {
      expect((error as CinderError).code).toBe(ErrorCodes.QUERY_INVALID_ARGUMENT);
      expect((error as Error).message).toMatch(/pprof, speedscope or folded/);
    }
  });

  it('go/cpu.pb.gz and profile_java: core\'s .cpuprofile decoder reads the export back to the same stacks and total (ns)', () => {
    for (const file of ['go/cpu.pb.gz', 'java/profile_java']) {
      const { tree, unit } = fixtureTree(file, 'cpu');
      const profile = decodeCpuprofile(JSON.stringify(cpuprofileFromTree(tree, { unit })), unlimited);
      expect(profile.sampleTypes[0]).toEqual({ type: 'wall', unit: 'nanoseconds' });
      expect(totalOf(profile, 0)).toBeCloseTo(treeTotal(tree), 0);
      // Names come back as written (no url, so no "url:" prefix or ":line" suffix).
      expect(scaledCollapsed(callTreeFromProfile(profile, 0), 1)).toBe(collapsedFromTree(tree));
    }
  });
});

describe('SVG and HTML export', () => {
  const { tree, unit } = fixtureTree('go/cpu.pb.gz', 'cpu');
  const data = flameGraphFromTree(tree).flamegraph;
  it('the SVG draws the root with the total in its title', () => {
    const svg = flameGraphSvg(decodeLevels(data), unit);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<title>total: 470 ms</title>');
    expect(svg).toContain('main.main');
  });
  it('the HTML carries the levels, the total and optional per-frame colours, with "<" escaped', () => {
    const colors = Array.from({ length: decodeLevels(data).count }, (_, i) => (i === 0 ? 'hsl(0, 0%, 42%)' : null));
    const html = selfContainedHtml({ ...data, names: [...data.names, '</script><script>alert(1)'] }, 'a <b>', unit, { frameColors: colors, frameNotes: ['root note'] });
    expect(html).not.toContain('</script><script>alert(1)');
    const payload = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { total: number; colors: string[]; notes: string[] };
    expect(payload.total).toBe(treeTotal(tree));
    expect(payload.colors[0]).toBe('hsl(0, 0%, 42%)');
    expect(payload.notes).toEqual(['root note']);
    expect(html).toContain('<title>a &lt;b&gt;</title>');
  });
});

describe('PGO export', () => {
  it('parses the locations SDKs put in frame names, and leaves Go names alone', () => {
    expect(parseFrameLocation('./app.js:handler:42')).toEqual({ functionName: 'handler', file: './app.js', line: 42 });
    expect(parseFrameLocation('app/main.py:17 - work')).toEqual({ functionName: 'work', file: 'app/main.py', line: 17 });
    expect(parseFrameLocation('work (lib/x.rb:9)')).toEqual({ functionName: 'work', file: 'lib/x.rb', line: 9 });
    expect(parseFrameLocation('main.(*Server).handle')).toEqual({ functionName: 'main.(*Server).handle', file: '', line: 0 });
    expect(parseFrameLocation('std::vector<int>::push_back')).toEqual({ functionName: 'std::vector<int>::push_back', file: '', line: 0 });
  });

  it('go/cpu.pb.gz: what Go reads — samples/count + cpu/nanoseconds, start_line on every function, the same CPU total', () => {
    const { tree } = fixtureTree('go/cpu.pb.gz', 'cpu');
    const { bytes, report } = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds' });
    const decoded = PprofProfile.decode(bytes);
    const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)]!;
    expect(decoded.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(`${str(decoded.periodType!.type)}/${str(decoded.periodType!.unit)}`).toBe('cpu/nanoseconds');
    expect(Number(decoded.period)).toBe(10_000_000);
    expect(decoded.function.length).toBe(report.functions);
    for (const fn of decoded.function) {
      expect(Number(fn.startLine)).toBeGreaterThanOrEqual(1);
      expect(str(fn.name)).not.toBe('');
    }
    const startLineOf = new Map(decoded.function.map((fn) => [Number(fn.id), Number(fn.startLine)]));
    for (const location of decoded.location) for (const line of location.line) expect(Number(line.line)).toBe(startLineOf.get(Number(line.functionId)));
    const cpu = decoded.sample.reduce((sum, s) => sum + Number(s.value[1]), 0);
    const samples = decoded.sample.reduce((sum, s) => sum + Number(s.value[0]), 0);
    // testdata/expected.json: go/cpu.pb.gz has 47 samples, 470,000,000 cpu ns.
    expect(cpu).toBe(470_000_000);
    expect(samples).toBe(47);
    expect(report).toMatchObject({ keptEdgeWeightShare: 1, functionsWithLines: 0, totalNanoseconds: treeTotal(tree) });
    // Back through Cinder's own decoder: the same stacks.
    expect(collapsedFromTree(callTreeFromProfile(decodePprof(bytes), 1))).toBe(collapsedFromTree(tree));
  });

  it('trimming keeps the hottest edges up to the share asked for and keeps the total', () => {
    const { tree } = fixtureTree('java/profile_java', 'cpu');
    const full = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds' }).report;
    const trimmed = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds', trimPercent: 50 });
    expect(trimmed.report.keptEdges).toBeLessThan(full.keptEdges);
    expect(trimmed.report.keptEdgeWeightShare).toBeGreaterThanOrEqual(0.5);
    expect(trimmed.report.totalNanoseconds).toBe(full.totalNanoseconds);
    expect(trimmed.report.functions).toBeLessThan(full.functions);
    const decoded = PprofProfile.decode(trimmed.bytes);
    expect(decoded.sample.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBe(treeTotal(tree));
  });

  it('names with lines give real start_lines; counts convert to CPU time at the period', () => {
    const builder = new CallTreeBuilder();
    builder.addStack(['./app.js:main:1', './app.js:handler:42'], 3);
    const { bytes, report } = pgoProfileFromTree(builder.build(), { valueUnit: 'count' });
    const decoded = PprofProfile.decode(bytes);
    expect(decoded.function.map((fn) => Number(fn.startLine))).toEqual([1, 42]);
    expect(decoded.sample.map((s) => s.value.map(Number))).toEqual([[3, 30_000_000]]);
    expect(report).toMatchObject({ functionsWithLines: 2, lineWeightShare: 1 });
  });
});
