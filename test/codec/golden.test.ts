import { describe, expect, it } from 'vitest';
import { loadWasmCodec, referenceCodec, type CodecBackend } from '../../src/codec/index.js';
import { bitsHex, f64, fromBits, hex, staleBits } from './helpers.js';

// Fixed bytes for fixed inputs. A failure here means the on-disk format changed: bump
// FORMAT_VERSION and keep a decoder for the old version instead of editing these strings.
const TIMESTAMPS: [string, Float64Array, string][] = [
  ['an empty block', f64(), '1300'],
  ['equal intervals', f64(1700000000000, 1700000015000, 1700000030000, 1700000045000, 1700000060000), '110580a0abfef962b0ea01'],
  ['jittered intervals (deltas)', f64(1700000000000, 1700000015003, 1700000029998, 1700000045001, 1700000060000), '140580a0abfef962a6ea01040848'],
  [
    'a missed scrape (delta-of-deltas)',
    f64(1700000000000, 1700000015000, 1700000030000, 1700000045000, 1700000060000, 1700000075000, 1700000090000, 1700000165000),
    '120880a0abfef962b0ea0100100000000000000000000060ea',
  ],
  ['non-integer timestamps (raw)', f64(1.5, 2), '1302000000000000f83f0000000000000040'],
];

const VALUES: [string, Float64Array, string][] = [
  ['an empty block', f64(), '1400'],
  ['a constant', f64(42.5, 42.5, 42.5), '11030000000000404540'],
  ['a two-decimal gauge (decimal deltas)', f64(1.25, 0.5, 3.75, 2), '1204fe00fa01dd020964e80300'],
  ['a steady counter (decimal deltas, one packed chunk of width 0)', f64(100, 200, 300, 400, 500, 600), '12060200020200'],
  ['a counter ending in a staleness marker', f64(1, 2, 3, 4, 5, 6, 7, staleBits()), '1208000107020000000000f07f0200013f'],
  ['an accelerating counter (decimal delta-of-deltas)', f64(10, 30, 60, 100, 150, 210, 280, 360, 450), '1309010002040200'],
  [
    'irrational values, a NaN payload, -0 and +Inf (Gorilla)',
    f64(Math.PI, Math.E, fromBits(0x7ff80000, 0xbeef), -0, Infinity),
    '1405182d4454fb210940b3394e0fea3bde9317fc309d6251e1b7ff1ffcefbe00000000f8ff010000000000c0ff03',
  ],
];

const wasm = loadWasmCodec();
const backends: CodecBackend[] = wasm ? [referenceCodec, wasm] : [referenceCodec];

describe('golden vectors', () => {
  it('has the WASM module built (run `node scripts/build.mjs` first)', () => {
    expect(wasm?.name).toBe('wasm');
  });

  for (const codec of backends) {
    describe(`${codec.name} backend`, () => {
      for (const [name, input, expected] of TIMESTAMPS) {
        it(`encodes timestamps: ${name}`, () => {
          expect(hex(codec.encodeTimestamps(input, input.length))).toBe(expected);
        });
        it(`decodes timestamps: ${name}`, () => {
          const out = new Float64Array(input.length);
          codec.decodeTimestamps(Buffer.from(expected, 'hex'), input.length, out);
          expect(bitsHex(out)).toEqual(bitsHex(input));
        });
      }
      for (const [name, input, expected] of VALUES) {
        it(`encodes values: ${name}`, () => {
          expect(hex(codec.encodeValues(input, input.length))).toBe(expected);
        });
        it(`decodes values: ${name}`, () => {
          const out = new Float64Array(input.length);
          codec.decodeValues(Buffer.from(expected, 'hex'), input.length, out);
          expect(bitsHex(out)).toEqual(bitsHex(input));
        });
      }
    });
  }
});
