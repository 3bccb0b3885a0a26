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

/** Prometheus cuts chunks at 120 samples; readers expect no more. */
export const MAX_SAMPLES_PER_CHUNK = 120;

class BitWriter {
  buf = new Uint8Array(256);
  /** Whole bytes written. */
  len = 0;
  /** Pending bits (fewer than 8), right-aligned in `acc`. */
  private acc = 0;
  private pending = 0;

  reset(): void {
    this.len = 0;
    this.acc = 0;
    this.pending = 0;
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }

  /** The low `n` bits of `v` (n ≤ 32), most significant first. */
  bits(v: number, n: number): void {
    if (n > 24) {
      // Keep pending + n within 31 bits so the shifts below stay exact.
      this.bits(v >>> 16, n - 16);
      n = 16;
    }
    let total = this.pending + n;
    let acc = (this.acc << n) | (v & ((1 << n) - 1));
    while (total >= 8) {
      total -= 8;
      if (this.len === this.buf.length) this.grow();
      this.buf[this.len++] = (acc >>> total) & 0xff;
    }
    this.acc = acc & ((1 << total) - 1);
    this.pending = total;
  }

  /** The low `n` bits (n ≤ 64) of the 64-bit value hi:lo. */
  bits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.bits(hi, n - 32);
      this.bits(lo, 32);
    } else this.bits(lo, n);
  }

  byte(b: number): void {
    this.bits(b, 8);
  }

  /** The stream so far, its last byte padded with zero bits. */
  finish(): Uint8Array {
    if (this.pending > 0) {
      if (this.len === this.buf.length) this.grow();
      this.buf[this.len++] = (this.acc << (8 - this.pending)) & 0xff;
      this.acc = 0;
      this.pending = 0;
    }
    return this.buf.subarray(0, this.len);
  }
}

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

/** Encodes runs of ≤ 120 samples as XOR chunks; one encoder is reused for every chunk. */
export class XorChunkEncoder {
  private readonly w = new BitWriter();

  /**
   * The chunk of samples [from, to) (timestamps ascending; at most MAX_SAMPLES_PER_CHUNK). `bits`
   * views the values' bytes as little-endian u32 pairs. The result is valid until the next call.
   */
  encode(timestamps: Float64Array, bits: Uint32Array, from: number, to: number): Uint8Array {
    const n = to - from;
    if (n <= 0 || n > MAX_SAMPLES_PER_CHUNK) throw new RangeError(`an XOR chunk holds 1..${MAX_SAMPLES_PER_CHUNK} samples, not ${n}`);
    const w = this.w;
    w.reset();
    w.byte(n >>> 8);
    w.byte(n & 0xff);
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
    let leading = 0xff;
    let trailing = 0;
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
        else if (dod >= -8191 && dod <= 8192) {
          w.bits(0b10, 2);
          w.bits(dod >>> 0, 14);
        } else if (dod >= -65535 && dod <= 65536) {
          w.bits(0b110, 3);
          w.bits(dod >>> 0, 17);
        } else if (dod >= -524287 && dod <= 524288) {
          w.bits(0b1110, 4);
          w.bits(dod >>> 0, 20);
        } else {
          w.bits(0b1111, 4);
          w.bits(Math.floor(dod / 4294967296) >>> 0, 32);
          w.bits(dod >>> 0, 32);
        }
      }
      tDelta = delta;
      prevT = t;
      const lo = bits[2 * i]!;
      const hi = bits[2 * i + 1]!;
      const dLo = (lo ^ prevLo) >>> 0;
      const dHi = (hi ^ prevHi) >>> 0;
      prevLo = lo;
      prevHi = hi;
      if (dLo === 0 && dHi === 0) {
        w.bits(0, 1);
        continue;
      }
      w.bits(1, 1);
      let lead = clz64(dHi, dLo);
      const trail = ctz64(dHi, dLo);
      // Five bits hold the leading-zero count.
      if (lead >= 32) lead = 31;
      let shift: number;
      let sig: number;
      if (leading !== 0xff && lead >= leading && trail >= trailing) {
        w.bits(0, 1);
        shift = trailing;
        sig = 64 - leading - trailing;
      } else {
        leading = lead;
        trailing = trail;
        sig = 64 - lead - trail;
        w.bits(1, 1);
        w.bits(lead, 5);
        // 64 meaningful bits do not fit in six: written as 0, read back as 64.
        w.bits(sig & 63, 6);
        shift = trail;
      }
      let sLo: number;
      let sHi: number;
      if (shift === 0) {
        sLo = dLo;
        sHi = dHi;
      } else if (shift >= 32) {
        sLo = dHi >>> (shift - 32);
        sHi = 0;
      } else {
        sLo = ((dLo >>> shift) | (dHi << (32 - shift))) >>> 0;
        sHi = dHi >>> shift;
      }
      w.bits64(sHi, sLo, sig);
    }
    return w.finish();
  }
}
