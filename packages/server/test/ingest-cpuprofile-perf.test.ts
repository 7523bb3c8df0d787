import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, mergedTotal, multipartBody, profileTypesOf, readFixture } from './helpers/client.js';

/**
 * `format=cpuprofile` and `format=perf_script` end to end: the real fixtures through /ingest, read
 * back as exact totals computed independently from the files; bad input of each → 4xx with a code.
 */
describe('.cpuprofile and perf script ingest', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cpuprofile = (): Buffer => readFixture(testdataDir, 'chrome-cpuprofile/example.cpuprofile');
  const perfScript = (): Buffer => readFixture(testdataDir, 'perf-script/perf-java-stacks-02.txt');

  it('example.cpuprofile → wall:wall:nanoseconds:wall:nanoseconds, total = the sampled span of its timestamps', async () => {
    const response = await ingest(server.baseUrl, { name: 'cpuprof-app', format: 'cpuprofile' }, cpuprofile(), 'application/json');
    expect(response.status, response.text).toBe(200);
    expect(await profileTypesOf(server.baseUrl, 'cpuprof-app')).toEqual(['wall:wall:nanoseconds:wall:nanoseconds']);
    const { timestamps } = JSON.parse(cpuprofile().toString('utf8')) as { timestamps: number[] };
    const spanNs = (timestamps.at(-1)! - timestamps[0]!) * 1000;
    expect(await mergedTotal(server.baseUrl, 'wall:wall:nanoseconds:wall:nanoseconds', '{service_name="cpuprof-app"}')).toBe(spanNs);
  });

  it('a gzipped .cpuprofile is sniffed and read the same', async () => {
    expect((await ingest(server.baseUrl, { name: 'cpuprof-gz', format: 'cpuprofile' }, gzipSync(cpuprofile()), 'application/octet-stream')).status).toBe(200);
    expect(await mergedTotal(server.baseUrl, 'wall:wall:nanoseconds:wall:nanoseconds', '{service_name="cpuprof-gz"}')).toBe(45_920_000);
  });

  it('perf-java-stacks-02.txt → process_cpu, each of its 2 samples worth 1e9/sampleRate ns', async () => {
    const text = perfScript();
    const samples = (text.toString('utf8').match(/^\S.* cycles:\s*$/gm) ?? []).length;
    expect(samples).toBe(2);
    expect((await ingest(server.baseUrl, { name: 'perf-app', format: 'perf_script' }, text, 'text/plain')).status).toBe(200);
    expect((await ingest(server.baseUrl, { name: 'perf-app-99', format: 'perf_script', sampleRate: '99' }, text, 'text/plain')).status).toBe(200);
    expect(await profileTypesOf(server.baseUrl, 'perf-app')).toEqual(['process_cpu:cpu:nanoseconds:cpu:nanoseconds']);
    expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="perf-app"}')).toBe(samples * 10_000_000);
    expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="perf-app-99"}')).toBe(samples * Math.floor(1e9 / 99));
  });

  it('perf script with periods: cpu-clock periods are nanoseconds, summed exactly', async () => {
    const text = ['app 10/11 [000] 5.000001:   250000 cpu-clock:', '\t1 work (/bin/app)', '\t2 main (/bin/app)', '', 'app 10/11 [000] 5.000251:   125000 cpu-clock:', '\t1 work (/bin/app)', '\t2 main (/bin/app)', ''].join('\n');
    expect((await ingest(server.baseUrl, { name: 'perf-periods', format: 'perf_script' }, text, 'text/plain')).status).toBe(200);
    expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="perf-periods"}')).toBe(375_000);
  });

  describe('bad input: 4xx with a code, never a 5xx', () => {
    const cases: { name: string; format: string; body: () => { body: Buffer | string; contentType: string }; status: number; reason: string }[] = [
      { name: 'cpuprofile: garbage', format: 'cpuprofile', body: () => ({ body: 'not json at all', contentType: 'application/json' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_JSON' },
      {
        name: 'cpuprofile: truncated',
        format: 'cpuprofile',
        body: () => ({ body: cpuprofile().subarray(0, 700), contentType: 'application/json' }),
        status: 422,
        reason: 'CINDER_INGEST_MALFORMED_JSON',
      },
      { name: 'cpuprofile: JSON of another shape', format: 'cpuprofile', body: () => ({ body: '{"profiles": []}', contentType: 'application/json' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_CPUPROFILE' },
      {
        name: 'cpuprofile: wrong content type (multipart)',
        format: 'cpuprofile',
        body: () => multipartBody([{ name: 'profile', data: cpuprofile() }]),
        status: 415,
        reason: 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE',
      },
      {
        name: 'cpuprofile: oversized after gunzip (> 4 MiB)',
        format: 'cpuprofile',
        body: () => ({ body: gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)), contentType: 'application/json' }),
        status: 413,
        reason: 'CINDER_INGEST_DECOMPRESSED_TOO_LARGE',
      },
      { name: 'perf_script: garbage', format: 'perf_script', body: () => ({ body: '\u0000\u0001 binary junk\n\n', contentType: 'text/plain' }), status: 422, reason: 'CINDER_INGEST_MALFORMED_TEXT' },
      {
        name: 'perf_script: wrong content type (multipart)',
        format: 'perf_script',
        body: () => multipartBody([{ name: 'profile', data: perfScript() }]),
        status: 415,
        reason: 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE',
      },
      {
        name: 'perf_script: oversized (> 4 MiB)',
        format: 'perf_script',
        body: () => ({ body: Buffer.alloc(5 * 1024 * 1024, 0x61), contentType: 'text/plain' }),
        status: 413,
        reason: 'CINDER_INGEST_DECOMPRESSED_TOO_LARGE',
      },
      {
        name: 'perf_script: a period beyond 2^53',
        format: 'perf_script',
        body: () => ({ body: `p 1 [000] 1.0: ${'9'.repeat(25)} cpu-clock:\n\t1 f (m)\n`, contentType: 'text/plain' }),
        status: 400,
        reason: 'CINDER_INGEST_VALUE_OUT_OF_RANGE',
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const { body, contentType } = c.body();
        const response = await ingest(server.baseUrl, { name: 'bad-input', format: c.format }, body, contentType);
        expect(response.status, response.text).toBe(c.status);
        expect(response.json().reason).toBe(c.reason);
        expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
      });
    }

    it('perf_script: a truncated file keeps its complete samples (text is read line by line)', async () => {
      const text = perfScript().toString('utf8');
      const cut = text.slice(0, text.indexOf('\n\n') + 40);
      const response = await ingest(server.baseUrl, { name: 'perf-truncated', format: 'perf_script' }, cut, 'text/plain');
      expect(response.status, response.text).toBe(200);
      expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="perf-truncated"}')).toBe(2 * 10_000_000);
    });
  });
});
