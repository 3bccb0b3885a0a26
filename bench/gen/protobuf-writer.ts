/**
 * The few protobuf wire-format primitives a remote-write body needs, written into one growable
 * Uint8Array. Lengths of nested messages are known before they are written (we pre-size label
 * blocks and samples), so no back-patching is needed.
 */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const textEncoder = new TextEncoder();

/** Bytes a varint of this non-negative integer (≤ 2^53) takes. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class ProtoWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialCapacity = 1 << 16) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Non-negative integers up to 2^53; timestamps beyond 2^32 rule out 32-bit shifts. */
  varint(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a non-negative safe integer`);
    this.ensure(10);
    const b = this.buf;
    while (v >= 128) {
      b[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  /** int64 as protobuf writes it: negatives as their 64-bit two's complement (10 bytes). */
  int64(v: number): void {
    if (v >= 0) return this.varint(v);
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64: ${v} is not a safe integer`);
    // Two's complement of a negative safe integer: 2^64 + v, emitted in 7-bit groups via hi/lo words.
    let lo = (v % 4294967296) >>> 0;
    let hi = Math.floor(v / 4294967296) >>> 0;
    this.ensure(10);
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.pos++] = lo & 1;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  double(v: number): void {
    this.ensure(8);
    f64[0] = v;
    this.buf.set(f64Bytes, this.pos);
    this.pos += 8;
  }

  /** Eight raw little-endian bytes, for NaN payloads (staleness markers) that must survive exactly. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  string(field: number, s: string): void {
    const bytes = textEncoder.encode(s);
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A copy of what has been written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** A view of what has been written, valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
