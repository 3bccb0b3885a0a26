/** Forwarded requests decode, with Strata's own remote-write decoder, to exactly the rows they came from. */
import { describe, expect, it } from 'vitest';
import { RequestEncoder, encodeLabelFields } from '../../src/forward/encode.js';
import { decodeRemoteWriteV1 } from '../../src/ingest/index.js';
import { STALE_NAN_BITS_HI } from '../../src/model/index.js';

describe('RequestEncoder', () => {
  it('writes each series with its samples in the given order, NaN payloads and negative times intact', () => {
    const ts = Float64Array.from([1000, -5000, 2000, 3000]);
    const vs = Float64Array.from([1.5, 2, 0, -0]);
    new Uint32Array(vs.buffer, 16, 2).set([2, STALE_NAN_BITS_HI]);
    const enc = new RequestEncoder();
    const a = encodeLabelFields([
      { name: '__name__', value: 'a' },
      { name: 'job', value: 'x' },
    ]);
    const b = encodeLabelFields([{ name: '__name__', value: 'b' }]);
    enc.series(a, ts, vs, Uint32Array.from([0, 2]), 0, 2);
    enc.series(b, ts, vs, Uint32Array.from([1, 3]), 0, 2);
    const batch = decodeRemoteWriteV1(enc.finish());
    expect(batch.seriesCount).toBe(2);
    expect(batch.labels(0)).toEqual([
      { name: '__name__', value: 'a' },
      { name: 'job', value: 'x' },
    ]);
    expect(Array.from(batch.timestamps.subarray(0, 4))).toEqual([1000, 2000, -5000, 3000]);
    expect(new Uint32Array(batch.values.buffer, batch.values.byteOffset + 8, 2)[1]).toBe(STALE_NAN_BITS_HI);
    expect(Object.is(batch.values[3], -0)).toBe(true);
  });
});
