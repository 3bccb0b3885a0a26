/**
 * Counter-reset hints as a Prometheus TSDB returns them for the same appended samples: `Unknown`
 * where its appender starts a chunk, `NotReset` inside a chunk, `Gauge` for gauges; the hints
 * the samples were written with do not survive otherwise.
 */
import { describe, expect, it } from 'vitest';
import { CounterResetHint, STALE_NAN, type FloatHistogram } from '../../src/model/index.js';
import { tsdbResetHints } from '../../src/storage/index.js';

const U = CounterResetHint.Unknown;
const R = CounterResetHint.Reset;
const N = CounterResetHint.NotReset;
const G = CounterResetHint.Gauge;

function h(count: number, hint: CounterResetHint = U, over: Partial<FloatHistogram> = {}): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: hint,
    zeroThreshold: 0.001,
    zeroCount: 0,
    count,
    sum: count,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: Float64Array.from([count / 2, count / 2]),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
    ...over,
  };
}

function hints(hs: FloatHistogram[], floats?: number[]): CounterResetHint[] {
  const timestamps = Float64Array.from(hs, (_, i) => 1000 * (i + 1));
  return tsdbResetHints({ timestamps, histograms: hs }, floats && Float64Array.from(floats)).histograms.map((x) => x.counterResetHint);
}

describe('counter-reset hints as Prometheus TSDB returns them', () => {
  it('says Unknown for the first sample and NotReset for the samples continuing its chunk', () => {
    expect(hints([h(1), h(2), h(2), h(5)])).toEqual([U, N, N, N]);
  });

  it('starts a chunk (Unknown) where the values go down, whatever hint was written', () => {
    expect(hints([h(10), h(4, N), h(6, N)])).toEqual([U, U, N]);
  });

  it('starts a chunk (Unknown) at an explicit reset hint, so PromQL judges the values', () => {
    expect(hints([h(10), h(20, R), h(30)])).toEqual([U, U, N]);
  });

  it('starts a chunk at a schema, zero-threshold or custom-bounds change', () => {
    expect(hints([h(1), h(2, U, { schema: 1 })])).toEqual([U, U]);
    expect(hints([h(1), h(2, U, { zeroThreshold: 0.01 })])).toEqual([U, U]);
    const c = (n: number, bounds: number[]) => h(n, U, { schema: -53, zeroThreshold: 0, customValues: Float64Array.from(bounds) });
    expect(hints([c(1, [1, 2]), c(2, [1, 2]), c(3, [1, 3])])).toEqual([U, N, U]);
  });

  it('starts a chunk when a populated bucket disappears or shrinks, not when a bucket is added or an empty one goes', () => {
    const spans = (offset: number, counts: number[]): Partial<FloatHistogram> => ({
      positiveSpans: [{ offset, length: counts.length }],
      positiveBuckets: Float64Array.from(counts),
    });
    expect(hints([h(2, U, spans(0, [1, 1])), h(3, U, spans(0, [1, 1, 1]))])).toEqual([U, N]);
    expect(hints([h(2, U, spans(0, [1, 1])), h(3, U, spans(1, [3]))])).toEqual([U, U]);
    expect(hints([h(2, U, spans(0, [0, 2])), h(3, U, spans(1, [3]))])).toEqual([U, N]);
    expect(hints([h(2, U, spans(0, [1, 1])), h(3, U, spans(0, [0, 3]))])).toEqual([U, U]);
  });

  it('starts a chunk after a float sample of the same series', () => {
    expect(hints([h(1), h(2), h(3)], [2500])).toEqual([U, N, U]);
  });

  it('keeps gauges as Gauge and starts a chunk where counters follow a gauge', () => {
    expect(hints([h(5, G), h(1, G), h(2)])).toEqual([G, G, U]);
  });

  it('starts a chunk after a stale marker', () => {
    expect(hints([h(1), h(2, U, { sum: STALE_NAN }), h(3)])).toEqual([U, N, U]);
  });
});
