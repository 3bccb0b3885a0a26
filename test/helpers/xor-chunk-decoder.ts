/**
 * A reader of Prometheus XOR chunks written for the tests from the format's description
 * (tsdb/chunkenc): it decodes what a Prometheus chunk iterator would, including the sign
 * extension of delta-of-delta buckets (a value equal to 2^(n-1) is positive). BigInt throughout:
 * clarity over speed.
 */
export interface DecodedSample {
  t: number;
  /** The value's 64 bits. */
  bits: bigint;
}

class BitReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  bit(): number {
    const byte = this.pos >> 3;
    if (byte >= this.buf.length) throw new Error('XOR chunk ends early');
    const b = (this.buf[byte]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 1n) | BigInt(this.bit());
    return v;
  }
  byte(): number {
    return Number(this.bits(8));
  }
  uvarint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  }
  /** Unread whole bytes left (trailing padding bits aside). */
  restBytes(): number {
    return this.buf.length - Math.ceil(this.pos / 8);
  }
}

function signExtend(v: bigint, n: number): bigint {
  return v > 1n << BigInt(n - 1) ? v - (1n << BigInt(n)) : v;
}

export function decodeXorChunk(data: Uint8Array): DecodedSample[] {
  const count = (data[0]! << 8) | data[1]!;
  const r = new BitReader(data.subarray(2));
  const out: DecodedSample[] = [];
  if (count === 0) return out;
  const zz = r.uvarint();
  let t = (zz >> 1n) ^ -(zz & 1n);
  let v = r.bits(64);
  out.push({ t: Number(t), bits: v });
  let delta = 0n;
  let leading = 0;
  let trailing = 0;
  for (let i = 1; i < count; i++) {
    if (i === 1) {
      delta = r.uvarint();
    } else {
      let dod = 0n;
      if (r.bit() === 1) {
        if (r.bit() === 0) dod = signExtend(r.bits(14), 14);
        else if (r.bit() === 0) dod = signExtend(r.bits(17), 17);
        else if (r.bit() === 0) dod = signExtend(r.bits(20), 20);
        else dod = BigInt.asIntN(64, r.bits(64));
      }
      delta += dod;
    }
    t += delta;
    if (r.bit() === 1) {
      if (r.bit() === 1) {
        leading = Number(r.bits(5));
        let sig = Number(r.bits(6));
        if (sig === 0) sig = 64;
        trailing = 64 - leading - sig;
      }
      const sig = 64 - leading - trailing;
      v ^= r.bits(sig) << BigInt(trailing);
    }
    out.push({ t: Number(t), bits: v });
  }
  if (r.restBytes() !== 0) throw new Error(`${r.restBytes()} bytes left after ${count} samples`);
  return out;
}

export function float64Bits(x: number): bigint {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x, true);
  return b.getBigUint64(0, true);
}

export function bitsToFloat64(bits: bigint): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigUint64(0, bits, true);
  return b.getFloat64(0, true);
}
