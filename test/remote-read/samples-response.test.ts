import { describe, expect, it } from 'vitest';
import type { FloatHistogram, Series } from '../../src/model/index.js';
import { SamplesResponseWriter } from '../../src/remote-read/index.js';
import { ReadResponse } from '../ingest/protos.js';

const hist = (over: Partial<FloatHistogram> = {}): FloatHistogram => ({
  schema: 1,
  counterResetHint: 0,
  zeroThreshold: 1e-128,
  zeroCount: 2,
  count: 12,
  sum: 30.5,
  positiveSpans: [
    { offset: -2, length: 2 },
    { offset: 3, length: 1 },
  ],
  positiveBuckets: Float64Array.of(1, 3, 4),
  negativeSpans: [{ offset: 0, length: 1 }],
  negativeBuckets: Float64Array.of(2),
  customValues: new Float64Array(0),
  ...over,
});

function decode(bytes: Uint8Array, defaults = false) {
  return ReadResponse.toObject(ReadResponse.decode(bytes), { longs: Number, enums: Number, defaults }) as {
    results: Array<{
      timeseries?: Array<{
        labels: Array<{ name: string; value: string }>;
        samples?: Array<{ value: number; timestamp: number }>;
        histograms?: Array<Record<string, unknown>>;
      }>;
    }>;
  };
}

describe('SAMPLES ReadResponse writer', () => {
  it('writes one QueryResult per query, empty ones included, decodable with Prometheus’s schema', () => {
    const w = new SamplesResponseWriter();
    const s: Series = {
      labels: [
        { name: '__name__', value: 'a' },
        { name: 'job', value: 'x' },
      ],
      timestamps: Float64Array.of(-1000, 0, 1700000000000),
      values: Float64Array.of(-1.5, 0, 1e300),
    };
    w.endQuery();
    w.addSeries(s);
    w.endQuery();
    const msg = decode(w.bytes(), true);
    expect(msg.results).toHaveLength(2);
    expect(msg.results[0]!.timeseries ?? []).toEqual([]);
    const ts = msg.results[1]!.timeseries![0]!;
    expect(ts.labels).toEqual([
      { name: '__name__', value: 'a' },
      { name: 'job', value: 'x' },
    ]);
    expect(ts.samples).toEqual([
      { value: -1.5, timestamp: -1000 },
      { value: 0, timestamp: 0 },
      { value: 1e300, timestamp: 1700000000000 },
    ]);
  });

  it('writes native histograms in TimeSeries.histograms, float form, custom buckets included', () => {
    const w = new SamplesResponseWriter();
    const nhcb = hist({
      schema: -53,
      counterResetHint: 3,
      customValues: Float64Array.of(0.1, 0.5, 1),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      positiveSpans: [{ offset: 0, length: 3 }],
    });
    w.addSeries({
      labels: [{ name: '__name__', value: 'h' }],
      timestamps: new Float64Array(0),
      values: new Float64Array(0),
      histograms: { timestamps: Float64Array.of(1000, 2000), histograms: [hist(), nhcb] },
    });
    w.endQuery();
    const h = decode(w.bytes()).results[0]!.timeseries![0]!.histograms!;
    expect(h[0]).toEqual({
      countFloat: 12,
      sum: 30.5,
      schema: 1,
      zeroThreshold: 1e-128,
      zeroCountFloat: 2,
      negativeSpans: [{ length: 1 }],
      negativeCounts: [2],
      positiveSpans: [
        { offset: -2, length: 2 },
        { offset: 3, length: 1 },
      ],
      positiveCounts: [1, 3, 4],
      timestamp: 1000,
    });
    expect(h[1]).toMatchObject({ schema: -53, resetHint: 3, customValues: [0.1, 0.5, 1], positiveCounts: [1, 3, 4], timestamp: 2000 });
  });
});
