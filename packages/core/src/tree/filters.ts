/**
 * Frame filters over a merged call tree: hide a frame, focus on stacks through a frame, re-root at a
 * frame (show-from), collapse direct recursion, per-language "hide runtime and standard library"
 * presets and "my code only". The server applies them after the merge, so the flame graph, top
 * table, sandwich and every export are drawn from the same filtered tree.
 *
 * What each filter does to the root total (the number the UI shows as "total"):
 * - hide, my-code, preset, collapse-recursion: unchanged. A hidden frame's self value moves to the
 *   nearest kept caller (or the root) and its callees are merged into that caller, so the samples
 *   stay counted; they are only attributed to fewer frames.
 * - focus: only stacks that pass through a matching frame are kept, callers included. The root total
 *   becomes the sum of the outermost matching frames' totals (each sample counted once even when a
 *   stack matches twice).
 * - show-from: as focus, but every kept stack starts at its outermost matching frame (callers are
 *   dropped, matching frames with one name merge into one root child). Same root total as focus.
 *
 * Text form (the `filter` query parameter, repeatable, applied in order):
 *   hide:name:<exact name>   hide:re:<RE2>   focus:name:…   focus:re:…   show-from:name:…   show-from:re:…
 *   collapse-recursion       preset:<go-runtime|java-runtime|…>       my-code:<prefix>[,<prefix>…]
 * `re:` patterns match anywhere in the name (anchor with ^ and $); they are RE2 (core/regex.ts).
 *
 * Every filter is one forward pass over the typed arrays (plus the totals pass); a regex runs once
 * per distinct name, not once per node, so a 1M-node tree with 25k names costs 25k regex calls.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { compileUserRegex, UserRegexError } from '../regex.js';
import { ROOT_NODE, type CallTree } from './callTree.js';

export type FrameMatcher = { kind: 'name'; value: string } | { kind: 're'; value: string };

export const FRAME_FILTER_PRESETS = {
  'go-runtime': { language: 'Go', label: 'Hide Go runtime and standard library' },
  'java-runtime': { language: 'Java', label: 'Hide JVM and Java/Kotlin/Scala standard library' },
  'python-runtime': { language: 'Python', label: 'Hide Python standard library' },
  'nodejs-runtime': { language: 'Node.js', label: 'Hide Node.js internals and V8 pseudo-frames' },
  'rust-runtime': { language: 'Rust', label: 'Hide Rust std/core/alloc, tokio runtime and libc' },
  'dotnet-runtime': { language: '.NET', label: 'Hide .NET System.* and Microsoft.* frames' },
  'ruby-runtime': { language: 'Ruby', label: 'Hide Ruby C functions and standard library' },
} as const;

export type FramePresetId = keyof typeof FRAME_FILTER_PRESETS;

export type FrameFilter =
  | { kind: 'hide' | 'focus' | 'show-from'; match: FrameMatcher }
  | { kind: 'collapse-recursion' }
  | { kind: 'preset'; preset: FramePresetId }
  | { kind: 'my-code'; prefixes: string[] };

/** More filters than any view needs; bounds the work one request can ask for. */
export const MAX_FRAME_FILTERS = 32;
export const MAX_FRAME_FILTER_LENGTH = 2048;

const GO_STD_PACKAGES =
  'runtime|internal|sync|syscall|net|os|io|bufio|bytes|strings|strconv|fmt|encoding|crypto|compress|context|time|sort|reflect|math|errors|unicode|regexp|path|log|hash|container|mime|html|text|database|debug|embed|expvar|flag|go|image|index|iter|maps|plugin|slices|testing|unique|archive|cmp|structs|weak|vendor';
const PYTHON_STD_MODULES =
  'threading|socketserver|socket|selectors|contextlib|logging|email|http|urllib|json|re|os|sys|io|abc|asyncio|concurrent|queue|ssl|functools|collections|typing|enum|inspect|importlib|encodings|codecs|weakref|copy|traceback|subprocess|multiprocessing|runpy|posixpath|genericpath|ntpath|tempfile|shutil|pathlib|datetime|time|random|string|struct|base64|hashlib|hmac|zlib|gzip|uuid|locale|calendar|textwrap|pickle|dataclasses|warnings|linecache|tokenize|ast|dis|signal|select|heapq|bisect|operator|itertools|sched|unittest|xml|html|mimetypes|wsgiref|sqlite3|decimal|fractions|numbers|statistics|glob|fnmatch|argparse|configparser|pprint|reprlib|gettext|platform|sysconfig|site|zipfile|tarfile|csv|secrets|ipaddress|contextvars|_weakrefset|_collections_abc|_threading_local';
const RUBY_STD_FILES =
  'monitor|set|forwardable|logger|json|uri|net/http|net/protocol|openssl|socket|timeout|thread|delegate|erb|securerandom|digest|time|date|pathname|fileutils|tempfile|ostruct|singleton|benchmark|open3|resolv|ipaddr|yaml|psych|zlib|stringio|rubygems|bundler';

/**
 * The patterns behind each preset (RE2, matched anywhere in the name). Shown in docs/api.md; they
 * are heuristics over the names each SDK writes (see testdata/ for real examples of each).
 */
export const FRAME_PRESET_PATTERNS: Record<FramePresetId, readonly string[]> = {
  // Go: `runtime.mcall`, `net/http.(*conn).serve`; a module path with a dot (github.com/…) is not std.
  'go-runtime': [`^(?:${GO_STD_PACKAGES})(?:[./]|$)`, '^_cgo_', '^(?:runtime/cgo|crosscall2)'],
  // async-profiler / JFR: `java/lang/Thread.run`, `jdk.internal.…`; C++ JVM frames `VMThread::run`; libc `__pthread…`.
  'java-runtime': ['^(?:java|javax|jdk|sun|com/sun|com\\.sun|kotlin|kotlinx|scala)[./]', '::', '^__', '^(?:start_thread|thread_native_entry|_start|clone3?|Interpreter|\\[[^\\]]*\\])$'],
  // pyroscope-io: `logging/__init__.py:-1 - acquire`; py-spy: `run (threading.py:870)`; CPython internals.
  'python-runtime': [`(?:^|[/ (])(?:${PYTHON_STD_MODULES})(?:/[\\w/]*)?\\.py\\b`, '<frozen ', '^<built-in', '/lib/python\\d[\\d.]*/[^/]*\\.py'],
  // @pyroscope/nodejs: `node:internal/timers:processTimers:502`, `:(garbage collector):0`; V8 `(program)`.
  'nodejs-runtime': ['^node:', '^internal/', '^:?\\((?:garbage collector|program|idle|root)\\)'],
  // pyroscope-rs: `panicking.rs:502 - std::panicking::try::do_call`, `:0 - __clock_gettime`.
  'rust-runtime': ['(?:^|\\s-\\s)<?(?:std|core|alloc|tokio|backtrace)::', '(?:^|\\s-\\s)(?:__|_start$|start_thread$|clone3?$)'],
  // dotnet pprof: `System.Threading!ThreadPoolWorkQueue.Dispatch`, `Microsoft.AspNetCore.…`, `!.op_Equality`.
  'dotnet-runtime': ['^(?:System|Microsoft|Internal\\.Runtime)(?:[.!]|$)', '^!'],
  // pyroscope-rb: `(unknown):-1 - raise [c function]`, `monitor.rb:-1 - synchronize`.
  'ruby-runtime': ['\\[c function\\]$', '^<internal:', `^(?:.*/ruby/\\d[\\d.]*/)?(?:${RUBY_STD_FILES})(?:/[\\w/]*)?\\.rb\\b`],
};

const LANGUAGE_SIGNALS: Record<FramePresetId, RegExp> = {
  'go-runtime': /^runtime\.(?:main|goexit|mcall|gopark|mstart|schedule|findrunnable|systemstack|mallocgc)/,
  'java-runtime': /^(?:java|jdk|sun)[./]/,
  'python-runtime': /\.py\b/,
  'nodejs-runtime': /^node:|\.[cm]?js:/,
  'rust-runtime': /\.rs:\d+ - |^(?:std|core|alloc|tokio)::/,
  'dotnet-runtime': /^System(?:\.[A-Za-z.]+)?!/,
  'ruby-runtime': /\.rb:-?\d+ - |\[c function\]$/,
};

/**
 * Which language's preset fits these frame names best (the UI offers it first), or undefined when
 * no language has a clear signal. Only looks at up to 20k names (a sample is enough for a guess).
 */
export function detectFrameLanguage(names: readonly string[]): FramePresetId | undefined {
  const counts = new Map<FramePresetId, number>();
  const limit = Math.min(names.length, 20_000);
  for (let i = 0; i < limit; i++) {
    const name = names[i]!;
    for (const [preset, signal] of Object.entries(LANGUAGE_SIGNALS) as [FramePresetId, RegExp][]) {
      if (signal.test(name)) counts.set(preset, (counts.get(preset) ?? 0) + 1);
    }
  }
  let best: FramePresetId | undefined;
  let bestCount = 0;
  for (const [preset, count] of counts) if (count > bestCount) [best, bestCount] = [preset, count];
  return best;
}

function invalid(text: string, why: string): CinderError {
  return new CinderError(
    ErrorCodes.QUERY_INVALID_ARGUMENT,
    `"filter=${text.slice(0, 120)}": ${why}. Use hide:name:<frame>, hide:re:<RE2>, focus:name:…, focus:re:…, show-from:name:…, show-from:re:…, collapse-recursion, preset:<${Object.keys(FRAME_FILTER_PRESETS).join('|')}> or my-code:<prefix>[,<prefix>…]`,
  );
}

/** One `filter` parameter → a filter; throws QUERY_INVALID_ARGUMENT with what to send instead. */
export function parseFrameFilter(text: string): FrameFilter {
  if (text.length > MAX_FRAME_FILTER_LENGTH) throw invalid(text, `a filter is at most ${MAX_FRAME_FILTER_LENGTH} characters, got ${text.length}`);
  if (text === 'collapse-recursion') return { kind: 'collapse-recursion' };
  const colon = text.indexOf(':');
  if (colon < 0) throw invalid(text, 'unknown filter');
  const op = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (op === 'hide' || op === 'focus' || op === 'show-from') {
    const second = rest.indexOf(':');
    const matchKind = second < 0 ? '' : rest.slice(0, second);
    const value = second < 0 ? '' : rest.slice(second + 1);
    if (matchKind !== 'name' && matchKind !== 're') throw invalid(text, `"${op}" needs "name:" (exact frame name) or "re:" (RE2 pattern) before the frame`);
    if (value === '') throw invalid(text, `"${op}:${matchKind}:" needs a frame ${matchKind === 'name' ? 'name' : 'pattern'}`);
    if (matchKind === 're') {
      try {
        compileUserRegex(value);
      } catch (error) {
        if (error instanceof UserRegexError) throw invalid(text, `the pattern is not a valid RE2 expression: ${error.message}`);
        throw error;
      }
    }
    return { kind: op, match: { kind: matchKind, value } };
  }
  if (op === 'preset') {
    if (!(rest in FRAME_FILTER_PRESETS)) throw invalid(text, `unknown preset "${rest.slice(0, 40)}"`);
    return { kind: 'preset', preset: rest as FramePresetId };
  }
  if (op === 'my-code') {
    const prefixes = rest.split(',').filter((prefix) => prefix !== '');
    if (prefixes.length === 0) throw invalid(text, '"my-code:" needs at least one package prefix, e.g. my-code:github.com/acme/');
    return { kind: 'my-code', prefixes };
  }
  throw invalid(text, `unknown filter "${op.slice(0, 40)}"`);
}

/** Every `filter` parameter, in order; throws QUERY_INVALID_ARGUMENT for any bad one. */
export function parseFrameFilters(texts: readonly string[]): FrameFilter[] {
  if (texts.length > MAX_FRAME_FILTERS) {
    throw new CinderError(ErrorCodes.QUERY_INVALID_ARGUMENT, `at most ${MAX_FRAME_FILTERS} "filter" parameters are allowed, got ${texts.length}`);
  }
  return texts.map(parseFrameFilter);
}

/** The inverse of parseFrameFilter (the UI writes these into the URL and the API request). */
export function formatFrameFilter(filter: FrameFilter): string {
  switch (filter.kind) {
    case 'hide':
    case 'focus':
    case 'show-from':
      return `${filter.kind}:${filter.match.kind}:${filter.match.value}`;
    case 'collapse-recursion':
      return 'collapse-recursion';
    case 'preset':
      return `preset:${filter.preset}`;
    case 'my-code':
      return `my-code:${filter.prefixes.join(',')}`;
  }
}

type NamePredicate = (name: string) => boolean;

function matcherPredicate(match: FrameMatcher): NamePredicate {
  if (match.kind === 'name') return (name) => name === match.value;
  const regex = compileUserRegex(match.value);
  return (name) => regex.matchesPart(name);
}

function presetPredicate(preset: FramePresetId): NamePredicate {
  const regexes = FRAME_PRESET_PATTERNS[preset].map((pattern) => compileUserRegex(pattern));
  return (name) => regexes.some((regex) => regex.matchesPart(name));
}

/** One flag per distinct name: the predicate runs names.length times, never nodeCount times. */
function flagNames(tree: CallTree, predicate: NamePredicate): Uint8Array {
  const flags = new Uint8Array(tree.names.length);
  for (let i = 0; i < tree.names.length; i++) flags[i] = predicate(tree.names[i]!) ? 1 : 0;
  return flags;
}

/**
 * (parent, name) → node for the output tree, one probe per lookup-or-insert. Sized once for the
 * input's node count (the output never has more nodes), so it never grows; slots interleave
 * parent+1 (0 = empty), name and node so a probe touches one cache line, where core's ChildTable
 * (three arrays, get then set) costs about three times as much on a 1M-node tree.
 */
class SiblingTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(maxEntries: number) {
    let capacity = 1 << 10;
    while (capacity < maxEntries * 2) capacity <<= 1;
    this.slots = new Int32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  getOrInsert(parent: number, name: number, node: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(name + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    const slots = this.slots;
    // At most half full, so an empty slot is always found.
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * 3;
      const key = slots[at]!;
      if (key === 0) {
        slots[at] = parent + 1;
        slots[at + 1] = name;
        slots[at + 2] = node;
        return node;
      }
      if (key === parent + 1 && slots[at + 1] === name) return slots[at + 2]!;
    }
  }
}

/**
 * Builds the output tree on typed arrays. Nodes are created in input order, so a parent always gets
 * a smaller index than its children (CallTree's invariant); names are renumbered to the ones used.
 */
class TreeWriter {
  readonly parent: Int32Array;
  readonly oldName: Int32Array;
  readonly self: Float64Array;
  count = 1;
  private readonly children: SiblingTable | undefined;
  private readonly newName: Int32Array;
  private readonly names: string[] = [];
  /**
   * 1 = this output node may receive children from more than one input node, so a new child must
   * be looked up among its siblings. Only such nodes pay for the hash table: a node fed by one input
   * node (the common case below the filtered frames) gets unique children for free, since input
   * siblings never share a name.
   */
  private readonly multi: Uint8Array;
  /** Children of each output node as a linked list, to register them when a node turns multi. */
  private readonly firstChild: Int32Array;
  private readonly nextSibling: Int32Array;

  constructor(
    private readonly source: CallTree,
    merging: boolean,
  ) {
    const capacity = source.nodeCount;
    this.parent = new Int32Array(capacity).fill(-1);
    this.oldName = new Int32Array(capacity).fill(-1);
    this.self = new Float64Array(capacity);
    this.newName = new Int32Array(source.names.length).fill(-1);
    this.children = merging ? new SiblingTable(capacity) : undefined;
    this.multi = new Uint8Array(merging ? capacity : 0);
    this.firstChild = new Int32Array(merging ? capacity : 0).fill(-1);
    this.nextSibling = new Int32Array(merging ? capacity : 0).fill(-1);
  }

  /** Says that other input nodes will map into `node` (a hidden or folded child's children land there). */
  markMulti(node: number): void {
    if (this.multi[node]) return;
    this.multi[node] = 1;
    // Children made while it had one source were not registered; later ones must find them.
    for (let child = this.firstChild[node]!; child >= 0; child = this.nextSibling[child]!) this.children!.getOrInsert(node, this.oldName[child]!, child);
  }

  /**
   * The child of `parentNode` named like input name `oldNameIndex`, created on first use.
   * `receivesOthers`: the input node being copied has children that will map into this output node.
   */
  child(parentNode: number, oldNameIndex: number, receivesOthers: boolean): number {
    let node: number;
    if (!this.multi[parentNode]) {
      node = this.link(parentNode, oldNameIndex);
    } else {
      node = this.children!.getOrInsert(parentNode, oldNameIndex, this.count);
      if (node === this.count) this.link(parentNode, oldNameIndex);
      // A second input node merged into this one: its children may meet the first one's.
      else this.markMulti(node);
    }
    if (receivesOthers) this.markMulti(node);
    return node;
  }

  private link(parentNode: number, oldNameIndex: number): number {
    const node = this.append(parentNode, oldNameIndex);
    this.nextSibling[node] = this.firstChild[parentNode]!;
    this.firstChild[parentNode] = node;
    return node;
  }

  /** A new node without a sibling lookup (only when the caller knows names stay unique). */
  append(parentNode: number, oldNameIndex: number): number {
    const node = this.count++;
    this.parent[node] = parentNode;
    this.oldName[node] = oldNameIndex;
    return node;
  }

  finish(): CallTree {
    const nodeCount = this.count;
    const parent = this.parent.slice(0, nodeCount);
    const self = this.self.slice(0, nodeCount);
    const total = self.slice();
    const nameIndex = new Int32Array(nodeCount);
    nameIndex[ROOT_NODE] = -1;
    for (let node = 1; node < nodeCount; node++) {
      const old = this.oldName[node]!;
      let id = this.newName[old]!;
      if (id < 0) {
        id = this.names.length;
        this.newName[old] = id;
        this.names.push(this.source.names[old]!);
      }
      nameIndex[node] = id;
    }
    for (let node = nodeCount - 1; node > 0; node--) total[parent[node]!]! += total[node]!;
    return { names: this.names, nodeCount, parent, nameIndex, self, total };
  }
}

/**
 * Removes every frame whose name is flagged: its callees join its caller (merging with same-named
 * siblings) and its self value goes to the caller. The root total is unchanged.
 */
export function hideFrames(tree: CallTree, hidden: Uint8Array): CallTree {
  if (!hidden.includes(1)) return tree;
  const hasHiddenChild = new Uint8Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) if (hidden[tree.nameIndex[node]!]) hasHiddenChild[tree.parent[node]!] = 1;
  const writer = new TreeWriter(tree, true);
  if (hasHiddenChild[ROOT_NODE]) writer.markMulti(ROOT_NODE);
  const mapped = new Int32Array(tree.nodeCount);
  writer.self[ROOT_NODE] = tree.self[ROOT_NODE] ?? 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const into = mapped[tree.parent[node]!]!;
    const name = tree.nameIndex[node]!;
    const target = hidden[name] ? into : writer.child(into, name, hasHiddenChild[node] === 1);
    mapped[node] = target;
    writer.self[target]! += tree.self[node]!;
  }
  return writer.finish();
}

/**
 * Keeps only stacks through a flagged frame, with their callers. Root total = Σ total of the
 * outermost flagged nodes.
 */
export function focusFrames(tree: CallTree, flagged: Uint8Array): CallTree {
  const inside = new Uint8Array(tree.nodeCount);
  const keptTotal = new Float64Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) {
    if (inside[tree.parent[node]!] || flagged[tree.nameIndex[node]!]) {
      inside[node] = 1;
      keptTotal[node] = tree.self[node]!;
    }
  }
  for (let node = tree.nodeCount - 1; node > 0; node--) keptTotal[tree.parent[node]!]! += keptTotal[node]!;
  // A subset of the input: siblings stay unique, so no lookup table is needed.
  const writer = new TreeWriter(tree, false);
  const mapped = new Int32Array(tree.nodeCount).fill(-1);
  mapped[ROOT_NODE] = ROOT_NODE;
  for (let node = 1; node < tree.nodeCount; node++) {
    if (keptTotal[node] === 0) continue;
    const into = mapped[tree.parent[node]!]!;
    if (into < 0) continue;
    const copy = writer.append(into, tree.nameIndex[node]!);
    mapped[node] = copy;
    if (inside[node]) writer.self[copy] = tree.self[node]!;
  }
  return writer.finish();
}

/**
 * Re-roots every stack at its outermost flagged frame (stacks without one are dropped); flagged
 * frames of one name merge into one child of the root. Root total as focusFrames.
 */
export function showFromFrames(tree: CallTree, flagged: Uint8Array): CallTree {
  const writer = new TreeWriter(tree, true);
  // Flagged frames from anywhere become children of the root: they may share names.
  writer.markMulti(ROOT_NODE);
  // -1: not (yet) below a flagged frame.
  const mapped = new Int32Array(tree.nodeCount).fill(-1);
  for (let node = 1; node < tree.nodeCount; node++) {
    const into = mapped[tree.parent[node]!]!;
    const name = tree.nameIndex[node]!;
    let target = -1;
    if (into >= 0) target = writer.child(into, name, false);
    else if (flagged[name]) target = writer.child(ROOT_NODE, name, false);
    if (target < 0) continue;
    mapped[node] = target;
    writer.self[target]! += tree.self[node]!;
  }
  return writer.finish();
}

/** Folds direct recursion (a → a → a becomes one a; a → b → a stays). The root total is unchanged. */
export function collapseRecursion(tree: CallTree): CallTree {
  let recursive = false;
  for (let node = 1; node < tree.nodeCount && !recursive; node++) recursive = tree.nameIndex[node] === tree.nameIndex[tree.parent[node]!];
  if (!recursive) return tree;
  // A node with a same-named child: that child (and its own same-named chain) folds into its copy.
  const foldsChild = new Uint8Array(tree.nodeCount);
  for (let node = 1; node < tree.nodeCount; node++) if (tree.nameIndex[node] === tree.nameIndex[tree.parent[node]!]) foldsChild[tree.parent[node]!] = 1;
  const writer = new TreeWriter(tree, true);
  const mapped = new Int32Array(tree.nodeCount);
  writer.self[ROOT_NODE] = tree.self[ROOT_NODE] ?? 0;
  for (let node = 1; node < tree.nodeCount; node++) {
    const into = mapped[tree.parent[node]!]!;
    const name = tree.nameIndex[node]!;
    const target = into !== ROOT_NODE && writer.oldName[into] === name ? into : writer.child(into, name, foldsChild[node] === 1);
    mapped[node] = target;
    writer.self[target]! += tree.self[node]!;
  }
  return writer.finish();
}

/** One filter. Regexes in the filter were checked by parseFrameFilter; a raw object is compiled here. */
export function applyFrameFilter(tree: CallTree, filter: FrameFilter): CallTree {
  switch (filter.kind) {
    case 'hide':
      return hideFrames(tree, flagNames(tree, matcherPredicate(filter.match)));
    case 'focus':
      return focusFrames(tree, flagNames(tree, matcherPredicate(filter.match)));
    case 'show-from':
      return showFromFrames(tree, flagNames(tree, matcherPredicate(filter.match)));
    case 'collapse-recursion':
      return collapseRecursion(tree);
    case 'preset':
      return hideFrames(tree, flagNames(tree, presetPredicate(filter.preset)));
    case 'my-code': {
      const { prefixes } = filter;
      return hideFrames(tree, flagNames(tree, (name) => !prefixes.some((prefix) => name.startsWith(prefix))));
    }
  }
}

/**
 * Recent results per input tree. The server keeps merged trees in a cache and every zoom or LOD
 * re-query of a filtered view starts from the same tree object, so the same filters would be redone
 * (hundreds of ms on a 1M-node tree) per request. Keyed weakly: results go when the tree goes.
 */
const recentResults = new WeakMap<CallTree, Map<string, CallTree>>();
const RESULTS_PER_TREE = 2;

/** Filters in order (each one sees the previous one's output). No filters: the same tree. */
export function applyFrameFilters(tree: CallTree, filters: readonly FrameFilter[] | undefined): CallTree {
  if (!filters || filters.length === 0) return tree;
  // JSON, not a join: a frame name may contain any separator.
  const key = JSON.stringify(filters.map(formatFrameFilter));
  let recent = recentResults.get(tree);
  const known = recent?.get(key);
  if (known) return known;
  let result = tree;
  for (const filter of filters) result = applyFrameFilter(result, filter);
  if (!recent) {
    recent = new Map();
    recentResults.set(tree, recent);
  }
  if (recent.size >= RESULTS_PER_TREE) recent.delete(recent.keys().next().value!);
  recent.set(key, result);
  return result;
}
