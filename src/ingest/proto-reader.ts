import { IngestError } from './errors.js';

/**
 * A minimal protobuf wire-format reader over a Uint8Array. The decoders walk messages field by
 * field with it instead of building message objects: no allocation per sample or label.
 * Every read is bounds-checked against `limit` (the end of the enclosing message), so truncated
 * or lying lengths fail with a 400, never read past the body.
 */
export class ProtoReader {
  pos = 0;
  /** End of the message being read; nested messages narrow it and restore it after. */
  limit: number;

  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {
    this.limit = buf.length;
  }

  fail(msg: string): IngestError {
    return new IngestError(400, `malformed ${this.what}: ${msg} at byte ${this.pos}`);
  }

  /** A varint that must fit in 32 bits unsigned (tags, lengths, refs). */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.limit) throw this.fail('truncated varint');
    let c = b[p++]!;
    if (c < 0x80) {
      this.pos = p;
      return c;
    }
    let r = c & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (p >= this.limit) {
        this.pos = p;
        throw this.fail('truncated varint');
      }
      c = b[p++]!;
      r += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) {
        this.pos = p;
        if (r > 0xffffffff) throw this.fail('varint does not fit in 32 bits');
        return r;
      }
    }
    // Longer varints are legal for negative int32 values; protobuf truncates them to 32 bits.
    return this.finishLongVarint32(p, r);
  }

  private finishLongVarint32(p: number, r: number): number {
    for (let i = 0; i < 5; i++) {
      if (p >= this.limit) {
        this.pos = p;
        throw this.fail('truncated varint');
      }
      if (this.buf[p++]! < 0x80) {
        this.pos = p;
        return r % 0x100000000;
      }
    }
    this.pos = p;
    throw this.fail('varint longer than 10 bytes');
  }

  /** An int64 varint as a float64 (exact within ±2^53; timestamps in ms always are). */
  int64(): number {
    const b = this.buf;
    let p = this.pos;
    const lim = this.limit;
    let lo = 0;
    let c = 0;
    let shift = 0;
    // Low 28 bits in an int, the rest as a float multiple: no BigInt.
    for (; shift < 28; shift += 7) {
      if (p >= lim) {
        this.pos = p;
        throw this.fail('truncated varint');
      }
      c = b[p++]!;
      lo |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return lo;
      }
    }
    let hi = 0;
    let mul = 1;
    for (let i = 0; i < 6; i++) {
      if (p >= lim) {
        this.pos = p;
        throw this.fail('truncated varint');
      }
      c = b[p++]!;
      hi += (i === 5 ? c & 0x01 : c & 0x7f) * mul;
      mul *= 128;
      if (c < 0x80) {
        this.pos = p;
        // Bits 28..63 are in hi; bit 63 set means negative (two's complement over 64 bits).
        return hi >= 2 ** 35 ? (hi - 2 ** 36) * 2 ** 28 + lo : hi * 2 ** 28 + lo;
      }
    }
    this.pos = p;
    throw this.fail('varint longer than 10 bytes');
  }

  /** A length prefix; checks that the bytes it announces are present. Returns the end offset. */
  lengthEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.limit) throw this.fail(`length ${len} runs past the end of the enclosing message`);
    return end;
  }

  /** Copies 8 raw bytes (a double, bit-exact) to `dst` at `at`. */
  copyFixed64(dst: Uint8Array, at: number): void {
    const p = this.pos;
    if (p + 8 > this.limit) throw this.fail('truncated double');
    const b = this.buf;
    dst[at] = b[p]!;
    dst[at + 1] = b[p + 1]!;
    dst[at + 2] = b[p + 2]!;
    dst[at + 3] = b[p + 3]!;
    dst[at + 4] = b[p + 4]!;
    dst[at + 5] = b[p + 5]!;
    dst[at + 6] = b[p + 6]!;
    dst[at + 7] = b[p + 7]!;
    this.pos = p + 8;
  }

  /** Skips a field of the given wire type (unknown fields are legal and ignored). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.int64();
        return;
      case 1:
        if (this.pos + 8 > this.limit) throw this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        if (this.pos + 4 > this.limit) throw this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw this.fail(`unsupported wire type ${wireType}`);
    }
  }
}
