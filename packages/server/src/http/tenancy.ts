import { timingSafeEqual } from 'node:crypto';
import { CinderError, ErrorCodes } from '@cinder/core';

export const DEFAULT_TENANT = 'anonymous';
const TENANT_ID = /^[A-Za-z0-9!_.*'()-]{1,150}$/;

/** Resolves the tenant of a request (X-Scope-OrgID) as dskit does; single-tenant mode ignores the header. */
export function resolveTenant(headerValue: string | undefined, multitenancy: boolean): string {
  if (!multitenancy) return DEFAULT_TENANT;
  if (headerValue === undefined || headerValue === '') {
    throw new CinderError(ErrorCodes.TENANT_MISSING, 'multitenancy is on: send the tenant in the X-Scope-OrgID header');
  }
  if (headerValue.includes('|')) {
    throw new CinderError(ErrorCodes.TENANT_INVALID, 'querying several tenants at once (a|b) is not supported: send one tenant in X-Scope-OrgID');
  }
  if (!TENANT_ID.test(headerValue) || headerValue === '.' || headerValue === '..') {
    throw new CinderError(
      ErrorCodes.TENANT_INVALID,
      `invalid tenant "${headerValue.slice(0, 160)}": 1-150 characters of letters, digits and !_.*'()-`,
    );
  }
  return headerValue;
}

/**
 * Checks `Authorization: Bearer <token>` or `Basic base64(user:<token>)` (what Grafana's data
 * source sends when basic auth is set) against the configured tokens. No tokens = open.
 */
export function checkToken(authorization: string | undefined, tokens: readonly string[], what: 'ingest' | 'query'): void {
  if (tokens.length === 0) return;
  if (!authorization) {
    throw new CinderError(ErrorCodes.AUTH_MISSING_TOKEN, `${what} requires a token: send "Authorization: Bearer <token>"`);
  }
  let presented = '';
  const space = authorization.indexOf(' ');
  const scheme = authorization.slice(0, space).toLowerCase();
  const credential = authorization.slice(space + 1).trim();
  if (scheme === 'bearer') presented = credential;
  else if (scheme === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    presented = decoded.slice(decoded.indexOf(':') + 1);
  }
  const presentedBytes = Buffer.from(presented);
  for (const token of tokens) {
    const tokenBytes = Buffer.from(token);
    if (tokenBytes.length === presentedBytes.length && timingSafeEqual(tokenBytes, presentedBytes)) return;
  }
  throw new CinderError(ErrorCodes.AUTH_INVALID_TOKEN, `the ${what} token is not valid`);
}
