import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { connectJson, ingest, multipartBody, readFixture } from './helpers/client.js';

/** Each kind of bad input gets its documented status and code (docs/errors.md), and the server keeps serving. */
describe('bad input on /ingest and Push', () => {
  let server: StartedServer;
  let smallBodyServer: StartedServer;

  beforeAll(async () => {
    [server, smallBodyServer] = await Promise.all([startServer(), startServer({ args: ['--max-body-size', '2KiB'] })]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), smallBodyServer?.stop()]);
  });

  async function expectStillServing(target: StartedServer): Promise<void> {
    const ready = await fetch(`${target.baseUrl}/ready`);
    expect(ready.status).toBe(200);
  }

  const nowS = (): string => String(Math.floor(Date.now() / 1000));

  const cases: { name: string; send: (s: StartedServer) => ReturnType<typeof ingest>; status: number; reason: string }[] = [
    {
      name: 'garbage bytes as pprof',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'pprof' }, Buffer.from('this is not a protobuf at all \u0000\u0001\u0002'), 'application/octet-stream'),
      status: 422,
      reason: 'CINDER_INGEST_MALFORMED_PPROF',
    },
    {
      name: 'gzip of garbage as pprof',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'pprof' }, gzipSync(Buffer.from('\u00ff'.repeat(300))), 'application/octet-stream'),
      status: 422,
      reason: 'CINDER_INGEST_MALFORMED_PPROF',
    },
    {
      name: 'corrupt gzip stream',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'pprof' }, Buffer.concat([gzipSync(Buffer.alloc(1000, 7)).subarray(0, 20), Buffer.alloc(30, 1)]), 'application/octet-stream'),
      status: 422,
      reason: 'CINDER_INGEST_BAD_GZIP',
    },
    {
      name: 'gzip bomb (256 MiB of zeros in ~250 KiB)',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'pprof' }, gzipSync(Buffer.alloc(256 * 1024 * 1024)), 'application/octet-stream'),
      status: 413,
      reason: 'CINDER_INGEST_DECOMPRESSED_TOO_LARGE',
    },
    {
      name: 'too many labels in name',
      send: (s) =>
        ingest(
          s.baseUrl,
          { name: `bad.cpu{${Array.from({ length: 40 }, (_, i) => `k${i}=v`).join(',')}}`, format: 'folded' },
          'a;b 1\n',
          'text/plain',
        ),
      status: 422,
      reason: 'CINDER_INGEST_TOO_MANY_LABELS',
    },
    {
      name: 'bad label name in name',
      send: (s) => ingest(s.baseUrl, { name: 'bad.cpu{bad key!=v}', format: 'folded' }, 'a;b 1\n', 'text/plain'),
      status: 400,
      reason: 'CINDER_INGEST_INVALID_NAME',
    },
    {
      name: 'missing name',
      send: (s) => ingest(s.baseUrl, { format: 'folded' }, 'a;b 1\n', 'text/plain'),
      status: 400,
      reason: 'CINDER_INGEST_MISSING_NAME',
    },
    {
      name: 'unknown format',
      send: (s) => ingest(s.baseUrl, { name: 'bad.cpu', format: 'xml' }, '<a/>', 'text/xml'),
      status: 400,
      reason: 'CINDER_INGEST_UNKNOWN_FORMAT',
    },
    {
      name: 'unknown profile suffix',
      send: (s) => ingest(s.baseUrl, { name: 'my.service', format: 'folded' }, 'a;b 1\n', 'text/plain'),
      status: 400,
      reason: 'CINDER_INGEST_UNKNOWN_PROFILE_SUFFIX',
    },
    {
      name: 'wrong content type for pprof',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'pprof' }, '{"not":"pprof"}', 'application/json'),
      status: 415,
      reason: 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE',
    },
    {
      name: 'folded text with a non-numeric count',
      send: (s) => ingest(s.baseUrl, { name: 'bad.cpu', format: 'folded' }, 'a;b 12x\n', 'text/plain'),
      status: 422,
      reason: 'CINDER_INGEST_MALFORMED_TEXT',
    },
    {
      name: 'speedscope that is not JSON',
      send: (s) => ingest(s.baseUrl, { name: 'bad', format: 'speedscope' }, '{"profiles": [', 'application/json'),
      status: 422,
      reason: 'CINDER_INGEST_MALFORMED_JSON',
    },
    {
      name: 'malformed multipart',
      send: (s) => ingest(s.baseUrl, { name: 'bad' }, '--xyz\r\nnonsense', 'multipart/form-data'),
      status: 400,
      reason: 'CINDER_INGEST_MALFORMED_MULTIPART',
    },
    {
      name: 'profile outside the ingestion window',
      send: (s) => ingest(s.baseUrl, { name: 'bad.cpu', format: 'folded', from: String(Math.floor(Date.now() / 1000) - 86_400) }, 'a;b 1\n', 'text/plain'),
      status: 422,
      reason: 'CINDER_INGEST_OUTSIDE_WINDOW',
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name} → ${testCase.status} ${testCase.reason}`, async () => {
      const response = await testCase.send(server);
      expect(response.status, response.text).toBe(testCase.status);
      const body = response.json();
      expect(body.reason).toBe(testCase.reason);
      expect(body.message!.length).toBeGreaterThan(10);
      expect(typeof body.code).toBe('string');
      await expectStillServing(server);
    });
  }

  it('an empty body is accepted and stores nothing (as upstream: SDKs send empty profiles)', async () => {
    const response = await ingest(server.baseUrl, { name: 'empty-app', format: 'pprof', from: nowS() }, Buffer.alloc(0), 'application/octet-stream');
    expect(response.status).toBe(200);
    const nowMs = Date.now();
    const { body } = await connectJson<{ names?: string[] }>(server.baseUrl, 'querier.v1.QuerierService/LabelValues', {
      name: 'service_name',
      start: String(nowMs - 3_600_000),
      end: String(nowMs + 60_000),
    });
    expect(body.names ?? []).not.toContain('empty-app');
  });

  it('a body over --max-body-size is 413 before it is read whole', async () => {
    const response = await ingest(smallBodyServer.baseUrl, { name: 'big.cpu', format: 'folded' }, 'a;b 1\n'.repeat(2000), 'text/plain');
    expect(response.status).toBe(413);
    expect(response.json().reason).toBe('CINDER_INGEST_BODY_TOO_LARGE');
    await expectStillServing(smallBodyServer);
  });

  it('invalid UTF-8 in a pprof is 422 on /ingest and 400 on Push', async () => {
    const bytes = readFixture(testdataDir, 'broken/invalid_utf8.pb.gz');
    const { body, contentType } = multipartBody([{ name: 'profile', data: bytes }]);
    const viaIngest = await ingest(server.baseUrl, { name: 'utf8' }, body, contentType);
    expect(viaIngest.status).toBe(422);
    expect(viaIngest.json().reason).toBe('CINDER_INGEST_INVALID_UTF8');
    const viaPush = await connectJson(server.baseUrl, 'push.v1.PusherService/Push', {
      series: [{ labels: [{ name: '__name__', value: 'process_cpu' }, { name: 'service_name', value: 'utf8' }], samples: [{ rawProfile: bytes.toString('base64') }] }],
    });
    expect(viaPush.status).toBe(400);
    expect(viaPush.body).toMatchObject({ code: 'invalid_argument' });
  });

  it('Push without __name__, with a bad label name, with no samples, or with malformed JSON is 400', async () => {
    const profile = gzipSync(Buffer.alloc(0));
    const bad = [
      { series: [{ labels: [{ name: 'service_name', value: 'x' }], samples: [{ rawProfile: Buffer.from('garbage').toString('base64') }] }] },
      { series: [] },
    ];
    for (const request of bad) {
      const response = await connectJson(server.baseUrl, 'push.v1.PusherService/Push', request);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
    }
    const malformed = await fetch(`${server.baseUrl}/push.v1.PusherService/Push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"series": [' });
    expect(malformed.status).toBe(400);
    const malformedProto = await fetch(`${server.baseUrl}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    });
    expect(malformedProto.status).toBe(400);
    expect(profile.length).toBeGreaterThan(0);
    await expectStillServing(server);
  });
});
