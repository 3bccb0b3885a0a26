import type { Labels } from '../../model/index.js';

/**
 * One series of an instant-vector expression evaluated over all steps of a query: `values[i]` is
 * the value at step i and is meaningful only where `present[i]` is 1 (NaN is a legal value, so
 * absence needs its own flag).
 */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
  /** Delayed `__name__` removal: the name is dropped at the end of evaluation. */
  dropName: boolean;
}

/** Raw samples of one series, staleness markers removed, as seen by range-vector functions. */
export interface RangeSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  dropName: boolean;
}

/**
 * A range vector: the samples of each series plus, per step of the enclosing evaluation, the
 * window `(ends[i] - rangeMs, ends[i]]` a range function sees at that step.
 */
export interface MatrixValue {
  kind: 'matrix';
  series: RangeSeries[];
  rangeMs: number;
  /** Per step: the (offset- and @-adjusted) right edge of the window. */
  ends: Float64Array;
  /** `anchored` / `smoothed` range selectors see one lookback beyond the range. */
  modifier?: 'anchored' | 'smoothed';
  lookbackMs?: number;
}

export interface VectorValue {
  kind: 'vector';
  series: StepSeries[];
}

export interface ScalarValue {
  kind: 'scalar';
  values: Float64Array;
}

export interface StringValue {
  kind: 'string';
  value: string;
}

export type EvalValue = VectorValue | ScalarValue | StringValue | MatrixValue;

export function newStepSeries(labels: Labels, numSteps: number, dropName = false): StepSeries {
  return { labels, values: new Float64Array(numSteps), present: new Uint8Array(numSteps), dropName };
}

export function countPresent(s: StepSeries): number {
  let n = 0;
  const p = s.present;
  for (let i = 0; i < p.length; i++) n += p[i]!;
  return n;
}

/** Most step cells in one slab buffer: bounds the memory a few unused slots can pin. */
const SLAB_MAX_CELLS = 1 << 20;

/**
 * Hands out the step arrays of many series as views of a few large buffers. A typed array of
 * its own per series means a separate off-heap allocation (and GC bookkeeping) each; a range
 * query over thousands of series spent more time there than computing the values.
 */
export class StepSlab {
  private values = new Float64Array(0);
  private present = new Uint8Array(0);
  private used = 0;

  constructor(
    private readonly numSteps: number,
    /** How many series the caller expects to ask for; sizes the first buffer. */
    private readonly expectedSeries: number,
  ) {}

  series(labels: Labels, dropName = false): StepSeries {
    const n = this.numSteps;
    if (this.used + n > this.present.length) {
      const cells = Math.max(n, Math.min(Math.max(1, this.expectedSeries) * n, SLAB_MAX_CELLS));
      this.values = new Float64Array(cells);
      this.present = new Uint8Array(cells);
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    return { labels, values: this.values.subarray(at, at + n), present: this.present.subarray(at, at + n), dropName };
  }

  /** Returns the last series handed out (it turned out empty) so its cells are used again. */
  giveBack(s: StepSeries): void {
    if (s.values.buffer === this.values.buffer && s.values.byteOffset === (this.used - this.numSteps) * 8) {
      this.used -= this.numSteps;
      s.values.fill(0);
      s.present.fill(0);
    }
  }
}
