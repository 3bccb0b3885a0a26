import { createRequire } from 'node:module';
import { IngestError } from './errors.js';

/**
 * Snappy block format (what Prometheus remote write uses; not the framed stream format).
 * Decompression is our own strict loop: snappyjs silently accepts bodies that are shorter or longer
 * than their declared length and copies byte by byte; this one rejects every inconsistency with a
 * 400 and uses native block copies for long runs. Compression (tests, benchmarks) uses snappyjs.
 */

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
}
const snappyjs = createRequire(import.meta.url)('snappyjs') as SnappyJs;

export function snappyCompress(input: Uint8Array): Uint8Array {
  // snappyjs returns a Buffer for Buffer input and a Uint8Array otherwise; either is a Uint8Array.
  return snappyjs.compress(input);
}

function corrupt(what: string, at: number): IngestError {
  return new IngestError(400, `malformed snappy body: ${what} at byte ${at}`);
}

/** The uncompressed length a snappy block declares, and where its elements start. */
export function snappyDecodedLength(src: Uint8Array): { length: number; start: number } {
  let len = 0;
  let shift = 0;
  let p = 0;
  for (;;) {
    if (p >= src.length) throw corrupt(src.length === 0 ? 'empty body' : 'truncated length header', p);
    const c = src[p++]!;
    len += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
    shift += 7;
    if (shift > 28) throw corrupt('length header longer than 5 bytes', p);
  }
  if (len > 0xffffffff) throw corrupt('declared length exceeds 4 GiB', 0);
  return { length: len, start: p };
}

/**
 * Decompresses a snappy block. Throws IngestError 413 when the declared size exceeds
 * `maxBytes` (checked before allocating) and 400 for any malformed input.
 */
export function snappyUncompress(src: Uint8Array, maxBytes: number): Buffer {
  const { length, start } = snappyDecodedLength(src);
  if (length > maxBytes) {
    throw new IngestError(413, `decompressed body would be ${length} bytes, more than the limit of ${maxBytes} bytes`);
  }
  const out = Buffer.allocUnsafe(length);
  const n = src.length;
  // 4-byte moves through DataViews (unaligned access is fine) beat byte loops for short runs.
  const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let p = start;
  let o = 0;
  while (p < n) {
    const tag = src[p++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (p + extra > n) throw corrupt('truncated literal length', p);
        len = src[p]!;
        if (extra > 1) len |= src[p + 1]! << 8;
        if (extra > 2) len |= src[p + 2]! << 16;
        if (extra > 3) len = (len >>> 0) + src[p + 3]! * 0x1000000;
        p += extra;
      }
      len += 1;
      if (p + len > n) throw corrupt(`literal of ${len} bytes runs past the end`, p);
      if (o + len > length) throw corrupt('output longer than declared length', p);
      if (len < 16) {
        if (o + len + 3 < length && p + len + 3 < n) {
          // May write up to 3 bytes past the literal: later elements overwrite them.
          for (let i = 0; i < len; i += 4) ov.setUint32(o + i, sv.getUint32(p + i, true), true);
        } else {
          for (let i = 0; i < len; i++) out[o + i] = src[p + i]!;
        }
      } else {
        out.set(src.subarray(p, p + len), o);
      }
      p += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (p >= n) throw corrupt('truncated copy', p);
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[p++]!;
    } else if (kind === 2) {
      if (p + 2 > n) throw corrupt('truncated copy', p);
      len = 1 + (tag >>> 2);
      offset = src[p]! | (src[p + 1]! << 8);
      p += 2;
    } else {
      if (p + 4 > n) throw corrupt('truncated copy', p);
      len = 1 + (tag >>> 2);
      offset = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16)) + src[p + 3]! * 0x1000000;
      p += 4;
    }
    if (offset === 0 || offset > o) throw corrupt(`copy offset ${offset} outside the output`, p);
    if (o + len > length) throw corrupt('output longer than declared length', p);
    const from = o - offset;
    if (offset >= len && len >= 16) {
      out.copyWithin(o, from, from + len);
    } else if (offset >= 4 && o + len + 3 < length) {
      // Each 4-byte read ends before the write position, so overlapping patterns replicate right.
      for (let i = 0; i < len; i += 4) ov.setUint32(o + i, ov.getUint32(from + i, true), true);
    } else {
      // Overlapping copies repeat a pattern: byte order matters.
      for (let i = 0; i < len; i++) out[o + i] = out[from + i]!;
    }
    o += len;
  }
  if (o !== length) throw corrupt(`body decompresses to ${o} bytes, header declared ${length}`, p);
  return out;
}
