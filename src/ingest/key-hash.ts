/**
 * A 128-bit hash of a canonical series key (see label-key.ts), as four u32 lanes, so the
 * database's key → series-id cache can look a series up by numbers instead of building and
 * hashing a ~150-character string per sample on the main thread. The decode workers compute it
 * while they copy the key bytes; `hashKeyString` gives the same lanes for a key held as a latin1
 * string (formats decoded in-thread). The mixing is MurmurHash3's x86 128-bit construction.
 *
 * 128 bits make an accidental collision between two label sets negligible (≈ n²/2^129: 10^-20
 * for a billion series). The cache is per tenant and a writer can already write to any series of
 * its tenant by naming it, so a crafted collision grants nothing; a cache miss always goes through
 * the label index, which compares the labels themselves.
 */

/** u32 lanes per key hash. */
export const KEY_HASH_LANES = 4;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mixK1(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}
function mixK2(k: number): number {
  return Math.imul(rotl(Math.imul(k, C2), 16), C3);
}
function mixK3(k: number): number {
  return Math.imul(rotl(Math.imul(k, C3), 17), C4);
}
function mixK4(k: number): number {
  return Math.imul(rotl(Math.imul(k, C4), 18), C1);
}

const SEED = 0x9747b28c | 0;

/**
 * Folds the tail (fewer than 16 bytes, as four partial little-endian words) and the length into
 * the state h1..h4 and writes the result. The block loops keep their state in locals (measured 5×
 * faster than shared state): they are written out in both hash functions for that reason.
 */
function finish(
  h1: number,
  h2: number,
  h3: number,
  h4: number,
  k1: number,
  k2: number,
  k3: number,
  k4: number,
  len: number,
  out: Uint32Array,
  o: number,
): void {
  h4 ^= mixK4(k4);
  h3 ^= mixK3(k3);
  h2 ^= mixK2(k2);
  h1 ^= mixK1(k1);
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out[o] = h1;
  out[o + 1] = h2 + h1;
  out[o + 2] = h3 + h1;
  out[o + 3] = h4 + h1;
}

/** The little-endian word of the tail starting at byte t (of e), bytes past e as zero. */
function tailWord(src: Uint8Array, t: number, e: number): number {
  let k = 0;
  for (let i = Math.min(e, t + 4) - 1; i >= t; i--) k = (k << 8) | src[i]!;
  return k;
}

function tailWordString(s: string, t: number, e: number): number {
  let k = 0;
  for (let i = Math.min(e, t + 4) - 1; i >= t; i--) k = (k << 8) | (s.charCodeAt(i) & 0xff);
  return k;
}

let viewOf: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/** Hashes the bytes src[s, e) into out[o .. o+4). */
export function hashKeyBytes(src: Uint8Array, s: number, e: number, out: Uint32Array, o: number): void {
  // Whole words through a DataView: a quarter of the loads of byte-by-byte assembly.
  if (viewOf !== src) {
    view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    viewOf = src;
  }
  const dv = view;
  let h1 = SEED;
  let h2 = SEED;
  let h3 = SEED;
  let h4 = SEED;
  let p = s;
  const blocksEnd = s + ((e - s) & ~15);
  for (; p < blocksEnd; p += 16) {
    h1 ^= mixK1(dv.getInt32(p, true));
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= mixK2(dv.getInt32(p + 4, true));
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= mixK3(dv.getInt32(p + 8, true));
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= mixK4(dv.getInt32(p + 12, true));
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  finish(h1, h2, h3, h4, tailWord(src, p, e), tailWord(src, p + 4, e), tailWord(src, p + 8, e), tailWord(src, p + 12, e), e - s, out, o);
}

/** The same hash for a key held as a latin1 string (each char code is one byte of the key). */
export function hashKeyString(key: string, out: Uint32Array, o: number): void {
  const w = (i: number): number =>
    (key.charCodeAt(i) & 0xff) | ((key.charCodeAt(i + 1) & 0xff) << 8) | ((key.charCodeAt(i + 2) & 0xff) << 16) | ((key.charCodeAt(i + 3) & 0xff) << 24);
  let h1 = SEED;
  let h2 = SEED;
  let h3 = SEED;
  let h4 = SEED;
  const e = key.length;
  let p = 0;
  const blocksEnd = e & ~15;
  for (; p < blocksEnd; p += 16) {
    h1 ^= mixK1(w(p));
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= mixK2(w(p + 4));
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= mixK3(w(p + 8));
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= mixK4(w(p + 12));
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  finish(h1, h2, h3, h4, tailWordString(key, p, e), tailWordString(key, p + 4, e), tailWordString(key, p + 8, e), tailWordString(key, p + 12, e), e, out, o);
}
