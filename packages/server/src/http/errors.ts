import { Code, ConnectError } from '@connectrpc/connect';
import { codeToHttpStatus } from '@connectrpc/connect/protocol-connect';
import type { FastifyReply } from 'fastify';
import { CinderError, ErrorCodes, type ErrorCode } from '@cinder/core';

/**
 * The one place that maps Cinder error codes to HTTP statuses and Connect codes.
 * `ingestStatus` is what `/ingest` answers (pprof-style validation failures are 422 as upstream);
 * Connect routes answer the status of `connectCode` (Push validation failures are 400).
 */
export const errorMapping: Record<ErrorCode, { ingestStatus: number; connectCode: Code }> = {
  [ErrorCodes.INGEST_MISSING_NAME]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_INVALID_NAME]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_UNKNOWN_FORMAT]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_UNKNOWN_PROFILE_SUFFIX]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_UNSUPPORTED_CONTENT_TYPE]: { ingestStatus: 415, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_MULTIPART]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_EMPTY_DELTA]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_BODY_TOO_LARGE]: { ingestStatus: 413, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE]: { ingestStatus: 413, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_BAD_GZIP]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_PPROF]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_TEXT]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_SPEEDSCOPE]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_JSON]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_OTLP]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_JFR]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MALFORMED_CPUPROFILE]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_INVALID_UTF8]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_TOO_MANY_SAMPLES]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_TOO_MANY_LABELS]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_INVALID_LABEL_NAME]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_INVALID_LABEL_VALUE]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_DUPLICATE_LABEL]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_MISSING_PROFILE_NAME]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_OUTSIDE_WINDOW]: { ingestStatus: 422, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_NO_PROFILES]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_SERIES_LIMIT]: { ingestStatus: 429, connectCode: Code.ResourceExhausted },
  [ErrorCodes.INGEST_VALUE_OUT_OF_RANGE]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.INGEST_PROFILE_TOO_COMPLEX]: { ingestStatus: 413, connectCode: Code.InvalidArgument },
  [ErrorCodes.AUTH_MISSING_TOKEN]: { ingestStatus: 401, connectCode: Code.Unauthenticated },
  [ErrorCodes.AUTH_INVALID_TOKEN]: { ingestStatus: 401, connectCode: Code.Unauthenticated },
  [ErrorCodes.TENANT_MISSING]: { ingestStatus: 401, connectCode: Code.Unauthenticated },
  [ErrorCodes.TENANT_INVALID]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_INVALID_SELECTOR]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_INVALID_PROFILE_TYPE]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_INVALID_TIME_RANGE]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_INVALID_ARGUMENT]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_MAX_NODES]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_MALFORMED_REQUEST]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.QUERY_TOO_LARGE]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.NOT_FOUND]: { ingestStatus: 404, connectCode: Code.NotFound },
  [ErrorCodes.NOT_IMPLEMENTED]: { ingestStatus: 501, connectCode: Code.Unimplemented },
  [ErrorCodes.RULE_INVALID]: { ingestStatus: 400, connectCode: Code.InvalidArgument },
  [ErrorCodes.RULE_READ_ONLY]: { ingestStatus: 409, connectCode: Code.FailedPrecondition },
  [ErrorCodes.RULE_LIMIT]: { ingestStatus: 429, connectCode: Code.ResourceExhausted },
  [ErrorCodes.STORE_IN_USE]: { ingestStatus: 503, connectCode: Code.Unavailable },
  [ErrorCodes.STORE_NEWER_SCHEMA]: { ingestStatus: 503, connectCode: Code.Unavailable },
  [ErrorCodes.STORE_UNAVAILABLE]: { ingestStatus: 503, connectCode: Code.Unavailable },
  [ErrorCodes.INTERNAL]: { ingestStatus: 500, connectCode: Code.Internal },
};

/** Connect code names as they appear in JSON error bodies. */
export function connectCodeName(code: Code): string {
  return Code[code]!.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

export interface HttpErrorBody {
  /** The Connect code name, as Pyroscope clients expect (e.g. "invalid_argument"). */
  code: string;
  message: string;
  /** Cinder's stable error code (docs/errors.md). */
  reason: string;
}

export function toHttpError(error: unknown): { status: number; body: HttpErrorBody } {
  if (error instanceof CinderError) {
    const mapping = errorMapping[error.code];
    return { status: mapping.ingestStatus, body: { code: connectCodeName(mapping.connectCode), message: error.message, reason: error.code } };
  }
  return { status: 500, body: { code: 'internal', message: 'internal error; see the server log', reason: ErrorCodes.INTERNAL } };
}

/**
 * The one place an error answer is written outside Connect's own handlers: status and body from the
 * catalogue. On a Connect route (`connectRoute`) the status is the Connect code's, as a Connect
 * client expects (e.g. an over-limit Push is 400 invalid_argument there, 413 on /ingest).
 */
export function sendError(reply: FastifyReply, error: unknown, connectRoute = false): FastifyReply {
  const { status, body } = toHttpError(error);
  // The store heals by itself (disk space returns): tell clients when trying again makes sense.
  if (error instanceof CinderError && error.code === ErrorCodes.STORE_UNAVAILABLE) reply.header('retry-after', '5');
  if (connectRoute && error instanceof CinderError) return reply.status(codeToHttpStatus(errorMapping[error.code].connectCode)).send(body);
  return reply.status(status).send(body);
}

/** For Connect handlers: CinderErrors become ConnectErrors with the mapped code. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof CinderError) {
    const metadata: Record<string, string> = { 'cinder-error-code': error.code };
    if (error.code === ErrorCodes.STORE_UNAVAILABLE) metadata['retry-after'] = '5';
    return new ConnectError(error.message, errorMapping[error.code].connectCode, metadata);
  }
  return new ConnectError('internal error; see the server log', Code.Internal);
}
