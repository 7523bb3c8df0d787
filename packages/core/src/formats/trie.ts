/**
 * Pyroscope's legacy binary upload formats (pkg/og/storage/tree DeserializeNoDict and
 * pkg/og/structs/transporttrie Serialize/IterateRaw). Both are a pre-order walk where every node is
 * `uvarint length, bytes, uvarint value, uvarint childCount` (unsigned LEB128), starting at a root
 * whose bytes are not part of any stack (usually empty):
 * - `tree`: the bytes are a frame name and the value is that node's self value;
 *   e.g. root "" 0 1 → "a" 0 1 → "b" 3 0  is the stack `a;b` worth 3.
 * - `trie`: the bytes are a chunk of the `a;b;c` stack key (a compressed trie); a node's key is
 *   its ancestors' chunks concatenated, and a non-zero value belongs to the stack of that key;
 *   e.g. "" 0 1 → "a;b" 2 2 → {";c" 3 0, ";d" 1 0}  is `a;b 2`, `a;b;c 3`, `a;b;d 1`.
 *   Like upstream's IterateRaw, several tries may follow one another until the end of the body.
 *
 * Both decoders are linear in the body: nodes keep a parent pointer instead of a copy of their
 * path, a sample's stack is copied only up to `maxStackDepth` root-most frames, and the node,
 * sample and frame counts are checked as the walk goes (DecodeLimits).
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';
import { MAX_SAMPLE_VALUE, tooComplex, valueOutOfRange, type DecodeLimits } from './limits.js';

class Reader {
  offset = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(private readonly bytes: Uint8Array, private readonly format: string) {}
  fail(what: string): never {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_TEXT, `format=${this.format} body is malformed at byte ${this.offset}: ${what}`);
  }
  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) this.fail('truncated number');
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    this.fail('number longer than 10 bytes');
  }
  string(): string {
    const length = this.uvarint();
    if (this.offset + length > this.bytes.length) this.fail(`name of ${length} bytes runs past the end`);
    // Most labels are short ASCII (";a", "main"): building those by hand is several times faster
    // than a TextDecoder call per node, which dominated the walk.
    if (length <= 64) {
      const end = this.offset + length;
      let text = '';
      let i = this.offset;
      for (; i < end && this.bytes[i]! < 0x80; i++) text += String.fromCharCode(this.bytes[i]!);
      if (i === end) {
        this.offset = end;
        return text;
      }
    }
    try {
      return this.decoder.decode(this.bytes.subarray(this.offset, (this.offset += length)));
    } catch {
      throw new CinderError(ErrorCodes.INGEST_INVALID_UTF8, `format=${this.format} body holds a name that is not valid UTF-8`);
    }
  }
  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
}

/**
 * Pre-order walk; `visit(parent, label, value)` returns the node's id (parent −1 for a root).
 * Node ids are handed out in visiting order, so an array indexed by id holds every ancestor's
 * state when a node is visited.
 */
function walk(
  bytes: Uint8Array,
  format: string,
  maxNodes: number,
  visit: (parent: number, label: string, value: number) => number,
  severalRoots = false,
): void {
  const reader = new Reader(bytes, format);
  // Explicit stack of (node id, children left) so deep trees cannot overflow the JS stack.
  const pendingIds: number[] = [];
  const pendingLeft: number[] = [];
  let nodes = 0;
  const readNode = (parent: number): void => {
    if (++nodes > maxNodes) throw tooComplex('maxNodes', `at least ${nodes}`, maxNodes);
    const label = reader.string();
    const valueAt = reader.offset;
    const value = reader.uvarint();
    // 10-byte varints reach 2^70: beyond 2^53 the value is no longer exact.
    if (value > MAX_SAMPLE_VALUE) throw valueOutOfRange(`format=${format} value at byte ${valueAt}`, value);
    const children = reader.uvarint();
    const id = visit(parent, label, value);
    if (children > bytes.length) reader.fail(`${children} children cannot fit in the body`);
    pendingIds.push(id);
    pendingLeft.push(children);
  };
  while (!reader.done) {
    readNode(-1);
    while (pendingIds.length > 0) {
      const top = pendingIds.length - 1;
      if (pendingLeft[top] === 0) {
        pendingIds.pop();
        pendingLeft.pop();
        continue;
      }
      pendingLeft[top]!--;
      readNode(pendingIds[top]!);
    }
    if (!severalRoots && !reader.done) reader.fail('bytes left after the tree ended');
  }
}

/** A growable Int32 column indexed by node id. */
class Column {
  data = new Int32Array(1024);
  set(index: number, value: number): void {
    if (index >= this.data.length) {
      const next = new Int32Array(Math.max(this.data.length * 2, index + 1));
      next.set(this.data);
      this.data = next;
    }
    this.data[index] = value;
  }
  get(index: number): number {
    return this.data[index]!;
  }
}

export function decodeTreeFormat(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Profile {
  const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }], null, 0, limits);
  const maxDepth = builder.budget.limits.maxStackDepth;
  // Per node: its parent, name id and depth (root 0), and `kept`: the node itself when its depth
  // is within maxStackDepth, else its ancestor at maxStackDepth — where a truncated stack ends.
  const parentOf = new Column();
  const nameOf = new Column();
  const depthOf = new Column();
  const keptOf = new Column();
  const scratch = new Uint32Array(maxDepth);
  let nextId = 0;
  walk(bytes, 'tree', builder.budget.limits.maxNodes, (parent, label, value) => {
    const id = nextId++;
    const depth = parent < 0 ? 0 : depthOf.get(parent) + 1;
    parentOf.set(id, parent);
    nameOf.set(id, parent < 0 ? 0 : builder.internName(label));
    depthOf.set(id, depth);
    keptOf.set(id, depth > maxDepth ? keptOf.get(parent) : id);
    if (value > 0 && depth > 0) {
      const kept = Math.min(depth, maxDepth);
      let node = keptOf.get(id);
      for (let i = kept - 1; i >= 0; i--) {
        scratch[i] = nameOf.get(node);
        node = parentOf.get(node);
      }
      builder.addStackIds(scratch, depth, [value]);
    }
    return id;
  });
  return builder.build();
}

export function decodeTrieFormat(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Profile {
  const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }], null, 0, limits);
  const { maxStackDepth: maxDepth, maxNodes } = builder.budget.limits;
  // A node's key is its ancestors' chunks concatenated; split by ";" it is a stack. The walk keeps
  // the current path as frame ids (each frame interned once, where its ";" appears) plus the
  // unfinished last frame, and saves per node only how many frames it has and that unfinished
  // frame — so no key is ever rebuilt. Frames past maxStackDepth are only counted.
  const frames = new Uint32Array(maxDepth);
  const frameCountOf = new Column();
  const partialOf: string[] = [];
  let nextId = 0;
  const intern = (name: string): number => {
    builder.budget.names(name.length);
    return builder.internName(name);
  };
  walk(bytes, 'trie', maxNodes, (parent, label, value) => {
    const id = nextId++;
    let count = parent < 0 ? 0 : frameCountOf.get(parent);
    let partial = parent < 0 ? '' : partialOf[parent]!;
    // frames[0 … min(count, maxDepth)) already hold the parent's frames: siblings visited earlier
    // only wrote beyond that.
    let start = 0;
    for (;;) {
      const semicolon = label.indexOf(';', start);
      if (semicolon < 0) break;
      if (count < maxDepth) frames[count] = intern(partial + label.slice(start, semicolon));
      count++;
      partial = '';
      start = semicolon + 1;
    }
    if (count < maxDepth) partial += start === 0 ? label : label.slice(start);
    frameCountOf.set(id, count);
    partialOf[id] = partial;
    if (value > 0 && (count > 0 || partial !== '')) {
      // The key's last piece is a frame too (possibly empty, as upstream's split gives it).
      const depth = count + 1;
      if (count < maxDepth) frames[count] = intern(partial);
      builder.addStackIds(frames, depth, [value]);
      // Keep frames[count] free for siblings: it is rewritten before it is read again.
    }
    return id;
  }, true);
  return builder.build();
}
