/**
 * What format a profile file is in, from its first bytes: what `cinder push --format auto` and the
 * upload page need to pick `/ingest?format=…`. Pure and cheap: it looks at a bounded prefix (plus
 * one linear walk of a protobuf's top-level fields) and never decodes the profile.
 *
 * gzip is reported as such: the caller (which has zlib) gunzips a bounded prefix and sniffs again,
 * since core does no decompression. JSON formats are told apart by the keys near the top of the
 * document, so a truncated prefix still sniffs: speedscope has `"$schema"`/`"shared"` +
 * `"profiles"`, a Chrome/V8 `.cpuprofile` has `"nodes"` + `"samples"`/`"startTime"`.
 *
 * Examples: `1f 8b …` → gzip; `46 4c 52 00` ("FLR\0") → jfr; `main;a;b 12\n` → folded;
 * `java 19983 cycles:\n\tffffffff8103d0ca native_write_msr ([kernel.kallsyms])` → perf_script.
 */

export type SniffedFormat = 'gzip' | 'pprof' | 'jfr' | 'speedscope' | 'cpuprofile' | 'folded' | 'perf_script' | 'unknown';

/** How much of a text file is looked at. */
export const SNIFF_PREFIX_BYTES = 64 * 1024;

export interface SniffResult {
  format: SniffedFormat;
  /** Why, in words (shown by `cinder push` when a file is skipped). */
  reason: string;
}

/** The `/ingest?format=` value for a sniffed format; null = not an ingest format. */
export function ingestFormatOf(format: SniffedFormat): string | null {
  switch (format) {
    case 'pprof':
    case 'jfr':
    case 'speedscope':
    case 'cpuprofile':
    case 'folded':
    case 'perf_script':
      return format;
    default:
      return null;
  }
}

export function sniffFormat(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return { format: 'unknown', reason: 'the file is empty' };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return { format: 'gzip', reason: 'gzip magic bytes 1f 8b' };
  if (bytes.length >= 4 && bytes[0] === 0x46 && bytes[1] === 0x4c && bytes[2] === 0x52 && bytes[3] === 0x00) return { format: 'jfr', reason: 'JFR magic "FLR\\0"' };
  const text = textPrefix(bytes);
  if (text !== null) {
    const trimmed = text.replace(/^\uFEFF/, '').trimStart();
    if (trimmed.startsWith('{')) return sniffJson(trimmed);
    if (trimmed.startsWith('[')) return { format: 'unknown', reason: 'a JSON array (a Chrome trace-event file?): export a .cpuprofile or speedscope file instead' };
    const lines = sniffLines(trimmed);
    if (lines) return lines;
  }
  if (looksLikePprof(bytes)) return { format: 'pprof', reason: 'protobuf fields of profile.proto with a string table' };
  return { format: 'unknown', reason: text === null ? 'binary, but not gzip, JFR or a pprof protobuf' : 'text, but neither folded stacks, perf script output nor a known JSON profile' };
}

/** The prefix as text when it is printable UTF-8 (a binary protobuf has control bytes early). */
function textPrefix(bytes: Uint8Array): string | null {
  const prefix = bytes.subarray(0, SNIFF_PREFIX_BYTES);
  let control = 0;
  const checked = Math.min(prefix.length, 4096);
  for (let i = 0; i < checked; i++) {
    const b = prefix[i]!;
    if (b === 0) return null;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  if (control > 0) return null;
  // The prefix may cut a multi-byte character: a lenient decode keeps the rest readable.
  return new TextDecoder('utf-8', { fatal: false }).decode(prefix);
}

function sniffJson(text: string): SniffResult {
  // Keys at the top level appear in the first few KB of every real file of these formats.
  const head = text.slice(0, 16 * 1024);
  if (/"\$schema"\s*:\s*"https?:\/\/www\.speedscope\.app\//.test(head) || (/"shared"\s*:/.test(head) && /"profiles"\s*:/.test(head))) {
    return { format: 'speedscope', reason: 'JSON with speedscope\'s "shared" and "profiles"' };
  }
  if (/"nodes"\s*:\s*\[/.test(head) && (/"samples"\s*:/.test(text) || /"startTime"\s*:/.test(text))) {
    return { format: 'cpuprofile', reason: 'JSON with V8\'s "nodes", "samples"/"startTime" (.cpuprofile)' };
  }
  if (/"head"\s*:\s*\{/.test(head) && /"functionName"\s*:/.test(head)) {
    // Node ≤ 10 and old DevTools wrote the tree nested under "head"; same format family.
    return { format: 'cpuprofile', reason: 'JSON with a V8 "head" call tree (.cpuprofile)' };
  }
  if (/"flamebearer"\s*:/.test(head)) return { format: 'unknown', reason: 'a flamebearer JSON export: upload the pprof or folded export instead' };
  return { format: 'unknown', reason: 'JSON, but not speedscope or a .cpuprofile' };
}

const FOLDED_LINE = /^\S.*\s\d+$/;
// `perf script` sample headers: "comm pid[/tid] [cpu] time: [period] event:" (fields vary by -F).
// `perf script` sample headers: "comm pid[/tid] [cpu] time: [period] event:" (fields vary by -F),
// at least a pid and either a trailing event name or a timestamp.
const PERF_HEADER = /^\S.*\s\d+(\/\d+)?\s.*:\s*$|^\S.*\s\d+(\/\d+)?\s+(\[\d+\]\s+)?\d+\.\d+:/;
// Stack lines: "\t<hex address> <symbol> (<dso>)"; indentation is optional in older outputs.
const PERF_FRAME = /^\s*[0-9a-f]+\s+.+\s+\(.*\)\s*$/;

function sniffLines(text: string): SniffResult | null {
  // The last line of a prefix may be cut; only whole lines count.
  const lines = text.split('\n', 400).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 1 && text.length >= SNIFF_PREFIX_BYTES) lines.pop();
  let folded = 0;
  let frames = 0;
  let headers = 0;
  let other = 0;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) continue;
    if (PERF_FRAME.test(line)) frames++;
    else if (PERF_HEADER.test(trimmed)) headers++;
    else if (FOLDED_LINE.test(trimmed)) folded++;
    else other++;
  }
  const counted = folded + frames + headers + other;
  if (counted === 0) return null;
  if (headers > 0 && frames >= headers && frames + headers >= 0.8 * counted) {
    return { format: 'perf_script', reason: `perf script output (${headers} sample headers, ${frames} stack lines in the first ${lines.length} lines)` };
  }
  if (folded >= 0.8 * counted) return { format: 'folded', reason: `folded stacks ("a;b;c <count>" on ${folded} of ${counted} lines)` };
  return null;
}

/** profile.proto's top-level fields and their wire types (0 varint, 2 length-delimited). */
const PPROF_FIELD_WIRE: Readonly<Record<number, readonly number[]>> = {
  1: [2], // sample_type
  2: [2], // sample
  3: [2], // mapping
  4: [2], // location
  5: [2], // function
  6: [2], // string_table
  7: [0], // drop_frames
  8: [0], // keep_frames
  9: [0], // time_nanos
  10: [0], // duration_nanos
  11: [2], // period_type
  12: [0], // period
  13: [0, 2], // comment (packed or not)
  14: [0], // default_sample_type
  15: [0, 2], // doc_url (newer profile.proto)
};

/**
 * Every top-level field of the whole buffer has a profile.proto number with its wire type, the
 * lengths add up to exactly the end, and there is a string table: a random binary or another
 * protobuf (e.g. an OTLP export request, fields 1–2 only) fails one of these.
 */
function looksLikePprof(bytes: Uint8Array): boolean {
  let offset = 0;
  let sawStringTable = false;
  let fields = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (offset >= bytes.length) return -1;
      const b = bytes[offset++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return -1;
  };
  while (offset < bytes.length) {
    const key = varint();
    if (key < 0) return false;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (!PPROF_FIELD_WIRE[field]?.includes(wire)) return false;
    if (wire === 0) {
      if (varint() < 0) return false;
    } else {
      const length = varint();
      if (length < 0 || offset + length > bytes.length) return false;
      offset += length;
    }
    if (field === 6) sawStringTable = true;
    fields++;
  }
  return sawStringTable && fields >= 2;
}
