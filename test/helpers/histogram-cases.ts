/**
 * Native-histogram series for the histogram chunk tests: each exercises a way Prometheus's head
 * cuts or widens a chunk. Shared by the encoder's golden test and the end-to-end comparison with
 * Prometheus 2.42.
 */
import type { EncodeHistogram } from '../../src/ingest/index.js';
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../../src/model/index.js';

export interface HistogramCase {
  name: string;
  integer: boolean;
  make: (i: number) => FloatHistogram;
  /** Each chunk's header byte (its top two bits: 00 unknown, 80 counter reset, c0 gauge). */
  headers: string[];
}

/** An empty exponential (schema 0) histogram with the fields of `over` set. */
export function histogramOf(over: Partial<FloatHistogram>): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: CounterResetHint.Unknown,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: new Float64Array(0),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
    ...over,
  };
}

export function hist(
  schema: number,
  zeroThreshold: number,
  zeroCount: number,
  sum: number,
  pos: [BucketSpan[], number[]],
  neg: [BucketSpan[], number[]] = [[], []],
  hint: CounterResetHint = CounterResetHint.Unknown,
): FloatHistogram {
  const count = zeroCount + pos[1].reduce((a, b) => a + b, 0) + neg[1].reduce((a, b) => a + b, 0);
  return {
    schema,
    counterResetHint: hint,
    zeroThreshold,
    zeroCount,
    count,
    sum,
    positiveSpans: pos[0],
    positiveBuckets: Float64Array.from(pos[1]),
    negativeSpans: neg[0],
    negativeBuckets: Float64Array.from(neg[1]),
    customValues: new Float64Array(0),
  };
}

/**
 * Fewer than 30 samples per chunk and one two-hour window: Prometheus's head then cuts only where
 * the data says so. Each series ends with one sample of another schema (and no gauge hint): 2.42
 * re-encodes the head's open chunk for a read, losing its header bits (and failing on a gauge
 * chunk whose counts go down), so the open chunk is made a one-sample chunk cut for no reset.
 */
export const H_SAMPLES = 24;
const closing = (i: number, integer: boolean): FloatHistogram => {
  const b = integer ? 1000 + i : 1000.5 + i;
  return hist(4, 0, 0, b, [[{ offset: 3, length: 1 }], [b]]);
};
const ZT = 2 ** -128;
export const HISTOGRAM_CASES: HistogramCase[] = [
  {
    // A bucket appears at 5 (the chunk is widened), the counts drop at 12 (counter reset).
    name: 'rr_h_int',
    integer: true,
    headers: ['00', '80', '00'],
    make: (i) => {
      const b = i < 12 ? i + 1 : i - 11;
      const pos: [BucketSpan[], number[]] =
        i < 5
          ? [[{ offset: 0, length: 2 }], [b, 2 * b]]
          : [
              [
                { offset: 0, length: 2 },
                { offset: 1, length: 1 },
              ],
              [b, 2 * b, 7 * b * b],
            ];
      return hist(0, ZT, b, b * 3.25, pos, [[{ offset: -1, length: 1 }], [b]]);
    },
  },
  {
    // Float counts; the schema changes at 10 and the zero threshold is no power of two.
    name: 'rr_h_float',
    integer: false,
    headers: ['00', '00', '00'],
    make: (i) => {
      const b = (i + 1) * 0.3;
      return hist(i < 10 ? 2 : 1, 0.001, b / 2, b * 1.7, [[{ offset: -2, length: 3 }], [b, b * 1.5, b * 2.25]], [[{ offset: 1, length: 2 }], [b / 3, b / 5]]);
    },
  },
  {
    // A gauge histogram: counts go up and down, a bucket vanishes at 8, another appears at 10.
    name: 'rr_h_gauge',
    integer: true,
    headers: ['c0', '00'],
    make: (i) => {
      const b = 10 + ((i * 7) % 5) - 2;
      const pos: [BucketSpan[], number[]] =
        i < 8
          ? [[{ offset: 1, length: 3 }], [b, b + 1, b % 3]]
          : i < 10
            ? [[{ offset: 1, length: 2 }], [b, b + 4]]
            : [
                [
                  { offset: 1, length: 2 },
                  { offset: 2, length: 1 },
                ],
                [b, 3, 1],
              ];
      return hist(3, 0, i % 4, b * 0.5, pos, [[], []], CounterResetHint.Gauge);
    },
  },
  {
    // Counts keep rising but the sender says 15 is a counter reset.
    name: 'rr_h_hint',
    integer: true,
    headers: ['00', '80', '00'],
    make: (i) => hist(-1, ZT, 0, i * 10, [[{ offset: 0, length: 1 }], [i * 2 + 1]], [[], []], i === 15 ? CounterResetHint.Reset : CounterResetHint.Unknown),
  },
];

/** A case's samples every 15 s from t0, its last one the closing sample. */
export function caseSamples(c: HistogramCase, t0: number): EncodeHistogram[] {
  return Array.from({ length: H_SAMPLES }, (_, i) => ({
    timestamp: t0 + i * 15_000,
    histogram: i === H_SAMPLES - 1 ? closing(i, c.integer) : c.make(i),
    integer: c.integer,
  }));
}
