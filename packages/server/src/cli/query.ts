/**
 * `cinder query`: the merged profile of a selection as a file. pprof, folded, speedscope and
 * .cpuprofile are encoded by the server (/api/v1/flamegraph?format=…); json is the
 * FlameGraphResponse as the API answers it; html and svg are drawn here from that answer with
 * core's writers, the same ones the web UI's export menu uses.
 */
import { decodeLevels, flameGraphSvg, selfContainedHtml, type FlameGraphResponse } from '@cinder/core';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  EXIT_OK,
  SELECTION_HELP,
  SELECTION_OPTIONS,
  UsageError,
  connectionOf,
  formatBytes,
  getOk,
  parseCommand,
  printJson,
  selectionQuery,
  timeRangeOf,
  writeOutput,
  type CliIo,
} from './common.js';

export const QUERY_FORMATS = ['pprof', 'folded', 'speedscope', 'cpuprofile', 'json', 'html', 'svg'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export const queryUsage = `Usage: cinder query --service NAME [options] --format F [-o FILE]

Writes the merged profile of a selection (every profile of the service and type in the time
range, summed) as a file.

Formats:
  pprof        profile.proto (go tool pprof, pprof.me, …), from the server
  folded       "a;b;c 12" lines (flamegraph.pl, speedscope, inferno)
  speedscope   speedscope JSON (https://www.speedscope.app)
  cpuprofile   Chrome/V8 .cpuprofile (DevTools, VS Code); time profile types only
  json         Cinder's /api/v1/flamegraph answer (levels, top table, truncation)
  html         one offline HTML file with an interactive flame graph
  svg          a static SVG flame graph

Options:
  --format F           one of ${QUERY_FORMATS.join(', ')} (default: from -o's extension, else folded)
  -o, --output FILE    where to write (default stdout; pprof needs -o on a terminal)
  --max-nodes N        nodes kept for json/html/svg before the rest fold into "other" (default 8192)

${SELECTION_HELP}

${CONNECTION_HELP}

Examples:
  cinder query --service api --from now-6h -o api.pb.gz --format pprof
  cinder query --service api --type memory:inuse_space:bytes:space:bytes --format html -o heap.html
`;

export function formatFromOutput(output: string | undefined): QueryFormat | null {
  if (!output) return null;
  const lower = output.toLowerCase();
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.cpuprofile')) return 'cpuprofile';
  if (lower.endsWith('.speedscope.json')) return 'speedscope';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.pb') || lower.endsWith('.pb.gz') || lower.endsWith('.pprof') || lower.endsWith('.pgo')) return 'pprof';
  if (lower.endsWith('.txt') || lower.endsWith('.folded') || lower.endsWith('.collapsed')) return 'folded';
  return null;
}

export async function runQuery(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('query', argv, {
    ...CONNECTION_OPTIONS,
    ...SELECTION_OPTIONS,
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'max-nodes': { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(queryUsage);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": query takes only flags (did you mean -o ${positionals[0]}?)`, 'query');
  const connection = connectionOf('query', values, io.env);
  const format = (values.format ?? formatFromOutput(values.output) ?? 'folded') as QueryFormat;
  if (!(QUERY_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format "${values.format}" is not one of ${QUERY_FORMATS.join(', ')}`, 'query');
  const query = selectionQuery('query', values);
  const { fromMs, toMs } = timeRangeOf('query', io.now(), values.from, values.to);
  const maxNodes = values['max-nodes'];
  if (maxNodes !== undefined && !(Number.isInteger(Number(maxNodes)) && Number(maxNodes) > 0)) throw new UsageError(`--max-nodes must be a positive whole number (got "${maxNodes}")`, 'query');
  if (format === 'pprof' && (values.output === undefined || values.output === '-') && io.stdout.isTTY) {
    throw new UsageError('pprof is binary: write it to a file with -o FILE (or pipe stdout)', 'query');
  }
  if (values.json && (values.output === undefined || values.output === '-')) throw new UsageError('--json prints a summary on stdout: write the profile with -o FILE', 'query');
  const params = new URLSearchParams({ query, from: String(fromMs), until: String(toMs) });
  if (maxNodes !== undefined) params.set('maxNodes', maxNodes);
  let content: string | Uint8Array;
  let total: number | null = null;
  if (format === 'pprof' || format === 'folded' || format === 'speedscope' || format === 'cpuprofile') {
    params.set('format', format === 'folded' ? 'collapsed' : format);
    const answer = await getOk(io, connection, `/api/v1/flamegraph?${params.toString()}`, `query ${format}`);
    content = format === 'pprof' ? answer.body : answer.body.toString('utf8');
  } else {
    const answer = await getOk(io, connection, `/api/v1/flamegraph?${params.toString()}`, 'query');
    const response = JSON.parse(answer.body.toString('utf8')) as FlameGraphResponse;
    total = response.flamegraph.total;
    const title = `${response.profileTypeId} ${query} ${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()}`;
    content =
      format === 'json'
        ? answer.body.toString('utf8')
        : format === 'svg'
          ? flameGraphSvg(decodeLevels(response.flamegraph), response.unit)
          : selfContainedHtml(response.flamegraph, title, response.unit);
  }
  writeOutput(io, values.output, content);
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
  if (values.json) printJson(io, { output: values.output ?? '-', format, query, fromMs, toMs, bytes, ...(total !== null ? { total } : {}) });
  else if (values.output !== undefined && values.output !== '-') io.stderr.write(`wrote ${values.output} (${format}, ${formatBytes(bytes)}) for ${query}\n`);
  return EXIT_OK;
}
