import { bitWidth, zigzag, type Reader, type Writer } from './bits.js';
import { varintSize } from '../varint.js';
import { CodecError } from './errors.js';
import { CHUNK, MAX_WIDTH } from './format.js';

/**
 * Bit-packs signed integers (deltas or delta-of-deltas) in chunks of CHUNK values, each chunk
 * frame-of-reference coded: zig-zag varint of its minimum, a width byte, then ceil(width × len / 8)
 * bytes of (value − minimum). One outlier widens only its own chunk; a counter's always-positive
 * deltas pay for their spread, not their size; a chunk of equal values costs two bytes or so.
 */
export function writeChunks(w: Writer, v: Float64Array, n: number): void {
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    let min = v[start]!;
    let max = min;
    for (let i = start + 1; i < end; i++) {
      const x = v[i]!;
      if (x < min) min = x;
      else if (x > max) max = x;
    }
    const width = bitWidth(max - min);
    w.zvarint(min);
    w.byte(width);
    if (width === 0) continue;
    for (let i = start; i < end; i++) w.wide(v[i]! - min, width);
    w.alignByte();
  }
}

/** The bytes writeChunks would produce for the same input. */
export function chunksSize(v: Float64Array, n: number): number {
  let size = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    let min = v[start]!;
    let max = min;
    for (let i = start + 1; i < end; i++) {
      const x = v[i]!;
      if (x < min) min = x;
      else if (x > max) max = x;
    }
    size += varintSize(zigzag(min)) + 1 + Math.ceil((bitWidth(max - min) * (end - start)) / 8);
  }
  return size;
}

/** Reads n packed values into out[0..n). */
export function readChunks(r: Reader, n: number, out: Float64Array): void {
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const min = r.zvarint();
    const width = r.byte();
    if (width > MAX_WIDTH) throw new CodecError(`codec block corrupt: packed width ${width} exceeds ${MAX_WIDTH}`);
    if (width === 0) {
      out.fill(min, start, end);
      continue;
    }
    r.beginBits(Math.ceil((width * (end - start)) / 8), 'packed chunk');
    for (let i = start; i < end; i++) out[i] = min + r.wide(width);
    r.endSection();
  }
}
