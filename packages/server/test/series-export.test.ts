import { create, toBinary, toJson } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { LabelPairs } from '@cinder/core';
import { SelectSeriesResponseSchema, SeriesResponseSchema } from '../src/gen/querier/v1/querier_pb.js';
import { selectSeriesResponseBytes, selectSeriesResponseJson, seriesResponseBytes, seriesResponseJson } from '../src/query/seriesExport.js';
import type { SeriesResult } from '../src/query/service.js';

/**
 * Differential tests of the hand-written Series / SelectSeries encoders (the Connect fast path):
 * bytes equal protobuf-es's toBinary and JSON equals its toJson of the message Connect's handler
 * builds from the same answer.
 */
const pairs = (labels: LabelPairs) => labels.map(([name, value]) => ({ name, value }));

const labelCases: [string, LabelPairs[]][] = [
  ['none', []],
  ['an empty label set', [[]]],
  ['empty names and values', [[['', 'v'], ['n', ''], ['', '']]]],
  [
    'unicode, quotes, control characters, lone surrogates',
    [
      [
        ['service_name', 'ö"\\\n\u0001😀'],
        ['a.b/c', '\ud800x'],
      ],
      [['__name__', 'process_cpu']],
    ],
  ],
  ['many', Array.from({ length: 3000 }, (_, i) => [['service_name', `svc-${i % 40}`], ['pod', `p-${i}`], ['__profile_type__', 'memory:inuse_space:bytes:space:bytes']] as LabelPairs)],
];

const seriesCases: [string, SeriesResult[]][] = [
  ['none', []],
  ['no labels, no points', [{ labels: [], points: [] }]],
  [
    'edge values',
    [
      {
        labels: [['service_name', 'a']],
        points: [
          { timestampMs: 0, value: 0 },
          { timestampMs: 1, value: -0 },
          { timestampMs: -5, value: 1.5 },
          { timestampMs: 1795930000000, value: Number.NaN },
          { timestampMs: 2, value: Number.POSITIVE_INFINITY },
          { timestampMs: 3, value: Number.NEGATIVE_INFINITY },
          { timestampMs: 4, value: 2 ** 70 },
          { timestampMs: 5, value: 5e-324 },
        ],
      },
      { labels: [['', '']], points: [{ timestampMs: 7, value: 3 }] },
    ],
  ],
  ['many', Array.from({ length: 300 }, (_, i) => ({ labels: [['service_name', `svc-${i}`]] as LabelPairs, points: Array.from({ length: 50 }, (_, j) => ({ timestampMs: 1795930000000 + j * 15000, value: (i * j) / 7 })) }))],
];

describe('Series encoder', () => {
  it.each(labelCases)('%s: bytes equal toBinary, JSON equals toJson', (_name, sets) => {
    const reference = create(SeriesResponseSchema, { labelsSet: sets.map((labels) => ({ labels: pairs(labels) })) });
    expect(Buffer.from(seriesResponseBytes(sets)).equals(Buffer.from(toBinary(SeriesResponseSchema, reference)))).toBe(true);
    expect(seriesResponseJson(sets)).toBe(JSON.stringify(toJson(SeriesResponseSchema, reference)));
  });
});

describe('SelectSeries encoder', () => {
  it.each(seriesCases)('%s: bytes equal toBinary, JSON equals toJson', (_name, series) => {
    const reference = create(SelectSeriesResponseSchema, {
      series: series.map((entry) => ({ labels: pairs(entry.labels), points: entry.points.map((p) => ({ value: p.value, timestamp: BigInt(p.timestampMs) })) })),
    });
    expect(Buffer.from(selectSeriesResponseBytes(series)).equals(Buffer.from(toBinary(SelectSeriesResponseSchema, reference)))).toBe(true);
    expect(selectSeriesResponseJson(series)).toBe(JSON.stringify(toJson(SelectSeriesResponseSchema, reference)));
  });

  it('fails on a timestamp that is not a whole number, as the Connect path did', () => {
    const series: SeriesResult[] = [{ labels: [], points: [{ timestampMs: 1.5, value: 1 }] }];
    expect(() => selectSeriesResponseBytes(series)).toThrow(RangeError);
    expect(() => selectSeriesResponseJson(series)).toThrow(RangeError);
  });
});
