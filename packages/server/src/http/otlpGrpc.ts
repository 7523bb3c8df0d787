/**
 * OTLP/gRPC profiles: `opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export`
 * on its own HTTP/2 (cleartext) listener, `--otlp-grpc-address` (OTel's collectors and the eBPF
 * profiler speak gRPC with prior knowledge, which the HTTP/1 Fastify port cannot answer). Same
 * token and tenant rules as /ingest, read from the call's metadata.
 *
 * Connect parses a request into a message before its handler runs, so two things keep that cheap:
 * the service is registered with a stand-in request type whose two fields are `repeated bytes`
 * (wire-compatible with ExportProfilesServiceRequest: a message field is a length-delimited field),
 * so Connect only slices each resource profile and the dictionary instead of building every sample
 * as an object; and the listener reads the body itself first (capped, gunzipped, its top level
 * counted) so the number of slices is bounded too. The handler re-joins the slices and hands the
 * bytes to the OTLP ingest, whose worker walks every element before it builds anything.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, createFileRegistry, toBinary, type DescMessage, type DescService } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import { CinderError, ErrorCodes } from '@cinder/core';
import type { ServerConfig } from '../config.js';
import type { OtlpIngestService } from '../ingest/otlp.js';
import { assertOtlpTopLevelWithinLimits } from '../ingest/otlpDecode.js';
import { ExportProfilesServiceResponseSchema } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import { errorMapping } from './errors.js';
import { otlpHttpStatus, otlpResponse } from './otlpRoutes.js';
import { checkToken, resolveTenant } from './tenancy.js';

const PACKAGE = 'opentelemetry.proto.collector.profiles.v1development';

/** Layout: RawExportRequest{1: repeated bytes resource_profiles, 2: repeated bytes dictionary}; RawExportResponse{1: bytes partial_success}. */
const rawRegistry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'cinder/otlp_raw_export.proto',
    package: PACKAGE,
    syntax: 'proto3',
    messageType: [
      {
        name: 'RawExportRequest',
        field: [
          { name: 'resource_profiles', jsonName: 'resourceProfiles', number: 1, type: FieldDescriptorProto_Type.BYTES, label: FieldDescriptorProto_Label.REPEATED },
          // Repeated, not singular: a message field given twice is merged by the real decoder, so every occurrence is kept.
          { name: 'dictionary', jsonName: 'dictionary', number: 2, type: FieldDescriptorProto_Type.BYTES, label: FieldDescriptorProto_Label.REPEATED },
        ],
      },
      {
        name: 'RawExportResponse',
        field: [{ name: 'partial_success', jsonName: 'partialSuccess', number: 1, type: FieldDescriptorProto_Type.BYTES, label: FieldDescriptorProto_Label.OPTIONAL }],
      },
    ],
    service: [{ name: 'ProfilesService', method: [{ name: 'Export', inputType: `.${PACKAGE}.RawExportRequest`, outputType: `.${PACKAGE}.RawExportResponse` }] }],
  }),
  () => undefined,
);
const RawExportRequestSchema = rawRegistry.getMessage(`${PACKAGE}.RawExportRequest`)!;
const RawProfilesService = rawRegistry.getService(`${PACKAGE}.ProfilesService`)! as DescService;

/** gRPC codes for OTLP: over a size or series limit is RESOURCE_EXHAUSTED; the message starts with the Cinder code. */
export function otlpConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof CinderError) {
    const status = otlpHttpStatus(error);
    const code = status === 413 || status === 429 ? Code.ResourceExhausted : errorMapping[error.code].connectCode;
    const metadata: Record<string, string> = { 'cinder-error-code': error.code };
    if (error.code === ErrorCodes.STORE_UNAVAILABLE) metadata['retry-after'] = '5';
    return new ConnectError(`${error.code}: ${error.message}`, code, metadata);
  }
  return new ConnectError('internal error; see the server log', Code.Internal);
}

function header(context: HandlerContext, name: string): string | undefined {
  return context.requestHeader.get(name) ?? undefined;
}

function registerRawService(router: ConnectRouter, otlp: OtlpIngestService, config: ServerConfig, onError: (error: unknown) => void): void {
  const exportMethod = async (request: { resourceProfiles: Uint8Array[]; dictionary: Uint8Array[] }, context: HandlerContext) => {
    try {
      checkToken(header(context, 'authorization'), config.ingestTokens, 'ingest');
      const tenant = resolveTenant(header(context, 'x-scope-orgid'), config.multitenancy);
      const bytes = toBinary(RawExportRequestSchema as DescMessage, request as never);
      const result = await otlp.export(tenant, bytes, 'protobuf');
      const partial = otlpResponse(result).partialSuccess;
      // The real response's field 1 (a message) written as the bytes field it is on the wire.
      return { partialSuccess: partial ? toBinary(ExportProfilesServiceResponseSchema.field.partialSuccess!.message!, partial) : new Uint8Array(0) };
    } catch (error) {
      const connectError = otlpConnectError(error);
      if (connectError.code === Code.Internal) onError(error);
      throw connectError;
    }
  };
  router.service(RawProfilesService, { export: exportMethod } as never);
}

export interface OtlpGrpcServer {
  /** host:port as bound (the port is the real one when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new Error(`invalid address "${text}": use host:port, e.g. 127.0.0.1:4317`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

const EXPORT_PATH = `/${PACKAGE}.ProfilesService/Export`;
const gunzipAsync = promisify(gunzip);

/** A gRPC "trailers-only" answer: the status travels in the headers, nothing of the body is read further. */
function refuse(response: http2.Http2ServerResponse, error: unknown): void {
  const refusal = otlpConnectError(error);
  if (response.headersSent) return void response.end();
  response.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': String(refusal.code), 'grpc-message': encodeURIComponent(refusal.rawMessage) });
  response.end();
}

async function readBody(request: http2.Http2ServerRequest, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CinderError(ErrorCodes.INGEST_BODY_TOO_LARGE, `the OTLP gRPC request is larger than ${maxBytes} bytes; raise --max-body-size if such requests are expected`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The one gRPC message of a unary call, uncompressed. Layout: 1 byte flag (1 = compressed with the
 * `grpc-encoding`), 4 bytes big-endian length, the message.
 */
async function unaryMessage(body: Buffer, encoding: string, maxBytes: number): Promise<Uint8Array> {
  if (body.length < 5 || body.length !== 5 + body.readUInt32BE(1)) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_OTLP, 'the gRPC request is not one length-prefixed message (truncated, or several messages on a unary call)');
  }
  const message = body.subarray(5);
  if ((body[0]! & 1) === 0) return message;
  if (encoding !== 'gzip') throw new ConnectError(`grpc-encoding "${encoding.slice(0, 40)}" is not supported: use gzip or none`, Code.Unimplemented);
  try {
    return await gunzipAsync(message, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new CinderError(ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE, `the OTLP gRPC request is larger than ${maxBytes} bytes after decompression; raise --max-body-size if such requests are expected`);
    }
    throw new CinderError(ErrorCodes.INGEST_BAD_GZIP, `the gRPC message is flagged as gzip but does not decompress: ${(error as Error).message}`);
  }
}

export async function startOtlpGrpcServer(options: {
  address: string;
  otlp: OtlpIngestService;
  config: ServerConfig;
  onError: (error: unknown) => void;
}): Promise<OtlpGrpcServer> {
  const { host, port } = parseHostPort(options.address);
  const { config } = options;
  const { maxBodyBytes, maxPushProfiles } = config.limits;
  const router = createConnectRouter({ grpc: true, grpcWeb: false, connect: false, readMaxBytes: maxBodyBytes, acceptCompression: [] });
  registerRawService(router, options.otlp, config, options.onError);
  const exportHandler = router.handlers.find((handler) => handler.requestPath === EXPORT_PATH)!;

  // What connectNodeAdapter does, with the body read first: credentials are checked on the headers
  // before any of it is read, the body is capped as received and after gunzip, and its top level is
  // counted before Connect slices it into fields.
  const server = http2.createServer({}, (request, response) => {
    void (async () => {
      try {
        if ((request.url ?? '').split('?')[0] !== EXPORT_PATH) throw new ConnectError(`${(request.url ?? '').slice(0, 200)} is not served here: only ${EXPORT_PATH}`, Code.Unimplemented);
        const single = (name: string): string => {
          const value = request.headers[name];
          return (Array.isArray(value) ? value[0] : value) ?? '';
        };
        checkToken(single('authorization') || undefined, config.ingestTokens, 'ingest');
        resolveTenant(single('x-scope-orgid') || undefined, config.multitenancy);
        if (request.method !== 'POST' || !/^application\/grpc(\+proto)?\s*(;|$)/i.test(single('content-type'))) {
          throw new CinderError(ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE, 'this listener serves gRPC only: POST with content-type application/grpc');
        }
        const message = await unaryMessage(await readBody(request, maxBodyBytes), single('grpc-encoding').trim().toLowerCase(), maxBodyBytes);
        assertOtlpTopLevelWithinLimits(message, maxPushProfiles);
        const frame = Buffer.alloc(5 + message.length);
        frame.writeUInt32BE(message.length, 1);
        frame.set(message, 5);
        const universal = universalRequestFromNodeRequest(request, response, undefined, undefined);
        const header = new Headers(universal.header);
        header.delete('grpc-encoding');
        const universalResponse = await exportHandler({
          ...universal,
          header,
          body: (async function* () {
            yield frame;
          })(),
        });
        await universalResponseToNodeResponse(universalResponse, response);
      } catch (error) {
        if (!(error instanceof CinderError) && !(error instanceof ConnectError)) options.onError(error);
        refuse(response, error);
      }
    })();
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      // A client that keeps its session open would hold shutdown forever: give it a moment, then cut it.
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, 2_000);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
