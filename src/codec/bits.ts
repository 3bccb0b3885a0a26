import { VarintError, readVarint, writeVarint } from '../varint.js';
import { CodecError } from './errors.js';

const TWO32 = 4294967296;

/**
 * Appends bytes, LEB128 varints and LSB-first bit fields to a pre-sized buffer. Bit fields fill each
 * byte from its least significant bit; alignByte() pads to the next byte boundary so byte fields can
 * follow. Every byte is assigned whole, so the buffer may hold leftovers from an earlier block; it
 * must be large enough (callers size it with maxEncodedSize).
 */
export class Writer {
  pos = 0;
  private acc = 0;
  private accBits = 0;
  constructor(readonly buf: Uint8Array) {}

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative integer ≤ 2^53. */
  uvarint(v: number): void {
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  /** Zig-zag varint of an integer with |v| ≤ 2^52. */
  zvarint(v: number): void {
    this.uvarint(zigzag(v));
  }

  bytes(src: Uint8Array, offset: number, n: number): void {
    for (let i = 0; i < n; i++) this.buf[this.pos++] = src[offset + i]!;
  }

  /** n ≤ 32 low bits of v. */
  bits(v: number, n: number): void {
    if (n === 0) return;
    if (n < 32) v &= (1 << n) - 1;
    const used = this.accBits;
    this.acc |= v << used;
    if (used + n >= 32) {
      const a = this.acc;
      const buf = this.buf;
      let p = this.pos;
      buf[p++] = a;
      buf[p++] = a >>> 8;
      buf[p++] = a >>> 16;
      buf[p++] = a >>> 24;
      this.pos = p;
      this.acc = used === 0 ? 0 : v >>> (32 - used);
      this.accBits = used + n - 32;
    } else {
      this.accBits = used + n;
    }
  }

  /** An integer 0 ≤ v < 2^54 in n ≤ 54 bits. */
  wide(v: number, n: number): void {
    if (n <= 32) {
      this.bits(v >>> 0, n);
    } else {
      const hi = Math.floor(v / TWO32);
      this.bits((v - hi * TWO32) >>> 0, 32);
      this.bits(hi, n - 32);
    }
  }

  /** Flushes pending bits, padding the last byte with zeros. */
  alignByte(): void {
    let a = this.acc;
    for (let b = this.accBits; b > 0; b -= 8) {
      this.buf[this.pos++] = a & 255;
      a >>>= 8;
    }
    this.acc = 0;
    this.accBits = 0;
  }

  result(): Uint8Array {
    this.alignByte();
    return this.buf.slice(0, this.pos);
  }
}

/** Reads what Writer wrote, checking every access against the end of the block. */
export class Reader {
  pos = 0;
  /** Bit cursor, absolute over the block; valid between beginBits() and endBits(). */
  private bitPos = 0;
  private bitEnd = 0;
  constructor(readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new CodecError('codec block truncated: expected another byte');
    return this.buf[this.pos++]!;
  }

  uvarint(): number {
    let v: number;
    try {
      v = readVarint(this.buf, this);
    } catch (e) {
      if (!(e instanceof VarintError)) throw e;
      throw new CodecError(
        e.message.startsWith('truncated') ? 'codec block truncated: expected another byte' : 'codec block corrupt: varint longer than 8 bytes',
      );
    }
    if (v > 2 ** 53) throw new CodecError('codec block corrupt: varint out of range');
    return v;
  }

  zvarint(): number {
    return unzigzag(this.uvarint());
  }

  need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) {
      throw new CodecError(`codec block truncated: ${what} needs ${n} bytes, ${this.buf.length - this.pos} left`);
    }
  }

  /** Starts a bit section of nBytes bytes at the current byte position (checked against the block end). */
  beginBits(nBytes: number, what: string): void {
    this.need(nBytes, what);
    this.bitPos = this.pos * 8;
    this.bitEnd = (this.pos + nBytes) * 8;
  }

  /** Starts an open-ended bit section running to the end of the block. */
  beginBitsToEnd(): void {
    this.bitPos = this.pos * 8;
    this.bitEnd = this.buf.length * 8;
  }

  /** Ends the bit section; the byte cursor moves to the byte after the last bit read. */
  endBits(): void {
    this.pos = (this.bitPos + 7) >>> 3;
  }

  /** Ends a section begun with beginBits(nBytes): the cursor moves past all of it. */
  endSection(): void {
    this.pos = this.bitEnd >>> 3;
  }

  /** n ≤ 32 bits as an unsigned integer. */
  bits(n: number): number {
    if (n === 0) return 0;
    const p = this.bitPos;
    if (p + n > this.bitEnd) throw new CodecError('codec block truncated: bit stream ended early');
    this.bitPos = p + n;
    const buf = this.buf;
    const i = p >>> 3;
    const off = p & 7;
    // Bytes past the end read as undefined, which `|` turns into 0; the mask below drops them anyway.
    let v = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> off;
    if (off !== 0 && off + n > 32) v |= buf[i + 4]! << (32 - off);
    return n === 32 ? v >>> 0 : v & ((1 << n) - 1);
  }

  /** n ≤ 54 bits as a non-negative integer. */
  wide(n: number): number {
    if (n <= 32) return this.bits(n);
    const lo = this.bits(32);
    return this.bits(n - 32) * TWO32 + lo;
  }
}

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(z: number): number {
  // z % 2 is exact for any float64 integer; avoid `& 1`, which truncates to 32 bits.
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bits needed for a non-negative integer < 2^54. */
export function bitWidth(v: number): number {
  if (v < TWO32) return 32 - Math.clz32(v);
  return 64 - Math.clz32(Math.floor(v / TWO32));
}
