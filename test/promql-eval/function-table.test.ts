/**
 * The function table and the rate math it shares: every function the parser knows has an
 * implementation (tsc enforces it; this also guards the runtime table), and the one-loop rate
 * evaluation gives exactly what the window-by-window kernel gives.
 */
import { describe, it, expect } from 'vitest';
import { FUNCTIONS } from '../../src/promql/function-signatures.js';
import { FUNCTION_IMPLS, ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS } from '../../src/promql/functions/table.js';
import { extrapolatedRate, extrapolatedRateSteps } from '../../src/promql/functions/rate.js';
import { newWindow } from '../../src/promql/functions/window.js';

describe('function table', () => {
  it('implements exactly the functions the parser accepts', () => {
    expect(Object.keys(FUNCTION_IMPLS).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it('lists the functions that take range modifiers as Prometheus names them', () => {
    expect(ANCHORED_FUNCTIONS.join(', ')).toBe('changes, delta, increase, rate, resets');
    expect(SMOOTHED_FUNCTIONS.join(', ')).toBe('delta, increase, rate');
  });
});

describe('rate extrapolation: one implementation for both evaluation paths', () => {
  // A counter with a reset, irregular spacing and a start near zero (the zero clamp applies).
  const ts = Float64Array.from([0, 13_000, 29_000, 45_000, 58_000, 75_000, 90_000, 104_000, 121_000, 135_000]);
  const vs = Float64Array.from([0.5, 3, 7, 12, 2, 6, 11, 15, 22, 30]);
  const ends = Float64Array.from([30_000, 60_000, 61_000, 90_000, 120_000, 150_000, 200_000]);
  const rangeMs = 60_000;

  for (const [name, isCounter, isRate] of [
    ['rate', true, true],
    ['increase', true, false],
    ['delta', false, false],
  ] as const) {
    it(`${name}: extrapolatedRateSteps equals extrapolatedRate at every step`, () => {
      const values = new Float64Array(ends.length);
      const present = new Uint8Array(ends.length);
      extrapolatedRateSteps(ts, vs, ends, rangeMs, isCounter, isRate, false, values, present);
      const w = newWindow();
      w.ts = ts;
      w.vs = vs;
      w.rangeMs = rangeMs;
      for (let i = 0; i < ends.length; i++) {
        w.rangeEnd = ends[i]!;
        w.rangeStart = ends[i]! - rangeMs;
        w.lo = ts.findIndex((t) => t > w.rangeStart);
        w.hi = ts.findIndex((t) => t > w.rangeEnd);
        if (w.lo < 0) w.lo = ts.length;
        if (w.hi < 0) w.hi = ts.length;
        const expected = extrapolatedRate(w, isCounter, isRate);
        if (expected === undefined) expect(present[i]).toBe(0);
        else {
          expect(present[i]).toBe(1);
          expect(values[i]).toBe(expected);
        }
      }
    });
  }
});
