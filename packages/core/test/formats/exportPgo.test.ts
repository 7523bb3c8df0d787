import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { ROOT_NODE, callTreeFromProfile, codeLinesOfProfile, decodePprof, nodeName, pgoProfileFromTree } from '../../src/index.js';
import { testdataDir } from '../testdata.js';

describe('pgoProfileFromTree with code metadata', () => {
  const bytes = gunzipSync(readFileSync(path.join(testdataDir, 'go/single_group_with_optional_span_id.pb.gz')));
  const profile = decodePprof(bytes, { code: true });
  const code = codeLinesOfProfile(profile);
  const tree = callTreeFromProfile(profile, 1);

  it('writes recorded start_lines and files, and each edge at its recorded call-site line', () => {
    const { bytes: out, report } = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds', code });
    const decoded = PprofProfile.decode(out);
    const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)]!;
    const functions = new Map(decoded.function.map((fn) => [Number(fn.id), { name: str(fn.name), file: str(fn.filename), startLine: Number(fn.startLine) }]));
    for (const fn of functions.values()) {
      const known = code.functions.get(fn.name);
      if (known && known.startLine > 0) expect(fn).toEqual({ name: fn.name, ...known });
    }
    const locations = new Map(decoded.location.map((l) => [Number(l.id), { name: functions.get(Number(l.line[0]!.functionId))!.name, line: Number(l.line[0]!.line) }]));
    const seen = new Set<string>();
    for (const sample of decoded.sample) {
      for (let i = 1; i < sample.locationId.length; i++) {
        const caller = locations.get(Number(sample.locationId[i]))!;
        const callee = locations.get(Number(sample.locationId[i - 1]))!;
        const recorded = code.callSites.get(caller.name)?.get(callee.name);
        expect(caller.line).toBe(recorded ?? code.functions.get(caller.name)?.startLine ?? 1);
        if (recorded !== undefined) seen.add(`${caller.name} ${callee.name}`);
      }
    }
    expect(seen.size).toBe(report.edgesWithCallSites);
    expect(report.edgesWithCallSites).toBeGreaterThan(50);
    expect(report.callSiteWeightShare).toBeGreaterThan(0.9);
    expect(report.functionsWithLines).toBe([...code.functions.values()].filter((fn) => fn.startLine > 0).length);
  });

  it('without metadata: start_line 1 and offset 0 everywhere, as before', () => {
    const { bytes: out, report } = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds' });
    const decoded = PprofProfile.decode(out);
    const startOf = new Map(decoded.function.map((fn) => [Number(fn.id), Number(fn.startLine)]));
    for (const fn of decoded.function) expect(Number(fn.startLine)).toBe(1);
    for (const location of decoded.location) expect(Number(location.line[0]!.line)).toBe(startOf.get(Number(location.line[0]!.functionId)));
    expect(report.edgesWithCallSites).toBe(0);
    expect(report.functionsWithLines).toBe(0);
  });

  it('trimming keeps the call-site lines of the kept edges', () => {
    const { report } = pgoProfileFromTree(tree, { valueUnit: 'nanoseconds', code, trimPercent: 50 });
    expect(report.keptEdges).toBeLessThan(report.edges);
    expect(report.edgesWithCallSites).toBeGreaterThan(0);
    expect(report.edgesWithCallSites).toBeLessThanOrEqual(report.keptEdges);
    // Every kept edge of this Go profile has a recorded call site (all its frames have lines).
    let treeEdges = 0;
    for (let node = 1; node < tree.nodeCount; node++) if (tree.parent[node] !== ROOT_NODE && code.callSites.get(nodeName(tree, tree.parent[node]!))?.has(nodeName(tree, node))) treeEdges++;
    expect(treeEdges).toBeGreaterThan(0);
  });
});
