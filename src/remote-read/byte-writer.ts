/**
 * A growable protobuf output buffer for the remote-read responses: varints, fixed64 doubles copied
 * bit for bit (staleness-marker NaN payloads survive), and length-delimited fields whose length is
 * known before their content is written (callers compute sizes first, so nothing is copied twice).
 */
import { varintSize, writeVarint } from '../varint.js';

export { varintSize };

/** Size of a protobuf int64 varint: negative values take ten bytes (two's complement). */
export function int64Size(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = new Uint8Array(capacity);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned varint (n ≥ 0, exact up to 2^53). */
  varint(n: number): void {
    this.ensure(10);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  /** A protobuf int64: negatives as ten-byte two's complement. */
  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    this.ensure(10);
    let big = BigInt.asUintN(64, BigInt(n));
    while (big >= 0x80n) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.buf[this.pos++] = Number(big);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A length-delimited field's tag and length; the caller writes exactly `len` bytes next. */
  lenField(field: number, len: number): void {
    this.tag(field, 2);
    this.varint(len);
    this.ensure(len);
  }

  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** 8 bytes at `src[at..at+8)` as they are (a little-endian double). */
  fixed64From(src: Uint8Array, at: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) b[p + i] = src[at + i]!;
    this.pos = p + 8;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}
