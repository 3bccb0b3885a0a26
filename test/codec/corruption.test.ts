import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, loadWasmCodec, referenceCodec, type CodecBackend } from '../../src/codec/index.js';
import { f64, fromBits, rng, staleBits } from './helpers.js';

const wasm = loadWasmCodec();
const backends: CodecBackend[] = wasm ? [referenceCodec, wasm] : [referenceCodec];

type Decode = (codec: CodecBackend, block: Uint8Array, count: number) => void;
const decodeTs: Decode = (c, b, n) => c.decodeTimestamps(b, n, new Float64Array(n));
const decodeVals: Decode = (c, b, n) => c.decodeValues(b, n, new Float64Array(n));

function series(n: number, f: (i: number, r: () => number) => number): Float64Array {
  const r = rng(n);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = f(i, r);
  return a;
}

const withStale = series(300, (i) => i * 7);
withStale.set(staleBits(), 150);

/** One valid block of every kind, as [name, block, count, decoder]. */
const BLOCKS: [string, Uint8Array, number, Decode][] = [
  [
    'timestamps, equal intervals',
    referenceCodec.encodeTimestamps(
      series(300, (i) => 1e12 + i * 15000),
      300,
    ),
    300,
    decodeTs,
  ],
  [
    'timestamps, delta-of-delta',
    referenceCodec.encodeTimestamps(
      series(300, (i, r) => 1e12 + i * 15000 + Math.floor(r() * 50)),
      300,
    ),
    300,
    decodeTs,
  ],
  ['timestamps, raw', referenceCodec.encodeTimestamps(f64(0.5, 1, 2.5, 4), 4), 4, decodeTs],
  ['values, constant', referenceCodec.encodeValues(new Float64Array(50).fill(3), 50), 50, decodeVals],
  [
    'values, decimal delta',
    referenceCodec.encodeValues(
      series(300, (_, r) => Math.round(r() * 1e4) / 100),
      300,
    ),
    300,
    decodeVals,
  ],
  ['values, decimal delta-of-delta with an exception', referenceCodec.encodeValues(withStale, 300), 300, decodeVals],
  [
    'values, Gorilla',
    referenceCodec.encodeValues(
      series(300, (_, r) => r()),
      300,
    ),
    300,
    decodeVals,
  ],
  ['values, Gorilla with specials', referenceCodec.encodeValues(f64(-0, Infinity, fromBits(0x7ff80000, 7), 1 / 3, -1 / 3), 5), 5, decodeVals],
];

/** Runs fn; passes if it returns or throws a CodecError, fails on any other exception. */
function decodesOrCodecError(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof CodecError) return false;
    throw e;
  }
}

for (const codec of backends) {
  describe(`corrupted blocks (${codec.name} backend)`, () => {
    for (const [name, block, count, decode] of BLOCKS) {
      it(`rejects every truncation of ${name}`, () => {
        decode(codec, block, count); // the intact block decodes
        for (let len = 0; len < block.length; len++) {
          expect(() => decode(codec, block.subarray(0, len), count)).toThrow(CodecError);
        }
      });

      it(`rejects trailing bytes after ${name}`, () => {
        const longer = new Uint8Array(block.length + 1);
        longer.set(block);
        expect(() => decode(codec, longer, count)).toThrow(CodecError);
      });

      it(`decodes or throws CodecError for every single-bit flip of ${name}`, () => {
        const copy = block.slice();
        for (let i = 0; i < copy.length; i++) {
          for (let bit = 0; bit < 8; bit++) {
            copy[i] = block[i]! ^ (1 << bit);
            decodesOrCodecError(() => decode(codec, copy, count));
          }
          copy[i] = block[i]!;
        }
      });
    }

    it('decodes or throws CodecError on random garbage', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(300), fc.boolean(), (bytes, count, asTs) => {
          decodesOrCodecError(() => (asTs ? decodeTs : decodeVals)(codec, bytes, count));
        }),
        { numRuns: 2000 },
      );
    });

    it('decodes or throws CodecError on garbage behind a valid header', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0x11, max: 0x14 }), fc.nat(300), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (h, count, tail, asTs) => {
          const bytes = new Uint8Array(3 + tail.length);
          bytes[0] = h;
          bytes[1] = (count & 127) | 128;
          bytes[2] = count >>> 7;
          bytes.set(tail, 3);
          decodesOrCodecError(() => (asTs ? decodeTs : decodeVals)(codec, bytes, count));
        }),
        { numRuns: 2000 },
      );
    });

    it('names an unsupported format version', () => {
      expect(() => decodeVals(codec, Uint8Array.of(0x21, 0x01, 0, 0, 0, 0, 0, 0, 0, 0), 1)).toThrow(/format version 2/);
    });

    it('names an unknown codec kind', () => {
      expect(() => decodeTs(codec, Uint8Array.of(0x1f, 0x01, 0), 1)).toThrow(/kind 15/);
    });

    it('names a count that disagrees with the caller', () => {
      const block = codec.encodeValues(f64(1, 2, 3), 3);
      expect(() => decodeVals(codec, block, 2)).toThrow(/holds 3 samples, caller expected 2/);
    });

    it('rejects an empty block', () => {
      expect(() => decodeTs(codec, new Uint8Array(0), 0)).toThrow(CodecError);
    });

    it('rejects an output array shorter than the block', () => {
      const block = codec.encodeValues(f64(1, 2, 3), 3);
      expect(() => codec.decodeValues(block, 3, new Float64Array(2))).toThrow(CodecError);
    });

    it('rejects a count larger than the input array when encoding', () => {
      expect(() => codec.encodeTimestamps(f64(1, 2), 3)).toThrow(/exceeds the array length/);
      expect(() => codec.encodeValues(f64(1, 2), -1)).toThrow(/non-negative integer/);
    });
  });
}
