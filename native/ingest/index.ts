// Strata's remote-write decoding helpers compiled to WebAssembly (src/ingest/wasm.ts loads them):
// snappy block decompression and the common case of a remote write 1.0 body. JavaScript owns the
// arena layout, the limits and every error message; nothing here allocates.
export { snappyDecode, snappyErrAt, snappyErrValue } from './snappy';
export { hashKey } from './key-hash';
export { walkRemoteWriteV1, walkStatus, walkSamples, walkSeries, splitTopLevelFields } from './remote-write';

/** First byte of the arena (free memory after static data), 16-byte aligned. */
export function arenaBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
