import type { Labels } from '../../model/index.js';
import type { FloatHistogram, HistogramSamples } from '../../model/index.js';

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
  /**
   * Native-histogram values by step, only on series that have any. A step holding a histogram
   * has `present[i] = 0`, so float code paths pass over it; histogram-aware ones read this.
   */
  hist?: (FloatHistogram | undefined)[];
}

/** Raw samples of one series, staleness markers removed, as seen by range-vector functions. */
export interface RangeSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  dropName: boolean;
  /** Native-histogram samples of the series, when it has any (never at a float's timestamp). */
  histograms?: HistogramSamples;
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
  if (s.hist) for (const h of s.hist) if (h) n++;
  return n;
}

/** True when step i holds a float or a histogram. */
export function hasSample(s: StepSeries, i: number): boolean {
  return s.present[i] === 1 || s.hist?.[i] !== undefined;
}

/** Most step cells in one slab buffer: bounds the memory a few unused slots can pin. */
const SLAB_MAX_CELLS = 1 << 20;

interface SlabBuffer {
  values: Float64Array;
  present: Uint8Array;
}

/**
 * Step-cell buffers kept for reuse between queries, all zero while idle. Untouched memory costs
 * a page fault per 4 KiB on first write and large typed arrays come from fresh mappings each
 * time: a range query over thousands of series paid milliseconds for that alone.
 */
export class SlabPool {
  private readonly free: SlabBuffer[] = [];

  constructor(
    readonly cells = 1 << 16,
    /** Most idle buffers kept (bounds the memory the pool holds on to). */
    private readonly maxFree = 16,
  ) {}

  take(): SlabBuffer {
    return this.free.pop() ?? { values: new Float64Array(this.cells), present: new Uint8Array(this.cells) };
  }

  /** Takes back a buffer whose cells [0, used) may have been written. */
  give(b: SlabBuffer, used: number): void {
    if (this.free.length >= this.maxFree || b.values.length !== this.cells) return;
    b.values.fill(0, 0, used);
    b.present.fill(0, 0, used);
    this.free.push(b);
  }
}

/** The pool evaluations draw their step cells from (released when the query is answered). */
export const stepSlabPool = new SlabPool();

/**
 * Hands out the step arrays of many series as views of a few large buffers. A typed array of
 * its own per series means a separate off-heap allocation (and GC bookkeeping) each; a range
 * query over thousands of series spent more time there than computing the values.
 *
 * With a pool, buffers come from it and go back on release(), after which nothing may read the
 * series handed out.
 */
export class StepSlab {
  private values: Float64Array = new Float64Array(0);
  private present: Uint8Array = new Uint8Array(0);
  private used = 0;
  private readonly taken: SlabBuffer[] = [];
  private readonly takenUsed: number[] = [];

  constructor(
    private readonly numSteps: number,
    /** How many series the caller expects to ask for; sizes the first buffer. */
    private readonly expectedSeries: number,
    private readonly pool: SlabPool | null = null,
  ) {}

  series(labels: Labels, dropName = false): StepSeries {
    const n = this.numSteps;
    if (this.used + n > this.present.length) this.nextBuffer();
    const at = this.used;
    this.used += n;
    return { labels, values: this.values.subarray(at, at + n), present: this.present.subarray(at, at + n), dropName };
  }

  private nextBuffer(): void {
    const n = this.numSteps;
    const pool = this.pool;
    if (this.taken.length > 0) this.takenUsed[this.taken.length - 1] = this.used;
    if (pool && n <= pool.cells) {
      const b = pool.take();
      this.taken.push(b);
      this.takenUsed.push(0);
      this.values = b.values;
      this.present = b.present;
    } else {
      const cells = Math.max(n, Math.min(Math.max(1, this.expectedSeries) * n, SLAB_MAX_CELLS));
      this.values = new Float64Array(cells);
      this.present = new Uint8Array(cells);
    }
    this.used = 0;
  }

  /** Returns the last series handed out (it turned out empty) so its cells are used again. */
  giveBack(s: StepSeries): void {
    if (s.values.buffer === this.values.buffer && s.values.byteOffset === this.values.byteOffset + (this.used - this.numSteps) * 8) {
      this.used -= this.numSteps;
      s.values.fill(0);
      s.present.fill(0);
    }
  }

  /** Gives pooled buffers back; the series handed out must no longer be read. */
  release(): void {
    if (!this.pool) return;
    if (this.taken.length > 0 && this.values === this.taken[this.taken.length - 1]!.values) this.takenUsed[this.taken.length - 1] = this.used;
    for (let i = 0; i < this.taken.length; i++) this.pool.give(this.taken[i]!, this.takenUsed[i]!);
    this.taken.length = 0;
    this.takenUsed.length = 0;
    this.values = new Float64Array(0);
    this.present = new Uint8Array(0);
    this.used = 0;
  }
}
