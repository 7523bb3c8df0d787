import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { testdataDir as testdata } from './testdata.js';
import {
  ErrorCodes,
  decodePprof,
  parseSampleTypeConfig,
  pprofMetricName,
  profileTypeId,
  textProfileType,
  validateProfileTypeId,
  type SampleTypeConfig,
  type ValueType,
} from '@cinder/core';
import { errorCode } from './errorCode.js';


function read(file: string): Uint8Array {
  const bytes = readFileSync(path.join(testdata, file));
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** IDs an /ingest pprof upload produces, as the server derives them (spec §1 and §3). */
function idsOf(file: string, options: { config?: string; spyName?: string } = {}): string[] {
  const dotnetFix = options.spyName === 'dotnetspy';
  const profile = decodePprof(read(file), { dotnetFix, ...(options.spyName ? { spyName: options.spyName } : {}) });
  const config = options.config ? parseSampleTypeConfig(readFileSync(path.join(testdata, options.config), 'utf8')) : null;
  const name = pprofMetricName(profile.sampleTypes, config);
  return profile.sampleTypes.map((st) => profileTypeId(name, st, profile.periodType));
}

describe(`upstream profile-type IDs of the pprof fixtures (README "Upstream expectations")`, () => {
  const goCpu = ['process_cpu:samples:count:cpu:nanoseconds', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'];
  const goHeap = ['memory:alloc_objects:count:space:bytes', 'memory:alloc_space:bytes:space:bytes', 'memory:inuse_objects:count:space:bytes', 'memory:inuse_space:bytes:space:bytes'];
  it.each([
    ['go/cpu.pb.gz', {}, goCpu],
    ['go/go.cpu.labels.pprof', {}, goCpu],
    ['go/heap', {}, goHeap],
    ['go/heap.pb.gz', {}, goHeap],
    ['go/heap.pb', {}, goHeap],
    ['go/req_2.pprof', { config: 'go/req_2.st.json' }, ['goroutines:goroutine:count:goroutine:count']],
    ['go/req_3.pprof', { config: 'go/req_3.st.json' }, ['block:contentions:count:contentions:count', 'block:delay:nanoseconds:contentions:count']],
    ['nodejs/nodejs-wall.pb.gz', {}, ['wall:samples:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds']],
    ['nodejs/nodejs-heap.pb.gz', {}, ['memory:inuse_objects:count:inuse_space:bytes', 'memory:inuse_space:bytes:inuse_space:bytes']],
    ['nodejs/cpu-js.pb.gz', {}, ['wall:sample:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds']],
    ['java/profile_java', {}, ['process_cpu:cpu:nanoseconds:cpu:nanoseconds']],
    ['python/pyspy-1.pb.gz', { spyName: 'scripting' }, ['process_cpu:samples:count::milliseconds']],
  ] as [string, { config?: string; spyName?: string }, string[]][])('%s', (file, options, ids) => {
    expect(idsOf(file, options)).toEqual(ids);
  });

  it('dotnet/dotnet-pprof-211.pb.gz with its config: indices 0, 2 and 3 as upstream asserts', () => {
    const ids = idsOf('dotnet/dotnet-pprof-211.pb.gz', { config: 'dotnet/dotnet-pprof-211.st.json', spyName: 'dotnetspy' });
    expect([ids[0], ids[2], ids[3]]).toEqual(['process_cpu:cpu:nanoseconds::nanoseconds', 'process_cpu:alloc_samples:count::nanoseconds', 'process_cpu:alloc_size:bytes::nanoseconds']);
  });

  it('go/req_3.pprof (block) without its config collides with mutex, as upstream', () => {
    expect(idsOf('go/req_3.pprof')[0]).toBe('mutex:contentions:count:contentions:count');
  });
});

describe('profileTypeId and validateProfileTypeId (spec §1)', () => {
  it('builds IDs with empty period parts when there is no period type', () => {
    expect(profileTypeId('memory', { type: 'inuse_space', unit: 'bytes' }, null)).toBe('memory:inuse_space:bytes::');
    expect(profileTypeId('process_cpu', { type: 'samples', unit: 'count' }, { type: '', unit: 'milliseconds' })).toBe('process_cpu:samples:count::milliseconds');
  });

  it('accepts 5 parts or 6 (the 6th is dropped)', () => {
    expect(validateProfileTypeId('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toEqual({ name: 'process_cpu', sampleType: 'cpu', sampleUnit: 'nanoseconds', periodType: 'cpu', periodUnit: 'nanoseconds' });
    expect(validateProfileTypeId('memory:inuse_space:bytes::')).toEqual({ name: 'memory', sampleType: 'inuse_space', sampleUnit: 'bytes', periodType: '', periodUnit: '' });
    expect(validateProfileTypeId('process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta').periodUnit).toBe('nanoseconds');
  });

  it.each(['', 'process_cpu', 'process_cpu:cpu:nanoseconds', 'a:b:c:d', 'a:b:c:d:e:f:g'])('rejects %j with QUERY_INVALID_PROFILE_TYPE and an example', (id) => {
    expect(errorCode(() => validateProfileTypeId(id))).toBe(ErrorCodes.QUERY_INVALID_PROFILE_TYPE);
    expect(() => validateProfileTypeId(id)).toThrow(/process_cpu:cpu:nanoseconds:cpu:nanoseconds/);
  });
});

describe('pprofMetricName (spec §3)', () => {
  const st = (...types: string[]): ValueType[] => types.map((type) => ({ type, unit: 'count' }));
  it.each([
    [['samples', 'cpu'], 'process_cpu'],
    [['cpu'], 'process_cpu'],
    [['samples', 'wall'], 'wall'],
    [['wall', 'cpu'], 'wall'],
    [['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'], 'memory'],
    [['objects', 'space'], 'memory'],
    [['inuse_space'], 'memory'],
    [['goroutine'], 'goroutines'],
    [['contentions', 'delay'], 'mutex'],
    [['cpu', 'exception', 'alloc_samples', 'alloc_size', 'lock_count', 'lock_time'], 'process_cpu'],
    [['exception', 'alloc_samples'], 'memory'],
    [['exception', 'lock_time'], 'lock_time'], // no rule matches: the last name examined
    [['something'], 'something'],
  ])('%j → %s', (types, name) => {
    expect(pprofMetricName(st(...types), null)).toBe(name);
  });

  it('a request config replaces the default table', () => {
    const block: SampleTypeConfig = { contentions: { 'display-name': 'block_count' }, delay: { 'display-name': 'block_duration' } };
    expect(pprofMetricName(st('contentions', 'delay'), block)).toBe('block');
    expect(pprofMetricName(st('samples'), null)).toBe('process_cpu');
    expect(pprofMetricName(st('samples'), {})).toBe('samples');
    expect(pprofMetricName(st('goroutine'), { goroutine: { 'display-name': '' } })).toBe('goroutine');
  });
});

describe('parseSampleTypeConfig', () => {
  it('parses pyroscope-go configs', () => {
    expect(parseSampleTypeConfig('{"goroutine":{"units":"goroutines","aggregation":"average","display-name":"goroutines"}}')).toEqual({
      goroutine: { units: 'goroutines', aggregation: 'average', 'display-name': 'goroutines' },
    });
  });
  it.each(['{', '[]', 'null', '"x"', '{"a": 1}'])('rejects %j with INGEST_MALFORMED_JSON', (json) => {
    expect(errorCode(() => parseSampleTypeConfig(json))).toBe(ErrorCodes.INGEST_MALFORMED_JSON);
  });
});

describe('textProfileType (spec §2)', () => {
  const cpuNs = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
  const wallNs = 'wall:wall:nanoseconds:cpu:nanoseconds';
  it.each([
    ['app', 100, 'app', cpuNs, 10_000_000],
    ['app.cpu', 100, 'app', cpuNs, 10_000_000],
    ['app.itimer', 100, 'app', cpuNs, 10_000_000],
    ['app.cpu', 0, 'app', 'process_cpu:samples:count::', 1],
    ['app.wall', 0, 'app', 'wall:samples:count::', 1],
    ['app.wall', 100, 'app', wallNs, 10_000_000],
    ['app.seconds', 100, 'app', wallNs, 10_000_000],
    ['app.milliseconds', 100, 'app', wallNs, 10_000_000],
    ['app.microseconds', 100, 'app', wallNs, 10_000_000],
    ['app.nanoseconds', 100, 'app', wallNs, 10_000_000],
    ['app.inuse_objects', 100, 'app', 'memory:inuse_objects:count::', 1],
    ['app.inuse_space', 100, 'app', 'memory:inuse_space:bytes::', 1],
    ['app.alloc_objects', 100, 'app', 'memory:alloc_objects:count::', 1],
    ['app.alloc_space', 100, 'app', 'memory:alloc_space:bytes::', 1],
    ['app.alloc_in_new_tlab_objects', 100, 'app', 'memory:alloc_in_new_tlab_objects:count::', 1],
    ['app.alloc_in_new_tlab_bytes', 100, 'app', 'memory:alloc_in_new_tlab_bytes:bytes::', 1],
    ['app.alloc_outside_tlab_objects', 100, 'app', 'memory:alloc_outside_tlab_objects:count::', 1],
    ['app.alloc_outside_tlab_bytes', 100, 'app', 'memory:alloc_outside_tlab_bytes:bytes::', 1],
    ['app.live', 100, 'app', 'memory:live:count::', 1],
    ['app.bytes', 100, 'app', 'memory:samples:bytes::', 1],
    ['app.goroutines', 100, 'app', 'goroutine:goroutines:count::', 1],
    ['app.mutex_count', 100, 'app', 'mutex:contentions:count::', 1],
    ['app.mutex_duration', 100, 'app', 'mutex:delay:nanoseconds::', 1],
    ['app.block_count', 100, 'app', 'block:contentions:count::', 1],
    ['app.lock_count', 100, 'app', 'block:contentions:count::', 1],
    ['app.block_duration', 100, 'app', 'block:delay:nanoseconds::', 1],
    ['app.lock_duration', 100, 'app', 'block:delay:nanoseconds::', 1],
    ['app.exceptions', 100, 'app', 'exceptions:samples:count::', 1],
    ['my.dotted.app.cpu', 250, 'my.dotted.app', cpuNs, 4_000_000],
    ['app.cpu', 3, 'app', cpuNs, 333_333_333],
  ])('%s (sampleRate %d) → service %s, %s, scale %d', (name, rate, service, id, scale) => {
    const type = textProfileType(name, rate);
    expect(type.serviceName).toBe(service);
    expect(profileTypeId(type.metricName, type.sampleType, type.periodType)).toBe(id);
    expect(type.scale).toBe(scale);
    expect(type.period).toBe(scale === 1 ? 0 : scale);
  });

  it.each(['app.flamegraphs', 'app.', 'app.CPU'])('rejects the unknown suffix of %s', (name) => {
    expect(errorCode(() => textProfileType(name, 100))).toBe(ErrorCodes.INGEST_UNKNOWN_PROFILE_SUFFIX);
  });
});
