import { describe, expect, it } from 'vitest';
import { isStaleNaNAt } from '../../src/model/index.js';
import { dedupVictoriaMetrics, normalize } from '../../src/storage/dedup.js';
import { SampleBuffer } from '../../src/storage/samples.js';
import { staleAt } from './helpers.js';

function buf(ts: number[], vs: number[] | Float64Array): SampleBuffer {
  const b = new SampleBuffer(2);
  b.reserve(ts.length);
  b.timestamps.set(ts);
  b.values.set(vs);
  b.length = ts.length;
  return b;
}

const pairs = (b: SampleBuffer): [number, number][] => Array.from(b.timestamps.subarray(0, b.length), (t, i) => [t, b.values[i]!]);

describe('sample normalization', () => {
  it('sorts by time and keeps the last written of equal timestamps when dedup is off', () => {
    const b = buf([30, 10, 20, 10], [3, 1, 2, 1.5]);
    normalize(b, 0);
    expect(pairs(b)).toEqual([
      [10, 1.5],
      [20, 2],
      [30, 3],
    ]);
  });

  it('keeps one sample per dedup interval: the one with the largest timestamp', () => {
    // Intervals of 10 ms are (0,10], (10,20], (20,30].
    const b = buf([1, 5, 10, 11, 19, 25], [1, 2, 3, 4, 5, 6]);
    dedupVictoriaMetrics(b, 10);
    expect(pairs(b)).toEqual([
      [10, 3],
      [19, 5],
      [25, 6],
    ]);
  });

  it('on equal timestamps under dedup keeps the largest value', () => {
    const b = buf([10, 10, 10], [5, 9, 7]);
    normalize(b, 10);
    expect(pairs(b)).toEqual([[10, 9]]);
  });

  it('under dedup prefers a real value over a staleness marker at the same timestamp', () => {
    const b = buf([10, 10], staleAt([0, 4], 0));
    normalize(b, 10);
    expect(pairs(b)).toEqual([[10, 4]]);
  });

  it('under dedup keeps a staleness marker that is the last sample of its interval', () => {
    const b = buf([2, 8], staleAt([1, 0], 1));
    normalize(b, 10);
    expect(b.length).toBe(1);
    expect(b.timestamps[0]).toBe(8);
    expect(isStaleNaNAt(b.values, 0)).toBe(true);
  });

  it('handles intervals before the epoch', () => {
    const b = buf([-15, -12, -5, 0], [1, 2, 3, 4]);
    dedupVictoriaMetrics(b, 10);
    // (-20,-10], (-10,0]
    expect(pairs(b)).toEqual([
      [-12, 2],
      [0, 4],
    ]);
  });

  it('is idempotent, so applying it at flush, merge and read agrees', () => {
    const ts = Array.from({ length: 200 }, (_, i) => i * 7 + (i % 3));
    const vs = ts.map((t) => Math.sin(t));
    const once = buf(ts, vs);
    normalize(once, 30);
    const twice = buf(Array.from(once.timestamps.subarray(0, once.length)), once.values.subarray(0, once.length));
    normalize(twice, 30);
    expect(pairs(twice)).toEqual(pairs(once));
  });
});
