/**
 * The bit stream Prometheus's chunk encodings are written in (most significant bit first), and the
 * pieces its XOR and histogram chunks share: Gorilla XOR of a float's 64 bits against the previous
 * value, and the "varbit" integers of the histogram chunks. Values travel as 32-bit halves (no
 * BigInt per sample); bits gather in a 32-bit word that is stored four bytes at a time.
 */

const TWO_32 = 4294967296;

export class BitWriter {
  buf = new Uint8Array(512);
  /** Whole bytes stored. */
  len = 0;
  /** Pending bits, left-aligned: the top `32 - free` bits of `acc`. */
  private acc = 0;
  /** Bits still free in `acc`, 1..32. */
  private free = 32;

  reset(): void {
    this.len = 0;
    this.acc = 0;
    this.free = 32;
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }

  /** The low `n` bits of `v` (1 ≤ n ≤ 32), most significant first. */
  bits(v: number, n: number): void {
    const x = n === 32 ? v >>> 0 : v & ((1 << n) - 1);
    const free = this.free;
    if (n < free) {
      this.acc |= x << (free - n);
      this.free = free - n;
      return;
    }
    const rest = n - free;
    const word = this.acc | (x >>> rest);
    if (this.len + 4 > this.buf.length) this.grow();
    const b = this.buf;
    const p = this.len;
    b[p] = word >>> 24;
    b[p + 1] = word >>> 16;
    b[p + 2] = word >>> 8;
    b[p + 3] = word;
    this.len = p + 4;
    this.free = 32 - rest;
    this.acc = rest === 0 ? 0 : x << (32 - rest);
  }

  byte(b: number): void {
    this.bits(b, 8);
  }

  /** The low `n` bits (n ≤ 64) of the 64-bit value hi:lo. */
  bits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.bits(hi, n - 32);
      this.bits(lo, 32);
    } else if (n > 0) this.bits(lo, n);
  }

  /**
   * The low `n` bits (n ≤ 64) of the two's complement of the integer v (|v| ≤ 2^53), for fields
   * that may be wider than 32 bits.
   */
  int(v: number, n: number): void {
    if (n <= 32) {
      this.bits(v >= -2147483648 && v <= 2147483647 ? v : lowWord(v), n);
      return;
    }
    const hi = Math.floor(v / TWO_32);
    this.bits(hi, n - 32);
    this.bits(v - hi * TWO_32, 32);
  }

  /** Bytes stored so far plus the pending bits, the last byte padded with zero bits. */
  finish(): Uint8Array {
    const pending = 32 - this.free;
    if (pending > 0) {
      if (this.len + 4 > this.buf.length) this.grow();
      const b = this.buf;
      const w = this.acc;
      for (let k = 0; k < pending; k += 8) b[this.len++] = w >>> (24 - k);
      this.acc = 0;
      this.free = 32;
    }
    return this.buf.subarray(0, this.len);
  }
}

function lowWord(v: number): number {
  return (v - Math.floor(v / TWO_32) * TWO_32) >>> 0;
}

/** Leading zeros of the 64-bit hi:lo. */
function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

/**
 * Per-value XOR state: the leading and trailing zero counts of the window last written, 0xff
 * leading zeros meaning none yet. `slot` picks one of several values (a float histogram chunk
 * keeps one per count, sum and bucket).
 */
export class XorWindows {
  leading: Uint8Array;
  trailing: Uint8Array;

  constructor(slots = 1) {
    this.leading = new Uint8Array(slots).fill(0xff);
    this.trailing = new Uint8Array(slots);
  }

  /** Ready for `slots` values, none written yet. */
  reset(slots: number): void {
    if (this.leading.length < slots) {
      this.leading = new Uint8Array(slots);
      this.trailing = new Uint8Array(slots);
    }
    this.leading.fill(0xff, 0, slots);
  }
}

/**
 * Gorilla XOR of a value (hi:lo) against the previous one: '0' when equal; else '1', then '0' and
 * the meaningful bits when they fit the previous window, or '1', 5 bits of leading zeros (at most
 * 31), 6 bits of meaningful-bit count (64 written as 0) and those bits.
 */
export function writeXor(w: BitWriter, dHi: number, dLo: number, win: XorWindows, slot: number): void {
  if (dHi === 0 && dLo === 0) {
    w.bits(0, 1);
    return;
  }
  let lead = clz64(dHi, dLo);
  const trail = ctz64(dHi, dLo);
  // Five bits hold the leading-zero count.
  if (lead >= 32) lead = 31;
  const leading = win.leading[slot]!;
  const trailing = win.trailing[slot]!;
  let shift: number;
  let sig: number;
  if (leading !== 0xff && lead >= leading && trail >= trailing) {
    w.bits(0b10, 2);
    shift = trailing;
    sig = 64 - leading - trailing;
  } else {
    win.leading[slot] = lead;
    win.trailing[slot] = trail;
    sig = 64 - lead - trail;
    // '11', 5 bits of leading zeros, 6 bits of length: 13 bits at once.
    w.bits((0b11 << 11) | (lead << 6) | (sig & 63), 13);
    shift = trail;
  }
  if (shift === 0) w.bits64(dHi, dLo, sig);
  else if (shift >= 32) w.bits(dHi >>> (shift - 32), sig);
  else w.bits64(dHi >>> shift, ((dLo >>> shift) | (dHi << (32 - shift))) >>> 0, sig);
}

/** Prometheus's varbit bucketing of a signed integer (putVarbitInt): 1 bit for 0, up to 9 bytes. */
export function writeVarbitInt(w: BitWriter, v: number): void {
  if (v === 0) w.bits(0, 1);
  else if (v >= -3 && v <= 4) w.bits((0b10 << 3) | (v & 0x7), 5);
  else if (v >= -31 && v <= 32) w.bits((0b110 << 6) | (v & 0x3f), 9);
  else if (v >= -255 && v <= 256) w.bits((0b1110 << 9) | (v & 0x1ff), 13);
  else if (v >= -2047 && v <= 2048) w.bits((0b11110 << 12) | (v & 0xfff), 17);
  else if (v >= -131071 && v <= 131072) w.bits((0b111110 << 18) | (v & 0x3ffff), 24);
  else if (v >= -16777215 && v <= 16777216) {
    w.bits(0b1111110, 7);
    w.bits(v, 25);
  } else if (v >= -36028797018963967 && v <= 36028797018963968) {
    w.bits(0b11111110, 8);
    w.int(v, 56);
  } else {
    w.bits(0b11111111, 8);
    w.int(v, 64);
  }
}

/** Prometheus's varbit bucketing of an unsigned integer (putVarbitUint). */
export function writeVarbitUint(w: BitWriter, v: number): void {
  if (v === 0) w.bits(0, 1);
  else if (v <= 7) w.bits((0b10 << 3) | v, 5);
  else if (v <= 63) w.bits((0b110 << 6) | v, 9);
  else if (v <= 511) w.bits((0b1110 << 9) | v, 13);
  else if (v <= 4095) w.bits((0b11110 << 12) | v, 17);
  else if (v <= 262143) w.bits((0b111110 << 18) | v, 24);
  else if (v <= 33554431) {
    w.bits(0b1111110, 7);
    w.bits(v, 25);
  } else if (v < 72057594037927936) {
    w.bits(0b11111110, 8);
    w.int(v, 56);
  } else {
    w.bits(0b11111111, 8);
    w.int(v, 64);
  }
}
