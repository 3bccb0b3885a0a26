/**
 * The part reader's raw DEFLATE decoder (src/codec/inflate.ts) against zlib: every stream
 * zlib writes inflates to the same bytes, and damaged streams fail with InflateError, never hang.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { InflateError, inflateRaw } from '../../src/codec/inflate.js';

const LIMIT = 1 << 22;

function floats(n: number, seed: number): Uint8Array {
  const a = new Float64Array(n);
  let v = seed;
  for (let i = 0; i < n; i++) a[i] = v += (i % 7) * 0.25;
  return new Uint8Array(a.buffer);
}

describe('inflateRaw', () => {
  it('inflates what zlib deflates, for every level and strategy', () => {
    const inputs = [new Uint8Array(0), new Uint8Array([42]), floats(480, 1e9), new Uint8Array(70_000).fill(7), floats(8192, 3)];
    for (const input of inputs) {
      for (let level = 0; level <= 9; level++) {
        for (const strategy of [0, 1, 2, 3, 4]) {
          const z = deflateRawSync(input, { level, strategy });
          expect(Buffer.from(inflateRaw(z, LIMIT)).equals(Buffer.from(input))).toBe(true);
        }
      }
    }
  });

  it('inflates random and repetitive data as zlib wrote it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.array(fc.constantFrom(0, 1, 2, 255), { maxLength: 5000 }).map((a) => Uint8Array.from(a)),
        ),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 9, max: 15 }),
        (input, level, windowBits) => {
          const z = deflateRawSync(input, { level, windowBits });
          expect(Buffer.from(inflateRaw(z, LIMIT)).equals(Buffer.from(input))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a stream cut short', () => {
    const z = deflateRawSync(floats(480, 5));
    for (const cut of [1, 2, 10, z.length - 1]) {
      expect(() => inflateRaw(z.subarray(0, z.length - cut), LIMIT)).toThrow(InflateError);
    }
  });

  it('rejects output beyond the limit', () => {
    const z = deflateRawSync(new Uint8Array(10_000));
    expect(() => inflateRaw(z, 9_999)).toThrow(/more than 9999 bytes/);
    expect(inflateRaw(z, 10_000).length).toBe(10_000);
  });

  it('rejects the reserved block type', () => {
    expect(() => inflateRaw(new Uint8Array([0b111, 0, 0]), LIMIT)).toThrow(/block type 3/);
  });

  it('fails damaged streams with InflateError or inflates them, never anything else', () => {
    const base = deflateRawSync(floats(600, 11), { level: 6 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Uint8Array.from(base);
        bad[at]! ^= flip;
        try {
          inflateRaw(bad, 64 * 1024);
        } catch (e) {
          expect(e).toBeInstanceOf(InflateError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
