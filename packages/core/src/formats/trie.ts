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
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';

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

function walk(bytes: Uint8Array, format: string, visit: (parent: number, label: string, value: number) => number, severalRoots = false): void {
  const reader = new Reader(bytes, format);
  // Explicit stack of (node id, children left) so deep trees cannot overflow the JS stack.
  const pending: { id: number; left: number }[] = [];
  const readNode = (parent: number): void => {
    const label = reader.string();
    const value = reader.uvarint();
    const children = reader.uvarint();
    const id = visit(parent, label, value);
    if (children > bytes.length) reader.fail(`${children} children cannot fit in the body`);
    pending.push({ id, left: children });
  };
  while (!reader.done) {
    readNode(-1);
    while (pending.length > 0) {
      const top = pending[pending.length - 1]!;
      if (top.left === 0) {
        pending.pop();
        continue;
      }
      top.left--;
      readNode(top.id);
    }
    if (!severalRoots && !reader.done) reader.fail('bytes left after the tree ended');
  }
}

export function decodeTreeFormat(bytes: Uint8Array): Profile {
  const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
  const paths: string[][] = [];
  walk(bytes, 'tree', (parent, label, value) => {
    const path = parent < 0 ? [] : [...paths[parent]!, label];
    paths.push(path);
    if (value > 0 && path.length > 0) builder.addSample(path, [value]);
    return paths.length - 1;
  });
  return builder.build();
}

export function decodeTrieFormat(bytes: Uint8Array): Profile {
  const builder = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
  const keys: string[] = [];
  walk(bytes, 'trie', (parent, label, value) => {
    const key = parent < 0 ? label : keys[parent]! + label;
    keys.push(key);
    if (value > 0 && key !== '') builder.addSample(key.split(';'), [value]);
    return keys.length - 1;
  }, true);
  return builder.build();
}
