import fc from 'fast-check';
import { describe, it } from 'vitest';
import { CodecError, loadWasmCodec, referenceCodec } from '../../src/codec/index.js';
import {
  adversarialTimestamps,
  checkTimestamps,
  checkValues,
  decimalBlocks,
  decimalWithExceptions,
  doubleBlocks,
  nearlyConstant,
  randomBlocks,
  scrapeTimestamps,
  specialBlocks,
  wideIntTimestamps,
} from './arbitraries.js';

// The parity and garbage properties with 100× the runs (about 15 s), so only with STRATA_SLOW_TESTS=1.
const RUNS = 25_000;
const wasm = loadWasmCodec();

describe.skipIf(!process.env['STRATA_SLOW_TESTS'] || wasm === null)('codec soak', () => {
  const w = wasm!;
  const timestampArbs = fc.oneof(scrapeTimestamps, wideIntTimestamps, adversarialTimestamps);
  const valueArbs = fc.oneof(randomBlocks, specialBlocks, doubleBlocks, decimalBlocks, decimalWithExceptions, nearlyConstant);

  it('WASM matches the reference on timestamps', { timeout: 600_000 }, () => {
    fc.assert(
      fc.property(timestampArbs, (ts) => checkTimestamps(w, ts)),
      { numRuns: RUNS },
    );
  });

  it('WASM matches the reference on values', { timeout: 600_000 }, () => {
    fc.assert(
      fc.property(valueArbs, (v) => checkValues(w, v)),
      { numRuns: RUNS },
    );
  });

  it('mutated valid blocks decode or throw CodecError in both backends', { timeout: 600_000 }, () => {
    const arb = fc.tuple(
      fc.oneof(valueArbs, timestampArbs),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    );
    fc.assert(
      fc.property(arb, ([data, asTs, flips]) => {
        const block = asTs ? referenceCodec.encodeTimestamps(data, data.length) : referenceCodec.encodeValues(data, data.length);
        for (const [pos, x] of flips) block[pos % block.length]! ^= x;
        for (const codec of [referenceCodec, w]) {
          try {
            if (asTs) codec.decodeTimestamps(block, data.length, new Float64Array(data.length));
            else codec.decodeValues(block, data.length, new Float64Array(data.length));
          } catch (e) {
            if (!(e instanceof CodecError)) throw e;
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
