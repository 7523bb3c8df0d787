import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { toBinary } from '@bufbuild/protobuf';
import { callTreeFromProfile, collapsedFromTree, decodePprof, pprofMetricName, parseSampleTypeConfig, profileTypeId } from '@cinder/core';
import { QuerierService } from '../src/gen/querier/v1/querier_pb.js';
import { ProfileSchema } from '../src/gen/google/v1/profile_pb.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, maybeGunzipFile, multipartBody, readFixture } from './helpers/client.js';

/**
 * Every pprof fixture that ingests: what SelectMergeProfile gives back (a real pprof) has the same
 * collapsed stacks and totals as the input, for every profile type.
 */
const FIXTURES: { file: string; spyName?: string; config?: string }[] = [
  { file: 'go/cpu.pb.gz' },
  { file: 'go/go.cpu.labels.pprof' },
  { file: 'go/single_group_with_optional_span_id.pb.gz' },
  { file: 'go/simple.prof' },
  { file: 'go/heap' },
  { file: 'go/heap.pb' },
  { file: 'go/req_2.pprof', config: 'go/req_2.st.json' },
  { file: 'go/req_3.pprof', config: 'go/req_3.st.json' },
  { file: 'go/gotruncatefix/heap_go_truncated_4.pb.gz' },
  { file: 'nodejs/nodejs-wall.pb.gz' },
  { file: 'nodejs/nodejs-heap.pb.gz' },
  { file: 'nodejs/cpu-js.pb.gz' },
  { file: 'java/profile_java' },
  { file: 'python/profile_python', spyName: 'pyspy' },
  { file: 'ruby/profile_ruby', spyName: 'rbspy' },
  { file: 'rust/profile_rust' },
  { file: 'dotnet/dotnet.labels.pprof', spyName: 'dotnetspy' },
  { file: 'ebpf/cpu-unknown.pb.gz', spyName: 'ebpfspy' },
  { file: 'broken/no_addr_no_line.pb.gz' },
  { file: 'nodejs-sdk/pyroscope-nodejs-0.6.4-wall-cpu.pprof.gz', spyName: 'nodespy' },
];

describe('SelectMergeProfile round trip of every fixture', () => {
  let server: StartedServer;
  const fromMs = Date.now() - 30 * 60_000;
  const untilMs = Date.now() + 60_000;
  const service = (file: string): string => 'rt-' + file.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();

  beforeAll(async () => {
    server = await startServer({ args: ['--max-samples', '100000'] });
    for (const fixture of FIXTURES) {
      const parts = [{ name: 'profile', data: readFixture(testdataDir, fixture.file) }];
      if (fixture.config) parts.push({ name: 'sample_type_config', data: readFixture(testdataDir, fixture.config) });
      const { body, contentType } = multipartBody(parts);
      const response = await ingest(server.baseUrl, { name: service(fixture.file), spyName: fixture.spyName ?? 'foo239', from: String(Math.floor((Date.now() - 600_000) / 1000)) }, body, contentType);
      expect(response.status, `${fixture.file}: ${response.text}`).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it.each(FIXTURES)('$file', async (fixture) => {
    const client = createClient(QuerierService, createConnectTransport({ baseUrl: server.baseUrl, httpVersion: '1.1', useBinaryFormat: true }));
    const input = decodePprof(maybeGunzipFile(readFixture(testdataDir, fixture.file)), { dotnetFix: fixture.spyName === 'dotnetspy' });
    const config = fixture.config ? parseSampleTypeConfig(readFixture(testdataDir, fixture.config).toString('utf8')) : null;
    const metricName = pprofMetricName(input.sampleTypes, config);
    for (let t = 0; t < input.sampleTypes.length; t++) {
      const expected = collapsedFromTree(callTreeFromProfile(input, t));
      if (expected === '') continue; // an all-zero sample type is not stored
      const typeId = profileTypeId(metricName, input.sampleTypes[t]!, input.periodType);
      const merged = await client.selectMergeProfile({ profileTypeID: typeId, labelSelector: `{service_name="${service(fixture.file)}"}`, start: BigInt(fromMs), end: BigInt(untilMs) });
      const back = decodePprof(toBinary(ProfileSchema, merged));
      expect(collapsedFromTree(callTreeFromProfile(back, 0)), `${fixture.file} ${typeId}`).toBe(expected);
    }
  });
});
