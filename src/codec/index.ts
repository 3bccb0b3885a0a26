/**
 * Column block codecs for timestamps and values. The WASM backend is used when it loads; otherwise
 * the pure-TypeScript reference, which produces byte-identical blocks.
 */
import { referenceCodec, type CodecBackend } from './reference.js';
import { loadWasmCodec } from './wasm.js';

export { CodecError } from './errors.js';
export { referenceCodec, type CodecBackend } from './reference.js';
export { FORMAT_VERSION, maxEncodedSize } from './format.js';
export { loadWasmCodec, wasmLoadError } from './wasm.js';
export { InflateError, inflateRaw } from './inflate.js';
export { zigzag, unzigzag } from './bits.js';

let backend: CodecBackend | null = null;

/** Loaded lazily, once per thread (main thread and each worker import their own copy). */
function active(): CodecBackend {
  if (backend === null) {
    backend = process.env['STRATA_CODEC'] === 'ts' ? null : loadWasmCodec();
    backend ??= referenceCodec;
  }
  return backend;
}

/** Which backend this thread uses ('wasm' or 'ts'). Loads it on first call. */
export function codecBackend(): 'wasm' | 'ts' {
  return active().name;
}

/** Encodes count timestamps (integer ms, ascending or not) into a self-describing column block. */
export function encodeTimestamps(ts: Float64Array, count: number): Uint8Array {
  return active().encodeTimestamps(ts, count);
}

/** Decodes a timestamp block of count samples into out[0..count). Throws CodecError if malformed. */
export function decodeTimestamps(src: Uint8Array, count: number, out: Float64Array): void {
  active().decodeTimestamps(src, count, out);
}

/** Encodes count float64 values exactly (bit patterns preserved). */
export function encodeValues(values: Float64Array, count: number): Uint8Array {
  return active().encodeValues(values, count);
}

/** Decodes a value block of count samples into out[0..count), bit patterns preserved. */
export function decodeValues(src: Uint8Array, count: number, out: Float64Array): void {
  active().decodeValues(src, count, out);
}

/**
 * Decodes only the samples with t1 ≤ timestamp ≤ t2 of one block (its timestamp and value columns)
 * into outTs/outVals from index 0; returns how many. Values past the last match are not decoded.
 */
export function decodeBlockRange(
  tsSrc: Uint8Array,
  valSrc: Uint8Array,
  count: number,
  t1: number,
  t2: number,
  outTs: Float64Array,
  outVals: Float64Array,
): number {
  return active().decodeBlockRange(tsSrc, valSrc, count, t1, t2, outTs, outVals);
}

export { encodeHistograms, decodeHistograms, histogramCodecBackend } from './histogram-column.js';
export {
  encodeHistogramRow,
  readHistogramRow,
  writeHistogramRow,
  writeRowHeader,
  histogramRowSize,
  histogramRowLength,
  rowAt,
  rowBytes,
  ROW_HEADER,
  type HistogramRows,
} from './histogram-row.js';
export { encodeHistogramsRef, decodeHistogramsRef, HIST_KIND } from './histograms.js';
export { HistogramWasm } from './histogram-wasm.js';
