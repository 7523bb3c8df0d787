import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@cinder/core';
import { connectCodeName, errorMapping } from '../src/http/errors.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { status: number; connect: string }>();
  for (const match of doc.matchAll(/^\| `(CINDER_[A-Z0-9_]+)` \| (\d{3}) \| ([a-z_]+) \|/gm)) {
    rows.set(match[1]!, { status: Number(match[2]), connect: match[3]! });
  }

  it('lists every error code with the status and Connect code the server uses', () => {
    for (const code of Object.values(ErrorCodes)) {
      const row = rows.get(code);
      expect(row, `${code} is missing from docs/errors.md`).toBeDefined();
      expect(row!.status, code).toBe(errorMapping[code].ingestStatus);
      expect(row!.connect, code).toBe(connectCodeName(errorMapping[code].connectCode));
    }
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>(Object.values(ErrorCodes));
    for (const code of rows.keys()) expect(known.has(code), code).toBe(true);
  });
});
