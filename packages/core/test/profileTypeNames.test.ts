import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeJfr,
  decodePprof,
  defaultProfileType,
  parseSampleTypeConfig,
  pprofMetricName,
  profileTypeDisplayName,
  profileTypeId,
  profileTypeLabels,
  sortProfileTypes,
  textProfileType,
  type ValueType,
} from '@cinder/core';
import { testdataDir } from './testdata.js';

function read(file: string): Uint8Array {
  const bytes = readFileSync(path.join(testdataDir, file));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

interface ExpectedPprof {
  format?: string;
  sample_types?: { type: string; unit: string }[];
  period_type?: ValueType | null;
}

/** Every fixture's profile-type IDs, derived as ingest derives them, grouped by the fixture ("service") they come from. */
function fixtureTypes(): Map<string, string[]> {
  const byFixture = new Map<string, string[]>();
  const expected = JSON.parse(readFileSync(path.join(testdataDir, 'expected.json'), 'utf8')) as Record<string, ExpectedPprof>;
  for (const [file, entry] of Object.entries(expected)) {
    if (file.startsWith('_') || entry.format !== 'pprof' || !entry.sample_types || file.startsWith('java-jfr/')) continue;
    const sampleTypes = entry.sample_types.map(({ type, unit }) => ({ type, unit }));
    const name = pprofMetricName(sampleTypes, null);
    byFixture.set(file, sampleTypes.map((st) => profileTypeId(name, st, entry.period_type ?? null)));
  }
  // Fixtures ingest reads with a sample_type_config, and the real @pyroscope/nodejs SDK's profiles (not in expected.json).
  const configured: [string, string | null][] = [
    ['go/req_2.pprof', 'go/req_2.st.json'],
    ['go/req_3.pprof', 'go/req_3.st.json'],
    ['dotnet/dotnet-pprof-211.pb.gz', 'dotnet/dotnet-pprof-211.st.json'],
    ['nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', null],
    ['nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz', null],
  ];
  for (const [file, configFile] of configured) {
    const profile = decodePprof(read(file), {});
    const config = configFile ? parseSampleTypeConfig(readFileSync(path.join(testdataDir, configFile), 'utf8')) : null;
    const name = pprofMetricName(profile.sampleTypes, config);
    byFixture.set(`${file} (configured)`, profile.sampleTypes.map((st) => profileTypeId(name, st, profile.periodType)));
  }
  for (const jfr of ['dump2.jfr.gz', 'cortex-dev-01__kafka-0__cpu_lock0_alloc0__0.jfr.gz', 'cortex-dev-01__kafka-0__cpu_lock_alloc__0.jfr.gz']) {
    const decoded = decodeJfr(read(`java-jfr/${jfr}`), { labels: null });
    byFixture.set(`java-jfr/${jfr}`, [...new Set(decoded.profiles.flatMap(({ metricName, profile }) => profile.sampleTypes.map((st) => profileTypeId(metricName, st, profile.periodType))))]);
  }
  return byFixture;
}

const fixtures = fixtureTypes();
const everyId = [...new Set([...fixtures.values()].flat())];

describe('profile-type names', () => {
  it.each([
    ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'CPU · CPU time'],
    ['process_cpu:samples:count:cpu:nanoseconds', 'CPU · samples'],
    ['wall:cpu:nanoseconds:wall:nanoseconds', 'Wall · CPU time'],
    ['wall:wall:nanoseconds:wall:nanoseconds', 'Wall · wall time'],
    ['wall:samples:count:wall:nanoseconds', 'Wall · samples'],
    ['memory:inuse_space:bytes:space:bytes', 'Memory · in-use bytes'],
    ['memory:alloc_objects:count:space:bytes', 'Memory · alloc objects'],
    ['memory:alloc_in_new_tlab_bytes:bytes:space:bytes', 'Memory · alloc bytes in new TLAB'],
    ['memory:samples:bytes::', 'Memory · samples (bytes)'],
    ['goroutines:goroutine:count:goroutine:count', 'Goroutines · count'],
    ['mutex:delay:nanoseconds:contentions:count', 'Mutex · delay'],
    ['block:contentions:count:contentions:count', 'Block · contentions'],
    ['process_cpu:lock-time:nanoseconds::nanoseconds', 'CPU · lock time'],
    ['my_metric:queue_depth:requests::', 'My metric · queue depth (requests)'],
  ])('%s → %s', (id, name) => {
    expect(profileTypeDisplayName(id)).toBe(name);
  });

  it('the Node SDK wall profile offers CPU time, wall time and samples under three names', () => {
    const node = fixtures.get('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz (configured)')!;
    expect(node).toContain('wall:cpu:nanoseconds:wall:nanoseconds');
    expect([...profileTypeLabels(node).values()].sort()).toEqual(['Wall · CPU time', 'Wall · samples', 'Wall · wall time']);
  });

  it.each([...fixtures.entries()])('%s: every type has its own name', (_file, ids) => {
    const labels = profileTypeLabels(ids);
    expect(labels.size).toBe(new Set(ids).size);
    expect(new Set(labels.values()).size).toBe(labels.size);
  });

  it(`"All services": the ${everyId.length} types of every fixture together have different names`, () => {
    expect(everyId.length).toBeGreaterThan(30);
    const labels = profileTypeLabels(everyId);
    expect(new Set(labels.values()).size).toBe(everyId.length);
    // Go's and Node's in-use memory differ only in their period type; CPU samples of Go and py-spy likewise.
    expect(labels.get('memory:inuse_space:bytes:space:bytes')).toBe('Memory · in-use bytes (per space bytes)');
    expect(labels.get('memory:inuse_space:bytes:inuse_space:bytes')).toBe('Memory · in-use bytes (per inuse_space bytes)');
    expect(labels.get('wall:wall:microseconds:wall:microseconds')).toBe('Wall · wall time (microseconds)');
  });

  it('names do not depend on the order of the list', () => {
    const forward = profileTypeLabels(everyId);
    const backward = profileTypeLabels([...everyId].reverse());
    expect([...backward.entries()].sort()).toEqual([...forward.entries()].sort());
  });

  it('falls back to the ID when unit and period cannot tell two types apart', () => {
    const labels = profileTypeLabels(['x:y:count:a:b', 'x:y:count:a:b:', 'x:y:count:a:b']);
    expect(labels.size).toBe(2);
    expect(new Set(labels.values()).size).toBe(2);
  });
});

describe('default and order of profile types', () => {
  const of = (file: string): string[] => fixtures.get(file)!;
  it.each([
    ['go/cpu.pb.gz', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
    ['go/heap', 'memory:alloc_space:bytes:space:bytes'],
    ['nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz (configured)', 'wall:cpu:nanoseconds:wall:nanoseconds'],
    ['nodejs/nodejs-wall.pb.gz', 'wall:wall:microseconds:wall:microseconds'],
    ['nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz (configured)', 'memory:inuse_space:bytes:inuse_space:bytes'],
    ['python/pyspy-1.pb.gz', 'process_cpu:samples:count::milliseconds'],
    ['dotnet/dotnet-pprof-211.pb.gz (configured)', 'process_cpu:cpu:nanoseconds::nanoseconds'],
    ['go/req_3.pprof (configured)', 'block:delay:nanoseconds:contentions:count'],
    ['java-jfr/dump2.jfr.gz', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
  ])('%s opens on %s (time and bytes before counts)', (file, id) => {
    expect(defaultProfileType(of(file))).toBe(id);
  });

  it('a Node service with heap profiles still opens on CPU time; a chosen type that exists wins', () => {
    const node = [...of('nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz (configured)'), ...of('nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz (configured)')];
    expect(defaultProfileType(node)).toBe('wall:cpu:nanoseconds:wall:nanoseconds');
    expect(defaultProfileType(node, 'memory:inuse_space:bytes:inuse_space:bytes')).toBe('memory:inuse_space:bytes:inuse_space:bytes');
    expect(defaultProfileType(node, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toBe('wall:cpu:nanoseconds:wall:nanoseconds');
    expect(defaultProfileType([])).toBe('');
  });

  it('sorts families CPU, wall, memory and, in each, counts last', () => {
    const sorted = sortProfileTypes(everyId);
    const families = sorted.map((id) => id.split(':')[0]);
    expect(families.indexOf('process_cpu')).toBe(0);
    expect(families.lastIndexOf('process_cpu')).toBeLessThan(families.indexOf('wall'));
    expect(families.lastIndexOf('wall')).toBeLessThan(families.indexOf('memory'));
    const memory = sorted.filter((id) => id.startsWith('memory:'));
    const firstCount = memory.findIndex((id) => id.split(':')[2] === 'count');
    expect(memory.slice(firstCount).every((id) => id.split(':')[2] === 'count')).toBe(true);
  });

  it('text uploads (.cpu, .alloc_space, …) get names too', () => {
    const ids = ['app.cpu', 'app.wall', 'app.inuse_space', 'app.goroutines', 'app.mutex_duration', 'app.exceptions'].map((name) => {
      const t = textProfileType(name, 100);
      return profileTypeId(t.metricName, t.sampleType, t.periodType);
    });
    expect(ids.map(profileTypeDisplayName)).toEqual(['CPU · CPU time', 'Wall · wall time', 'Memory · in-use bytes', 'Goroutines · count', 'Mutex · delay', 'Exceptions · samples']);
  });
});
