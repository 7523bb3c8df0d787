/**
 * `perf script` text (Linux perf, after `perf record -g`): one block per sample, separated by blank
 * lines, a header line then the stack, leaf first:
 *
 *   java 19983 [002] 6544038.708352:     250000 cpu-clock:ppp:
 *           7f722d119786 Ljava/io/FileOutputStream;::writeBytes+0x26 (/tmp/perf-19982.map)
 *           7f72432b4e9a start_thread (/lib/x86_64-linux-gnu/libpthread-2.15.so)
 *
 * Stacks are read as FlameGraph's stackcollapse-perf.pl reads them (without its optional `_[k]`
 * annotations), so `perf script | stackcollapse-perf.pl` uploaded as folded text and the same
 * `perf script` uploaded here give the same stacks: the process name (spaces → `_`) is the root
 * frame; `+0x…` offsets are dropped; `[unknown]` symbols are named by their module (`[libc.so.6]`);
 * `;` becomes `:`, the argument list after the first `(` is dropped (except in Go method names like
 * `net/http.(*Client).Do` and in C++ `(anonymous namespace)`), quotes are removed; and in `java`
 * processes a leading `L` of a class path is dropped (`Ljava/io/File;::read` → `java/io/File:::read`).
 *
 * Weights and types, per event (samples of different events are separate profiles):
 * - a header with a period (`250000 cpu-clock:`) weighs the sample by it. Clock events
 *   (`cpu-clock`, `task-clock`) count nanoseconds: `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
 *   Other events count occurrences (`cycles`, `instructions`, …): `process_cpu:<event>:count:<event>:count`.
 * - without periods each sample counts 1 and is worth `1e9 / sampleRate` ns of CPU, as a folded
 *   upload of the same stacks is (`process_cpu:cpu:nanoseconds:cpu:nanoseconds`).
 */
import { CinderError, ErrorCodes } from '../errors.js';
import type { Profile, ValueType } from '../model.js';
import { StringTable } from '../stringTable.js';
import { MAX_SAMPLE_VALUE, resolveDecodeLimits, valueOutOfRange, WorkBudget, type DecodeLimits } from './limits.js';

export interface DecodePerfScriptOptions {
  /** Hz perf sampled at (`perf record -F`), for samples without a period; 0 or absent = 100. */
  sampleRate?: number;
  limits?: Partial<DecodeLimits>;
}

export interface PerfScriptProfile {
  metricName: string;
  /** The perf event, modifiers dropped (`cpu-clock`, `cycles`); '' when the header names none. */
  event: string;
  profile: Profile;
}

const CLOCK_EVENTS = new Set(['cpu-clock', 'task-clock']);
/** `…: [period] event[:modifiers]:` at the end of a header line. */
const PERIOD_AND_EVENT = /:\s*(\d+)?\s+(\S+):\s*$/;
/** `comm pid event:` (no time): the event right after the pid. */
const BARE_EVENT = /^\S.*?\s\d+(?:\/\d+)?\s+()(\S+):\s*$/;
const STACK_LINE = /^\s*([0-9a-fA-F]+)\s+(\S.*)$/;
const OFFSET = /\+0x[0-9a-fA-F]+$/;
const MAX_HEADER_CHARS = 1024;

interface Group {
  event: string;
  names: StringTable;
  stacks: Uint32Array[];
  /** Sum of periods, and number of samples, per stack. */
  values: number[];
  counts: number[];
  /** Sample index by stack key (equal stacks add up). */
  byStack: Map<string, number>;
  weighted: boolean;
  unweighted: boolean;
  budget: WorkBudget;
}

/** The module in the trailing `( … )` of a stack line (nested parentheses allowed) and what precedes it. */
function splitModule(rest: string): { symbol: string; module: string } {
  const trimmed = rest.trimEnd();
  if (!trimmed.endsWith(')')) return { symbol: trimmed, module: '' };
  let depth = 0;
  for (let i = trimmed.length - 1; i >= 0; i--) {
    const c = trimmed[i];
    if (c === ')') depth++;
    else if (c === '(' && --depth === 0) {
      // A module is separated by whitespace; `foo(int)` with no space is a symbol with arguments.
      if (i > 0 && /\s/.test(trimmed[i - 1]!)) return { symbol: trimmed.slice(0, i).trimEnd(), module: trimmed.slice(i + 1, -1) };
      return { symbol: trimmed, module: '' };
    }
  }
  return { symbol: trimmed, module: '' };
}

/**
 * The process name of a header line (`comm pid[/tid] …`, comm may hold spaces: `V8 WorkerThread`),
 * spaces → `_`; null when no token after the first is a pid. Token by token, linear in the line.
 */
function processNameOf(line: string): string | null {
  const tokens = line.trim().split(/\s+/);
  for (let i = 1; i < tokens.length; i++) {
    if (/^\d+(?:\/\d+)?$/.test(tokens[i]!)) return tokens.slice(0, i).join('_');
  }
  return null;
}

function tidy(rawSymbol: string, module: string, processName: string): string | null {
  let name = rawSymbol.replace(OFFSET, '');
  if (name === '[unknown]' && module !== '') {
    const base = module.slice(module.lastIndexOf('/') + 1);
    name = `[${base}]`;
  }
  if (name.startsWith('(')) return null; // stackcollapse-perf skips these "process name" frames
  name = name.replace(/;/g, ':');
  // A Go method (`pkg.(*T).M`) keeps its parentheses: a `.(` with a `).` after it (indexOf, not a
  // backtracking regex, so a long line costs linear time).
  const goOpen = name.indexOf('.(');
  if (goOpen < 0 || name.indexOf(').', goOpen + 2) < 0) name = name.replace(/\((?!anonymous namespace\)).*/, '');
  name = name.replace(/["']/g, '');
  if (processName === 'java' && name.includes('/')) name = name.replace(/^L/, '');
  return name === '' ? null : name;
}

export function decodePerfScript(text: string, options: DecodePerfScriptOptions = {}): PerfScriptProfile[] {
  const limits = resolveDecodeLimits(options.limits);
  const rate = options.sampleRate !== undefined && options.sampleRate > 0 ? options.sampleRate : 100;
  const groups = new Map<string, Group>();
  let headers = 0;
  let processName: string | null = null;
  let event = '';
  let period: number | null = null;
  let frames: string[] = [];
  let lineNumber = 0;

  const flush = (): void => {
    if (processName === null) return;
    // perf lists the leaf first; stacks are root first, under the process name.
    const rootFirst = [processName];
    for (let f = frames.length - 1; f >= 0; f--) rootFirst.push(frames[f]!);
    let group = groups.get(event);
    if (!group) {
      group = { event, names: new StringTable(), stacks: [], values: [], counts: [], byStack: new Map(), weighted: false, unweighted: false, budget: new WorkBudget(limits) };
      groups.set(event, group);
    }
    if (period === null) group.unweighted = true;
    else group.weighted = true;
    const key = rootFirst.join(';');
    let s = group.byStack.get(key);
    if (s === undefined) {
      const kept = group.budget.sample(rootFirst.length);
      const ids = new Uint32Array(kept);
      for (let i = 0; i < kept; i++) ids[i] = group.names.id(rootFirst[i]!);
      group.stacks.push(ids);
      group.values.push(0);
      group.counts.push(0);
      s = group.stacks.length - 1;
      group.byStack.set(key, s);
    }
    group.values[s]! += period ?? 1;
    group.counts[s]! += 1;
    processName = null;
    frames = [];
  };

  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      flush();
      continue;
    }
    // Inside a sample, address lines are frames (FlameGraph's own test files do not indent them);
    // anything else starts the next sample, even without the blank line that should precede it.
    const stackLine = processName === null ? null : STACK_LINE.exec(line);
    if (stackLine) {
      const { symbol, module } = splitModule(stackLine[2]!);
      const name = tidy(symbol, module, processName!);
      // perf lists the leaf first, so frames past the depth limit are the root-most ones: all are
      // read, and the budget keeps the root-most maxStackDepth when the sample is added.
      if (name !== null) frames.push(name);
      continue;
    }
    flush();
    const comm = processNameOf(line);
    if (comm === null) continue;
    headers++;
    processName = comm;
    // Real headers are a few hundred characters: the regexes only ever see a bounded line.
    const tail = line.length > MAX_HEADER_CHARS ? null : (PERIOD_AND_EVENT.exec(line) ?? BARE_EVENT.exec(line));
    event = tail ? tail[2]!.split(':')[0]! : '';
    period = null;
    if (tail?.[1] !== undefined && tail[1] !== '') {
      period = Number(tail[1]);
      if (!(period <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(`the period on line ${lineNumber}`, tail[1]);
    }
  }
  flush();
  if (headers === 0 && text.trim() !== '') {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_TEXT, 'no line of the body is a perf script sample header ("comm pid [cpu] time: [period] event:"); send the output of `perf script`');
  }

  const result: PerfScriptProfile[] = [];
  for (const group of groups.values()) {
    if (group.stacks.length === 0) continue;
    const clock = CLOCK_EVENTS.has(group.event);
    // Mixed weighted/unweighted samples of one event cannot share a unit: count them all.
    const weighted = group.weighted && !group.unweighted;
    let sampleType: ValueType;
    let periodType: ValueType;
    let scale = 1;
    let periodValue = 0;
    if (weighted && clock) {
      sampleType = { type: 'cpu', unit: 'nanoseconds' };
      periodType = sampleType;
    } else if (weighted) {
      const name = group.event.replace(/[^A-Za-z0-9_]/g, '_') || 'events';
      sampleType = { type: name, unit: 'count' };
      periodType = sampleType;
    } else {
      sampleType = { type: 'cpu', unit: 'nanoseconds' };
      periodType = sampleType;
      periodValue = Math.floor(1e9 / rate);
      scale = periodValue;
    }
    const values = Float64Array.from(weighted ? group.values : group.counts, (v) => v * scale);
    for (let s = 0; s < values.length; s++) if (!(values[s]! <= MAX_SAMPLE_VALUE)) throw valueOutOfRange('the weight of one perf stack', values[s]!);
    result.push({
      metricName: 'process_cpu',
      event: group.event,
      profile: {
        sampleTypes: [sampleType],
        periodType,
        period: periodValue,
        timeMs: 0,
        durationNs: 0,
        names: group.names.strings,
        stacks: group.stacks,
        values: [values],
        sampleLabels: group.stacks.map(() => null),
      },
    });
  }
  return result;
}
