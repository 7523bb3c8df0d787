import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, runFuzz } from '../../../bench/fuzz/runner.mjs';

// A short, fixed-seed slice of `npm run fuzz` (bench/fuzz): the built server as a child process,
// every ingest format and query route, mutated fixtures and crafted bodies. Any 5xx (other than
// Connect's `unimplemented`), a request slower than 10 s, the process exiting or /ready failing is a
// failure; each one names the folder where its request was saved for `node bench/fuzz/replay.mjs`.
const SEED = 20_260_821;
const REQUESTS = 1_500;

describe('fuzz: a short seeded run', () => {
  it(`answers ${REQUESTS} seeded, mutated requests with no 5xx, hang, exit or failed /ready`, async () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-fuzz-test-'));
    const lines: string[] = [];
    const summary = await runFuzz({ seed: SEED, requests: REQUESTS, maxSeconds: 50, concurrency: 6, outDir, log: (line) => lines.push(line) });
    const report = `${lines.join('\n')}\n${formatSummary(summary)}`;
    expect(summary.failures.map((f) => `${f.key} (${f.dir})`), report).toEqual([]);
    // The time bound may stop the run early on a slow machine, but a run that sent little proves little.
    expect(['completed', 'time limit'], report).toContain(summary.stoppedBy);
    expect(summary.sent, report).toBeGreaterThanOrEqual(500);
    expect(Object.keys(summary.families).length, report).toBeGreaterThanOrEqual(15);
    rmSync(outDir, { recursive: true, force: true });
  }, 120_000);
});
