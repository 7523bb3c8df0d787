import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const CINDER_VERSION = packageJson.version;

/** Shape of Pyroscope's /api/v1/status/buildinfo `data`. */
export function buildInfo(): Record<string, string> {
  return {
    version: CINDER_VERSION,
    revision: process.env.CINDER_REVISION ?? '',
    branch: process.env.CINDER_BRANCH ?? '',
    buildUser: '',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
  };
}
