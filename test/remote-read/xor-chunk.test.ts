import { describe, expect, it } from 'vitest';
import { XorChunkEncoder, crc32c } from '../../src/remote-read/index.js';
import { decodeXorChunk, float64Bits } from '../helpers/xor-chunk-decoder.js';

function roundTrip(timestamps: number[], values: Float64Array): void {
  const ts = Float64Array.from(timestamps);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const data = new XorChunkEncoder().encode(ts, bits, 0, ts.length);
  const decoded = decodeXorChunk(data);
  expect(decoded.map((s) => s.t)).toEqual(timestamps);
  expect(decoded.map((s) => s.bits)).toEqual([...values].map((_, i) => new DataView(values.buffer).getBigUint64(i * 8, true)));
}

describe('Prometheus XOR chunk encoder', () => {
  it('writes a one-sample chunk as count, zig-zag varint timestamp and raw value bits', () => {
    const data = new XorChunkEncoder().encode(Float64Array.of(1000), new Uint32Array(Float64Array.of(1).buffer), 0, 1);
    // 0x0001 samples; varint(2000) = d0 0f; 1.0 = 3ff0000000000000.
    expect(Buffer.from(data).toString('hex')).toBe('0001d00f3ff0000000000000');
  });

  it('keeps regular scrapes and repeated values', () => {
    const ts = Array.from({ length: 120 }, (_, i) => 1_700_000_000_000 + i * 15_000);
    roundTrip(
      ts,
      Float64Array.from(ts, (_, i) => (i % 10 === 0 ? 5 : 5 + i)),
    );
  });

  it('keeps every delta-of-delta bucket, including the 2^(n-1) edges and 64-bit jumps', () => {
    const deltas = [10, 10, 10 + 8192, 10, 10 - 8191, 10 + 65536, 10, 10 + 524288, 10, 10 + 524289, 10, 1e12, 7, 1];
    const ts = [-5000];
    for (const d of deltas) ts.push(ts[ts.length - 1]! + d);
    roundTrip(
      ts,
      Float64Array.from(ts, (_, i) => i * 1.5),
    );
  });

  it('keeps NaN payloads (staleness markers), infinities, -0 and values differing in every bit', () => {
    const values = new Float64Array(8);
    const view = new DataView(values.buffer);
    view.setBigUint64(0, 0x7ff0000000000002n, true); // Prometheus's stale marker
    values[1] = Number.POSITIVE_INFINITY;
    values[2] = -0;
    view.setBigUint64(3 * 8, 0xffffffffffffffffn, true);
    values[4] = 1;
    values[5] = 1e-300;
    values[6] = -123456.789;
    values[7] = Number.NaN;
    roundTrip([1, 2, 3, 4, 5, 6, 7, 8], values);
  });

  it('keeps random walks through the whole chunk size', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let n = 1; n <= 120; n += 7) {
      const ts: number[] = [];
      let t = 1_600_000_000_000;
      for (let i = 0; i < n; i++) ts.push((t += 1 + Math.floor(rnd() * 30_000)));
      roundTrip(
        ts,
        Float64Array.from(ts, () => (rnd() < 0.3 ? Math.round(rnd() * 100) : rnd() * 1e6 - 5e5)),
      );
    }
  });

  it('refuses more than 120 samples', () => {
    const ts = new Float64Array(121).map((_, i) => i);
    expect(() => new XorChunkEncoder().encode(ts, new Uint32Array(242), 0, 121)).toThrow(/1\.\.120/);
  });

  it('float64Bits agrees with the test decoder', () => {
    expect(float64Bits(1)).toBe(0x3ff0000000000000n);
  });
});

describe('CRC32C', () => {
  it('is the Castagnoli checksum (check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
