import type { AtModifier, Duration } from '../ast.js';
import { DurationError, resolveDuration } from '../duration.js';
import { PromQLError } from './errors.js';

/** The query's own bounds, which `start()`, `end()`, `range()`, `step()` and `@ start()` refer to. */
export interface QueryBounds {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

/**
 * Milliseconds of a range, step or offset (`offset`: may be negative). Duration expressions are
 * resolved by promql/duration.ts, the one implementation (seconds arithmetic, then truncated to
 * whole milliseconds as Prometheus does: `[2s/3]` is 666 ms).
 */
export function durationMs(d: Duration | null, bounds: QueryBounds, offset = false): number {
  if (d === null) return 0;
  try {
    return resolveDuration(d, { stepMs: bounds.stepMs, rangeMs: bounds.endMs - bounds.startMs }, offset);
  } catch (e) {
    if (e instanceof DurationError) throw new PromQLError('bad_data', e.message);
    throw e;
  }
}

export function atMs(at: AtModifier | null, bounds: QueryBounds): number | null {
  if (at === null) return null;
  if (at.kind === 'time') return at.ms;
  return at.kind === 'start' ? bounds.startMs : bounds.endMs;
}
