/**
 * The querier's big answers over Connect unary (proto and JSON), answered here before Connect's
 * handler: SelectMergeProfile and SelectMergeStacktraces(PPROF) with pprof bytes or JSON written by
 * query/pprofExport.ts, and the flame graphs of SelectMergeStacktraces(FLAMEGRAPH) and
 * SelectMergeSpanProfile written by query/flameGraphExport.ts (Series, SelectSeries and SelectHeatmap
 * likewise: query/seriesExport.ts, query/heatmapExport.ts). Connect would build a message of
 * every sample, location, function or level value and serialise it by reflection — the longest
 * event-loop blocks the fuzzer found (~230 ms binary, ~430 ms JSON for a 100k-node pprof). Every
 * other request goes on to the Connect handler, which gets the body read here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromBinary, fromJson, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { CinderError, ErrorCodes, ProtoWriter, WIRE_LENGTH_DELIMITED, treeBytes, truncateTree, validateProfileTypeId, type CodeLines } from '@cinder/core';
import { ProfileFormat, SelectHeatmapRequestSchema, SelectMergeProfileRequestSchema, SelectMergeSpanProfileRequestSchema, SelectMergeStacktracesRequestSchema, SelectSeriesRequestSchema, SeriesRequestSchema } from '../gen/querier/v1/querier_pb.js';
import { ExemplarType } from '../gen/types/v1/types_pb.js';
import { heatmapResponseChunks } from '../query/heatmapExport.js';
import { drainPaced, flameGraphResponseBytes, flameGraphResponseJson } from '../query/flameGraphExport.js';
import { pprofBytesFromTreePaced, pprofJsonFromTreePaced, type PprofExportOptions } from '../query/pprofExport.js';
import type { ReadPath } from '../query/readPath.js';
import { selectSeriesResponseChunks, seriesResponseChunks } from '../query/seriesExport.js';
import { optionalCount, readSelectSeries, readSeries, selectionOf } from './connectQuery.js';
import { readRequestBody } from './requestBody.js';

const MERGE_PROFILE = '/querier.v1.QuerierService/SelectMergeProfile';
const MERGE_STACKTRACES = '/querier.v1.QuerierService/SelectMergeStacktraces';
const MERGE_SPAN_PROFILE = '/querier.v1.QuerierService/SelectMergeSpanProfile';
const SERIES = '/querier.v1.QuerierService/Series';
const SELECT_SERIES = '/querier.v1.QuerierService/SelectSeries';
const SELECT_HEATMAP = '/querier.v1.QuerierService/SelectHeatmap';
export const FAST_ROUTES: ReadonlySet<string> = new Set([MERGE_PROFILE, MERGE_STACKTRACES, MERGE_SPAN_PROFILE, SERIES, SELECT_SERIES, SELECT_HEATMAP]);
/** SelectMergeStacktracesResponse.pprof = 5, PprofProfile.profile = 1. */
const RESPONSE_PPROF_FIELD = 5;
/** SelectMergeStacktracesResponse.tree = 2 (SelectMergeSpanProfileResponse likewise). */
const RESPONSE_TREE_FIELD = 2;
const PPROF_PROFILE_FIELD = 1;

function parseRequest<Desc extends DescMessage>(schema: Desc, body: Uint8Array, isJson: boolean, ignoreUnknownFields = false): MessageShape<Desc> {
  try {
    return isJson ? fromJson(schema, JSON.parse(Buffer.from(body).toString('utf8')), { ignoreUnknownFields }) : fromBinary(schema, body);
  } catch (error) {
    throw new CinderError(ErrorCodes.QUERY_MALFORMED_REQUEST, `request body is not a valid ${isJson ? 'JSON' : 'protobuf'} ${schema.typeName} (${(error as Error).message})`);
  }
}

/** true = answered here; false = left to Connect (with the body already read into request.body). */
/** The store's code lines for a selection (query/pprofExport.ts exportCodeLines), or none. */
export type CodeLinesOf = (tenant: string, selection: { labelSelector: string; fromMs: number; toMs: number }) => Promise<CodeLines | undefined>;

export async function answerFastPath(request: FastifyRequest, reply: FastifyReply, read: ReadPath, maxBodyBytes: number, codeLinesOf?: CodeLinesOf): Promise<boolean> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const isJson = contentType.startsWith('application/json');
  if (request.method !== 'POST' || (!isJson && !contentType.startsWith('application/proto'))) return false;
  const bytes = await readRequestBody(request, maxBodyBytes, 'query request body');
  const body = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isJson) {
    // Connect reads a JSON body it is handed as already parsed.
    try {
      request.body = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new CinderError(ErrorCodes.QUERY_MALFORMED_REQUEST, `request body is not valid JSON: ${(error as Error).message}`);
    }
  } else request.body = body;
  const route = request.routeOptions.url;
  if (route === SERIES || route === SELECT_SERIES) {
    // Thousands of series as reflected messages were ~100 ms blocks (query/seriesExport.ts).
    const chunks =
      route === SERIES
        ? seriesResponseChunks(await readSeries(read, request.tenant, parseRequest(SeriesRequestSchema, body, isJson), request.headers.accept ?? ''), isJson)
        : selectSeriesResponseChunks(await readSelectSeries(read, request.tenant, parseRequest(SelectSeriesRequestSchema, body, isJson)), isJson);
    reply.status(200).header('content-type', isJson ? 'application/json' : 'application/proto').send(await drainPaced(chunks));
    return true;
  }
  if (route === SELECT_HEATMAP) {
    // Slots × exemplars as reflected messages: ~0.7 s of CPU for 20k profiles by pod (query/heatmapExport.ts).
    // Unknown JSON fields ignored, as Connect's JSON codec (which answered this route before) does.
    const message = parseRequest(SelectHeatmapRequestSchema, body, isJson, true);
    const series = await read.heatmap(request.tenant, { ...selectionOf(message), groupBy: message.groupBy, stepSec: message.step, limit: optionalCount(message.limit) ?? 0 });
    const chunks = heatmapResponseChunks(series, message.exemplarType !== ExemplarType.NONE, isJson);
    reply.status(200).header('content-type', isJson ? 'application/json' : 'application/proto').send(await drainPaced(chunks));
    return true;
  }
  let tree;
  let options: PprofExportOptions;
  const isMergeProfile = request.routeOptions.url === MERGE_PROFILE;
  if (isMergeProfile) {
    const message = parseRequest(SelectMergeProfileRequestSchema, body, isJson);
    const selection = selectionOf(message);
    // The merge checks the selection (time range, selector) first: only then is toMs a time.
    // Grafana's "download pprof": files, start lines and call sites where the store kept them, as /api/v1 does.
    const [merged, code] = await Promise.all([read.mergedTree(request.tenant, selection), codeLinesOf?.(request.tenant, selection)]);
    tree = merged;
    options = { ...validateProfileTypeId(message.profileTypeID), timeNanos: BigInt(selection.toMs) * 1_000_000n, ...(code ? { code } : {}) };
    // Full profile unless a positive max_nodes asks for truncation (spec §3.2.7).
    const requested = optionalCount(message.maxNodes) ?? 0;
    if (requested > 0) tree = truncateTree(tree, read.maxNodes(requested));
  } else {
    const isSpan = request.routeOptions.url === MERGE_SPAN_PROFILE;
    const message = isSpan ? parseRequest(SelectMergeSpanProfileRequestSchema, body, isJson) : parseRequest(SelectMergeStacktracesRequestSchema, body, isJson);
    const format = message.format;
    const flameGraph = format === ProfileFormat.FLAMEGRAPH || format === ProfileFormat.UNSPECIFIED || (isSpan && format !== ProfileFormat.TREE);
    if (flameGraph) {
      const graph = (await read.flameGraph(request.tenant, { ...selectionOf(message), maxNodes: optionalCount(message.maxNodes) })).flamegraph;
      if (isJson) reply.status(200).header('content-type', 'application/json').send(flameGraphResponseJson(graph));
      else reply.status(200).header('content-type', 'application/proto').send(Buffer.from(flameGraphResponseBytes(graph)));
      return true;
    }
    if (format === ProfileFormat.TREE) {
      // Connect would base64 a multi-MB bytes field and stringify it by reflection (~150 ms blocks).
      const selection = { ...selectionOf(message), maxNodes: optionalCount(message.maxNodes) };
      const bytes = treeBytes(await read.mergedTree(request.tenant, selection), read.maxNodes(selection.maxNodes));
      if (isJson) {
        // proto3 JSON: bytes as standard base64; an empty field is left out.
        reply.status(200).header('content-type', 'application/json').send(bytes.length === 0 ? '{}' : `{"tree":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}"}`);
      } else {
        const answer = bytes.length === 0 ? new Uint8Array(0) : new ProtoWriter(bytes.length + 16).bytesField(RESPONSE_TREE_FIELD, bytes).finish();
        reply.status(200).header('content-type', 'application/proto').send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
      }
      return true;
    }
    if (isSpan || format !== ProfileFormat.PPROF) return false;
    const selection = selectionOf(message);
    const [merged, code] = await Promise.all([read.mergedTree(request.tenant, selection), codeLinesOf?.(request.tenant, selection)]);
    tree = merged;
    options = { ...validateProfileTypeId(message.profileTypeID), timeNanos: BigInt(selection.toMs) * 1_000_000n, ...(code ? { code } : {}) };
  }
  if (isJson) {
    const json = await pprofJsonFromTreePaced(tree, options);
    reply.status(200).header('content-type', 'application/json').send(isMergeProfile ? json : `{"pprof":{"profile":${json}}}`);
    return true;
  }
  let answer: Uint8Array = await pprofBytesFromTreePaced(tree, options);
  if (!isMergeProfile) {
    const wrapper = new ProtoWriter(answer.length + 16).tag(PPROF_PROFILE_FIELD, WIRE_LENGTH_DELIMITED).bytes(answer).finish();
    answer = new ProtoWriter(wrapper.length + 16).tag(RESPONSE_PPROF_FIELD, WIRE_LENGTH_DELIMITED).bytes(wrapper).finish();
  }
  reply.status(200).header('content-type', 'application/proto').send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  return true;
}
