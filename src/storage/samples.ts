import { StorageError } from './errors.js';

const NO_SAMPLES = new Float64Array(0);
/** Samples from which pushSlice copies with TypedArray.set rather than a loop. */
const BULK_COPY_MIN = 48;

/**
 * Fixed-size Float64Array slabs kept for reuse between queries. Memory the process has not
 * touched yet costs a page fault per 4 KiB on first write (a few µs each on a VM), and large
 * typed arrays come from fresh mappings every time: a range query over thousands of series spent
 * milliseconds there. Slabs are handed out as they were left; callers must not read what they
 * have not written.
 */
export class SlabPool {
  private readonly free: Float64Array[] = [];

  constructor(
    readonly slabSize = 1 << 15,
    /** Most idle slabs kept (bounds the memory the pool holds on to). */
    private readonly maxFree = 48,
  ) {}

  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.slabSize);
  }

  give(slab: Float64Array): void {
    if (this.free.length < this.maxFree && slab.length === this.slabSize) this.free.push(slab);
  }

  /** Idle slabs held now. */
  get idle(): number {
    return this.free.length;
  }
}

/** A read whose arena was released (its query gave up on it) stops rather than write on. */
export class ReadAbandonedError extends StorageError {
  constructor() {
    super('read abandoned: its arena was released before it finished');
  }
}

/**
 * Idle slabs kept for query reads: 16 MiB, what two aggregations streaming at once (two query
 * slots) hold in their batches (see promql's streamBatchSamples), so steady streaming reuses
 * memory instead of faulting in fresh pages for every batch.
 */
const READ_POOL_SLABS = 64;

/** The pool query reads draw from (see SampleArena). */
export const readSlabPool = new SlabPool(1 << 15, READ_POOL_SLABS);

/**
 * Hands out column space for the series of one read as views of a few large arrays. A typed
 * array of its own per series is an off-heap allocation each (and GC bookkeeping); a range read
 * of thousands of series spent more time there than decoding.
 *
 * Without a pool, views keep their slab alive, so an arena lives as long as the results of the
 * read that filled it. With a pool, the owner calls release() once nothing reads the results any
 * more: the slabs then serve later reads, and this arena hands out fresh memory only.
 */
export class SampleArena {
  private ts: Float64Array = NO_SAMPLES;
  private vs: Float64Array = NO_SAMPLES;
  private used = 0;
  private nextSlab: number;
  private readonly taken: Float64Array[] = [];
  private isReleased = false;

  constructor(
    firstSlab = 4096,
    private readonly maxSlab = 1 << 20,
    private readonly pool: SlabPool | null = null,
  ) {
    this.nextSlab = firstSlab;
  }

  /** An arena drawing its slabs from pool (reads of one query; see release()). */
  static pooled(pool: SlabPool = readSlabPool): SampleArena {
    return new SampleArena(pool.slabSize, pool.slabSize, pool);
  }

  get released(): boolean {
    return this.isReleased;
  }

  /** Gives pooled slabs back; results of this arena's reads must no longer be read. */
  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    if (this.pool) for (const c of this.taken) this.pool.give(c);
    this.taken.length = 0;
    this.ts = NO_SAMPLES;
    this.vs = NO_SAMPLES;
    this.used = 0;
  }

  private newSlab(cap: number): void {
    const pool = this.pool;
    if (pool && !this.isReleased && cap <= pool.slabSize) {
      this.ts = pool.take();
      this.vs = pool.take();
      this.taken.push(this.ts, this.vs);
    } else {
      const size = Math.max(cap, this.nextSlab);
      this.nextSlab = Math.min(this.nextSlab * 2, this.maxSlab);
      this.ts = new Float64Array(size);
      this.vs = new Float64Array(size);
    }
    this.used = 0;
  }

  /** Points buf's columns at fresh space for cap samples, keeping its first buf.length samples. */
  moveTo(buf: SampleBuffer, cap: number): void {
    if (this.used + cap > this.ts.length) this.newSlab(cap);
    const at = this.used;
    this.used += cap;
    const ts = this.ts.subarray(at, at + cap);
    const vs = this.vs.subarray(at, at + cap);
    const n = buf.length;
    if (n > 0) {
      ts.set(n === buf.timestamps.length ? buf.timestamps : buf.timestamps.subarray(0, n));
      vs.set(n === buf.values.length ? buf.values : buf.values.subarray(0, n));
    }
    buf.timestamps = ts;
    buf.values = vs;
  }
}

/**
 * A growable pair of columns used as scratch space while collecting one series from several
 * sources. Without an arena it is reused across series so the hot loops allocate only when a
 * series is larger than any seen before; with one (reads: one buffer per series) it starts empty
 * and takes exactly the space its first source needs from the arena.
 */
export class SampleBuffer {
  timestamps: Float64Array;
  values: Float64Array;
  length = 0;

  constructor(
    capacity = 256,
    private readonly arena: SampleArena | null = null,
  ) {
    if (arena) {
      this.timestamps = NO_SAMPLES;
      this.values = NO_SAMPLES;
    } else {
      this.timestamps = new Float64Array(capacity);
      this.values = new Float64Array(capacity);
    }
  }

  reset(): void {
    this.length = 0;
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    const have = this.timestamps.length;
    if (need <= have) return;
    if (this.arena) {
      // Exact for the first source (usually the only one); doubling after that.
      this.arena.moveTo(this, have === 0 ? need : Math.max(need, have * 2));
      return;
    }
    let cap = Math.max(have * 2, 1);
    while (cap < need) cap *= 2;
    const ts = new Float64Array(cap);
    ts.set(this.timestamps.subarray(0, this.length));
    const vs = new Float64Array(cap);
    vs.set(this.values.subarray(0, this.length));
    this.timestamps = ts;
    this.values = vs;
  }

  push(t: number, v: number): void {
    if (this.length === this.timestamps.length) this.reserve(1);
    this.timestamps[this.length] = t;
    this.values[this.length] = v;
    this.length++;
  }

  /** Appends the samples of src with minT <= t <= maxT. */
  pushRange(ts: Float64Array, vs: Float64Array, n: number, minT: number, maxT: number): void {
    if (n <= 0) return;
    this.reserve(n);
    // A plain loop: for the few hundred samples of a block it beats subarray() + set(), whose
    // fixed cost (a new view object per call) dominates at that size.
    let k = this.length;
    const dt = this.timestamps;
    const dv = this.values;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      if (t < minT || t > maxT) continue;
      dt[k] = t;
      dv[k] = vs[i]!;
      k++;
    }
    this.length = k;
  }

  /** Appends samples [from, to) of the columns as they are (the caller has bounded the range). */
  pushSlice(ts: Float64Array, vs: Float64Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.reserve(n);
    const k = this.length;
    const dt = this.timestamps;
    const dv = this.values;
    if (n >= BULK_COPY_MIN) {
      // A memcpy each: past a few dozen samples it beats the loop despite the two views it makes.
      dt.set(ts.subarray(from, to), k);
      dv.set(vs.subarray(from, to), k);
    } else {
      for (let i = 0; i < n; i++) {
        dt[k + i] = ts[from + i]!;
        dv[k + i] = vs[from + i]!;
      }
    }
    this.length = k + n;
  }

  /**
   * Hands the filled part of the arrays over as views, without copying: the caller owns the result
   * and this buffer must not be written again (reads build one buffer per series and drop it).
   */
  snapshot(): { timestamps: Float64Array; values: Float64Array } {
    const n = this.length;
    // Reads reserve exactly what their first source holds: usually the arrays are already the size.
    if (n === this.timestamps.length && n === this.values.length) return { timestamps: this.timestamps, values: this.values };
    return { timestamps: this.timestamps.subarray(0, n), values: this.values.subarray(0, n) };
  }
}
