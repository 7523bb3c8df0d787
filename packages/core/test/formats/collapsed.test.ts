import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ProfileBuilder, decodeCollapsed, decodeLines, encodeCollapsed, totalOf } from '@cinder/core';
import { testdataDir as testdata } from '../testdata.js';
import { errorCode } from '../errorCode.js';


interface ExpectedCollapsed {
  format: string;
  num_valid_lines: number;
  num_invalid_lines: number;
  total_value: number;
  num_distinct_stacks: number;
  top5_leaf_frames_by_self: { name: string; self: number }[];
}
const expected: Record<string, ExpectedCollapsed> = JSON.parse(readFileSync(path.join(testdata, 'expected.json'), 'utf8'));
const collapsedFiles = Object.keys(expected).filter((file) => !file.startsWith('_') && expected[file]!.format === 'collapsed');

describe('collapsed fixtures', () => {
  it('finds the fixtures', () => {
    expect(collapsedFiles.length).toBeGreaterThanOrEqual(6);
  });

  it.each(collapsedFiles)('%s: total, valid lines, distinct stacks and top leaves equal expected.json', (file) => {
    const entry = expected[file]!;
    const profile = decodeCollapsed(readFileSync(path.join(testdata, file), 'utf8'));
    expect(totalOf(profile, 0)).toBe(entry.total_value);
    expect(profile.stacks).toHaveLength(entry.num_valid_lines);
    expect(encodeCollapsed(profile, 0).split('\n')).toHaveLength(entry.num_distinct_stacks);
    expect(profile.names.some((name) => name.includes('\r'))).toBe(false);
    const leaves = new Map<string, number>();
    profile.stacks.forEach((stack, s) => {
      const leaf = profile.names[stack[stack.length - 1]!]!;
      leaves.set(leaf, (leaves.get(leaf) ?? 0) + profile.values[0]![s]!);
    });
    for (const { name, self } of entry.top5_leaf_frames_by_self) expect(leaves.get(name), name).toBe(self);
  });

  it('simple-with-invalids: comments and the line without a count are skipped', () => {
    const profile = decodeCollapsed(readFileSync(path.join(testdata, 'broken/simple-with-invalids.txt'), 'utf8'));
    expect(encodeCollapsed(profile, 0)).toBe('a;b 5\na;b;c 5\na;b;d 4');
  });

  it('simple-crlf: CRLF line ends and no final newline', () => {
    const profile = decodeCollapsed(readFileSync(path.join(testdata, 'collapsed/simple-crlf.txt'), 'utf8'));
    expect(encodeCollapsed(profile, 0)).toBe('a;b 5\na;b;c 5\na;b;d 4');
  });
});

describe('folded text grammar', () => {
  it('takes the count after the last space, so frames may contain spaces', () => {
    const profile = decodeCollapsed('main;void foo(int a, int b) 3\nmain;bar baz\t4\n');
    expect(encodeCollapsed(profile, 0)).toBe('main;bar baz 4\nmain;void foo(int a, int b) 3');
    expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(profile.periodType).toBeNull();
  });

  it('skips blank, comment and count-less lines, and lines whose count is not an integer', () => {
    const text = ['', '# header', '// note', 'a;b 2', 'a;b 1.5', 'a;b 0x10', 'a;b 1e3', 'a;b -1', 'a;b', '  ', 'a;c 1'].join('\n');
    expect(encodeCollapsed(decodeCollapsed(text), 0)).toBe('a;b 2\na;c 1');
  });

  it('rejects a body where no line is a stack, with a message that says what to send', () => {
    expect(errorCode(() => decodeCollapsed('just words\nmore words'))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    expect(errorCode(() => decodeCollapsed('a;b 12x\n'))).toBe(ErrorCodes.INGEST_MALFORMED_TEXT);
    expect(() => decodeCollapsed('nope')).toThrow(/frame;frame;frame <count>/);
    expect(decodeCollapsed('').stacks).toHaveLength(0);
    expect(decodeCollapsed('# only a comment\n').stacks).toHaveLength(0);
  });

  it('lines format: one stack per line, each worth 1, CRLF accepted', () => {
    const profile = decodeLines('a;b\na;b\r\na;c\n\n');
    expect(encodeCollapsed(profile, 0)).toBe('a;b 2\na;c 1');
    expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(profile.periodType).toBeNull();
  });

  it('encodeCollapsed sums equal stacks, drops zeros, sorts, and picks the sample type', () => {
    const builder = new ProfileBuilder([
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    builder.addSample(['b', 'x'], [1, 10]);
    builder.addSample(['a'], [0, 5]);
    builder.addSample(['b', 'x'], [2, 20]);
    const profile = builder.build();
    expect(encodeCollapsed(profile, 0)).toBe('b;x 3');
    expect(encodeCollapsed(profile, 1)).toBe('a 5\nb;x 30');
    expect(encodeCollapsed(profile, 7)).toBe('');
    expect(encodeCollapsed(decodeCollapsed(encodeCollapsed(profile, 1)), 0)).toBe(encodeCollapsed(profile, 1));
  });
});
