/**
 * `cinder diff`: baseline vs comparison, each either a profile file or a server selection, as a
 * differential folded file (flamegraph.pl's difffolded format: `stack baseline comparison`) or an
 * offline HTML diff flame graph (widths = both sides, red grew, green shrank, purple new, blue
 * removed; core's diffFlameGraph / diffColor, as the compare page uses).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  ROOT_NODE,
  callTreeFromProfile,
  decodeCollapsed,
  decodeCpuprofile,
  decodePerfScript,
  decodePprof,
  decodeSpeedscope,
  diffColor,
  diffFlameGraph,
  diffToFlameGraph,
  formatPercent,
  formatValue,
  nodeName,
  selfContainedHtml,
  sniffFormat,
  type CallTree,
  type Profile,
} from '@cinder/core';
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

export const diffUsage = `Usage: cinder diff BASELINE_FILE COMPARISON_FILE [options]
       cinder diff --service NAME --baseline-from T --baseline-to T --comparison-from T --comparison-to T [options]

Compares two profiles: two files (pprof, folded, speedscope, .cpuprofile or perf script;
gzipped or not), or two
selections of a server (same service and type, different time ranges and/or labels).

Output:
  --format F             folded (default; "stack baseline comparison" per line, as flamegraph.pl's
                         difffolded.pl writes and "flamegraph.pl" draws) or html (an offline diff
                         flame graph: red grew, green shrank, purple new, blue removed)
  -o, --output FILE      where to write (default stdout); a .html name picks --format html
  --normalize            scale the baseline to the comparison's total first (compare shares,
                         not amounts; as difffolded.pl -n)
  --max-nodes N          nodes drawn in html before the rest fold into "other" (default 8192)
  --sample-type NAME     which sample type of a pprof file (default: cpu if present, else the first)

Selections (instead of files):
  --service, --type, --labels, --query   as for "cinder query", shared by both sides
  --baseline-from T, --baseline-to T, --comparison-from T, --comparison-to T
                         each side's time range (default: the hour before the last hour vs the
                         last hour)
  --baseline-labels k=v …, --comparison-labels k=v …
                         extra label matchers for one side (e.g. version=1.2 vs version=1.3)

${CONNECTION_HELP}

Examples:
  cinder diff before.pb.gz after.pb.gz -o diff.html
  cinder diff --service api --comparison-labels version=2 --baseline-labels version=1 --normalize
`;

interface Side {
  label: string;
  tree: CallTree;
  unit: string;
}

function readProfileFile(file: string, sampleType: string | undefined): Side {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CommandError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (sniffFormat(bytes).format === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: 1024 ** 3 });
    } catch (error) {
      throw new CommandError(`${file} looks gzipped but does not decompress: ${(error as Error).message}`);
    }
  }
  const sniffed = sniffFormat(bytes);
  // A local file of the user's own: no ingest limits on samples or frames.
  const limits = { maxSamples: Number.MAX_SAFE_INTEGER, maxFramesPerProfile: Number.MAX_SAFE_INTEGER };
  let profile: Profile;
  let index = 0;
  switch (sniffed.format) {
    case 'pprof': {
      profile = decodePprof(bytes, { limits });
      const names = profile.sampleTypes.map((t) => t.type);
      index = sampleType !== undefined ? names.indexOf(sampleType) : Math.max(0, names.indexOf('cpu'));
      if (index < 0) throw new UsageError(`--sample-type ${sampleType}: ${file} has ${names.join(', ')}`, 'diff');
      break;
    }
    case 'folded':
      profile = decodeCollapsed(bytes.toString('utf8'), limits);
      break;
    case 'speedscope': {
      const entries = decodeSpeedscope(bytes.toString('utf8'), limits);
      profile = entries[0]!.profile;
      break;
    }
    case 'cpuprofile':
      profile = decodeCpuprofile(bytes.toString('utf8'), limits);
      break;
    case 'perf_script': {
      // One profile per perf event; the first is the one a single `perf record` has.
      const entries = decodePerfScript(bytes.toString('utf8'), { limits });
      if (entries.length === 0) throw new CommandError(`${file}: perf script output without any sample`);
      profile = entries[0]!.profile;
      break;
    }
    default:
      throw new CommandError(
        `${file}: cinder diff reads pprof, folded, speedscope, .cpuprofile and perf script files, and this is ${sniffed.format === 'unknown' ? `not one (${sniffed.reason})` : sniffed.format}; push it ("cinder push") and diff the selections instead`,
      );
  }
  return { label: file, tree: callTreeFromProfile(profile, index), unit: profile.sampleTypes[index]?.unit ?? 'count' };
}

/** Every stack of either tree with its self value on each side, sorted by stack. */
function differentialFolded(baseline: CallTree, comparison: CallTree, baselineScale: number): string {
  const rows = new Map<string, [number, number]>();
  const collect = (tree: CallTree, side: 0 | 1, scale: number): void => {
    const paths: string[] = new Array<string>(tree.nodeCount);
    paths[ROOT_NODE] = '';
    for (let node = 1; node < tree.nodeCount; node++) {
      const parentPath = paths[tree.parent[node]!]!;
      paths[node] = parentPath === '' ? nodeName(tree, node) : `${parentPath};${nodeName(tree, node)}`;
      const self = tree.self[node]!;
      if (self === 0) continue;
      let row = rows.get(paths[node]!);
      if (!row) rows.set(paths[node]!, (row = [0, 0]));
      row[side] += self * scale;
    }
  };
  collect(baseline, 0, baselineScale);
  collect(comparison, 1, 1);
  const stacks = [...rows.keys()].sort();
  return stacks.map((stack) => `${stack} ${Math.round(rows.get(stack)![0])} ${Math.round(rows.get(stack)![1])}`).join('\n') + (stacks.length > 0 ? '\n' : '');
}

function diffHtml(baseline: Side, comparison: Side, normalize: boolean, maxNodes: number): string {
  const diff = diffFlameGraph(baseline.tree, comparison.tree, maxNodes);
  const frames = diffToFlameGraph(diff);
  const mode = normalize ? 'relative' : 'absolute';
  const colors: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < frames.leftTotal.length; i++) {
    const left = frames.leftTotal[i]!;
    const right = frames.rightTotal[i]!;
    colors.push(diffColor(left, right, diff.leftTicks, diff.rightTicks, mode));
    const share = (value: number, sum: number): string => formatPercent(sum > 0 ? value / sum : 0);
    notes.push(
      normalize
        ? `baseline ${share(left, diff.leftTicks)} → comparison ${share(right, diff.rightTicks)}`
        : `baseline ${formatValue(left, baseline.unit)} → comparison ${formatValue(right, comparison.unit)}${left > 0 ? ` (${right >= left ? '+' : ''}${(((right - left) / left) * 100).toFixed(1)} %)` : ''}`,
    );
  }
  return selfContainedHtml(frames.flamegraph, `diff: ${baseline.label} → ${comparison.label}`, comparison.unit, { frameColors: colors, frameNotes: notes });
}

export async function runDiff(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('diff', argv, {
    ...CONNECTION_OPTIONS,
    service: { type: 'string' },
    type: { type: 'string' },
    labels: { type: 'string', multiple: true },
    query: { type: 'string' },
    'baseline-from': { type: 'string' },
    'baseline-to': { type: 'string' },
    'comparison-from': { type: 'string' },
    'comparison-to': { type: 'string' },
    'baseline-labels': { type: 'string', multiple: true },
    'comparison-labels': { type: 'string', multiple: true },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    normalize: { type: 'boolean' },
    'max-nodes': { type: 'string' },
    'sample-type': { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(diffUsage);
    return EXIT_OK;
  }
  const format = values.format ?? (values.output && /\.html?$/i.test(values.output) ? 'html' : 'folded');
  if (format !== 'folded' && format !== 'html') throw new UsageError(`--format "${format}" is not folded or html`, 'diff');
  const maxNodes = values['max-nodes'] === undefined ? 8192 : Number(values['max-nodes']);
  if (!(Number.isInteger(maxNodes) && maxNodes > 0)) throw new UsageError(`--max-nodes must be a positive whole number (got "${values['max-nodes']}")`, 'diff');
  if (values.json && (values.output === undefined || values.output === '-')) throw new UsageError('--json prints a summary on stdout: write the diff with -o FILE', 'diff');
  const selectionFlags = ['service', 'query', 'baseline-from', 'baseline-to', 'comparison-from', 'comparison-to', 'baseline-labels', 'comparison-labels'] as const;
  const usesSelection = selectionFlags.some((flag) => values[flag] !== undefined);
  let baseline: Side;
  let comparison: Side;
  if (positionals.length > 0) {
    if (positionals.length !== 2) throw new UsageError(`give exactly two files, BASELINE and COMPARISON (got ${positionals.length})`, 'diff');
    if (usesSelection) throw new UsageError('give either two files or a server selection (--service …), not both', 'diff');
    baseline = readProfileFile(positionals[0]!, values['sample-type']);
    comparison = readProfileFile(positionals[1]!, values['sample-type']);
  } else {
    if (!usesSelection) throw new UsageError('give two files, or a selection with --service NAME (see "cinder diff --help")', 'diff');
    const connection = connectionOf('diff', values, io.env);
    const nowMs = io.now();
    const comparisonRange = timeRangeOf('diff', nowMs, values['comparison-from'], values['comparison-to'], { from: '--comparison-from', to: '--comparison-to' });
    const baselineRange =
      values['baseline-from'] === undefined && values['baseline-to'] === undefined
        ? { fromMs: comparisonRange.fromMs - (comparisonRange.toMs - comparisonRange.fromMs), toMs: comparisonRange.fromMs }
        : timeRangeOf('diff', nowMs, values['baseline-from'], values['baseline-to'], { from: '--baseline-from', to: '--baseline-to' });
    const fetchSide = async (name: 'baseline' | 'comparison', range: { fromMs: number; toMs: number }, extra: string[] | undefined): Promise<Side> => {
      const query = values.query !== undefined && extra !== undefined ? null : selectionQuery('diff', values, parseLabels('diff', `--${name}-labels`, extra));
      if (query === null) throw new UsageError(`--${name}-labels cannot be combined with --query: put the matchers in the query`, 'diff');
      const params = new URLSearchParams({ query, from: String(range.fromMs), until: String(range.toMs), format: 'pprof' });
      const answer = await getOk(io, connection, `/api/v1/flamegraph?${params.toString()}`, `reading the ${name}`);
      const profile = decodePprof(answer.body, { limits: { maxSamples: Number.MAX_SAFE_INTEGER, maxFramesPerProfile: Number.MAX_SAFE_INTEGER } });
      const label = `${query} ${new Date(range.fromMs).toISOString()}…${new Date(range.toMs).toISOString()}`;
      return { label, tree: callTreeFromProfile(profile, 0), unit: profile.sampleTypes[0]?.unit ?? 'count' };
    };
    [baseline, comparison] = await Promise.all([
      fetchSide('baseline', baselineRange, values['baseline-labels']),
      fetchSide('comparison', comparisonRange, values['comparison-labels']),
    ]);
  }
  const baselineTotal = baseline.tree.total[ROOT_NODE] ?? 0;
  const comparisonTotal = comparison.tree.total[ROOT_NODE] ?? 0;
  if (baselineTotal === 0 && comparisonTotal === 0) throw new CommandError('both sides are empty: check the files, or --service, --labels and the time ranges');
  const baselineScale = values.normalize && baselineTotal > 0 ? comparisonTotal / baselineTotal : 1;
  const content = format === 'folded' ? differentialFolded(baseline.tree, comparison.tree, baselineScale) : diffHtml(baseline, comparison, values.normalize === true, maxNodes);
  writeOutput(io, values.output, content);
  const summary = { output: values.output ?? '-', format, baseline: baseline.label, comparison: comparison.label, baselineTotal, comparisonTotal, baselineScale, bytes: Buffer.byteLength(content) };
  if (values.json) printJson(io, summary);
  else if (values.output !== undefined && values.output !== '-') {
    io.stderr.write(`wrote ${values.output} (${format}, ${formatBytes(summary.bytes)}): baseline ${formatValue(baselineTotal, baseline.unit)} → comparison ${formatValue(comparisonTotal, comparison.unit)}\n`);
  }
  return EXIT_OK;
}
