/**
 * Unsigned LEB128 varints for integers in [0, 2^53]: the one implementation behind the codec's
 * column blocks, the part format's header groups, the label index's postings and label blocks, the
 * canonical series keys and the protobuf writers. Such a value takes at most 8 bytes.
 */

export const MAX_VARINT_BYTES = 8;
const TWO_31 = 0x80000000;

/** A varint that runs past its end or past 8 bytes. */
export class VarintError extends Error {
  override name = 'VarintError';
}

/** Bytes the varint of v (an integer in [0, 2^53]) takes. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  for (v = Math.floor(v / 0x10000000); v > 0; v = Math.floor(v / 128)) n++;
  return n;
}

/** Writes v (an integer in [0, 2^53]) at off; returns the offset after it. The caller sizes buf. */
export function writeVarint(buf: Uint8Array, off: number, v: number): number {
  // Beyond 31 bits the bitwise operators would truncate: divide until they are safe.
  while (v >= TWO_31) {
    buf[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  while (v > 0x7f) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

/** A read position, advanced by readVarint. */
export interface VarintCursor {
  pos: number;
}

/**
 * Reads the varint at `at.pos` (before `end`) and moves `at.pos` past it. Throws VarintError when
 * the bytes end first or the varint is longer than 8 bytes.
 */
export function readVarint(buf: Uint8Array, at: VarintCursor, end: number = buf.length): number {
  let p = at.pos;
  let v = 0;
  let mul = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (p >= end) throw new VarintError(`truncated varint at byte ${at.pos}`);
    const b = buf[p++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      at.pos = p;
      return v;
    }
    mul *= 128;
  }
  throw new VarintError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${at.pos}`);
}

/** Bytes a protobuf int64 varint of n takes: a negative one is ten (64-bit two's complement). */
export function int64VarintSize(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

/**
 * A growable buffer that format writers append bytes, varints, UTF-8 strings (length-prefixed)
 * and little-endian numbers to: the part format's header groups, the label index's label blocks,
 * a part's series table and the remote-read protobuf answers (whose length-delimited fields have
 * their sizes computed first, so nothing is copied twice). The bytes written are `bytes()`.
 */
export class ByteWriter {
  buf: Buffer;
  off = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v;
  }

  /** A non-negative integer up to 2^53. */
  varint(v: number): void {
    this.ensure(MAX_VARINT_BYTES);
    this.off = writeVarint(this.buf, this.off, v);
  }

  /** UTF-8 bytes after their length as a varint. */
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.off, 'utf8');
    this.off += n;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.off);
    this.off += 8;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.off);
    this.off += 4;
  }

  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.off);
    this.off += src.length;
  }

  /** 8 bytes at `src[at..at+8)` as they are (a little-endian double, NaN payloads kept). */
  fixed64From(src: Uint8Array, at: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.off;
    for (let i = 0; i < 8; i++) b[p + i] = src[at + i]!;
    this.off = p + 8;
  }

  /** A protobuf field tag. */
  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A length-delimited field's tag and length; the caller writes exactly `len` bytes next. */
  lenField(field: number, len: number): void {
    this.tag(field, 2);
    this.varint(len);
    this.ensure(len);
  }

  /** A protobuf int64 (|n| ≤ 2^53): negatives as ten-byte two's complement. */
  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    this.ensure(10);
    const hiWord = Math.floor(n / 4294967296);
    let lo = n - hiWord * 4294967296;
    let hi = hiWord >>> 0;
    const b = this.buf;
    let p = this.off;
    for (let i = 0; i < 9; i++) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo & 0x7f;
    this.off = p;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.off);
  }

  reset(): void {
    this.off = 0;
  }
}
