import path from 'node:path';

/** The real-profile fixtures, kept in the repository (provenance in testdata/README.md). */
export const testdataDir: string = path.resolve(import.meta.dirname, '../../../testdata');
