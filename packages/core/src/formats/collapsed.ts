/**
 * Folded/collapsed text (`main;a;b 12` per line, as flamegraph.pl, py-spy and perf tooling write it)
 * and Pyroscope's `lines` format (one stack per line, each worth 1).
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';
import { MAX_SAMPLE_VALUE, valueOutOfRange, type DecodeLimits } from './limits.js';

const SAMPLES = { type: 'samples', unit: 'count' };

/**
 * Blank lines, `#`/`//` comments and lines without a trailing integer count are skipped, as
 * speedscope and flamegraph.pl do; a body where no line is valid is rejected (INGEST_MALFORMED_TEXT),
 * an empty body gives an empty profile. Equal stacks on several lines are kept as separate samples.
 * A count above 2^53 − 1 (e.g. 400 digits, which `Number` turns into Infinity) is rejected
 * (INGEST_VALUE_OUT_OF_RANGE) rather than stored approximately.
 */
export function decodeCollapsed(text: string, limits?: Partial<DecodeLimits>): Profile {
  const builder = new ProfileBuilder([SAMPLES], null, 0, limits);
  let accepted = 0;
  let rejected = 0;
  let lineNumber = 0;
  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) continue;
    // Frames may contain spaces (`void foo(int) 3`): the count is whatever follows the last one.
    const space = Math.max(trimmed.lastIndexOf(' '), trimmed.lastIndexOf('\t'));
    const countText = space > 0 ? trimmed.slice(space + 1) : '';
    if (!/^\d+$/.test(countText)) {
      rejected++;
      continue;
    }
    const count = Number(countText);
    if (!(count <= MAX_SAMPLE_VALUE)) throw valueOutOfRange(`the count on line ${lineNumber}`, countText);
    const stack = trimmed.slice(0, space).trimEnd();
    if (stack === '') {
      rejected++;
      continue;
    }
    // Over-deep stacks keep their root-most frames: split stops there instead of splitting it all.
    if (count > 0) builder.addSample(stack.split(';', builder.budget.limits.maxStackDepth), [count]);
    accepted++;
  }
  if (accepted === 0 && rejected > 0) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_TEXT, 'no line of the body is "frame;frame;frame <count>": send folded stacks, one per line');
  }
  return builder.build();
}

export function decodeLines(text: string, limits?: Partial<DecodeLimits>): Profile {
  const builder = new ProfileBuilder([SAMPLES], null, 0, limits);
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') continue;
    builder.addSample(line.split(';', builder.budget.limits.maxStackDepth), [1]);
  }
  return builder.build();
}

/** One sample type as folded text, stacks sorted, equal stacks summed. */
export function encodeCollapsed(profile: Profile, sampleTypeIndex: number): string {
  const sums = new Map<string, number>();
  const column = profile.values[sampleTypeIndex];
  if (!column) return '';
  for (let s = 0; s < profile.stacks.length; s++) {
    const value = column[s]!;
    if (value === 0) continue;
    const key = Array.from(profile.stacks[s]!, (i) => profile.names[i]!).join(';');
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stack, value]) => `${stack} ${value}`)
    .join('\n');
}
