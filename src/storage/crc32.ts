import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (the zlib/IEEE polynomial, identical results to `zlib.crc32`) that computes short inputs
 * in JavaScript. Every block a flush or merge writes or reads is checksummed, and most blocks are
 * tens of bytes: a call into zlib costs ~0.2–0.5 µs however little it hashes, about what a table
 * loop takes for 100–200 bytes. Longer inputs go to zlib, which is faster per byte.
 */

const JS_MAX_BYTES = 128;

/** Slicing-by-8 tables: TABLE[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLE = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[k * 256 + n] = c;
  }
}

/** CRC-32 of `bytes`, continuing from `crc` (the CRC of what came before them; 0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const n = bytes.length;
  if (n > JS_MAX_BYTES) return zlibCrc32(bytes, crc);
  const t = TABLE;
  let c = ~crc;
  let i = 0;
  for (const end = n - 7; i < end; i += 8) {
    const lo = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
