/**
 * Prometheus's XOR chunk encoding (tsdb/chunkenc, "XOR" = encoding 1), written from its format
 * description: a 2-byte big-endian sample count, then a bit stream (most significant bit first):
 * - sample 0: timestamp as a zig-zag varint, value as its 64 raw bits;
 * - sample 1: timestamp delta as an unsigned varint, value XOR-encoded against sample 0;
 * - later samples: delta-of-delta of the timestamp in a prefix-coded bucket ('0'; '10'+14 bits;
 *   '110'+17; '1110'+20; '1111'+64), value XOR-encoded against the previous one.
 * XOR encoding: '0' for an equal value; else '1', then '0' and the meaningful bits when they fit
 * inside the previous leading/trailing-zero window, or '1', 5 bits of leading zeros (at most 31),
 * 6 bits of meaningful-bit count (64 written as 0) and those bits.
 * Values are handled as two 32-bit halves (no BigInt per sample), read straight from the
 * Float64Array's bytes so NaN payloads (staleness markers) are kept.
 */
import { BitWriter, XorWindows, writeXor } from './bit-writer.js';

/** Prometheus cuts chunks at 120 samples; readers expect no more. */
export const MAX_SAMPLES_PER_CHUNK = 120;

/** Encodes runs of ≤ 120 samples as XOR chunks; one encoder is reused for every chunk. */
export class XorChunkEncoder {
  private readonly w = new BitWriter();
  private readonly win = new XorWindows();

  /**
   * The chunk of samples [from, to) (timestamps ascending; at most MAX_SAMPLES_PER_CHUNK). `bits`
   * views the values' bytes as little-endian u32 pairs. The result is valid until the next call.
   */
  encode(timestamps: Float64Array, bits: Uint32Array, from: number, to: number): Uint8Array {
    const n = to - from;
    if (n <= 0 || n > MAX_SAMPLES_PER_CHUNK) throw new RangeError(`an XOR chunk holds 1..${MAX_SAMPLES_PER_CHUNK} samples, not ${n}`);
    const w = this.w;
    w.reset();
    w.bits(n, 16);
    let prevT = timestamps[from]!;
    let prevLo = bits[2 * from]!;
    let prevHi = bits[2 * from + 1]!;
    // Sample 0: zig-zag varint timestamp, raw value bits.
    let z = prevT >= 0 ? prevT * 2 : -prevT * 2 - 1;
    while (z >= 128) {
      w.byte((z % 128) | 128);
      z = Math.floor(z / 128);
    }
    w.byte(z);
    w.bits(prevHi, 32);
    w.bits(prevLo, 32);
    let tDelta = 0;
    const win = this.win;
    win.reset(1);
    for (let i = from + 1; i < to; i++) {
      const t = timestamps[i]!;
      const delta = t - prevT;
      if (i === from + 1) {
        let d = delta;
        while (d >= 128) {
          w.byte((d % 128) | 128);
          d = Math.floor(d / 128);
        }
        w.byte(d);
      } else {
        const dod = delta - tDelta;
        if (dod === 0) w.bits(0, 1);
        else if (dod >= -8191 && dod <= 8192) w.bits((0b10 << 14) | (dod & 0x3fff), 16);
        else if (dod >= -65535 && dod <= 65536) w.bits((0b110 << 17) | (dod & 0x1ffff), 20);
        else if (dod >= -524287 && dod <= 524288) w.bits((0b1110 << 20) | (dod & 0xfffff), 24);
        else {
          w.bits(0b1111, 4);
          w.int(dod, 64);
        }
      }
      tDelta = delta;
      prevT = t;
      const lo = bits[2 * i]!;
      const hi = bits[2 * i + 1]!;
      writeXor(w, (hi ^ prevHi) >>> 0, (lo ^ prevLo) >>> 0, win, 0);
      prevLo = lo;
      prevHi = hi;
    }
    return w.finish();
  }
}
