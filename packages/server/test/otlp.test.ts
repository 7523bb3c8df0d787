/**
 * OTLP profiles ingest end to end against a real server on 127.0.0.1: the real OpenTelemetry eBPF
 * profiler capture over OTLP/HTTP (protobuf, and JSON made from it with the generated toJson) and
 * OTLP/gRPC (connect-node's gRPC client), each into its own tenant, queried back as collapsed
 * stacks and compared with upstream Pyroscope's expected CPU and off-CPU outputs, stack for stack
 * and value for value. Then span selection, partial success, tokens and tenants on both transports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clone, create, fromBinary, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { ConnectError, Code, createClient } from '@connectrpc/connect';
import { compressionGzip, createGrpcTransport } from '@connectrpc/connect-node';
import { startServer } from './helpers/startServer.js';
import {
  ExportProfilesServiceRequestSchema,
  ExportProfilesServiceResponseSchema,
  ProfilesService,
  type ExportProfilesServiceRequest,
} from '../src/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import { LinkSchema } from '../src/gen/opentelemetry/proto/profiles/v1development/profiles_pb.js';

const testdata = path.resolve(__dirname, '../../../testdata/otlp');
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const OFF_CPU = 'off_cpu:off_cpu:nanoseconds::';
const INGEST_TOKEN = 'otlp-ingest-secret';
const QUERY_TOKEN = 'otlp-query-secret';

/** Upstream's strprofile.CompactProfile → collapsed stacks (root first, function names), summed per stack. */
function expectedCollapsed(file: string): Map<string, number> {
  const compact = JSON.parse(readFileSync(path.join(testdata, file), 'utf8')) as { samples: { locations: { lines: string[] }[]; values: string }[] };
  const stacks = new Map<string, number>();
  for (const sample of compact.samples) {
    const frames: string[] = [];
    // Locations are leaf first, and so are the inlined lines of each location.
    for (const location of [...sample.locations].reverse()) {
      for (const line of [...location.lines].reverse()) frames.push(/^(.*)\[[^\]]*\]@[^@]*$/.exec(line)![1]!);
    }
    const key = frames.join(';');
    stacks.set(key, (stacks.get(key) ?? 0) + Number(sample.values));
  }
  return stacks;
}

function parseCollapsed(text: string): Map<string, number> {
  const stacks = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    stacks.set(key, (stacks.get(key) ?? 0) + Number(line.slice(space + 1)));
  }
  return stacks;
}

/** The capture with its profile times moved to a minute ago (offsets kept): the ingest window is one hour. */
function loadCapture(nowMs: number): ExportProfilesServiceRequest {
  const request = fromBinary(ExportProfilesServiceRequestSchema, readFileSync(path.join(testdata, 'otel-ebpf-profile.pb.bin')));
  let earliest = -1n;
  for (const rp of request.resourceProfiles) for (const sp of rp.scopeProfiles) for (const p of sp.profiles) if (earliest < 0n || p.timeUnixNano < earliest) earliest = p.timeUnixNano;
  const shiftNs = BigInt(nowMs - 60_000) * 1_000_000n - earliest;
  for (const rp of request.resourceProfiles) {
    for (const sp of rp.scopeProfiles) {
      for (const p of sp.profiles) {
        p.timeUnixNano += shiftNs;
        for (const sample of p.samples) sample.timestampsUnixNano = sample.timestampsUnixNano.map((t) => t + shiftNs);
      }
    }
  }
  return request;
}

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

async function post(baseUrl: string, route: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${baseUrl}${route}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer> | string, headers });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
}

function auth(tenant: string, token = INGEST_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-scope-orgid': tenant };
}

interface OtlpServer {
  address: string;
  grpcAddress: string;
  stop(): Promise<void>;
}

/** The built server (decode workers load dist/ingest/decodeWorker.js) with tokens, multitenancy and the gRPC listener on. */
async function startOtlpServer(extraArgs: string[] = []): Promise<OtlpServer> {
  const started = await startServer({
    args: ['--multitenancy', '--ingest-token', INGEST_TOKEN, '--query-token', QUERY_TOKEN, '--otlp-grpc-address', '127.0.0.1:0', '--log-level', 'info', ...extraArgs],
  });
  // The gRPC line can follow the HTTP "listening" line by a moment (two log writes, two chunks).
  const pattern = /OTLP gRPC \(ProfilesService\/Export\) on (127\.0\.0\.1:\d+)/;
  for (let waitedMs = 0; !pattern.test(started.output()) && waitedMs < 5_000; waitedMs += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const grpc = pattern.exec(started.output());
  if (!grpc) {
    await started.stop();
    throw new Error(`no OTLP gRPC address in the server output:\n${started.output()}`);
  }
  return { address: started.baseUrl, grpcAddress: grpc[1]!, stop: () => started.stop() };
}

describe('OTLP profiles ingest', () => {
  let server: OtlpServer;
  const nowMs = Date.now();
  const capture = loadCapture(nowMs);
  const captureBytes = toBinary(ExportProfilesServiceRequestSchema, capture);

  const grpcClient = (address: string) => createClient(ProfilesService, createGrpcTransport({ baseUrl: `http://${address}` }));

  async function collapsed(tenant: string, profileTypeId: string, selector = '{service_name="unknown_service"}', extra: Record<string, string> = {}): Promise<Map<string, number>> {
    const params = new URLSearchParams({ query: `${profileTypeId}${selector}`, from: String(nowMs - 3_600_000), until: String(nowMs + 60_000), format: 'folded', ...extra });
    const response = await fetch(`${server.address}/api/v1/flamegraph?${params}`, { headers: auth(tenant, QUERY_TOKEN) });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return parseCollapsed(text);
  }

  async function expectUpstreamOutputs(tenant: string): Promise<void> {
    expect(await collapsed(tenant, CPU)).toEqual(expectedCollapsed('otel-ebpf-profile-cpu.out.json'));
    expect(await collapsed(tenant, OFF_CPU)).toEqual(expectedCollapsed('otel-ebpf-profile-offcpu.out.json'));
  }

  beforeAll(async () => {
    server = await startOtlpServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the expected outputs are not vacuous', () => {
    const cpu = expectedCollapsed('otel-ebpf-profile-cpu.out.json');
    const offCpu = expectedCollapsed('otel-ebpf-profile-offcpu.out.json');
    expect(cpu.size).toBeGreaterThan(3);
    expect(offCpu.size).toBeGreaterThan(50);
  });

  it('OTLP/HTTP protobuf: the real eBPF capture gives exactly upstream’s CPU and off-CPU profiles', async () => {
    const answer = await post(server.address, '/v1development/profiles', captureBytes, { 'content-type': 'application/x-protobuf', ...auth('otlp-proto') });
    expect(answer.status, answer.body.toString()).toBe(200);
    expect(answer.contentType).toContain('application/x-protobuf');
    expect(fromBinary(ExportProfilesServiceResponseSchema, answer.body).partialSuccess).toBeUndefined();
    await expectUpstreamOutputs('otlp-proto');
  });

  it('OTLP/HTTP JSON, gzip: the same capture as OTLP JSON gives the same profiles', async () => {
    const json = JSON.stringify(toJson(ExportProfilesServiceRequestSchema, capture));
    const answer = await post(server.address, '/v1development/profiles', gzipSync(json), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      ...auth('otlp-json'),
    });
    expect(answer.status, answer.body.toString()).toBe(200);
    expect(answer.contentType).toContain('application/json');
    expect(JSON.parse(answer.body.toString())).toEqual({});
    await expectUpstreamOutputs('otlp-json');
  });

  it('OTLP/gRPC (HTTP/2, connect-node gRPC client, gzip): the same capture gives the same profiles', async () => {
    const transport = createGrpcTransport({ baseUrl: `http://${server.grpcAddress}`, sendCompression: compressionGzip });
    const response = await createClient(ProfilesService, transport).export(capture, { headers: auth('otlp-grpc') });
    expect(response.partialSuccess).toBeUndefined();
    await expectUpstreamOutputs('otlp-grpc');
  });

  it('maps resource and scope attributes to labels and strips the server’s own', async () => {
    const params = new URLSearchParams({ from: String(nowMs - 3_600_000), until: String(nowMs + 60_000) });
    const names = (await (await fetch(`${server.address}/api/v1/labels?${params}`, { headers: auth('otlp-proto', QUERY_TOKEN) })).json()) as { names: string[] };
    expect(names.names).toEqual(expect.arrayContaining(['service_name', '__name__', 'process.pid', 'thread.name']));
    expect(names.names).not.toContain('__otel__');
    expect(names.names).not.toContain('__delta__');
    const values = (await (
      await fetch(`${server.address}/api/v1/label-values?${new URLSearchParams({ name: '__name__', ...Object.fromEntries(params) })}`, { headers: auth('otlp-proto', QUERY_TOKEN) })
    ).json()) as { values: string[] };
    expect(values.values.sort()).toEqual(['off_cpu', 'process_cpu']);
  });

  it('service.name (resource, then sample) and process.executable.name name the service', async () => {
    const request = clone(ExportProfilesServiceRequestSchema, capture);
    const strings = request.dictionary!.stringTable;
    const resources = request.resourceProfiles;
    resources[0]!.resource!.attributes.push({ $typeName: 'opentelemetry.proto.common.v1.KeyValue', key: 'service.name', value: { $typeName: 'opentelemetry.proto.common.v1.AnyValue', value: { case: 'stringValue', value: 'checkout' } } } as never);
    resources[1]!.resource!.attributes.push({ $typeName: 'opentelemetry.proto.common.v1.KeyValue', key: 'process.executable.name', value: { $typeName: 'opentelemetry.proto.common.v1.AnyValue', value: { case: 'stringValue', value: 'nginx' } } } as never);
    // A sample-level service.name wins over the resource's (upstream splits the profile by it).
    strings.push('service.name', 'payments');
    request.dictionary!.attributeTable.push({ $typeName: 'opentelemetry.proto.profiles.v1development.KeyValueAndUnit', keyStrindex: strings.length - 2, unitStrindex: 0, value: { $typeName: 'opentelemetry.proto.common.v1.AnyValue', value: { case: 'stringValue', value: 'payments' } } } as never);
    resources[2]!.scopeProfiles[0]!.profiles[0]!.samples[0]!.attributeIndices.push(request.dictionary!.attributeTable.length - 1);
    const answer = await post(server.address, '/v1development/profiles', toBinary(ExportProfilesServiceRequestSchema, request), { 'content-type': 'application/x-protobuf', ...auth('otlp-names') });
    expect(answer.status, answer.body.toString()).toBe(200);
    const params = new URLSearchParams({ name: 'service_name', from: String(nowMs - 3_600_000), until: String(nowMs + 60_000) });
    const values = (await (await fetch(`${server.address}/api/v1/label-values?${params}`, { headers: auth('otlp-names', QUERY_TOKEN) })).json()) as { values: string[] };
    // Three resources of the capture carry process.executable.name (upstream's expected outputs, for
    // service_name="unknown_service", leave their samples out too).
    expect(values.values.sort()).toEqual([
      'checkout',
      'payments',
      'unknown_service',
      'unknown_service:containerd',
      'unknown_service:kwin_wayland',
      'unknown_service:nginx',
      'unknown_service:xdg-desktop-portal',
    ]);
  });

  it('trace/span links become span_id and trace_id: span selection works for OTLP data (OTLP JSON hex ids)', async () => {
    const request = clone(ExportProfilesServiceRequestSchema, capture);
    const spanId = '00000000000000a1';
    const traceId = '0123456789abcdef0123456789abcdef';
    request.dictionary!.linkTable.push(create(LinkSchema, { traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(spanId, 'hex') }));
    const linkIndex = request.dictionary!.linkTable.length - 1;
    // Link every CPU sample of the first CPU profile.
    let linkedNs = 0;
    const cpuProfile = request.resourceProfiles.flatMap((rp) => rp.scopeProfiles.flatMap((sp) => sp.profiles)).find((p) => p.period !== 0n)!;
    for (const sample of cpuProfile.samples) {
      sample.linkIndex = linkIndex;
      linkedNs += Number(cpuProfile.period) * (sample.values.length > 0 ? Number(sample.values.reduce((a, b) => a + b, 0n)) : sample.timestampsUnixNano.length);
    }
    const json = toJson(ExportProfilesServiceRequestSchema, request) as { dictionary: { linkTable: Record<string, string>[] } };
    // OTLP/JSON spells ids in hex, not protobuf JSON's base64.
    json.dictionary.linkTable[linkIndex] = { traceId, spanId };
    const answer = await post(server.address, '/v1development/profiles', JSON.stringify(json as JsonValue), { 'content-type': 'application/json', ...auth('otlp-span') });
    expect(answer.status, answer.body.toString()).toBe(200);
    const bySpan = await collapsed('otlp-span', CPU, '{}', { spanId });
    expect([...bySpan.values()].reduce((a, b) => a + b, 0)).toBe(linkedNs);
    expect(linkedNs).toBeGreaterThan(0);
    const byTrace = await collapsed('otlp-span', CPU, '{}', { traceId });
    expect(byTrace).toEqual(bySpan);
    const all = await collapsed('otlp-span', CPU);
    expect([...all.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(linkedNs);
    const params = new URLSearchParams({ from: String(nowMs - 3_600_000), until: String(nowMs + 60_000) });
    const names = (await (await fetch(`${server.address}/api/v1/labels?${params}`, { headers: auth('otlp-span', QUERY_TOKEN) })).json()) as { names: string[] };
    expect(names.names).not.toContain('span_id');
  });

  it('partial success: a broken profile and one outside the ingest window are rejected with reasons, the rest is stored', async () => {
    const request = clone(ExportProfilesServiceRequestSchema, capture);
    const profiles = request.resourceProfiles.flatMap((rp) => rp.scopeProfiles.flatMap((sp) => sp.profiles));
    profiles[0]!.samples[0]!.stackIndex = 999_999;
    profiles[1]!.timeUnixNano = BigInt(nowMs - 3 * 3_600_000) * 1_000_000n;
    const answer = await post(server.address, '/v1development/profiles', toBinary(ExportProfilesServiceRequestSchema, request), { 'content-type': 'application/x-protobuf', ...auth('otlp-partial') });
    expect(answer.status, answer.body.toString()).toBe(200);
    const partial = fromBinary(ExportProfilesServiceResponseSchema, answer.body).partialSuccess!;
    expect(partial.rejectedProfiles).toBe(2n);
    expect(partial.errorMessage).toContain('CINDER_INGEST_MALFORMED_OTLP');
    expect(partial.errorMessage).toContain('CINDER_INGEST_OUTSIDE_WINDOW');
    // Over gRPC too.
    const viaGrpc = await grpcClient(server.grpcAddress).export(request, { headers: auth('otlp-partial-grpc') });
    expect(viaGrpc.partialSuccess?.rejectedProfiles).toBe(2n);
    const offCpu = await collapsed('otlp-partial', OFF_CPU);
    expect(offCpu.size).toBeGreaterThan(0);
  });

  it('bad input over HTTP → 4xx with a Cinder code, never a 5xx', async () => {
    const headers = { 'content-type': 'application/x-protobuf', ...auth('otlp-bad') };
    const cases: [string, Uint8Array | string, Record<string, string>, number, string][] = [
      ['truncated', captureBytes.subarray(0, Math.floor(captureBytes.length / 2)), headers, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), headers, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['empty', new Uint8Array(0), headers, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['no dictionary', toBinary(ExportProfilesServiceRequestSchema, create(ExportProfilesServiceRequestSchema, { resourceProfiles: capture.resourceProfiles })), headers, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['not JSON', '{"resourceProfiles": [', { ...headers, 'content-type': 'application/json' }, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['JSON of the wrong shape', '{"resourceProfiles": 3}', { ...headers, 'content-type': 'application/json' }, 400, 'CINDER_INGEST_MALFORMED_OTLP'],
      ['wrong content type', captureBytes, { ...headers, 'content-type': 'text/plain' }, 415, 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE'],
      ['gzip header, garbage body', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 1)]), { ...headers, 'content-encoding': 'gzip' }, 400, 'CINDER_INGEST_BAD_GZIP'],
      ['unknown content encoding', captureBytes, { ...headers, 'content-encoding': 'zstd' }, 415, 'CINDER_INGEST_UNSUPPORTED_CONTENT_TYPE'],
    ];
    for (const [what, body, requestHeaders, status, code] of cases) {
      const answer = await post(server.address, '/v1development/profiles', body, requestHeaders);
      expect(answer.status, `${what}: ${answer.body.toString().slice(0, 200)}`).toBe(status);
      expect(answer.body.toString(), what).toContain(code);
    }
  });

  it('bad input over gRPC → INVALID_ARGUMENT with a Cinder code in the message', async () => {
    const client = grpcClient(server.grpcAddress);
    const noDictionary = create(ExportProfilesServiceRequestSchema, { resourceProfiles: capture.resourceProfiles });
    const error = await client.export(noDictionary, { headers: auth('otlp-bad') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain('CINDER_INGEST_MALFORMED_OTLP');
    const broken = clone(ExportProfilesServiceRequestSchema, capture);
    for (const rp of broken.resourceProfiles) for (const sp of rp.scopeProfiles) for (const p of sp.profiles) p.samples[0]!.stackIndex = -5;
    const allRejected = await client.export(broken, { headers: auth('otlp-bad') }).catch((e: unknown) => e);
    expect((allRejected as ConnectError).code).toBe(Code.InvalidArgument);
    expect((allRejected as ConnectError).rawMessage).toContain('CINDER_INGEST_MALFORMED_OTLP');
  });

  it('tokens and tenants: both transports refuse a missing or wrong token and a missing tenant; tenants do not see each other', async () => {
    const refused: Record<string, string>[] = [{ 'x-scope-orgid': 'a' }, { ...auth('a'), authorization: `Bearer ${QUERY_TOKEN}` }, { authorization: `Bearer ${INGEST_TOKEN}` }];
    for (const headers of refused) {
      const answer = await post(server.address, '/v1development/profiles', captureBytes, { 'content-type': 'application/x-protobuf', ...headers });
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      const error = await grpcClient(server.grpcAddress)
        .export(capture, { headers })
        .catch((e: unknown) => e);
      expect((error as ConnectError).code, JSON.stringify(headers)).toBe(Code.Unauthenticated);
    }
    // The gRPC path spelled over HTTP/1 is the same ingest route, guarded the same way.
    expect((await post(server.address, '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', captureBytes, { 'content-type': 'application/x-protobuf' })).status).toBe(401);
    expect(await collapsed('nobody-sent-here', CPU)).toEqual(new Map());
    expect((await collapsed('otlp-grpc', CPU)).size).toBeGreaterThan(0);
  });
});

describe('OTLP limits', () => {
  let server: OtlpServer;
  const capture = loadCapture(Date.now());
  const captureBytes = toBinary(ExportProfilesServiceRequestSchema, capture);

  beforeAll(async () => {
    server = await startOtlpServer(['--max-body-size', String(512 * 1024), '--max-push-profiles', '50', '--max-frames-per-profile', '100000']);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const headers = { 'content-type': 'application/x-protobuf', ...auth('limits') };

  it('more profiles than --max-push-profiles: 413 over HTTP, RESOURCE_EXHAUSTED over gRPC, before decoding', async () => {
    const answer = await post(server.address, '/v1development/profiles', captureBytes, headers);
    expect(answer.status, answer.body.toString()).toBe(413);
    expect(answer.body.toString()).toContain('CINDER_INGEST_PROFILE_TOO_COMPLEX');
    expect(answer.body.toString()).toContain('--max-push-profiles');
    const error = await createClient(ProfilesService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }))
      .export(capture, { headers: auth('limits') })
      .catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).rawMessage).toContain('CINDER_INGEST_PROFILE_TOO_COMPLEX');
  });

  it('too many elements (a dictionary of 150,000 empty strings in a small body) → 413 naming the flag', async () => {
    const request = create(ExportProfilesServiceRequestSchema, { dictionary: { stringTable: new Array<string>(150_000).fill('') }, resourceProfiles: capture.resourceProfiles.slice(0, 1) });
    const answer = await post(server.address, '/v1development/profiles', gzipSync(toBinary(ExportProfilesServiceRequestSchema, request)), { ...headers, 'content-encoding': 'gzip' });
    expect(answer.status, answer.body.toString()).toBe(413);
    expect(answer.body.toString()).toContain('--max-frames-per-profile');
    const json = JSON.stringify({ dictionary: { stringTable: new Array<string>(150_000).fill('') }, resourceProfiles: [] });
    const viaJson = await post(server.address, '/v1development/profiles', gzipSync(json), { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(viaJson.status, viaJson.body.toString()).toBe(413);
  });

  it('over gRPC, oversized messages and gzip bombs → RESOURCE_EXHAUSTED with the Cinder code', async () => {
    const oversized = create(ExportProfilesServiceRequestSchema, { dictionary: { stringTable: ['', 'x'.repeat(600 * 1024)] }, resourceProfiles: capture.resourceProfiles.slice(0, 1) });
    const bomb = create(ExportProfilesServiceRequestSchema, { dictionary: { stringTable: ['', '\u0000'.repeat(8 * 1024 * 1024)] }, resourceProfiles: capture.resourceProfiles.slice(0, 1) });
    for (const [request, compressed, code] of [
      [oversized, false, 'CINDER_INGEST_BODY_TOO_LARGE'],
      [bomb, true, 'CINDER_INGEST_DECOMPRESSED_TOO_LARGE'],
    ] as const) {
      const transport = createGrpcTransport({ baseUrl: `http://${server.grpcAddress}`, ...(compressed ? { sendCompression: compressionGzip } : {}) });
      const error = await createClient(ProfilesService, transport)
        .export(request, { headers: auth('limits') })
        .catch((e: unknown) => e);
      expect((error as ConnectError).code, code).toBe(Code.ResourceExhausted);
      expect((error as ConnectError).rawMessage).toContain(code);
    }
  });

  it('oversized bodies and gzip bombs → 413', async () => {
    const big = Buffer.alloc(600 * 1024, 0x0a);
    const answer = await post(server.address, '/v1development/profiles', big, headers);
    expect(answer.status).toBe(413);
    expect(answer.body.toString()).toContain('CINDER_INGEST_BODY_TOO_LARGE');
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const bombAnswer = await post(server.address, '/v1development/profiles', bomb, { ...headers, 'content-encoding': 'gzip' });
    expect(bombAnswer.status).toBe(413);
    expect(bombAnswer.body.toString()).toContain('CINDER_INGEST_DECOMPRESSED_TOO_LARGE');
  });
});
