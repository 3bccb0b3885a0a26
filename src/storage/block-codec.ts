import { decodeTimestamps, decodeValues, encodeTimestamps, encodeValues, inflateRaw, maxEncodedSize } from '../codec/index.js';
import { PartCorruptError } from './errors.js';
import { RawDeflater } from './raw-deflater.js';

/**
 * The column codecs as storage sees them (kind byte and deflate flag: docs/format/part.md and
 * docs/format/codec.md). The codecs live in src/codec; each block records which
 * kind wrote it so parts stay readable if the choice changes. Kind 0 (raw little-endian float64)
 * is a safety net: a block the codec refuses to encode is stored raw instead of failing a flush.
 */
export const CODEC_RAW = 0;
export const CODEC_STRATA = 1;

/**
 * Flag bit on a codec kind: the encoded column was then deflated. The codecs remove the structure
 * of the numbers; a general-purpose compressor removes what repeats across them (timestamp jitter
 * patterns, recurring value deltas), the way VictoriaMetrics puts zstd over its encodings.
 * Deflate rather than Brotli: Brotli (quality 5) saved ~1% more on node_exporter-like data but
 * decoded ~2.5x slower, and every query pays for decoding.
 */
export const COMPRESSED = 0x80;
/** Below this many bytes the compressor's own overhead eats the gain. */
const COMPRESS_MIN_BYTES = 48;

export interface EncodedColumn {
  kind: number;
  bytes: Uint8Array;
}

/** Kept as the one place a thread prepares its codec (the codec module loads lazily today). */
export function loadCodec(): Promise<void> {
  return Promise.resolve();
}

// Level 6 costs no more than level 1 on blocks of a few KB and saves ~3%; a 16 KB window and a
// smaller hash table (128 KB of zlib state instead of 384 KB) lose nothing at this size.
const columnDeflater = new RawDeflater({ level: 6, windowBits: 14, memLevel: 7 });

/**
 * The column deflated (flag COMPRESSED) when that saves at least 1/32, else as it was. The
 * deflated bytes are a copy: they outlive the next call.
 */
export function compressColumn(c: EncodedColumn): EncodedColumn {
  if (c.bytes.length < COMPRESS_MIN_BYTES) return c;
  // Keep it only when it saves at least 1/32: every read pays for the decompression.
  const z = columnDeflater.deflate(c.bytes, c.bytes.length - (c.bytes.length >> 5));
  return z ? { kind: c.kind | COMPRESSED, bytes: z.slice() } : c;
}

function rawEncode(col: Float64Array, count: number): Uint8Array {
  return new Uint8Array(col.slice(0, count).buffer);
}

/** The codec's encoding of a timestamp column (deflate, where it pays, is the DeflateAdvisor's call). */
export function encodeTimestampsColumn(ts: Float64Array, count: number): EncodedColumn {
  try {
    return { kind: CODEC_STRATA, bytes: encodeTimestamps(ts, count) };
  } catch {
    return { kind: CODEC_RAW, bytes: rawEncode(ts, count) };
  }
}

/** The codec's encoding of a value column. */
export function encodeValuesColumn(vs: Float64Array, count: number): EncodedColumn {
  try {
    return { kind: CODEC_STRATA, bytes: encodeValues(vs, count) };
  } catch {
    return { kind: CODEC_RAW, bytes: rawEncode(vs, count) };
  }
}

/** Where a block lives, for error messages; a function when building the text up front would cost. */
export type BlockLocation = string | (() => string);

const locate = (where: BlockLocation): string => (typeof where === 'string' ? where : where());

function rawDecode(src: Uint8Array, count: number, out: Float64Array, where: BlockLocation): void {
  if (src.length !== count * 8) throw new PartCorruptError(locate(where), `raw column of ${src.length} bytes for ${count} samples`);
  new Uint8Array(out.buffer, out.byteOffset, count * 8).set(src);
}

export function decodeColumn(kind: number, isTimestamps: boolean, src: Uint8Array, count: number, out: Float64Array, where: BlockLocation): void {
  if (kind & COMPRESSED) {
    try {
      // The inflated bytes live in a shared scratch buffer: they are decoded below, before any
      // other column is inflated, and never kept.
      src = inflateRaw(src, Math.max(count * 8, maxEncodedSize(count)));
    } catch (e) {
      throw new PartCorruptError(locate(where), `compressed block does not decompress: ${(e as Error).message}`);
    }
    kind &= ~COMPRESSED;
  }
  if (kind === CODEC_RAW) return rawDecode(src, count, out, where);
  if (kind !== CODEC_STRATA) throw new PartCorruptError(locate(where), `unknown codec kind ${kind}`);
  try {
    if (isTimestamps) decodeTimestamps(src, count, out);
    else decodeValues(src, count, out);
  } catch (e) {
    throw new PartCorruptError(locate(where), `block does not decode: ${(e as Error).message}`);
  }
}
