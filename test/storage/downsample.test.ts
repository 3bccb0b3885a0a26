/** Downsampling as merges apply it: epoch-aligned buckets, idempotent, staleness markers kept bit for bit. */
import { describe, expect, it } from 'vitest';
import { STALE_NAN_BITS_HI } from '../../src/model/index.js';
import { downsample } from '../../src/storage/downsample.js';
import { SampleBuffer } from '../../src/storage/samples.js';
import { staleAt } from './helpers.js';

function buffer(ts: number[], vs: ArrayLike<number>): SampleBuffer {
  const b = new SampleBuffer();
  ts.forEach((t) => b.push(t, 0));
  b.values.set(Float64Array.from(vs));
  return b;
}

const got = (b: SampleBuffer) => Array.from(b.timestamps.subarray(0, b.length));

describe('downsample', () => {
  const ts = Array.from({ length: 12 }, (_, i) => i * 10); // 0..110

  it('keeps the last sample of each interval before the cutoff and everything after it', () => {
    const b = buffer(ts, ts);
    downsample(b, [{ beforeT: 60, intervalMs: 30 }], 'last');
    expect(got(b)).toEqual([20, 50, 60, 70, 80, 90, 100, 110]);
  });

  it('uses the coarser interval for data before the older cutoff', () => {
    const b = buffer(ts, ts);
    downsample(
      b,
      [
        { beforeT: 40, intervalMs: 40 },
        { beforeT: 80, intervalMs: 20 },
      ],
      'last',
    );
    expect(got(b)).toEqual([30, 50, 70, 80, 90, 100, 110]);
  });

  it('changes nothing when applied twice', () => {
    const b = buffer(ts, ts);
    downsample(b, [{ beforeT: 60, intervalMs: 30 }], 'extremes');
    const once = got(b);
    downsample(b, [{ beforeT: 60, intervalMs: 30 }], 'extremes');
    expect(got(b)).toEqual(once);
  });

  it('drops data before a cutoff whose interval is 0', () => {
    const b = buffer(ts, ts);
    downsample(b, [{ beforeT: 100, intervalMs: 0 }], 'last');
    expect(got(b)).toEqual([100, 110]);
  });

  it('keeps a staleness marker that ends an interval bit for bit', () => {
    const b = buffer([0, 10, 20], staleAt([1, 2, 3], 2));
    downsample(b, [{ beforeT: 100, intervalMs: 30 }], 'last');
    expect(got(b)).toEqual([20]);
    expect(new Uint32Array(b.values.buffer, 0, 2)[1]).toBe(STALE_NAN_BITS_HI);
  });
});
