import { describe, expect, it } from 'vitest';
import { ExponentialHistogramError, exponentialToFloatHistogram, type ExponentialInput } from '../../src/ingest/otlp/index.js';
import { isStaleNaN } from '../../src/model/sample.js';

const base: ExponentialInput = {
  scale: 0,
  count: 0,
  sum: 0,
  zeroCount: 0,
  zeroThreshold: 0,
  positive: { offset: 0, counts: [] },
  negative: { offset: 0, counts: [] },
};

describe('exponentialToFloatHistogram', () => {
  it('keeps scales -4..8 as the schema and shifts bucket indexes by one (OTLP (b^i, b^(i+1)] → Prometheus (b^(i-1), b^i])', () => {
    const h = exponentialToFloatHistogram({ ...base, scale: 3, count: 5, sum: 12.5, positive: { offset: 2, counts: [1, 2, 2] } });
    expect(h.schema).toBe(3);
    expect(h.positiveSpans).toEqual([{ offset: 3, length: 3 }]);
    expect([...h.positiveBuckets]).toEqual([1, 2, 2]);
    expect(h.count).toBe(5);
    expect(h.sum).toBe(12.5);
    expect(h.customValues.length).toBe(0);
  });

  it('maps negative buckets the same way', () => {
    const h = exponentialToFloatHistogram({ ...base, scale: 0, count: 3, negative: { offset: -2, counts: [1, 2] } });
    expect(h.negativeSpans).toEqual([{ offset: -1, length: 2 }]);
    expect([...h.negativeBuckets]).toEqual([1, 2]);
    expect(h.positiveSpans).toEqual([]);
  });

  it('carries the zero bucket (count and threshold) unchanged', () => {
    const h = exponentialToFloatHistogram({ ...base, count: 4, zeroCount: 3, zeroThreshold: 1e-9, positive: { offset: 0, counts: [1] } });
    expect(h.zeroCount).toBe(3);
    expect(h.zeroThreshold).toBe(1e-9);
  });

  it('merges 2^(scale-8) neighbouring buckets for scales above 8, flooring negative indexes', () => {
    // scale 10 → schema 8: OTLP indexes -3..2 merge in fours: floor(i/4) = -1,-1,-1,0,0,0; +1 → 0 and 1.
    const h = exponentialToFloatHistogram({ ...base, scale: 10, count: 21, positive: { offset: -3, counts: [1, 2, 3, 4, 5, 6] } });
    expect(h.schema).toBe(8);
    expect(h.positiveSpans).toEqual([{ offset: 0, length: 2 }]);
    expect([...h.positiveBuckets]).toEqual([6, 15]);
  });

  it('fills gaps of up to two empty buckets inside a span and starts a new span after longer ones', () => {
    const h = exponentialToFloatHistogram({ ...base, count: 4, positive: { offset: 0, counts: [1, 0, 0, 1, 0, 0, 0, 1, 1] } });
    expect(h.positiveSpans).toEqual([
      { offset: 1, length: 4 },
      { offset: 3, length: 2 },
    ]);
    expect([...h.positiveBuckets]).toEqual([1, 0, 0, 1, 1, 1]);
  });

  it('leaves out leading and trailing empty buckets', () => {
    const h = exponentialToFloatHistogram({ ...base, count: 1, positive: { offset: 5, counts: [0, 0, 1, 0] } });
    expect(h.positiveSpans).toEqual([{ offset: 8, length: 1 }]);
  });

  it('stores sum 0 when the point has no sum, as Prometheus does', () => {
    expect(exponentialToFloatHistogram({ ...base, sum: null }).sum).toBe(0);
  });

  it('refuses scales below -4 and above 20', () => {
    expect(() => exponentialToFloatHistogram({ ...base, scale: -5 })).toThrow(/scale -5 is below -4/);
    expect(() => exponentialToFloatHistogram({ ...base, scale: 21 })).toThrow(ExponentialHistogramError);
  });

  it('refuses negative counts and a count below the observations in the buckets', () => {
    expect(() => exponentialToFloatHistogram({ ...base, count: 1, positive: { offset: 0, counts: [-1] } })).toThrow(/positive bucket count 0 is -1/);
    expect(() => exponentialToFloatHistogram({ ...base, count: 1, zeroCount: 1, positive: { offset: 0, counts: [2] } })).toThrow(
      /count 1 is less than the 3 observations/,
    );
  });

  it('turns a NO_RECORDED_VALUE point into a staleness marker', () => {
    const h = exponentialToFloatHistogram({ ...base, scale: 2, count: 9, stale: true, positive: { offset: 0, counts: [9] } });
    expect(isStaleNaN(h.sum)).toBe(true);
    expect(h.positiveSpans).toEqual([]);
    expect(h.schema).toBe(2);
  });
});
