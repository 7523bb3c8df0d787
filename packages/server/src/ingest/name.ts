import { CinderError, ErrorCodes } from '@cinder/core';

/** The legacy `/ingest?name=app.suffix{k=v,...}` parameter, parsed. */
export interface ParsedName {
  appName: string;
  labels: Map<string, string>;
}

const APP_NAME = /^[A-Za-z0-9_.\-/]+$/;
const KEY = /^[A-Za-z0-9_.]+$/;

export function parseIngestName(raw: string | undefined): ParsedName {
  if (raw === undefined || raw.trim() === '') {
    throw new CinderError(ErrorCodes.INGEST_MISSING_NAME, 'query parameter "name" is required, e.g. name=myapp.cpu{env=prod}');
  }
  const brace = raw.indexOf('{');
  let appName = (brace === -1 ? raw : raw.slice(0, brace)).trim();
  const labels = new Map<string, string>();
  if (brace !== -1) {
    const close = raw.indexOf('}', brace);
    if (close === -1) {
      throw new CinderError(ErrorCodes.INGEST_INVALID_NAME, `name "${raw}": missing closing "}" after the labels`);
    }
    const body = raw.slice(brace + 1, close);
    if (body.trim() !== '') {
      for (const pair of body.split(',')) {
        const eq = pair.indexOf('=');
        if (eq === -1) {
          throw new CinderError(ErrorCodes.INGEST_INVALID_NAME, `name "${raw}": label "${pair.trim()}" has no "=" (use key=value)`);
        }
        const key = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (key !== '__name__' && !KEY.test(key)) {
          throw new CinderError(ErrorCodes.INGEST_INVALID_NAME, `name "${raw}": label key "${key}" may only contain letters, digits, "_" and "."`);
        }
        labels.set(key, value);
      }
    }
  }
  const nameOverride = labels.get('__name__');
  if (nameOverride !== undefined) {
    appName = nameOverride;
    labels.delete('__name__');
  }
  if (appName === '' || !APP_NAME.test(appName)) {
    throw new CinderError(
      ErrorCodes.INGEST_INVALID_NAME,
      `name "${raw}": the application name must be non-empty and use only letters, digits, "_", ".", "-" and "/"`,
    );
  }
  return { appName, labels };
}
