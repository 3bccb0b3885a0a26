import { decodeTimestamps, decodeValues, encodeTimestamps, encodeValues } from '../codec/index.js';
import { PartCorruptError } from './errors.js';

/**
 * The column codecs as storage sees them. The codecs live in src/codec; each block records which
 * kind wrote it so parts stay readable if the choice changes. Kind 0 (raw little-endian float64)
 * is a safety net: a block the codec refuses to encode is stored raw instead of failing a flush.
 */
export const CODEC_RAW = 0;
export const CODEC_STRATA = 1;

export interface EncodedColumn {
  kind: number;
  bytes: Uint8Array;
}

/** Kept as the one place a thread prepares its codec (the codec module loads lazily today). */
export function loadCodec(): Promise<void> {
  return Promise.resolve();
}

function rawEncode(col: Float64Array, count: number): Uint8Array {
  return new Uint8Array(col.slice(0, count).buffer);
}

export function encodeTimestampsColumn(ts: Float64Array, count: number): EncodedColumn {
  try {
    return { kind: CODEC_STRATA, bytes: encodeTimestamps(ts, count) };
  } catch {
    return { kind: CODEC_RAW, bytes: rawEncode(ts, count) };
  }
}

export function encodeValuesColumn(vs: Float64Array, count: number): EncodedColumn {
  try {
    return { kind: CODEC_STRATA, bytes: encodeValues(vs, count) };
  } catch {
    return { kind: CODEC_RAW, bytes: rawEncode(vs, count) };
  }
}

function rawDecode(src: Uint8Array, count: number, out: Float64Array, where: string): void {
  if (src.length !== count * 8) throw new PartCorruptError(where, `raw column of ${src.length} bytes for ${count} samples`);
  new Uint8Array(out.buffer, out.byteOffset, count * 8).set(src);
}

export function decodeColumn(kind: number, isTimestamps: boolean, src: Uint8Array, count: number, out: Float64Array, where: string): void {
  if (kind === CODEC_RAW) return rawDecode(src, count, out, where);
  if (kind !== CODEC_STRATA) throw new PartCorruptError(where, `unknown codec kind ${kind}`);
  try {
    if (isTimestamps) decodeTimestamps(src, count, out);
    else decodeValues(src, count, out);
  } catch (e) {
    throw new PartCorruptError(where, `block does not decode: ${(e as Error).message}`);
  }
}
