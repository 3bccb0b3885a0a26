/**
 * A small synchronous raw-DEFLATE decoder (RFC 1951) for column blocks; the byte layout of what
 * it reads is docs/format/codec.md's "deflate" flag.
 */
// zlib's inflateRawSync builds a stream object and a 16 KB output buffer per call: ~20 µs for a
// block of a few hundred bytes, several times the cost of the column codec itself. Blocks are
// small and decoded by the thousand per query, so a small synchronous inflater that reuses its
// tables and output buffer is the cheaper path. Encoding stays with zlib.

/** A raw DEFLATE stream that is malformed, truncated or inflates past its limit. */
export class InflateError extends Error {
  override name = 'InflateError';
}

/** Codes up to this many bits resolve with one table lookup; longer ones bit by bit. */
const FAST_BITS = 10;
const FAST_SIZE = 1 << FAST_BITS;
const MAX_BITS = 15;

const LENGTH_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LENGTH_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
/** REVERSED[x] is x's low FAST_BITS bits in reverse order. */
const REVERSED = new Uint16Array(FAST_SIZE);
for (let x = 0; x < FAST_SIZE; x++) {
  let r = 0;
  for (let b = 0; b < FAST_BITS; b++) r |= ((x >>> b) & 1) << (FAST_BITS - 1 - b);
  REVERSED[x] = r;
}
const CODE_LENGTH_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/**
 * A canonical Huffman code: `fast[bits]` holds (symbol << 4 | length) for codes of up to
 * FAST_BITS, 0 otherwise; counts/symbols decode longer codes canonically.
 */
class Huffman {
  readonly fast = new Uint16Array(FAST_SIZE);
  readonly counts = new Uint16Array(MAX_BITS + 1);
  readonly symbols: Uint16Array;
  private readonly offs = new Uint16Array(MAX_BITS + 2);

  constructor(maxSymbols: number) {
    this.symbols = new Uint16Array(maxSymbols);
  }

  build(lengths: Uint8Array, n: number): void {
    const { counts, offs, symbols, fast } = this;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[lengths[i]!]!++;
    counts[0] = 0;
    let left = 1;
    for (let len = 1; len <= MAX_BITS; len++) {
      left = (left << 1) - counts[len]!;
      if (left < 0) throw new InflateError('over-subscribed Huffman code');
    }
    offs[1] = 0;
    for (let len = 1; len < MAX_BITS; len++) offs[len + 1] = offs[len]! + counts[len]!;
    for (let i = 0; i < n; i++) if (lengths[i] !== 0) symbols[offs[lengths[i]!]!++] = i;
    fast.fill(0);
    // Canonical codes in order of (length, symbol); stored bit-reversed because DEFLATE sends
    // Huffman codes most significant bit first into an LSB-first stream.
    let code = 0;
    let k = 0;
    for (let len = 1; len <= FAST_BITS; len++) {
      for (let c = 0; c < counts[len]!; c++, k++) {
        const rev = REVERSED[code]! >>> (FAST_BITS - len);
        const entry = (symbols[k]! << 4) | len;
        for (let j = rev; j < FAST_SIZE; j += 1 << len) fast[j] = entry;
        code++;
      }
      code <<= 1;
    }
  }
}

const FIXED_LIT = new Huffman(288);
const FIXED_DIST = new Huffman(30);
{
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  FIXED_LIT.build(l, 288);
  FIXED_DIST.build(new Uint8Array(30).fill(5), 30);
}

class Inflater {
  private src: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  out = new Uint8Array(4096);
  outLen = 0;
  private maxOut = 0;
  private readonly lit = new Huffman(288);
  private readonly dist = new Huffman(30);
  private readonly lengths = new Uint8Array(288 + 32);
  private readonly clLengths = new Uint8Array(19);
  private readonly cl = new Huffman(19);

  run(src: Uint8Array, maxOut: number): Uint8Array {
    this.src = src;
    this.pos = 0;
    this.bitBuf = 0;
    this.bitCnt = 0;
    this.outLen = 0;
    this.maxOut = maxOut;
    let final = 0;
    do {
      final = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) this.codes(FIXED_LIT, FIXED_DIST);
      else if (type === 2) {
        this.dynamicTables();
        this.codes(this.lit, this.dist);
      } else throw new InflateError('invalid block type 3');
    } while (!final);
    return this.out.subarray(0, this.outLen);
  }

  /** Tops the bit buffer up to at least 24 bits; past the input's end it shifts in zeros. */
  private refill(): void {
    while (this.bitCnt <= 24) {
      const b = this.pos < this.src.length ? this.src[this.pos]! : 0;
      // Up to 4 zero bytes of slack cover any peek; reading further means the stream is cut short.
      if (this.pos >= this.src.length + 4) throw new InflateError('compressed stream is truncated');
      this.pos++;
      this.bitBuf |= b << this.bitCnt;
      this.bitCnt += 8;
    }
  }

  private consumed(): void {
    // Bits taken beyond the real input are zero padding: the stream ended early.
    if (this.pos - (this.bitCnt >>> 3) > this.src.length) throw new InflateError('compressed stream is truncated');
  }

  private bits(n: number): number {
    if (this.bitCnt < n) this.refill();
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCnt -= n;
    return v;
  }

  private ensureOut(extra: number): void {
    const need = this.outLen + extra;
    if (need > this.maxOut) throw new InflateError(`inflates to more than ${this.maxOut} bytes`);
    if (need <= this.out.length) return;
    let cap = this.out.length * 2;
    while (cap < need) cap *= 2;
    const o = new Uint8Array(cap);
    o.set(this.out.subarray(0, this.outLen));
    this.out = o;
  }

  private stored(): void {
    // Drop to the byte boundary; whole bytes still in the bit buffer are stream bytes.
    this.bitBuf >>>= this.bitCnt & 7;
    this.bitCnt -= this.bitCnt & 7;
    const len = this.bits(16);
    const nlen = this.bits(16);
    if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length check failed');
    this.ensureOut(len);
    for (let i = 0; i < len; i++) this.out[this.outLen++] = this.bits(8);
    this.consumed();
  }

  private decode(h: Huffman): number {
    if (this.bitCnt < MAX_BITS) this.refill();
    const e = h.fast[this.bitBuf & (FAST_SIZE - 1)]!;
    if (e !== 0) {
      const len = e & 15;
      this.bitBuf >>>= len;
      this.bitCnt -= len;
      return e >>> 4;
    }
    // Longer code: walk the canonical code one bit at a time.
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.bitBuf & 1;
      this.bitBuf >>>= 1;
      this.bitCnt--;
      const count = h.counts[len]!;
      if (code - count < first) return h.symbols[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code');
  }

  private dynamicTables(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('too many length or distance codes');
    const cl = this.clLengths;
    cl.fill(0);
    for (let i = 0; i < ncode; i++) cl[CODE_LENGTH_ORDER[i]!] = this.bits(3);
    this.cl.build(cl, 19);
    const lengths = this.lengths;
    let i = 0;
    while (i < nlen + ndist) {
      const sym = this.decode(this.cl);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let len = 0;
      let rep: number;
      if (sym === 16) {
        if (i === 0) throw new InflateError('repeat of a code length with no previous length');
        len = lengths[i - 1]!;
        rep = 3 + this.bits(2);
      } else if (sym === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (i + rep > nlen + ndist) throw new InflateError('code lengths overflow the table');
      while (rep-- > 0) lengths[i++] = len;
    }
    if (lengths[256] === 0) throw new InflateError('no end-of-block code');
    this.lit.build(lengths, nlen);
    this.dist.build(lengths.subarray(nlen, nlen + ndist), ndist);
    this.consumed();
  }

  private codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const sym = this.decode(lit);
      if (sym < 256) {
        if (this.outLen >= this.out.length) this.ensureOut(1);
        else if (this.outLen >= this.maxOut) throw new InflateError(`inflates to more than ${this.maxOut} bytes`);
        this.out[this.outLen++] = sym;
        continue;
      }
      if (sym === 256) {
        this.consumed();
        return;
      }
      const li = sym - 257;
      if (li >= 29) throw new InflateError(`invalid length symbol ${sym}`);
      const len = LENGTH_BASE[li]! + this.bits(LENGTH_EXTRA[li]!);
      const di = this.decode(dist);
      if (di >= 30) throw new InflateError(`invalid distance symbol ${di}`);
      const d = DIST_BASE[di]! + this.bits(DIST_EXTRA[di]!);
      if (d > this.outLen) throw new InflateError(`distance ${d} reaches before the start of the output`);
      this.ensureOut(len);
      const o = this.out;
      let p = this.outLen;
      // Byte by byte: a match may overlap the bytes it is producing.
      for (let k = 0; k < len; k++, p++) o[p] = o[p - d]!;
      this.outLen = p;
      this.consumed();
    }
  }
}

const inflater = new Inflater();

/**
 * Inflates a raw DEFLATE stream (no zlib/gzip header). The result is a view of a buffer that the
 * next call overwrites: use or copy it before inflating again. Throws InflateError when the
 * stream is malformed, truncated, or would inflate to more than maxOut bytes.
 */
export function inflateRaw(src: Uint8Array, maxOut: number): Uint8Array {
  return inflater.run(src, maxOut);
}
