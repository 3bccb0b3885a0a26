import { describe, expect, it } from 'vitest';
import { rowAt } from '../../src/codec/histogram-row.js';
import { Relabeler, decodeWriteRequestV1, decodeWriteRequestV2, encodeRemoteWriteV1, parseRelabelConfigs } from '../../src/ingest/index.js';
import { encodeV1, encodeV2 } from './protos.js';

/** Native histograms as Prometheus puts them on the wire, encoded by protobufjs from the real schemas. */

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

const INT_HIST = {
  countInt: 12,
  sum: 18.4,
  schema: 1,
  zeroThreshold: 0.001,
  zeroCountInt: 2,
  negativeSpans: [{ offset: 0, length: 2 }],
  negativeDeltas: [1, 1],
  positiveSpans: [
    { offset: -1, length: 2 },
    { offset: 2, length: 1 },
  ],
  positiveDeltas: [2, -1, 3],
  resetHint: 2,
  timestamp: 1700000000000,
};

describe('native histograms in remote write', () => {
  it('turns remote write 1.0 integer (delta) counts into absolute counts', () => {
    const b = decodeWriteRequestV1(encodeV1({ timeseries: [{ labels: L({ __name__: 'h' }), histograms: [INT_HIST] }] }));
    const h = rowAt(b.histogramRows!, 0);
    expect(b.histogramRows!.timestamps[0]).toBe(1700000000000);
    expect({ schema: h.schema, count: h.count, zero: h.zeroCount, sum: h.sum, hint: h.counterResetHint, zt: h.zeroThreshold }).toEqual({
      schema: 1,
      count: 12,
      zero: 2,
      sum: 18.4,
      hint: 2,
      zt: 0.001,
    });
    expect([...h.positiveBuckets]).toEqual([2, 1, 4]);
    expect([...h.negativeBuckets]).toEqual([1, 2]);
    expect(h.positiveSpans).toEqual([
      { offset: -1, length: 2 },
      { offset: 2, length: 1 },
    ]);
  });

  it('reads remote write 2.0 float histograms with custom buckets (schema -53)', () => {
    const b = decodeWriteRequestV2(
      encodeV2({
        symbols: ['', '__name__', 'h'],
        timeseries: [
          {
            labelsRefs: [1, 2],
            histograms: [
              {
                countFloat: 3.5,
                sum: 2,
                schema: -53,
                positiveSpans: [{ offset: 0, length: 2 }],
                positiveCounts: [1.5, 2],
                customValues: [0.25, 1],
                timestamp: 7,
              },
            ],
          },
        ],
      }),
    );
    const h = rowAt(b.histogramRows!, 0);
    expect(h.schema).toBe(-53);
    expect([...h.customValues]).toEqual([0.25, 1]);
    expect([...h.positiveBuckets]).toEqual([1.5, 2]);
    expect(b.dropped.series).toBe(0);
  });

  it('reads what the test encoder writes as it reads what protobufjs writes', () => {
    const theirs = rowAt(decodeWriteRequestV1(encodeV1({ timeseries: [{ labels: L({ __name__: 'h' }), histograms: [INT_HIST] }] })).histogramRows!, 0);
    for (const integer of [true, false]) {
      const body = encodeRemoteWriteV1([{ labels: L({ __name__: 'h' }), histograms: [{ timestamp: 1700000000000, histogram: theirs, integer }] }], {
        compress: false,
      });
      const b = decodeWriteRequestV1(body);
      expect(rowAt(b.histogramRows!, 0)).toEqual(theirs);
      expect(b.histogramRows!.timestamps[0]).toBe(1700000000000);
    }
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    [
      'spans that do not add up',
      { countInt: 2, positiveSpans: [{ offset: 0, length: 3 }], positiveDeltas: [1, 1] },
      'positive spans add up to 3 buckets but 2 bucket counts were given',
    ],
    [
      'a negative bucket count from deltas',
      { countInt: 2, positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1, -2] },
      'positive bucket 1 has a negative count (-1)',
    ],
    [
      'a negative float count',
      { countFloat: 2, negativeSpans: [{ offset: 0, length: 1 }], negativeCounts: [-1] },
      'negative bucket 0 has a negative count (-1)',
    ],
    ['schema 9', { schema: 9 }, 'schema 9 is out of range'],
    ['schema -5', { schema: -5 }, 'schema -5 is out of range'],
    [
      'a second span with a negative offset',
      {
        countInt: 2,
        positiveSpans: [
          { offset: 0, length: 1 },
          { offset: -2, length: 1 },
        ],
        positiveDeltas: [1, 0],
      },
      'positive span 1 has a negative offset (-2)',
    ],
    [
      'a count below the buckets',
      { countInt: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [3] },
      'count 1 is smaller than the sum of the bucket counts 3',
    ],
    ['integer and float counts mixed', { countInt: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveCounts: [1] }, 'mixes integer'],
    ['custom bounds that do not increase', { countFloat: 1, schema: -53, customValues: [1, 1] }, 'custom_values must increase strictly'],
    [
      'a custom-bucket index past the bounds',
      { countFloat: 1, schema: -53, customValues: [1], positiveSpans: [{ offset: 0, length: 3 }], positiveCounts: [0, 0, 1] },
      'bucket index 2 but only 1 custom_values',
    ],
  ];
  for (const [what, hist, reason] of invalid) {
    it(`drops the series of a histogram with ${what}, naming it, and keeps the others`, () => {
      const b = decodeWriteRequestV1(
        encodeV1({
          timeseries: [
            { labels: L({ __name__: 'bad' }), samples: [{ value: 1, timestamp: 1 }], histograms: [hist] },
            { labels: L({ __name__: 'good' }), histograms: [INT_HIST] },
          ],
        }),
      );
      expect(b.dropped.series).toBe(1);
      expect(b.dropped.reasons[0]).toContain('bad');
      expect(b.dropped.reasons[0]).toContain(reason);
      expect(b.sampleCount).toBe(0);
      expect(b.histograms).toBe(1);
      expect(b.keys.length).toBe(1);
      expect(b.labels(b.histogramRows!.seriesIndex[0]!)).toEqual(L({ __name__: 'good' }));
    });
  }
});

describe('relabeling native histogram samples', () => {
  it('keeps the histograms of kept series under their new labels and drops those of dropped series', () => {
    const relabeler = new Relabeler(
      parseRelabelConfigs('- action: drop\n  source_labels: [__name__]\n  regex: gone\n- action: replace\n  target_label: env\n  replacement: prod\n'),
    );
    const b = relabeler.relabelBatch(
      decodeWriteRequestV1(
        encodeV1({
          timeseries: [
            { labels: L({ __name__: 'gone' }), histograms: [INT_HIST] },
            { labels: L({ __name__: 'kept' }), histograms: [INT_HIST, { ...INT_HIST, timestamp: INT_HIST.timestamp + 1 }] },
          ],
        }),
      ),
    );
    expect(b.histograms).toBe(2);
    const rows = b.histogramRows!;
    expect([...rows.timestamps]).toEqual([1700000000000, 1700000000001]);
    expect(b.labels(rows.seriesIndex[0]!)).toEqual(L({ __name__: 'kept', env: 'prod' }));
    expect([...rowAt(rows, 1).positiveBuckets]).toEqual([2, 1, 4]);
  });
});
