import { createRequire } from 'node:module';
import { IngestError } from './errors.js';
import { ingestWasm, releaseLargeArena, type IngestWasm } from './wasm.js';

/**
 * Snappy block format (what Prometheus remote write uses; not the framed stream format).
 * Decompression is our own strict loop, in WebAssembly (native/ingest/snappy.ts): snappyjs
 * silently accepts bodies that are shorter or longer than their declared length; this one rejects
 * every inconsistency with a 400 naming the byte. Compression (tests, benchmarks) uses snappyjs.
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

/** Messages for native/ingest/snappy.ts's codes. */
function wasmFailure(code: number, at: number, value: number, length: number): IngestError {
  switch (code) {
    case -1:
      return corrupt('truncated literal length', at);
    case -2:
      return corrupt(`literal of ${value} bytes runs past the end`, at);
    case -3:
      return corrupt('output longer than declared length', at);
    case -4:
      return corrupt('truncated copy', at);
    case -5:
      return corrupt(`copy offset ${value} outside the output`, at);
    case -6:
      return corrupt(`body decompresses to ${value} bytes, header declared ${length}`, at);
    default:
      return corrupt(`decoder error ${code}`, at);
  }
}

/** A decompressed body in the ingest module's arena; valid until the thread's next use of it. */
export interface ArenaBytes {
  readonly wasm: IngestWasm;
  readonly at: number;
  readonly length: number;
}

/**
 * Decompresses a snappy block into this thread's ingest arena. Throws IngestError 413 when the
 * declared size exceeds `maxBytes` (checked before any memory is reserved) and 400 for any
 * malformed input.
 */
export function snappyUncompressToArena(src: Uint8Array, maxBytes: number): ArenaBytes {
  const { length, start } = snappyDecodedLength(src);
  if (length > maxBytes) {
    throw new IngestError(413, `decompressed body would be ${length} bytes, more than the limit of ${maxBytes} bytes`);
  }
  const wasm = ingestWasm();
  const { input, output } = wasm.reserve(src.length, length);
  wasm.u8.set(src, input);
  const r = wasm.x.snappyDecode(input, start, src.length, output, length);
  if (r !== 0) throw wasmFailure(r, wasm.x.snappyErrAt.value, wasm.x.snappyErrValue.value, length);
  return { wasm, at: output, length };
}

/** Decompresses a snappy block into a Buffer of its own (errors as `snappyUncompressToArena`). */
export function snappyUncompress(src: Uint8Array, maxBytes: number): Buffer {
  const { wasm, at, length } = snappyUncompressToArena(src, maxBytes);
  const out = Buffer.allocUnsafeSlow(length);
  out.set(wasm.u8.subarray(at, at + length));
  releaseLargeArena();
  return out;
}
