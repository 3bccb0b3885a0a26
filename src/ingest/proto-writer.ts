import { writeVarint } from '../varint.js';

/** A small growable protobuf writer for the test/bench encoders (not a hot path). */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  varint(n: number): this {
    this.ensure(10);
    if (n < 0) {
      // Negative int64: ten-byte two's complement.
      let big = BigInt.asUintN(64, BigInt(n));
      while (big >= 0x80n) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return this;
    }
    this.pos = writeVarint(this.buf, this.pos, n);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** A double from 8 raw little-endian bytes (keeps NaN payloads exactly). */
  doubleBits(field: number, bits: Uint8Array): this {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.set(bits.subarray(0, 8), this.pos);
    this.pos += 8;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
