import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, loadExpected, mergedTotal, multipartBody, profileTypesOf, readFixture, type MultipartPart } from './helpers/client.js';

/**
 * Every real profile of testdata/ through /ingest as the README there says, then read back:
 * the status, the profile-type IDs and, per sample type, the stored total against expected.json.
 */
interface PprofCase {
  file: string;
  spyName?: string;
  config?: string;
  /** IDs upstream's integration tests assert (testdata/README.md); others are derived. */
  upstreamIds?: string[];
  status?: number;
}

const pprofCases: PprofCase[] = [
  { file: 'go/cpu.pb.gz', upstreamIds: ['process_cpu:samples:count:cpu:nanoseconds', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'] },
  { file: 'go/go.cpu.labels.pprof', upstreamIds: ['process_cpu:samples:count:cpu:nanoseconds', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'] },
  { file: 'go/single_group_with_optional_span_id.pb.gz' },
  { file: 'go/simple.prof' },
  ...['go/heap', 'go/heap.pb.gz', 'go/heap.pb'].map((file) => ({
    file,
    upstreamIds: [
      'memory:alloc_objects:count:space:bytes',
      'memory:alloc_space:bytes:space:bytes',
      'memory:inuse_objects:count:space:bytes',
      'memory:inuse_space:bytes:space:bytes',
    ],
  })),
  { file: 'go/req_2.pprof', config: 'go/req_2.st.json', upstreamIds: ['goroutines:goroutine:count:goroutine:count'] },
  { file: 'go/req_3.pprof', config: 'go/req_3.st.json', upstreamIds: ['block:contentions:count:contentions:count', 'block:delay:nanoseconds:contentions:count'] },
  { file: 'go/gotruncatefix/heap_go_truncated_4.pb.gz' },
  { file: 'nodejs/nodejs-wall.pb.gz', upstreamIds: ['wall:samples:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds'] },
  { file: 'nodejs/nodejs-heap.pb.gz', upstreamIds: ['memory:inuse_objects:count:inuse_space:bytes', 'memory:inuse_space:bytes:inuse_space:bytes'] },
  { file: 'nodejs/cpu-js.pb.gz', upstreamIds: ['wall:sample:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds'] },
  { file: 'java/profile_java', upstreamIds: ['process_cpu:cpu:nanoseconds:cpu:nanoseconds'] },
  { file: 'python/profile_python', spyName: 'pyspy' },
  { file: 'python/pyspy-1.pb.gz', spyName: 'scripting', upstreamIds: ['process_cpu:samples:count::milliseconds'] },
  { file: 'ruby/profile_ruby', spyName: 'rbspy' },
  { file: 'rust/profile_rust' },
  { file: 'dotnet/dotnet.labels.pprof', spyName: 'dotnetspy' },
  {
    file: 'dotnet/dotnet-pprof-211.pb.gz',
    spyName: 'dotnetspy',
    config: 'dotnet/dotnet-pprof-211.st.json',
    upstreamIds: ['process_cpu:cpu:nanoseconds::nanoseconds', 'process_cpu:alloc_samples:count::nanoseconds', 'process_cpu:alloc_size:bytes::nanoseconds'],
  },
  {
    file: 'broken/dotnet-pprof-73.pb.gz',
    spyName: 'dotnetspy',
    config: 'broken/dotnet-pprof-3.st.json',
    upstreamIds: ['process_cpu:cpu:nanoseconds::nanoseconds', 'process_cpu:alloc_samples:count::nanoseconds', 'process_cpu:alloc_size:bytes::nanoseconds'],
  },
  { file: 'ebpf/cpu-unknown.pb.gz', spyName: 'ebpfspy' },
  { file: 'broken/no_addr_no_line.pb.gz' },
  { file: 'broken/invalid_utf8.pb.gz', status: 422 },
  // 88,814 samples and 4.6 MB decoded: over the default 4 MiB decompressed limit (the big-limits server takes it).
  { file: 'go/big/distributors.pb.gz', status: 413 },
];

function serviceFor(file: string): string {
  return 'fx-' + file.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}

describe('ingest of the shared real profiles', () => {
  const dir = testdataDir;
  const expected = loadExpected(dir);
  let server: StartedServer;
  let bigServer: StartedServer;

  beforeAll(async () => {
    [server, bigServer] = await Promise.all([
      startServer(),
      startServer({ args: ['--max-profile-size', '64MiB', '--max-samples', '200000'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), bigServer?.stop()]);
  });

  async function uploadPprof(target: StartedServer, testCase: PprofCase, service: string): Promise<{ status: number; text: string }> {
    const parts: MultipartPart[] = [{ name: 'profile', data: readFixture(dir, testCase.file) }];
    if (testCase.config) parts.push({ name: 'sample_type_config', data: readFixture(dir, testCase.config), contentType: 'application/json' });
    const { body, contentType } = multipartBody(parts);
    return ingest(target.baseUrl, { name: service, spyName: testCase.spyName ?? 'foo239' }, body, contentType);
  }

  for (const testCase of pprofCases) {
    it(`${testCase.file} → ${testCase.status ?? 200}, IDs and totals match expected.json`, async () => {
      const service = serviceFor(testCase.file);
      const response = await uploadPprof(server, testCase, service);
      expect(response.status, response.text).toBe(testCase.status ?? 200);
      if ((testCase.status ?? 200) !== 200) {
        expect(JSON.parse(response.text).reason).toMatch(/^CINDER_INGEST_/);
        return;
      }
      const stored = await profileTypesOf(server.baseUrl, service);
      for (const id of testCase.upstreamIds ?? []) expect(stored).toContain(id);
      const sampleTypes = expected[testCase.file]!.sample_types;
      for (const sampleType of sampleTypes) {
        const type = sampleType.type.replace(/-/g, '_');
        const id = stored.find((candidate) => candidate.split(':')[1] === type && candidate.split(':')[2] === sampleType.unit);
        const sum = Number(sampleType.sum);
        if (sum === 0) {
          // Zero-valued samples are not stored, so a type with nothing in it has no series.
          if (id) expect(await mergedTotal(server.baseUrl, id, `{service_name="${service}"}`)).toBe(0);
          continue;
        }
        expect(id, `no stored profile type for ${sampleType.type}/${sampleType.unit} among ${stored.join(', ')}`).toBeDefined();
        const total = await mergedTotal(server.baseUrl, id!, `{service_name="${service}"}`);
        expect(total, `${testCase.file} ${id}`).toBe(sum);
      }
    });
  }

  it('go/big/distributors.pb.gz ingests whole when the limits are raised', async () => {
    const testCase = { file: 'go/big/distributors.pb.gz' };
    const service = serviceFor(testCase.file);
    const response = await uploadPprof(bigServer, testCase, service);
    expect(response.status, response.text).toBe(200);
    const total = await mergedTotal(bigServer.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', `{service_name="${service}"}`);
    expect(total).toBe(Number(expected[testCase.file]!.sample_types[0]!.sum));
  });

  it('Node.js SDK captures (raw gzipped octet-stream, no Content-Encoding) keep every sample type', async () => {
    const cases = [
      { file: 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', sums: { samples: 938, wall: 9_953_244_000, cpu: 14_881_568_615 } },
      { file: 'nodejs-sdk/pyroscope-nodejs-0.6.4-heap.pprof.gz', sums: { inuse_objects: 4_352_767, inuse_space: 147_325_285 } },
    ];
    for (const { file, sums } of cases) {
      const service = serviceFor(file);
      const nowS = Math.floor(Date.now() / 1000);
      const response = await ingest(
        server.baseUrl,
        { name: `${service}{env=probe,otel.scope.name=com.grafana.pyroscope/nodejs}`, from: String(nowS - 10), until: String(nowS), format: 'pprof', spyName: 'nodespy', sampleRate: '17' },
        readFixture(dir, file),
        'application/octet-stream',
      );
      expect(response.status, response.text).toBe(200);
      const stored = await profileTypesOf(server.baseUrl, service);
      for (const [type, sum] of Object.entries(sums)) {
        const id = stored.find((candidate) => candidate.split(':')[1] === type);
        expect(id, `${file}: ${type} among ${stored.join(', ')}`).toBeDefined();
        expect(await mergedTotal(server.baseUrl, id!, `{service_name="${service}", env="probe"}`)).toBe(sum);
      }
      if (file.includes('wall')) expect(stored[0]!.startsWith('wall:')).toBe(true);
    }
  });

  it('prev_profile stores the cumulative difference; an empty difference is 422', async () => {
    const pair = async (after: string, before: string, service: string): Promise<{ status: number; text: string }> => {
      const { body, contentType } = multipartBody([
        { name: 'profile', data: readFixture(dir, after) },
        { name: 'prev_profile', data: readFixture(dir, before) },
      ]);
      return ingest(server.baseUrl, { name: service, spyName: 'gospy' }, body, contentType);
    };
    const block = await pair('go/delta/block.after.pprof', 'go/delta/block.before.pprof', 'delta-block');
    expect(block.status, block.text).toBe(200);
    const blockIds = await profileTypesOf(server.baseUrl, 'delta-block');
    const contentions = blockIds.find((id) => id.includes(':contentions:count:'))!;
    const delay = blockIds.find((id) => id.includes(':delay:nanoseconds:'))!;
    // testdata/README.md: after - before = contentions +1, delay +3950 ns.
    expect(await mergedTotal(server.baseUrl, contentions, '{service_name="delta-block"}')).toBe(1);
    expect(await mergedTotal(server.baseUrl, delay, '{service_name="delta-block"}')).toBe(3950);

    const heap = await pair('go/delta/heap.after.pprof', 'go/delta/heap.before.pprof', 'delta-heap');
    expect(heap.status, heap.text).toBe(200);
    const heapIds = await profileTypesOf(server.baseUrl, 'delta-heap');
    // alloc_* are cumulative and did not grow; inuse_* are gauges and are stored as they are.
    expect(heapIds.filter((id) => id.includes(':alloc_'))).toEqual([]);
    const inuseSpace = heapIds.find((id) => id.includes(':inuse_space:'))!;
    expect(await mergedTotal(server.baseUrl, inuseSpace, '{service_name="delta-heap"}')).toBe(Number(expected['go/delta/heap.after.pprof']!.sample_types[3]!.sum));

    const same = await pair('go/cpu.pb.gz', 'go/cpu.pb.gz', 'delta-same');
    expect(same.status).toBe(422);
    expect(JSON.parse(same.text).reason).toBe('CINDER_INGEST_EMPTY_DELTA');
  });

  const collapsedFiles = [
    'collapsed/perf-vertx-stacks-01-collapsed-all.txt',
    'collapsed/perf-java-stacks-01-collapsed-all.txt',
    'collapsed/perf-rust-Yamakaky-dcpu-collapsed-all.txt',
    'collapsed/perf-java-stacks-02-collapsed-all.txt',
    'collapsed/simple-crlf.txt',
    'broken/simple-with-invalids.txt',
  ];
  for (const file of collapsedFiles) {
    it(`${file} as folded text → process_cpu, counts × 10 ms`, async () => {
      const service = serviceFor(file);
      const response = await ingest(server.baseUrl, { name: `${service}.cpu`, format: 'folded', sampleRate: '100' }, readFixture(dir, file), 'text/plain');
      expect(response.status, response.text).toBe(200);
      const id = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
      expect(await profileTypesOf(server.baseUrl, service)).toEqual([id]);
      const expectedTotal = Number(expected[file]!['total_value']) * 10_000_000;
      expect(await mergedTotal(server.baseUrl, id, `{service_name="${service}"}`)).toBe(expectedTotal);
    });
  }

  it('speedscope files ingest with the IDs upstream asserts', async () => {
    const simple = await ingest(server.baseUrl, { name: 'ss-simple', format: 'speedscope' }, readFixture(dir, 'speedscope/simple.speedscope.json'), 'application/json');
    expect(simple.status, simple.text).toBe(200);
    expect(await profileTypesOf(server.baseUrl, 'ss-simple')).toEqual(['process_cpu:cpu:nanoseconds:cpu:nanoseconds']);
    const two = await ingest(server.baseUrl, { name: 'ss-two', format: 'speedscope' }, readFixture(dir, 'speedscope/two-sampled.speedscope.json'), 'application/json');
    expect(two.status, two.text).toBe(200);
    expect(await profileTypesOf(server.baseUrl, 'ss-two')).toEqual(['wall:wall:nanoseconds:cpu:nanoseconds']);
    const oneTotal = await mergedTotal(server.baseUrl, 'wall:wall:nanoseconds:cpu:nanoseconds', '{service_name="ss-two", profile_name="one"}');
    const twoTotal = await mergedTotal(server.baseUrl, 'wall:wall:nanoseconds:cpu:nanoseconds', '{service_name="ss-two", profile_name="two"}');
    expect(oneTotal).toBeGreaterThan(0);
    expect(oneTotal).toBe(twoTotal);
    const broken = await ingest(server.baseUrl, { name: 'ss-broken', format: 'speedscope' }, readFixture(dir, 'broken/incomplete-trace.speedscope.json'), 'application/json');
    expect([200, 422]).toContain(broken.status);
    if (broken.status === 422) expect(JSON.parse(broken.text).reason).toBe('CINDER_INGEST_MALFORMED_SPEEDSCOPE');
  });
});
