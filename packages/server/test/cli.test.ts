/**
 * The `cinder` client commands (push, query, pgo, diff) as real child processes of the built CLI
 * against a real server on 127.0.0.1: what a user or a CI job runs.
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { Profile as PprofProfile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIFF_COLORS, decodeCollapsed, decodeCpuprofile, decodePprof, decodeSpeedscope, formatValue, totalOf, type FlameGraphResponse } from '@cinder/core';
import { loadExpected, mergedTotal } from './helpers/client.js';
import { cliPath, startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; bounded at 60 s so a hang fails the test instead of stalling the run. */
function cinder(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, CINDER_URL: '', CINDER_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cinder ${args.join(' ')} did not finish within 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const expected = loadExpected(testdataDir);
const expectedSum = (file: string, type: string): number => Number(expected[file]!.sample_types.find((t) => t.type === type)!.sum);
/** testdata/expected.json's count total of a folded file, as ns at the default 100 Hz. */
const foldedNs = (file: string): number => Number((expected[file] as { total_value?: number }).total_value) * 10_000_000;

let server: StartedServer;
let work: string;

/** A loopback port nothing listens on (fetch refuses "bad ports" such as 1 outright, without connecting). */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  server = await startServer();
  work = mkdtempSync(path.join(os.tmpdir(), 'cinder-cli-'));
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The fixtures of the mixed folder, by the format `push` must find in each. */
const MIXED: [relative: string, format: string][] = [
  ['go/cpu.pb.gz', 'pprof'],
  ['go/heap.pb', 'pprof'],
  ['java/profile_java', 'pprof'], // gzip without an extension
  ['collapsed/perf-java-stacks-01-collapsed-all.txt', 'folded'],
  ['speedscope/simple-sampled.speedscope.json', 'speedscope'],
  ['java-jfr/cortex-dev-01__kafka-0__cpu__0.jfr.gz', 'jfr'],
  ['chrome-cpuprofile/example.cpuprofile', 'cpuprofile'],
  ['perf-script/perf-java-stacks-02.txt', 'perf_script'],
];

describe('cinder push', () => {
  let run: Run;
  let summary: {
    files: number;
    accepted: number;
    rejected: { file: string; format: string | null; code?: string; reason: string }[];
    results: { file: string; format: string | null; ok: boolean; reason?: string }[];
  };
  beforeAll(async () => {
    const folder = path.join(work, 'mixed');
    mkdirSync(path.join(folder, 'nested'), { recursive: true });
    for (const [relative] of MIXED) copyFileSync(path.join(testdataDir, relative), path.join(folder, 'nested', relative.replace(/\//g, '__')));
    copyFileSync(path.join(testdataDir, 'broken/invalid_utf8.pb.gz'), path.join(folder, 'invalid_utf8.pb.gz'));
    writeFileSync(path.join(folder, 'notes.md'), '# not a profile\n\nJust some notes about the run.\n');
    writeFileSync(path.join(folder, '.hidden.pb'), 'skipped');
    run = await cinder(['push', folder, '--url', server.baseUrl, '--service', 'cli-mixed', '--labels', 'env=test,run=1', '--json']);
    summary = JSON.parse(run.stdout) as typeof summary;
  });

  it('exits 1 because two files were rejected, and says which and why', () => {
    expect(run.code, run.stderr).toBe(1);
    expect(summary.files).toBe(MIXED.length + 2);
    const rejected = Object.fromEntries(summary.rejected.map((r) => [path.basename(r.file), r]));
    expect(rejected['notes.md']!.reason).toMatch(/^not a profile Cinder reads: text/);
    expect(rejected['invalid_utf8.pb.gz']).toMatchObject({ format: 'pprof', code: 'CINDER_INGEST_INVALID_UTF8' });
  });

  for (const [relative, format] of MIXED) {
    it(`${relative}: sniffed as ${format} and accepted`, () => {
      const result = summary.results.find((r) => r.file.endsWith(relative.replace(/\//g, '__')));
      expect(result?.format).toBe(format);
      expect(result?.ok, result?.reason).toBe(true);
    });
  }

  it('progress goes to stderr, one line per file when not a terminal', () => {
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('cinder push: '));
    expect(lines.length).toBe(MIXED.length + 2);
    expect(lines.at(-1)).toMatch(/10\/10 files .*\/s {2}ETA \d+s$/);
  });

  it('what was pushed is in the store with its labels: the Go heap as memory types', async () => {
    const selector = '{service_name="cli-mixed",env="test",run="1"}';
    expect(await mergedTotal(server.baseUrl, 'memory:inuse_space:bytes:space:bytes', selector)).toBe(expectedSum('go/heap.pb', 'inuse_space'));
  });

  it('a human summary names the rejected files', async () => {
    const again = await cinder(['push', path.join(work, 'mixed', 'notes.md'), '--url', server.baseUrl, '--service', 'cli-human']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^pushed 0 of 1 files/);
    expect(again.stdout).toMatch(/rejected 1:\n {2}.*notes\.md: not a profile/);
  });

  it('waits out 429 and 503 as Retry-After says, then succeeds', async () => {
    // A stand-in ingest endpoint: busy twice, then accepts.
    const answers = [
      { status: 429, retryAfter: '1' },
      { status: 503, retryAfter: '0' },
      { status: 200, retryAfter: '' },
    ];
    const seenAtMs: number[] = [];
    const busy = createHttpServer((request, response) => {
      request.resume();
      request.on('end', () => {
        seenAtMs.push(Date.now());
        const answer = answers[Math.min(seenAtMs.length - 1, answers.length - 1)]!;
        if (answer.retryAfter !== '') response.setHeader('retry-after', answer.retryAfter);
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(answer.status === 200 ? '' : JSON.stringify({ code: 'unavailable', message: 'busy, come back later', reason: 'CINDER_STORE_UNAVAILABLE' }));
      });
    });
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = busy.address() as { port: number };
      const run = await cinder(['push', path.join(testdataDir, 'go/cpu.pb.gz'), '--url', `http://127.0.0.1:${port}`, '--service', 'x', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(seenAtMs).toHaveLength(3);
      expect(seenAtMs[1]! - seenAtMs[0]!).toBeGreaterThanOrEqual(950); // Retry-After: 1
      expect(run.stderr).toMatch(/HTTP 429: busy, come back later \(CINDER_STORE_UNAVAILABLE\); retry 1\/5 in 1\.0 s/);
      expect(run.stderr).toMatch(/HTTP 503: .*; retry 2\/5 in 0\.0 s/);
      expect((JSON.parse(run.stdout) as { results: { attempts: number }[] }).results[0]!.attempts).toBe(3);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('retries a connection that is refused, then reports the file as rejected', async () => {
    const url = await closedPortUrl();
    const closed = await cinder(['push', path.join(testdataDir, 'go/cpu.pb.gz'), '--url', url, '--service', 'x', '--retries', '2', '--json']);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/retry 1\/2 in /);
    expect(closed.stderr).toMatch(/retry 2\/2 in /);
    const result = JSON.parse(closed.stdout) as { rejected: { reason: string }[] };
    expect(result.rejected[0]!.reason).toBe(`cannot connect to ${url}: nothing listens there (is "cinder serve" running? check --url) (after 3 attempts)`);
  });
});

describe('cinder query: every export format re-imports to the same total', () => {
  // go/cpu.pb.gz (470 ms) + a folded file at 100 Hz, merged.
  const service = 'cli-export';
  const total = expectedSum('go/cpu.pb.gz', 'cpu') + foldedNs('collapsed/perf-java-stacks-01-collapsed-all.txt');
  const out = (name: string): string => path.join(work, name);

  beforeAll(async () => {
    const pushed = await cinder([
      'push',
      path.join(testdataDir, 'go/cpu.pb.gz'),
      path.join(testdataDir, 'collapsed/perf-java-stacks-01-collapsed-all.txt'),
      '--url',
      server.baseUrl,
      '--service',
      service,
      '--quiet',
    ]);
    expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
    expect(await mergedTotal(server.baseUrl, CPU, `{service_name="${service}"}`)).toBe(total);
  });

  const query = (format: string, extra: string[] = []): Promise<Run> =>
    cinder(['query', '--url', server.baseUrl, '--service', service, '--from', 'now-1h', '--to', 'now+5m', '--format', format, '-o', out(`q.${format}`), '--json', ...extra]);

  /** Pushes an export back under a new service and reads the server's total of `type`. */
  const pushBack = async (file: string, newService: string, type: string, extra: string[] = []): Promise<number> => {
    const pushed = await cinder(['push', file, '--url', server.baseUrl, '--service', newService, '--quiet', ...extra]);
    expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
    return mergedTotal(server.baseUrl, type, `{service_name="${newService}"}`);
  };

  it('pprof: decodes to the total, and pushed back gives it again', async () => {
    const run = await query('pprof');
    expect(run.code, run.stderr).toBe(0);
    const profile = decodePprof(readFileSync(out('q.pprof')), { limits: { maxSamples: 1e9 } });
    expect(profile.sampleTypes[0]).toEqual({ type: 'cpu', unit: 'nanoseconds' });
    expect(totalOf(profile, 0)).toBe(total);
    expect(await pushBack(out('q.pprof'), 'cli-back-pprof', CPU)).toBe(total);
  });

  it('folded: decodes to the total, and pushed back at --sample-rate 1e9 (1 count = 1 ns) gives it again', async () => {
    expect((await query('folded')).code).toBe(0);
    expect(totalOf(decodeCollapsed(readFileSync(out('q.folded'), 'utf8')), 0)).toBe(total);
    expect(await pushBack(out('q.folded'), 'cli-back-folded', CPU, ['--sample-rate', '1000000000'])).toBe(total);
  });

  it('speedscope: decodes to the total (10 ms samples), and pushed back gives it as a wall type', async () => {
    expect((await query('speedscope')).code).toBe(0);
    const entries = decodeSpeedscope(readFileSync(out('q.speedscope'), 'utf8'));
    expect(entries[0]!.unit).toBe('nanoseconds');
    expect(totalOf(entries[0]!.profile, 0) * 10_000_000).toBeCloseTo(total, 0);
    // A speedscope file in a time unit is a wall profile to the Pyroscope ingest API.
    expect(await pushBack(out('q.speedscope'), 'cli-back-speedscope', 'wall:wall:nanoseconds:cpu:nanoseconds')).toBe(total);
  });

  it('cpuprofile: the time deltas add up to the total, and pushed back gives it again', async () => {
    expect((await query('cpuprofile')).code).toBe(0);
    const file = JSON.parse(readFileSync(out('q.cpuprofile'), 'utf8')) as { timeDeltas: number[]; startTime: number; endTime: number; nodes: unknown[] };
    const deltaSumUs = file.timeDeltas.reduce((a, b) => a + b, 0);
    expect(deltaSumUs * 1000).toBeCloseTo(total, 0);
    expect((file.endTime - file.startTime) * 1000).toBeCloseTo(total, 0);
    // A .cpuprofile is V8's wall-clock sampler: the server files it as wall time.
    const backTotal = await pushBack(out('q.cpuprofile'), 'cli-back-cpuprofile', 'wall:wall:nanoseconds:wall:nanoseconds');
    expect(backTotal).toBeCloseTo(total, -3);
  });

  it('json: the API answer, with the total', async () => {
    const run = await query('json');
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'json', total });
    expect((JSON.parse(readFileSync(out('q.json'), 'utf8')) as FlameGraphResponse).flamegraph.total).toBe(total);
  });

  it('html: an offline file whose embedded data has the total', async () => {
    expect((await query('html')).code).toBe(0);
    const html = readFileSync(out('q.html'), 'utf8');
    const payload = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { total: number; names: string[] };
    expect(payload.total).toBe(total);
    expect(payload.names).toContain('main.main');
  });

  it('svg: the root box is titled with the total', async () => {
    expect((await query('svg')).code).toBe(0);
    expect(readFileSync(out('q.svg'), 'utf8')).toContain(`<title>total: ${formatValue(total, 'nanoseconds')}</title>`);
  });

  it('the format follows -o when --format is left out; folded goes to stdout without -o', async () => {
    const run = await cinder(['query', '--url', server.baseUrl, '--service', service, '-o', out('by-name.html')]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out('by-name.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const folded = await cinder(['query', '--url', server.baseUrl, '--service', service]);
    expect(totalOf(decodeCollapsed(folded.stdout), 0)).toBe(total);
  });

  it('a .cpuprofile of bytes is refused by the server with a reason', async () => {
    const run = await cinder(['query', '--url', server.baseUrl, '--service', 'cli-mixed', '--type', 'memory:inuse_space:bytes:space:bytes', '--format', 'cpuprofile', '-o', out('heap.cpuprofile')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 400: a \.cpuprofile holds time.*CINDER_QUERY_INVALID_ARGUMENT/);
  });

  it('cpuprofile: core\'s decoder reads the export back to the total', async () => {
    expect((await query('cpuprofile')).code).toBe(0);
    expect(totalOf(decodeCpuprofile(readFileSync(out('q.cpuprofile'), 'utf8')), 0)).toBeCloseTo(total, 0);
  });
});

describe('cinder pgo', () => {
  it('writes a pprof Go\'s PGO reads: samples/count + cpu/nanoseconds, functions with start_line, located lines', async () => {
    const pushed = await cinder(['push', path.join(testdataDir, 'go/go.cpu.labels.pprof'), '--url', server.baseUrl, '--service', 'cli-pgo', '--quiet']);
    expect(pushed.code).toBe(0);
    const output = path.join(work, 'default.pgo');
    const run = await cinder(['pgo', '--url', server.baseUrl, '--service', 'cli-pgo', '--from', 'now-1h', '--to', 'now+5m', '-o', output]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*default\.pgo \(.*\): \d+ functions/);
    expect(run.stdout).toMatch(/kept (\d+) of \1 call edges, carrying 100\.0 % of edge weight/);
    const decoded = PprofProfile.decode(readFileSync(output));
    const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)]!;
    expect(decoded.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(decoded.function.length).toBeGreaterThan(10);
    for (const fn of decoded.function) expect(Number(fn.startLine)).toBeGreaterThan(0);
    for (const location of decoded.location) expect(location.line.length).toBe(1);
    expect(decoded.sample.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBe(expectedSum('go/go.cpu.labels.pprof', 'cpu'));
    expect(decoded.sample.reduce((sum, s) => sum + Number(s.value[0]), 0)).toBe(expectedSum('go/go.cpu.labels.pprof', 'samples'));
    expect(decoded.function.map((fn) => str(fn.name))).toContain('runtime.main');
  });

  it('--trim-percent keeps fewer edges and says what it kept', async () => {
    const output = path.join(work, 'trimmed.pgo');
    const run = await cinder(['pgo', '--url', server.baseUrl, '--service', 'cli-pgo', '-o', output, '--trim-percent', '60', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { edges: number; keptEdges: number; keptEdgeWeightShare: number; totalNanoseconds: number };
    expect(report.keptEdges).toBeLessThan(report.edges);
    expect(report.keptEdgeWeightShare).toBeGreaterThanOrEqual(0.6);
    expect(report.totalNanoseconds).toBe(expectedSum('go/go.cpu.labels.pprof', 'cpu'));
  });

  it('--help states where lines come from and the approximations', async () => {
    const run = await cinder(['pgo', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/records, from pprof uploads[\s\S]*start_line and each caller → callee[\s\S]*one call edge per \(caller, callee\) name pair/);
    expect(run.stdout).not.toMatch(/until Cinder keeps lines/);
  });

  it('keeps the start_line, filename and call-site lines of a Go SDK CPU profile (real PGO offsets)', async () => {
    const fixture = 'go/single_group_with_optional_span_id.pb.gz';
    const bytes = readFileSync(path.join(testdataDir, fixture));
    const ingested = await fetch(`${server.baseUrl}/ingest?name=cli-pgo-lines&format=pprof&spyName=gospy`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(ingested.status, await ingested.text()).toBe(200);
    // The input, read independently: each function's file and start_line, each edge's call-site lines.
    const input = PprofProfile.decode(gunzipSync(bytes));
    const inStr = (i: number | bigint): string => input.stringTable.strings[Number(i)]!;
    const inFunctions = new Map<number, { name: string; file: string; startLine: number }>();
    for (const fn of input.function) inFunctions.set(Number(fn.id), { name: inStr(fn.name), file: inStr(fn.filename), startLine: Number(fn.startLine) });
    const inLocations = new Map(input.location.map((l) => [Number(l.id), l.line.map((line) => ({ fn: inFunctions.get(Number(line.functionId))!, line: Number(line.line) }))]));
    const inEdges = new Map<string, Set<number>>();
    const addEdge = (caller: string, callee: string, line: number): void => {
      const key = `${caller} -> ${callee}`;
      if (!inEdges.has(key)) inEdges.set(key, new Set());
      inEdges.get(key)!.add(line);
    };
    for (const frames of inLocations.values()) for (let i = 0; i + 1 < frames.length; i++) addEdge(frames[i + 1]!.fn.name, frames[i]!.fn.name, frames[i + 1]!.line);
    for (const sample of input.sample) {
      for (let i = 1; i < sample.locationId.length; i++) {
        const caller = inLocations.get(Number(sample.locationId[i]))!;
        const callee = inLocations.get(Number(sample.locationId[i - 1]))!;
        addEdge(caller[0]!.fn.name, callee[callee.length - 1]!.fn.name, caller[0]!.line);
      }
    }
    const withStart = [...inFunctions.values()].filter((fn) => fn.startLine > 0);
    expect(withStart.length).toBeGreaterThan(50);

    // The store writes code rows in batches (about every second): ask until they are in.
    const output = path.join(work, 'lines.pgo');
    type PgoReport = { functions: number; functionsWithLines: number; edgesWithCallSites: number; keptEdges: number; totalNanoseconds: number };
    let report: PgoReport | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await cinder(['pgo', '--url', server.baseUrl, '--service', 'cli-pgo-lines', '--from', 'now-1h', '--to', 'now+5m', '-o', output, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const parsed = JSON.parse(run.stdout) as PgoReport;
      report = parsed;
      if (parsed.edgesWithCallSites > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(report!.totalNanoseconds).toBe(expectedSum(fixture, 'cpu'));
    const out = PprofProfile.decode(readFileSync(output));
    const str = (i: number | bigint): string => out.stringTable.strings[Number(i)]!;
    expect(out.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(out.sample.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBe(expectedSum(fixture, 'cpu'));
    const outFunctions = new Map(out.function.map((fn) => [Number(fn.id), { name: str(fn.systemName), file: str(fn.filename), startLine: Number(fn.startLine) }]));
    const byName = new Map([...outFunctions.values()].map((fn) => [fn.name, fn]));
    // Every function that had a start_line in the input has the same start_line and filename.
    for (const fn of withStart) expect(byName.get(fn.name), fn.name).toEqual(fn);
    expect(report!.functionsWithLines).toBe(withStart.length);
    // Every call edge carries one of the input's call-site lines for it (the only one when there is one).
    const outLocations = new Map(out.location.map((l) => [Number(l.id), { fn: outFunctions.get(Number(l.line[0]!.functionId))!, line: Number(l.line[0]!.line) }]));
    const checked = new Set<string>();
    for (const sample of out.sample) {
      for (let i = 1; i < sample.locationId.length; i++) {
        const caller = outLocations.get(Number(sample.locationId[i]))!;
        const callee = outLocations.get(Number(sample.locationId[i - 1]))!;
        const key = `${caller.fn.name} -> ${callee.fn.name}`;
        const lines = inEdges.get(key);
        expect(lines, key).toBeDefined();
        expect([...lines!], key).toContain(caller.line);
        checked.add(key);
      }
    }
    expect(checked.size).toBe(report!.edgesWithCallSites);
    expect(checked.size).toBeGreaterThan(50);
    // Real offsets: most call sites are not on their caller's first line.
    let offsets = 0;
    for (const key of checked) {
      const [caller] = key.split(' -> ');
      if ([...inEdges.get(key)!].some((line) => line !== byName.get(caller!)!.startLine)) offsets++;
    }
    expect(offsets).toBeGreaterThan(checked.size / 2);
  });

  it('keeps the lines of a Go profile that arrives by Push (Alloy scraping a Go service), as for /ingest', async () => {
    const fixture = 'go/single_group_with_optional_span_id.pb.gz';
    // Push takes the profile's own time, which must fall in the ingestion window: re-dated to now.
    const dated = PprofProfile.decode(gunzipSync(readFileSync(path.join(testdataDir, fixture))));
    dated.timeNanos = BigInt(Date.now()) * 1_000_000n;
    const bytes = Buffer.from(dated.encode());
    const push = await fetch(`${server.baseUrl}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        series: [
          {
            labels: [
              { name: '__name__', value: 'process_cpu' },
              { name: 'service_name', value: 'cli-pgo-push' },
            ],
            samples: [{ ID: 'pgo-push-1', rawProfile: bytes.toString('base64') }],
          },
        ],
      }),
    });
    expect(push.status, await push.text()).toBe(200);
    const input = PprofProfile.decode(bytes);
    const inStr = (i: number | bigint): string => input.stringTable.strings[Number(i)]!;
    const withStart = input.function.filter((fn) => Number(fn.startLine) > 0).map((fn) => ({ name: inStr(fn.name), file: inStr(fn.filename), startLine: Number(fn.startLine) }));
    expect(withStart.length).toBeGreaterThan(50);
    const output = path.join(work, 'push.pgo');
    let functionsWithLines = 0;
    for (let attempt = 0; attempt < 20 && functionsWithLines === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      const run = await cinder(['pgo', '--url', server.baseUrl, '--service', 'cli-pgo-push', '--from', 'now-1h', '--to', 'now+5m', '-o', output, '--json']);
      expect(run.code, run.stderr).toBe(0);
      functionsWithLines = (JSON.parse(run.stdout) as { functionsWithLines: number }).functionsWithLines;
    }
    const out = PprofProfile.decode(readFileSync(output));
    const str = (i: number | bigint): string => out.stringTable.strings[Number(i)]!;
    const byName = new Map(out.function.map((fn) => [str(fn.systemName), { name: str(fn.systemName), file: str(fn.filename), startLine: Number(fn.startLine) }]));
    for (const fn of withStart) expect(byName.get(fn.name), fn.name).toEqual(fn);
    expect(functionsWithLines).toBe(withStart.length);

    // Grafana's "download pprof" (Connect SelectMergeProfile) carries the same files and start lines.
    const merge = await fetch(`${server.baseUrl}/querier.v1.QuerierService/SelectMergeProfile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', labelSelector: '{service_name="cli-pgo-push"}', start: String(Date.now() - 3_600_000), end: String(Date.now() + 300_000) }),
    });
    expect(merge.status).toBe(200);
    const merged = (await merge.json()) as { stringTable: string[]; function: { name: string; filename?: string; startLine?: string }[] };
    const connectByName = new Map(merged.function.map((fn) => [merged.stringTable[Number(fn.name)]!, { file: merged.stringTable[Number(fn.filename ?? 0)]!, startLine: Number(fn.startLine ?? 0) }]));
    for (const fn of withStart) expect(connectByName.get(fn.name), fn.name).toEqual({ file: fn.file, startLine: fn.startLine });
  });
});

describe('cinder diff', () => {
  it('two files → differential folded: each side\'s column adds up to its total', async () => {
    const output = path.join(work, 'diff.folded');
    const run = await cinder(['diff', path.join(testdataDir, 'go/cpu.pb.gz'), path.join(testdataDir, 'go/simple.prof'), '-o', output, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    const sums = [0, 0];
    for (const line of lines) {
      const match = /^.+ (\d+) (\d+)$/.exec(line);
      expect(match, line).not.toBeNull();
      sums[0]! += Number(match![1]);
      sums[1]! += Number(match![2]);
    }
    expect(sums).toEqual([expectedSum('go/cpu.pb.gz', 'cpu'), expectedSum('go/simple.prof', 'cpu')]);
    expect(JSON.parse(run.stdout)).toMatchObject({ baselineTotal: sums[0], comparisonTotal: sums[1] });
  });

  it('two selections → diff HTML with both totals and change colours', async () => {
    const output = path.join(work, 'diff.html');
    const run = await cinder([
      'diff',
      '--url',
      server.baseUrl,
      '--service',
      'cli-export',
      '--baseline-from',
      'now-1h',
      '--baseline-to',
      'now+5m',
      '--comparison-from',
      'now-1h',
      '--comparison-to',
      'now+5m',
      '--comparison-labels',
      'env=nowhere',
      '-o',
      output,
    ]);
    // No profile has env=nowhere: every frame of the baseline is "removed".
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(output, 'utf8');
    const payload = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { total: number; colors: string[] };
    expect(payload.total).toBe(expectedSum('go/cpu.pb.gz', 'cpu') + foldedNs('collapsed/perf-java-stacks-01-collapsed-all.txt'));
    expect(payload.colors.slice(1).every((color) => color === DIFF_COLORS.removed)).toBe(true);
  });
});

describe('bad arguments: a clear message and exit code 2', () => {
  const cases: [args: string[], message: RegExp][] = [
    [['push'], /name at least one FILE or DIR/],
    [['push', 'x.pb'], /--service is required/],
    [['push', 'x.pb', '--service', 'a', '--labels', 'nolabel'], /--labels "nolabel" is not name=value/],
    [['push', 'x.pb', '--service', 'a', '--format', 'xml'], /--format "xml" is not one of auto, pprof/],
    [['push', 'x.pb', '--service', 'a', '--url', 'localhost:4040'], /--url must start with http/],
    [['query', '--service', 'a', '--format', 'png'], /--format "png" is not one of pprof, folded/],
    [['query', '--service', 'a', '--from', 'yesterday'], /--from "yesterday" is not a time/],
    [['query', '--service', 'a', '--type', 'cpu'], /--type "cpu" is not a profile type id/],
    [['query', '--service', 'a', '--json'], /--json prints a summary on stdout: write the profile with -o FILE/],
    [['query', '--bogus'], /Unknown option '--bogus'/],
    [['query', '--service', 'a', '--retries', 'many'], /--retries must be a whole number from 0 to 20/],
    [['pgo', '--service', 'a'], /-o FILE is required/],
    [['pgo', '--service', 'a', '-o', 'x.pgo', '--trim-percent', '0'], /--trim-percent must be a number above 0/],
    [['pgo', '--service', 'a', '-o', 'x.pgo', '--type', 'memory:inuse_space:bytes:space:bytes'], /Go's PGO needs a CPU profile/],
    [['diff', 'only-one.pb'], /give exactly two files/],
    [['diff'], /give two files, or a selection/],
  ];
  for (const [args, message] of cases) {
    it(`cinder ${args.join(' ')}`, async () => {
      const run = await cinder(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain(`Run "cinder ${args[0]} --help" for the options.`);
    });
  }
  it('an unknown command lists the commands', async () => {
    const run = await cinder(['pull']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command "pull"[\s\S]*push[\s\S]*query[\s\S]*pgo[\s\S]*diff/);
  });
  it('every command has --help', async () => {
    for (const command of ['push', 'query', 'pgo', 'diff']) {
      const run = await cinder([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: cinder ${command} `));
    }
  });
  it('a server that is not there: exit 1 with what to check', async () => {
    const url = await closedPortUrl();
    const run = await cinder(['query', '--url', url, '--service', 'a', '--retries', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cinder: cannot connect to ${url}: nothing listens there (is "cinder serve" running? check --url) (after 2 attempts)`);
    expect(run.stderr).toMatch(/cinder: query folded: cannot connect to .*; retry 1\/1 in \d\.\d s/);
  }, 120_000);
});
