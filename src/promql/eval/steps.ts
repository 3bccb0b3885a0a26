/** A grid with more steps than the caller allows (checked before anything is allocated). */
export class StepLimitError extends Error {
  constructor(readonly numSteps: number) {
    super(`evaluation grid of ${numSteps} steps is too large`);
  }
}

/** The evaluation grid of a query or subquery: `start, start+interval, …` up to and including `end`. */
export interface StepRange {
  readonly start: number;
  readonly end: number;
  readonly interval: number;
  readonly numSteps: number;
  readonly ts: Float64Array;
}

export function stepRange(start: number, end: number, interval: number, maxSteps = Infinity): StepRange {
  const numSteps = end < start ? 0 : interval > 0 ? Math.floor((end - start) / interval) + 1 : 1;
  if (numSteps > maxSteps) throw new StepLimitError(numSteps);
  const ts = new Float64Array(numSteps);
  for (let i = 0; i < numSteps; i++) ts[i] = start + i * interval;
  return { start, end, interval: interval > 0 ? interval : 1, numSteps, ts };
}

/**
 * The grid a subquery `[range:step] offset o` evaluates its inner expression on, aligned to
 * absolute multiples of the step as Prometheus does (so results do not depend on the query start).
 */
export function subqueryBounds(
  outerStart: number,
  outerEnd: number,
  outerInterval: number,
  offsetMs: number,
  rangeMs: number,
  stepMs: number,
): { start: number; end: number } {
  const parentEnd = outerInterval > 0 ? outerStart + Math.floor((outerEnd - outerStart) / outerInterval) * outerInterval : outerEnd;
  const end = parentEnd - offsetMs;
  const lowest = outerStart - offsetMs - rangeMs;
  // Go's integer division truncates toward zero.
  let start = stepMs * Math.trunc(lowest / stepMs);
  if (start <= lowest) start += stepMs;
  return { start, end };
}

export function subqueryRange(
  outerStart: number,
  outerEnd: number,
  outerInterval: number,
  offsetMs: number,
  rangeMs: number,
  stepMs: number,
  maxSteps = Infinity,
): StepRange {
  const { start, end } = subqueryBounds(outerStart, outerEnd, outerInterval, offsetMs, rangeMs, stepMs);
  return stepRange(start, end, stepMs, maxSteps);
}
