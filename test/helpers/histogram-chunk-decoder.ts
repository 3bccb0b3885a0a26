/**
 * A reader of Prometheus's HISTOGRAM (2) and FLOAT_HISTOGRAM (3) chunks written for the tests from
 * the format's description (tsdb/chunkenc histogram.go, float_histogram.go, varbit.go,
 * histogram_meta.go). BigInt throughout: clarity over speed.
 */
import type { BucketSpan } from '../../src/model/index.js';

export interface DecodedHistogram {
  t: number;
  count: number;
  zeroCount: number;
  /** The sum's 64 bits (a staleness marker keeps its payload). */
  sumBits: bigint;
  stale: boolean;
  /** Absolute counts per bucket of the chunk's layout (a stale sample has none). */
  positive: number[];
  negative: number[];
}

export interface DecodedHistogramChunk {
  /** The header byte's top two bits: 0 unknown, 1 not a reset, 2 counter reset, 3 gauge. */
  header: number;
  schema: number;
  zeroThreshold: number;
  positiveSpans: BucketSpan[];
  negativeSpans: BucketSpan[];
  customValues: number[];
  samples: DecodedHistogram[];
}

const STALE = 0x7ff0000000000002n;

class BitReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  bit(): number {
    const byte = this.pos >> 3;
    if (byte >= this.buf.length) throw new Error('histogram chunk ends early');
    const b = (this.buf[byte]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 1n) | BigInt(this.bit());
    return v;
  }
  restBytes(): number {
    return this.buf.length - Math.ceil(this.pos / 8);
  }
}

const SIZES: Record<number, number> = { 0b10: 3, 0b110: 6, 0b1110: 9, 0b11110: 12, 0b111110: 18, 0b1111110: 25, 0b11111110: 56 };

function prefix(r: BitReader): number {
  let d = 0;
  for (let i = 0; i < 8; i++) {
    d <<= 1;
    if (r.bit() === 0) break;
    d |= 1;
  }
  return d;
}

function varbitInt(r: BitReader): bigint {
  const d = prefix(r);
  if (d === 0) return 0n;
  if (d === 0xff) return BigInt.asIntN(64, r.bits(64));
  const sz = SIZES[d];
  if (sz === undefined) throw new Error(`invalid varbit prefix ${d.toString(2)}`);
  const v = r.bits(sz);
  return v > 1n << BigInt(sz - 1) ? v - (1n << BigInt(sz)) : v;
}

function varbitUint(r: BitReader): bigint {
  const d = prefix(r);
  if (d === 0) return 0n;
  if (d === 0xff) return r.bits(64);
  const sz = SIZES[d];
  if (sz === undefined) throw new Error(`invalid varbit prefix ${d.toString(2)}`);
  return r.bits(sz);
}

function f64(bits: bigint): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigUint64(0, bits);
  return b.getFloat64(0);
}

class Xor {
  leading = 0;
  trailing = 0;
  constructor(public value: bigint) {}
  read(r: BitReader): void {
    if (r.bit() === 0) return;
    if (r.bit() === 1) {
      this.leading = Number(r.bits(5));
      let sig = Number(r.bits(6));
      if (sig === 0) sig = 64;
      this.trailing = 64 - this.leading - sig;
    }
    const sig = 64 - this.leading - this.trailing;
    this.value ^= r.bits(sig) << BigInt(this.trailing);
  }
}

function spans(r: BitReader): BucketSpan[] {
  const n = Number(varbitUint(r));
  const out: BucketSpan[] = [];
  for (let i = 0; i < n; i++) {
    const length = Number(varbitUint(r));
    out.push({ offset: Number(varbitInt(r)), length });
  }
  return out;
}

const width = (s: BucketSpan[]): number => s.reduce((a, x) => a + x.length, 0);

export function decodeHistogramChunk(data: Uint8Array, encoding: 2 | 3): DecodedHistogramChunk {
  const count = (data[0]! << 8) | data[1]!;
  const header = data[2]! >> 6;
  if ((data[2]! & 0x3f) !== 0) throw new Error('header byte has low bits set');
  const r = new BitReader(data.subarray(3));
  const zt = Number(r.bits(8));
  const zeroThreshold = zt === 0 ? 0 : zt === 255 ? f64(r.bits(64)) : 0.5 * 2 ** (zt - 243);
  const schema = Number(varbitInt(r));
  const positiveSpans = spans(r);
  const negativeSpans = spans(r);
  const customValues: number[] = [];
  if (schema === -53) {
    const n = Number(varbitUint(r));
    for (let i = 0; i < n; i++) {
      const v = varbitUint(r);
      customValues.push(v === 0n ? f64(r.bits(64)) : Number(v - 1n) / 1000);
    }
  }
  const np = width(positiveSpans);
  const nn = width(negativeSpans);
  const samples: DecodedHistogram[] = [];
  let t = 0n;
  let tDelta = 0n;
  if (encoding === 2) {
    let cnt = 0n;
    let zc = 0n;
    let cntDelta = 0n;
    let zcDelta = 0n;
    const sum = new Xor(0n);
    const diff = new Array<bigint>(np + nn).fill(0n);
    const diffDelta = new Array<bigint>(np + nn).fill(0n);
    for (let i = 0; i < count; i++) {
      if (i === 0) {
        t = varbitInt(r);
        cnt = varbitUint(r);
        zc = varbitUint(r);
        sum.value = r.bits(64);
      } else {
        tDelta += varbitInt(r);
        t += tDelta;
        cntDelta += varbitInt(r);
        cnt += cntDelta;
        zcDelta += varbitInt(r);
        zc += zcDelta;
        sum.read(r);
      }
      const stale = sum.value === STALE;
      const abs = (from: number, n: number): number[] => {
        const out: number[] = [];
        let cur = 0n;
        for (let k = from; k < from + n; k++) {
          cur += diff[k]!;
          out.push(Number(cur));
        }
        return out;
      };
      if (!stale) {
        for (let k = 0; k < np + nn; k++) {
          if (i === 0) diff[k] = varbitInt(r);
          else {
            diffDelta[k] = diffDelta[k]! + varbitInt(r);
            diff[k] = diff[k]! + diffDelta[k]!;
          }
        }
      }
      samples.push({
        t: Number(t),
        count: Number(cnt),
        zeroCount: Number(zc),
        sumBits: sum.value,
        stale,
        positive: stale ? [] : abs(0, np),
        negative: stale ? [] : abs(np, nn),
      });
    }
  } else {
    const xs = Array.from({ length: 3 + np + nn }, () => new Xor(0n));
    for (let i = 0; i < count; i++) {
      if (i === 0) {
        t = varbitInt(r);
        for (let k = 0; k < 3; k++) xs[k]!.value = r.bits(64);
      } else {
        tDelta += varbitInt(r);
        t += tDelta;
        for (let k = 0; k < 3; k++) xs[k]!.read(r);
      }
      const stale = xs[2]!.value === STALE;
      if (!stale) {
        for (let k = 3; k < xs.length; k++) {
          if (i === 0) xs[k]!.value = r.bits(64);
          else xs[k]!.read(r);
        }
      }
      const vals = xs.map((x) => f64(x.value));
      samples.push({
        t: Number(t),
        count: vals[0]!,
        zeroCount: vals[1]!,
        sumBits: xs[2]!.value,
        stale,
        positive: stale ? [] : vals.slice(3, 3 + np),
        negative: stale ? [] : vals.slice(3 + np),
      });
    }
  }
  if (r.restBytes() !== 0) throw new Error(`${r.restBytes()} bytes left after ${count} samples`);
  return { header, schema, zeroThreshold, positiveSpans, negativeSpans, customValues, samples };
}
