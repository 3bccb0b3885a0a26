import { SampleBuffer } from './samples.js';

/**
 * In-memory rows not yet in a part. Rows are kept in arrival order in flat columns; each row
 * links to the previous row of the same series, and a map holds each series' newest row. This
 * costs 28 bytes per row and one map entry per series, with no per-series arrays, so a million
 * active series do not mean a million small allocations.
 */
export class Memtable {
  private ids: Float64Array;
  private ts: Float64Array;
  private vs: Float64Array;
  private prev: Int32Array;
  private readonly heads = new Map<number, number>();
  length = 0;
  minT = Infinity;
  maxT = -Infinity;

  constructor(initialCapacity = 4096) {
    this.ids = new Float64Array(initialCapacity);
    this.ts = new Float64Array(initialCapacity);
    this.vs = new Float64Array(initialCapacity);
    this.prev = new Int32Array(initialCapacity);
  }

  get seriesCount(): number {
    return this.heads.size;
  }

  private grow(need: number): void {
    let cap = this.ids.length * 2;
    while (cap < need) cap *= 2;
    const grow64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.ids = grow64(this.ids);
    this.ts = grow64(this.ts);
    this.vs = grow64(this.vs);
    const p = new Int32Array(cap);
    p.set(this.prev.subarray(0, this.length));
    this.prev = p;
  }

  append(ids: Float64Array, ts: Float64Array, vs: Float64Array, from: number, count: number): void {
    if (this.length + count > this.ids.length) this.grow(this.length + count);
    const heads = this.heads;
    let row = this.length;
    let minT = this.minT;
    let maxT = this.maxT;
    for (let i = from; i < from + count; i++, row++) {
      const id = ids[i]!;
      const t = ts[i]!;
      this.ids[row] = id;
      this.ts[row] = t;
      this.vs[row] = vs[i]!;
      const h = heads.get(id);
      this.prev[row] = h === undefined ? -1 : h;
      heads.set(id, row);
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
    }
    this.length = row;
    this.minT = minT;
    this.maxT = maxT;
  }

  /** The raw columns in arrival order; copies when they must outlive this memtable (transfer to a worker). */
  rows(copy: boolean): { ids: Float64Array; timestamps: Float64Array; values: Float64Array } {
    const n = this.length;
    const pick = (a: Float64Array): Float64Array => (copy ? a.slice(0, n) : a.subarray(0, n));
    return { ids: pick(this.ids), timestamps: pick(this.ts), values: pick(this.vs) };
  }

  has(id: number): boolean {
    return this.heads.has(id);
  }

  /** Appends the series' rows within [minT, maxT] to out, oldest write first. */
  collect(id: number, minT: number, maxT: number, out: SampleBuffer): void {
    let row = this.heads.get(id);
    if (row === undefined) return;
    const start = out.length;
    // The chain runs newest to oldest; push then reverse the pushed range.
    while (row >= 0) {
      const t = this.ts[row]!;
      if (t >= minT && t <= maxT) out.push(t, this.vs[row]!);
      row = this.prev[row]!;
    }
    const ot = out.timestamps;
    const ov = out.values;
    for (let a = start, b = out.length - 1; a < b; a++, b--) {
      const t = ot[a]!;
      ot[a] = ot[b]!;
      ot[b] = t;
      const v = ov[a]!;
      ov[a] = ov[b]!;
      ov[b] = v;
    }
  }

  /** Series ids present, ascending. */
  sortedIds(): Float64Array {
    const ids = new Float64Array(this.heads.size);
    let i = 0;
    for (const id of this.heads.keys()) ids[i++] = id;
    return ids.sort();
  }

  /** Ids with a row inside [minT, maxT]. */
  idsInRange(minT: number, maxT: number, out: Set<number>): void {
    if (this.maxT < minT || this.minT > maxT) return;
    for (let r = 0; r < this.length; r++) {
      const t = this.ts[r]!;
      if (t >= minT && t <= maxT) out.add(this.ids[r]!);
    }
  }
}
