import { readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePprof, totalOf } from '@cinder/core';
import { repoRoot, startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import type { createProfileDecoder as CreateDecoder, DecodeRequest } from '../src/ingest/decodePool.js';
import { connectJson, ingest, maybeGunzipFile, mergedTotal, multipartBody, profileTypesOf, readFixture } from './helpers/client.js';

/**
 * `format=jfr` end to end: every JFR fixture goes through /ingest as upstream's TestIngestJFR sends
 * it (multipart `jfr` [+ `labels`], spyName=foo239, no sampleRate), and every profile type comes
 * back from the query API with exactly the total of upstream's gold output, per label set too.
 */
const jfrDir = 'java-jfr';
const THREAD_OF_HASH: Record<string, string | null> = {
  '17241709254077376921': null,
  '2539015855607244867': 'pool-2-thread-1',
  '6511396920643364271': 'pool-2-thread-2',
  '5571933481434853072': 'pool-2-thread-3',
  '10784330302778997279': 'pool-2-thread-4',
  '16370823494798218517': 'pool-2-thread-5',
  '14685508092873724845': 'pool-2-thread-6',
  '15666661103234080825': 'pool-2-thread-7',
  '302387572117411911': 'pool-2-thread-8',
};

interface Gold {
  jfr: string;
  profileTypeId: string;
  thread: string | null;
  total: number;
}

const gold: Gold[] = readdirSync(path.join(testdataDir, jfrDir, 'expected')).map((file) => {
  const match = /^(.+\.jfr\.gz)\.([A-Za-z0-9_]+)\.(\d+)\.pb\.gz$/.exec(file)!;
  const [, jfr, typeKey, hash] = match;
  const expected = decodePprof(gunzipSync(readFixture(testdataDir, path.join(jfrDir, 'expected', file))), { limits: { maxSamples: 1e6 } });
  const [sampleType, sampleUnit, periodType, periodUnit] = [expected.sampleTypes[0]!.type, expected.sampleTypes[0]!.unit, expected.periodType!.type, expected.periodType!.unit];
  // The type key is the ID with ':' → '_'; rebuild the ID from the gold profile's own types.
  const metric = typeKey!.slice(0, typeKey!.length - `_${sampleType}_${sampleUnit}_${periodType}_${periodUnit}`.length);
  return { jfr: jfr!, profileTypeId: `${metric}:${sampleType}:${sampleUnit}:${periodType}:${periodUnit}`, thread: THREAD_OF_HASH[hash!]!, total: totalOf(expected, 0) };
});
const recordings = [...new Set(gold.map((g) => g.jfr))];

describe('the new formats decode on the worker pool (built code), the same as inline', () => {
  it('jfr with its labels part, cpuprofile, perf_script', async () => {
    const { createProfileDecoder } = (await import(path.join(repoRoot, 'packages/server/dist/ingest/decodePool.js'))) as { createProfileDecoder: typeof CreateDecoder };
    const pool = createProfileDecoder(1, { inlineBelowBytes: 0 });
    const inline = createProfileDecoder(0);
    try {
      const base = { maxOutputBytes: 64 << 20, what: 'profile', options: { limits: { maxSamples: 100_000 } } };
      const requests: DecodeRequest[] = [
        { ...base, format: 'jfr', bytes: readFixture(testdataDir, 'java-jfr/dump2.jfr.gz'), jfrLabels: readFixture(testdataDir, 'java-jfr/dump2.labels.pb.gz'), sampleRate: 100 },
        { ...base, format: 'cpuprofile', bytes: readFixture(testdataDir, 'chrome-cpuprofile/example.cpuprofile') },
        { ...base, format: 'perf_script', bytes: readFixture(testdataDir, 'perf-script/perf-java-stacks-02.txt'), sampleRate: 99 },
      ];
      for (const request of requests) {
        const [onWorker, onMain] = await Promise.all([pool.decode(request), inline.decode(request)]);
        expect(onWorker.length, request.format).toBe(onMain.length);
        expect(pool.runningWorkers()).toBe(1);
        onWorker.forEach((entry, i) => {
          expect([entry.metricName, entry.jfrEvent], request.format).toEqual([onMain[i]!.metricName, onMain[i]!.jfrEvent]);
          expect(entry.profile.sampleTypes).toEqual(onMain[i]!.profile.sampleTypes);
          expect(entry.profile.stacks.map((st) => [...st])).toEqual(onMain[i]!.profile.stacks.map((st) => [...st]));
          expect(entry.profile.values.map((v) => [...v])).toEqual(onMain[i]!.profile.values.map((v) => [...v]));
          expect(entry.profile.sampleLabels).toEqual(onMain[i]!.profile.sampleLabels);
        });
      }
    } finally {
      await Promise.all([pool.close(), inline.close()]);
    }
  });
});

describe('JFR ingest', () => {
  let server: StartedServer;
  const appOf = (jfr: string): string => `jfr-${recordings.indexOf(jfr)}`;

  beforeAll(async () => {
    server = await startServer();
    for (const jfr of recordings) {
      const parts = [{ name: 'jfr', data: readFixture(testdataDir, path.join(jfrDir, jfr)) }];
      if (jfr === 'dump2.jfr.gz') parts.push({ name: 'labels', data: readFixture(testdataDir, path.join(jfrDir, 'dump2.labels.pb.gz')) });
      const { body, contentType } = multipartBody(parts);
      const response = await ingest(server.baseUrl, { name: appOf(jfr), spyName: 'foo239', format: 'jfr' }, body, contentType);
      expect(response.status, `${jfr}: ${response.text}`).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores exactly the profile types upstream stored for each recording', async () => {
    for (const jfr of recordings) {
      const types = await profileTypesOf(server.baseUrl, appOf(jfr));
      expect(new Set(types), jfr).toEqual(new Set(gold.filter((g) => g.jfr === jfr).map((g) => g.profileTypeId)));
    }
  });

  it('every gold output: the same total for its profile type and label selection', async () => {
    expect(gold).toHaveLength(34);
    for (const g of gold) {
      const selector = g.thread ? `{service_name="${appOf(g.jfr)}", thread_name="${g.thread}"}` : `{service_name="${appOf(g.jfr)}"}`;
      expect(await mergedTotal(server.baseUrl, g.profileTypeId, selector), `${g.jfr} ${g.profileTypeId} ${selector}`).toBe(g.total);
    }
  });

  it('labels the series as upstream does: jfr_event, pyroscope_spy, service_name', async () => {
    const nowMs = Date.now();
    const values = async (name: string, service: string): Promise<string[]> => {
      const { status, body } = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
        name,
        matchers: [`{service_name="${service}"}`],
        start: String(nowMs - 3_600_000),
        end: String(nowMs + 600_000),
      });
      expect(status).toBe(200);
      return body.names ?? [];
    };
    expect(await values('jfr_event', appOf('dump2.jfr.gz'))).toEqual(['wall']);
    expect(await values('jfr_event', appOf('cortex-dev-01__kafka-0__cpu__0.jfr.gz'))).toEqual(['cpu']);
    expect(await values('pyroscope_spy', appOf('dump2.jfr.gz'))).toEqual(['foo239']);
    expect((await values('thread_name', appOf('dump2.jfr.gz'))).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `pool-2-thread-${i + 1}`).sort());
  });

  it('a raw body (gzipped or not, no multipart) is read too, with sampleRate scaling CPU samples', async () => {
    const gz = readFixture(testdataDir, path.join(jfrDir, 'cortex-dev-01__kafka-0__cpu__0.jfr.gz'));
    const cpu = gold.find((g) => g.jfr === 'cortex-dev-01__kafka-0__cpu__0.jfr.gz')!;
    expect((await ingest(server.baseUrl, { name: 'jfr-raw-gz', format: 'jfr' }, gz, 'application/octet-stream')).status).toBe(200);
    expect((await ingest(server.baseUrl, { name: 'jfr-raw', format: 'jfr', sampleRate: '50' }, gunzipSync(gz), 'application/octet-stream')).status).toBe(200);
    expect(await mergedTotal(server.baseUrl, cpu.profileTypeId, '{service_name="jfr-raw-gz"}')).toBe(cpu.total);
    expect(await mergedTotal(server.baseUrl, cpu.profileTypeId, '{service_name="jfr-raw"}')).toBe(2 * cpu.total);
  });

  it('a JDK Flight Recorder file (heavy.jfr, uncompressed) is accepted', async () => {
    const { body, contentType } = multipartBody([{ name: 'jfr', data: readFixture(testdataDir, path.join(jfrDir, 'heavy.jfr')) }]);
    expect((await ingest(server.baseUrl, { name: 'jfr-jdk', format: 'jfr' }, body, contentType)).status).toBe(200);
    expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="jfr-jdk"}')).toBeGreaterThan(0);
  });

  describe('bad input: 4xx with a code, never a 5xx, and the server keeps serving', () => {
    const recording = (): Buffer => maybeGunzipFile(readFixture(testdataDir, path.join(jfrDir, 'cortex-dev-01__kafka-0__cpu__0.jfr.gz')));
    const cases: { name: string; body: () => { body: Buffer; contentType: string }; status: number; reason: string }[] = [
      { name: 'truncated recording', body: () => ({ body: recording().subarray(0, 20_000), contentType: 'application/octet-stream' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_JFR' },
      {
        name: 'corrupted magic (upstream TestCorruptedJFR422)',
        body: () => {
          const bytes = recording();
          bytes[0] = 0;
          return multipartBody([{ name: 'jfr', data: bytes }]);
        },
        status: 422,
        reason: 'CINDER_INGEST_MALFORMED_JFR',
      },
      { name: 'garbage', body: () => ({ body: Buffer.from('definitely not a flight recording'.repeat(10)), contentType: 'application/octet-stream' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_JFR' },
      { name: 'gzip of garbage', body: () => ({ body: gzipSync(Buffer.alloc(5000, 0x41)), contentType: 'application/octet-stream' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_JFR' },
      { name: 'wrong content type', body: () => ({ body: recording(), contentType: 'text/plain' }), status: 415, reason: 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE' },
      {
        name: 'oversized after gunzip (> 4 MiB)',
        body: () => ({ body: gzipSync(Buffer.concat([recording().subarray(0, 68), Buffer.alloc(5 * 1024 * 1024)])), contentType: 'application/octet-stream' }),
        status: 413,
        reason: 'CINDER_INGEST_DECOMPRESSED_TOO_LARGE',
      },
      { name: 'multipart without a jfr part', body: () => multipartBody([{ name: 'profile', data: recording() }]), status: 400, reason: 'CINDER_INGEST_MALFORMED_MULTIPART' },
      {
        name: 'malformed labels part',
        body: () => multipartBody([
          { name: 'jfr', data: recording() },
          { name: 'labels', data: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]) },
        ]),
        status: 422,
        reason: 'CINDER_INGEST_MALFORMED_JFR',
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const { body, contentType } = c.body();
        const response = await ingest(server.baseUrl, { name: 'jfr-bad', format: 'jfr' }, body, contentType);
        expect(response.status, response.text).toBe(c.status);
        expect(response.json().reason).toBe(c.reason);
        expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
      });
    }
  });
});
