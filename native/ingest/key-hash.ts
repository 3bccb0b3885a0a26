// The 128-bit series key hash of src/ingest/key-hash.ts (MurmurHash3 x86 128-bit mixing, seed
// 0x9747b28c), over bytes in linear memory. Both must give the same four lanes for the same
// bytes: the main thread's key → series-id cache mixes hashes from either.

const C1: u32 = 0x239b961b;
const C2: u32 = 0xab0e9789;
const C3: u32 = 0x38b34ae5;
const C4: u32 = 0xa1e38b93;
const SEED: u32 = 0x9747b28c;

@inline function fmix(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >> 16);
}

/** The little-endian word at t, bytes at or past e as zero. */
@inline function tailWord(t: usize, e: usize): u32 {
  if (t + 4 <= e) return load<u32>(t);
  let k: u32 = 0;
  for (let i = <isize>min(e, t + 4) - 1; i >= <isize>t; i--) k = (k << 8) | <u32>load<u8>(<usize>i);
  return k;
}

/** Hashes [s, e) into out[0..4) (four u32 lanes). */
export function hashKey(s: usize, e: usize, out: usize): void {
  let h1 = SEED;
  let h2 = SEED;
  let h3 = SEED;
  let h4 = SEED;
  let p = s;
  const blocksEnd = s + ((e - s) & ~(<usize>15));
  for (; p < blocksEnd; p += 16) {
    h1 ^= rotl<u32>(load<u32>(p) * C1, 15) * C2;
    h1 = (rotl<u32>(h1, 19) + h2) * 5 + 0x561ccd1b;
    h2 ^= rotl<u32>(load<u32>(p + 4) * C2, 16) * C3;
    h2 = (rotl<u32>(h2, 17) + h3) * 5 + 0x0bcaa747;
    h3 ^= rotl<u32>(load<u32>(p + 8) * C3, 17) * C4;
    h3 = (rotl<u32>(h3, 15) + h4) * 5 + 0x96cd1c35;
    h4 ^= rotl<u32>(load<u32>(p + 12) * C4, 18) * C1;
    h4 = (rotl<u32>(h4, 13) + h1) * 5 + 0x32ac3b17;
  }
  if (p < e) {
    // Partial words of the tail; a zero word mixes to zero, as in the JavaScript version.
    h4 ^= rotl<u32>(tailWord(p + 12, e) * C4, 18) * C1;
    h3 ^= rotl<u32>(tailWord(p + 8, e) * C3, 17) * C4;
    h2 ^= rotl<u32>(tailWord(p + 4, e) * C2, 16) * C3;
    h1 ^= rotl<u32>(tailWord(p, e) * C1, 15) * C2;
  }
  const len = <u32>(e - s);
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = h1 + h2 + h3 + h4;
  h2 += h1;
  h3 += h1;
  h4 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = h1 + h2 + h3 + h4;
  store<u32>(out, h1);
  store<u32>(out + 4, h2 + h1);
  store<u32>(out + 8, h3 + h1);
  store<u32>(out + 12, h4 + h1);
}
