/**
 * `cinder pgo`: a `default.pgo` for Go's profile-guided optimisation from a service's merged CPU
 * profile. The selection comes from the server as pprof (exact frame names, plus the file, start
 * line and call-site lines the server recorded from pprof uploads), is turned back into a call
 * tree with that code metadata, optionally trimmed to its hottest edges, and written by core's
 * pgoProfileFromTree, whose comment explains what Go needs and what Cinder can give.
 */
import { GO_CPU_PERIOD_NS, callTreeFromProfile, codeLinesOfProfile, decodePprof, pgoProfileFromTree, validateProfileTypeId } from '@cinder/core';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  CommandError,
  EXIT_OK,
  UsageError,
  connectionOf,
  formatBytes,
  getOk,
  parseCommand,
  parseLabels,
  printJson,
  selectionQuery,
  timeRangeOf,
  writeOutput,
  type CliIo,
} from './common.js';

export const pgoUsage = `Usage: cinder pgo --service NAME [--from TIME] [--to TIME] -o default.pgo [--trim-percent N]

Writes a pprof that "go build -pgo=FILE" accepts (put it in the main package as default.pgo):
sample types samples/count and cpu/nanoseconds, period 10 ms, every function with its name,
file and start_line, every location with a line.

Options:
  -o, --output FILE      where to write (required)
  --trim-percent N       keep only the hottest caller→callee edges that together carry N % of
                         all edge weight (0 < N ≤ 100; default 100 = keep everything). Cut call
                         paths give their time to the nearest kept caller, so totals stay.
  --type ID              CPU profile type (default process_cpu:cpu:nanoseconds:cpu:nanoseconds;
                         process_cpu:samples:count:cpu:nanoseconds also works)
  --service, --labels, --query, --from, --to   the selection, as for "cinder query"
                         (default range: the last hour)

Call-site lines (read this): Go's compiler matches hot call sites by (caller, callee,
line − start_line of the caller). Cinder's call trees are by function name; beside them it
records, from pprof uploads (the Go SDK's, Go 1.20 or newer), each function's file and
start_line and each caller → callee edge's call-site line. Frames with that record get their
real start_line and call-site lines, so offsets are real. Approximations:
  - one call edge per (caller, callee) name pair: when a caller calls the same callee from two
    lines, one of them (the most recently recorded) carries the edge's whole weight;
  - per tenant and day, the first file/start_line seen for a name is kept and a range uses its
    newest day, so after a deploy lines catch up within a day; two services with the same
    function name (e.g. main.main) share one record;
  - frames without a record (profiles sent as folded, JFR, OTLP, …; data older than the
    record; Go before 1.20) get start_line 1 and their calls offset 0, which Go recognises
    only for calls on a function's first line; a frame name carrying a location (Node.js
    "file:function:line", pyroscope-rs "file:line - function", "function (file:line)") gets
    that line as its start_line.
The summary reports how many functions had a real start_line and how many edges a real
call-site line.

${CONNECTION_HELP}
`;

export async function runPgo(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('pgo', argv, {
    ...CONNECTION_OPTIONS,
    service: { type: 'string' },
    type: { type: 'string' },
    labels: { type: 'string', multiple: true },
    query: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'trim-percent': { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(pgoUsage);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": pgo takes only flags (did you mean -o ${positionals[0]}?)`, 'pgo');
  const connection = connectionOf('pgo', values, io.env);
  if (!values.output || values.output === '-') throw new UsageError('-o FILE is required, e.g. -o default.pgo (the file is binary)', 'pgo');
  const trimPercent = values['trim-percent'] === undefined ? 100 : Number(values['trim-percent']);
  if (!(trimPercent > 0 && trimPercent <= 100)) throw new UsageError(`--trim-percent must be a number above 0 and at most 100 (got "${values['trim-percent']}")`, 'pgo');
  parseLabels('pgo', '--labels', values.labels);
  const query = selectionQuery('pgo', values);
  const profileTypeId = query.slice(0, query.indexOf('{')).trim();
  const parts = validateProfileTypeId(profileTypeId);
  const valueUnit = parts.sampleUnit === 'nanoseconds' ? 'nanoseconds' : parts.sampleUnit === 'count' && parts.periodType === 'cpu' ? 'count' : null;
  if (parts.name !== 'process_cpu' || valueUnit === null) {
    throw new UsageError(`Go's PGO needs a CPU profile: --type ${profileTypeId} is not process_cpu:cpu:nanoseconds:cpu:nanoseconds or process_cpu:samples:count:cpu:nanoseconds`, 'pgo');
  }
  const { fromMs, toMs } = timeRangeOf('pgo', io.now(), values.from, values.to);
  const params = new URLSearchParams({ query, from: String(fromMs), until: String(toMs), format: 'pprof' });
  const answer = await getOk(io, connection, `/api/v1/flamegraph?${params.toString()}`, 'reading the CPU profile');
  const merged = decodePprof(answer.body, { code: true, limits: { maxSamples: Number.MAX_SAFE_INTEGER, maxFramesPerProfile: Number.MAX_SAFE_INTEGER } });
  const code = codeLinesOfProfile(merged);
  const tree = callTreeFromProfile(merged, 0);
  if ((tree.total[0] ?? 0) === 0) throw new CommandError(`no CPU samples for ${query} between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}: check --service, --labels and the time range`);
  const { bytes, report } = pgoProfileFromTree(tree, { valueUnit, periodNs: GO_CPU_PERIOD_NS, trimPercent, timeNanos: BigInt(toMs) * 1_000_000n, code });
  writeOutput(io, values.output, bytes);
  const summary = {
    output: values.output,
    query,
    fromMs,
    toMs,
    bytes: bytes.byteLength,
    trimPercent,
    ...report,
  };
  if (values.json) printJson(io, summary);
  else {
    const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
    io.stdout.write(
      `wrote ${values.output} (${formatBytes(bytes.byteLength)}): ${report.functions} functions, ${(report.totalNanoseconds / 1e9).toFixed(2)} s of CPU\n` +
        `kept ${report.keptEdges} of ${report.edges} call edges, carrying ${percent(report.keptEdgeWeightShare)} of edge weight${trimPercent < 100 ? ` (--trim-percent ${trimPercent})` : ''}\n` +
        `functions with a real start_line: ${report.functionsWithLines} of ${report.functions} (${percent(report.lineWeightShare)} of self CPU); the rest have start_line 1\n` +
        `call edges with a recorded call-site line: ${report.edgesWithCallSites} of ${report.keptEdges} (${percent(report.callSiteWeightShare)} of edge weight); the rest have offset 0 (see "cinder pgo --help")\n`,
    );
  }
  return EXIT_OK;
}
