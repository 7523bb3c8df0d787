/**
 * Conformance of the code tables (storage/codeLines.ts) for any backend: what recordCode takes,
 * codeLines gives back by the documented policy (per service, first seen per day, newest day at
 * read, a start_line beats a file only), retention drops old days, and extraction backs off once
 * uploads show nothing new.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePprof, profileCodeOf, type CodeLines, type PprofCode } from '@cinder/core';
import type { Store } from '../../src/storage/store.js';
import { testdataDir } from '../helpers/startServer.js';
import type { StoreFactory } from './conformance.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A PprofCode for `names` from [name, file, startLine] and [caller, callee, line] lists. */
function codeOf(functions: [string, string, number][], edges: [string, string, number][] = []): { names: string[]; code: PprofCode } {
  const names: string[] = [];
  const id = (name: string): number => {
    const at = names.indexOf(name);
    return at >= 0 ? at : names.push(name) - 1;
  };
  for (const [name] of functions) id(name);
  for (const [caller, callee] of edges) {
    id(caller);
    id(callee);
  }
  const files: string[] = [];
  const nameFile = new Int32Array(names.length).fill(-1);
  const nameStartLine = new Int32Array(names.length);
  for (const [name, file, startLine] of functions) {
    if (file !== '') nameFile[id(name)] = files.includes(file) ? files.indexOf(file) : files.push(file) - 1;
    nameStartLine[id(name)] = startLine;
  }
  return { names, code: { files, nameFile, nameStartLine, edges: Int32Array.from(edges.flatMap(([caller, callee, line]) => [id(caller), id(callee), line])) } };
}

/** Reads until `done` holds (rows are written in batches about once a second); bounded at 10 s. */
async function readUntil(store: Store, service: string | null, fromMs: number, toMs: number, done: (lines: CodeLines) => boolean): Promise<CodeLines> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = await store.codeLines!('', service, fromMs, toMs);
    if (done(lines) || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function runCodeLinesSuite(name: string, factory: StoreFactory): void {
  describe(`${name}: code tables (file, start line, call-site lines)`, () => {
    const opened: { store: Store; dir: string }[] = [];
    afterEach(async () => {
      for (const { store, dir } of opened.splice(0)) {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
    const NOW_MS = Date.UTC(2026, 0, 15, 12);
    const open = async (retentionMs = 7 * DAY_MS): Promise<Store> => {
      const dir = mkdtempSync(path.join(tmpdir(), 'cinder-code-'));
      const store = await factory({ dataDir: dir, retentionMs, rollupRetentionMs: retentionMs, now: () => NOW_MS });
      opened.push({ store, dir });
      return store;
    };
    const record = (store: Store, service: string, timeMs: number, value: { names: string[]; code: PprofCode }, nowMs = NOW_MS): void =>
      store.recordCode!({ tenant: '', service, serviceName: service, timeMs, nowMs, names: value.names, code: value.code });

    it('gives back every function and call-site line of a Go CPU profile', async () => {
      const store = await open();
      const bytes = gunzipSync(readFileSync(path.join(testdataDir, 'go/single_group_with_optional_span_id.pb.gz')));
      const profile = decodePprof(bytes, { code: true });
      expect(store.codeWanted!('', 'go-app', NOW_MS)).toBe(true);
      store.recordCode!({ tenant: '', service: 'go-app', serviceName: 'go-app', timeMs: NOW_MS, nowMs: NOW_MS, names: profile.names, code: profileCodeOf(profile)! });
      // Independently: pprof-format's view of the same file.
      const input = PprofProfile.decode(bytes);
      const str = (i: number | bigint): string => input.stringTable.strings[Number(i)]!;
      const functions = new Map(input.function.filter((fn) => Number(fn.startLine) > 0).map((fn) => [str(fn.name), { file: str(fn.filename), startLine: Number(fn.startLine) }]));
      const lines = await readUntil(store, 'go-app', NOW_MS - HOUR_MS, NOW_MS, (read) => read.functions.size >= functions.size && read.callSites.size > 0);
      expect(lines.functions).toEqual(functions);
      const fnById = new Map(input.function.map((fn) => [Number(fn.id), str(fn.name)]));
      const edges = new Set<string>();
      const locations = new Map(input.location.map((l) => [Number(l.id), l.line.map((line) => ({ name: fnById.get(Number(line.functionId))!, line: Number(line.line) }))]));
      for (const frames of locations.values()) for (let i = 0; i + 1 < frames.length; i++) edges.add(`${frames[i + 1]!.name}|${frames[i]!.name}|${frames[i + 1]!.line}`);
      for (const sample of input.sample) {
        for (let i = 1; i < sample.locationId.length; i++) {
          const caller = locations.get(Number(sample.locationId[i]))![0]!;
          const calleeFrames = locations.get(Number(sample.locationId[i - 1]))!;
          edges.add(`${caller.name}|${calleeFrames[calleeFrames.length - 1]!.name}|${caller.line}`);
        }
      }
      const pairs = new Set([...edges].map((edge) => edge.split('|').slice(0, 2).join('|')));
      let count = 0;
      for (const [caller, callees] of lines.callSites) {
        for (const [callee, line] of callees) {
          expect(edges.has(`${caller}|${callee}|${line}`), `${caller} → ${callee} at ${line}`).toBe(true);
          count++;
        }
      }
      expect(count).toBe(pairs.size);
      // Another service of the tenant has none of it.
      expect((await store.codeLines!('', 'other', NOW_MS - HOUR_MS, NOW_MS)).functions.size).toBe(0);
      expect((await store.codeLines!('tenant-b', null, NOW_MS - HOUR_MS, NOW_MS)).functions.size).toBe(0);
    });

    it('first seen per day wins, a range reads its newest day, a start_line beats a file only, services stay apart', async () => {
      const store = await open();
      const yesterday = NOW_MS - DAY_MS;
      record(store, 'svc', yesterday, codeOf([['f', 'old.go', 10], ['g', 'g.go', 0]], [['f', 'h', 12]]));
      record(store, 'svc', NOW_MS, codeOf([['f', 'new.go', 20], ['g', 'g.go', 0]], [['f', 'h', 25]]));
      record(store, 'svc', NOW_MS + 1, codeOf([['f', 'newer.go', 30], ['g', 'g.go', 7]], [['f', 'h', 33]]));
      record(store, 'other', NOW_MS + 2, codeOf([['f', 'other.go', 99]], [['f', 'h', 100]]));
      const today = await readUntil(store, 'svc', yesterday, NOW_MS, (read) => read.functions.get('g')?.startLine === 7 && read.callSites.size > 0);
      expect(today.functions.get('f')).toEqual({ file: 'new.go', startLine: 20 });
      expect(today.functions.get('g')).toEqual({ file: 'g.go', startLine: 7 });
      // Two lines for one edge on one day: the first seen.
      expect(today.callSites.get('f')?.get('h')).toBe(25);
      const onlyYesterday = await store.codeLines!('', 'svc', yesterday, yesterday);
      expect(onlyYesterday.functions.get('f')).toEqual({ file: 'old.go', startLine: 10 });
      expect(onlyYesterday.callSites.get('f')?.get('h')).toBe(12);
      const other = await readUntil(store, 'other', NOW_MS, NOW_MS, (read) => read.functions.size > 0);
      expect(other.functions.get('f')).toEqual({ file: 'other.go', startLine: 99 });
      expect(other.callSites.get('f')?.get('h')).toBe(100);
      // Across services: the same rule over both services' rows (same day; 'svc' was seen first).
      expect((await store.codeLines!('', null, NOW_MS - HOUR_MS, NOW_MS + HOUR_MS)).functions.get('f')).toEqual({ file: 'new.go', startLine: 20 });
    });

    it('backs extraction off while uploads show nothing new, and starts again when they do', async () => {
      const store = await open();
      const value = codeOf([['a', 'a.go', 3]], [['a', 'b', 5]]);
      expect(store.codeWanted!('', 'steady', NOW_MS)).toBe(true);
      record(store, 'steady', NOW_MS, value);
      expect(store.codeWanted!('', 'steady', NOW_MS)).toBe(true); // that one was new
      record(store, 'steady', NOW_MS, value, NOW_MS);
      expect(store.codeWanted!('', 'steady', NOW_MS + 500)).toBe(false);
      expect(store.codeWanted!('', 'steady', NOW_MS + 1_000)).toBe(true);
      record(store, 'steady', NOW_MS, value, NOW_MS + 1_000);
      expect(store.codeWanted!('', 'steady', NOW_MS + 2_500)).toBe(false);
      expect(store.codeWanted!('', 'steady', NOW_MS + 3_000)).toBe(true);
      record(store, 'steady', NOW_MS, codeOf([['a', 'a.go', 3]], [['a', 'c', 8]]), NOW_MS + 3_000);
      expect(store.codeWanted!('', 'steady', NOW_MS + 3_000)).toBe(true);
      expect(store.codeWanted!('', 'another-service', NOW_MS)).toBe(true);
    });

    it('extracts from at most ~20 uploads a second over all services', async () => {
      const store = await open();
      let wanted = 0;
      for (let i = 0; i < 100; i++) if (store.codeWanted!('', `fleet-${i}`, NOW_MS)) wanted++;
      expect(wanted).toBeGreaterThanOrEqual(20);
      expect(wanted).toBeLessThanOrEqual(22);
    });

    it('retention drops the code rows of expired days with the rest', async () => {
      const store = await open(2 * DAY_MS);
      const old = NOW_MS - 5 * DAY_MS;
      record(store, 'ret', old, codeOf([['old', 'old.go', 1]], [['old', 'x', 2]]));
      record(store, 'ret', NOW_MS, codeOf([['new', 'new.go', 1]], [['new', 'x', 2]]));
      await readUntil(store, 'ret', old, NOW_MS, (read) => read.functions.size === 2 && read.callSites.size === 2);
      await store.enforceRetention(NOW_MS);
      const after = await store.codeLines!('', 'ret', old, NOW_MS);
      expect([...after.functions.keys()]).toEqual(['new']);
      expect([...after.callSites.keys()]).toEqual(['new']);
    });
  });
}
