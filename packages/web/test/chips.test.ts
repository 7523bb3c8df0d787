import { parseSelector, type Matcher } from '@cinder/core';
import { describe, expect, it } from 'vitest';
import { breakdownRows } from '../src/components/LabelBreakdown.js';
import { chipKey, chipText, isRegexChip, withValueChip } from '../src/state/chips.js';
import { buildQuery, formatSelector } from '../src/state/selector.js';
import { formatViewState, parseViewState, DEFAULT_VIEW_STATE } from '../src/state/viewState.js';

/** Values a person can type into a chip, including the characters a selector has to escape. */
const AWKWARD: Matcher[] = [
  { name: 'region', op: '=', value: 'eu' },
  { name: 'path', op: '!=', value: 'say "hi"' },
  { name: 'dir', op: '=~', value: 'C:\\\\Users\\\\.*' },
  { name: 'file', op: '!~', value: 'a\\.b|"q"\\\\' },
  { name: 'note', op: '=', value: 'tab\tnew\nline & ?=#%' },
  { name: 'empty', op: '=', value: '' },
  { name: 'k8s.pod', op: '=', value: 'x=y' },
];

describe('filter chips ⇄ selector', () => {
  it('a chip reads as the matcher the server parses, backslashes and quotes included', () => {
    expect(chipText({ name: 'region', op: '=', value: 'eu' })).toBe('region="eu"');
    expect(chipText({ name: 'path', op: '!=', value: 'say "hi"' })).toBe('path!="say \\"hi\\""');
    expect(chipText({ name: 'dir', op: '=~', value: 'a\\.b' })).toBe('dir=~"a\\\\.b"');
    for (const matcher of AWKWARD) expect(parseSelector(`{${chipText(matcher)}}`)).toEqual([matcher]);
  });

  it('the query sent for a set of chips parses back to exactly those chips', () => {
    expect(parseSelector(formatSelector(AWKWARD))).toEqual(AWKWARD);
    const query = buildQuery('process_cpu:cpu:nanoseconds:cpu:nanoseconds', ['api'], AWKWARD);
    const selector = query.slice(query.indexOf('{'));
    expect(parseSelector(selector)).toEqual([{ name: 'service_name', op: '=', value: 'api' }, ...AWKWARD]);
  });

  it('chips round-trip through the URL, in order, whatever their values', () => {
    const url = formatViewState({ ...DEFAULT_VIEW_STATE, services: ['api'], filters: AWKWARD });
    expect(parseViewState(url).filters).toEqual(AWKWARD);
    // And through the address bar's own encoding (what a reload reads).
    const reloaded = new URL(`http://127.0.0.1/pyroscope${url}`);
    expect(parseViewState(reloaded.search).filters).toEqual(AWKWARD);
  });

  it('identity, regex detection and a breakdown click', () => {
    expect(chipKey({ name: 'a', op: '=', value: 'b=c' })).not.toBe(chipKey({ name: 'a', op: '=', value: 'b' }));
    expect(AWKWARD.filter(isRegexChip).map((m) => m.name)).toEqual(['dir', 'file']);
    const filters: Matcher[] = [
      { name: 'region', op: '=~', value: 'eu|us' },
      { name: 'env', op: '=', value: 'prod' },
    ];
    expect(withValueChip(filters, 'region', 'us')).toEqual([
      { name: 'env', op: '=', value: 'prod' },
      { name: 'region', op: '=', value: 'us' },
    ]);
    expect(withValueChip([], 'pod', '')).toEqual([{ name: 'pod', op: '=', value: '' }]);
  });
});

describe('labels breakdown rows', () => {
  it('sums each value, orders by share and keeps series without the label as ""', () => {
    const rows = breakdownRows(
      {
        stepMs: 10_000,
        series: [
          { labels: { region: 'us' }, points: [[20_000, 1], [10_000, 2]] },
          { labels: { region: 'eu' }, points: [[10_000, 6]] },
          { labels: {}, points: [[10_000, 1]] },
        ],
      },
      'region',
    );
    expect(rows.map((r) => [r.value, r.sum, r.share])).toEqual([
      ['eu', 6, 0.6],
      ['us', 3, 0.3],
      ['', 1, 0.1],
    ]);
    expect(rows[1]!.points).toEqual([[10_000, 2], [20_000, 1]]);
    expect(breakdownRows({ stepMs: 1, series: [] }, 'x')).toEqual([]);
  });
});
