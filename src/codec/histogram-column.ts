import type { HistogramRows } from './histogram-row.js';
import { decodeHistogramsRef, encodeHistogramsRef } from './histograms.js';

/**
 * The histogram column's face: storage encodes and decodes through here. The TypeScript
 * reference (histograms.ts) is the implementation; see codec/README.md for the WASM status.
 */

/** Encodes rows [0, count) into one histogram column. */
export function encodeHistograms(rows: HistogramRows, count: number): Uint8Array {
  return encodeHistogramsRef(rows, count);
}

/** Decodes a histogram column of `count` samples into flat rows; CodecError when malformed. */
export function decodeHistograms(src: Uint8Array, count: number): HistogramRows {
  return decodeHistogramsRef(src, count);
}
