import { decodeRangeWith, type BlockDecoder } from './range.js';
import { decodeTimestampsRef, encodeTimestampsRef } from './timestamps.js';
import { decodeValuesPrefixRef, decodeValuesRef, encodeValuesRef } from './values.js';

/** Everything one codec backend offers; the reference (pure TS) and WASM backends both implement it. */
export interface CodecBackend extends BlockDecoder {
  readonly name: 'ts' | 'wasm';
  encodeTimestamps(ts: Float64Array, count: number): Uint8Array;
  decodeTimestamps(src: Uint8Array, count: number, out: Float64Array): void;
  encodeValues(values: Float64Array, count: number): Uint8Array;
  decodeValues(src: Uint8Array, count: number, out: Float64Array): void;
  decodeValuesPrefix(src: Uint8Array, count: number, n: number, out: Float64Array): void;
  decodeBlockRange(tsSrc: Uint8Array, valSrc: Uint8Array, count: number, t1: number, t2: number, outTs: Float64Array, outVals: Float64Array): number;
}

/** The pure-TypeScript codecs: the oracle for tests and the fallback when WebAssembly is unavailable. */
export const referenceCodec: CodecBackend = {
  name: 'ts',
  encodeTimestamps: encodeTimestampsRef,
  decodeTimestamps: decodeTimestampsRef,
  encodeValues: encodeValuesRef,
  decodeValues: decodeValuesRef,
  decodeValuesPrefix: decodeValuesPrefixRef,
  decodeBlockRange(tsSrc, valSrc, count, t1, t2, outTs, outVals) {
    return decodeRangeWith(referenceCodec, tsSrc, valSrc, count, t1, t2, outTs, outVals);
  },
};
