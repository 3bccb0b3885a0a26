import type { HistogramRows } from './histogram-row.js';
import { HistogramWasm } from './histogram-wasm.js';
import { decodeHistogramsRef, encodeHistogramsRef } from './histograms.js';

/**
 * The histogram column's face: storage encodes and decodes through here. WASM when it loads
 * (and STRATA_CODEC is not `ts`), else the TypeScript reference; both write the same bytes.
 */

let wasm: HistogramWasm | null | undefined;

function backend(): HistogramWasm | null {
  if (wasm === undefined) {
    const w = process.env['STRATA_CODEC'] === 'ts' ? null : HistogramWasm.load();
    wasm = w instanceof HistogramWasm ? w : null;
  }
  return wasm;
}

/** Which implementation this thread uses. */
export function histogramCodecBackend(): 'wasm' | 'ts' {
  return backend() ? 'wasm' : 'ts';
}

/** Encodes rows [0, count) into one histogram column. */
export function encodeHistograms(rows: HistogramRows, count: number): Uint8Array {
  const w = backend();
  return w ? w.encode(rows, count) : encodeHistogramsRef(rows, count);
}

/** Decodes a histogram column of `count` samples into flat rows; CodecError when malformed. */
export function decodeHistograms(src: Uint8Array, count: number): HistogramRows {
  const w = backend();
  return w ? w.decode(src, count) : decodeHistogramsRef(src, count);
}
