import { IdHeads } from './id-heads.js';
import type { SampleBuffer } from './samples.js';

/** A sealed memtable's rows as a flush reads them (see Memtable.chains). */
export interface MemtableChains {
  timestamps: Float64Array;
  values: Float64Array;
  /** Per row: the previous row of the same series, or -1. */
  prev: Int32Array;
  /** Series ids, ascending, and the newest row of each. */
  seriesIds: Float64Array;
  heads: Int32Array;
}

/** Appends one series' rows within [minT, maxT] to out, oldest write first, following its row links from `head`. */
export function collectChain(ts: Float64Array, vs: Float64Array, prev: Int32Array, head: number, minT: number, maxT: number, out: SampleBuffer): void {
  const start = out.length;
  // The chain runs newest to oldest; push then reverse the pushed range.
  for (let row = head; row >= 0; row = prev[row]!) {
    const t = ts[row]!;
    if (t >= minT && t <= maxT) out.push(t, vs[row]!);
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

/**
 * In-memory rows not yet in a part. Rows are kept in arrival order in flat columns; each row
 * links to the previous row of the same series, and a table holds each series' newest row. This
 * costs 20 bytes per row and one table entry per series, with no per-series arrays, so a million
 * active series do not mean a million small allocations. A row does not store its series id:
 * everything that reads rows starts from a series' head and follows the links.
 */
export class Memtable {
  private ts: Float64Array;
  private vs: Float64Array;
  private prev: Int32Array;
  private readonly heads = new IdHeads();
  length = 0;
  minT = Infinity;
  maxT = -Infinity;

  /**
   * `shared`: the row columns live in SharedArrayBuffers, so a sealed memtable can be handed to
   * the flush worker as it is instead of being copied (it is never appended to once sealed).
   */
  constructor(
    initialCapacity = 4096,
    private readonly shared = false,
  ) {
    const cap = Math.max(1, initialCapacity);
    this.ts = this.column(cap);
    this.vs = this.column(cap);
    this.prev = this.links(cap);
  }

  private column(cap: number): Float64Array {
    return this.shared ? new Float64Array(new SharedArrayBuffer(cap * 8)) : new Float64Array(cap);
  }

  private links(cap: number): Int32Array {
    return this.shared ? new Int32Array(new SharedArrayBuffer(cap * 4)) : new Int32Array(cap);
  }

  /** Empties the memtable, keeping its columns for reuse. Only for one nothing reads any more. */
  reset(): void {
    this.length = 0;
    this.heads.clear();
    this.minT = Infinity;
    this.maxT = -Infinity;
  }

  /** Rows the columns hold before they must grow. */
  get capacity(): number {
    return this.ts.length;
  }

  get seriesCount(): number {
    return this.heads.size;
  }

  private grow(need: number): void {
    let cap = this.ts.length * 2;
    while (cap < need) cap *= 2;
    const grow64 = (a: Float64Array): Float64Array => {
      const b = this.column(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.ts = grow64(this.ts);
    this.vs = grow64(this.vs);
    const p = this.links(cap);
    p.set(this.prev.subarray(0, this.length));
    this.prev = p;
  }

  append(ids: Float64Array, ts: Float64Array, vs: Float64Array, from: number, count: number): void {
    if (this.length + count > this.ts.length) this.grow(this.length + count);
    const heads = this.heads;
    let row = this.length;
    let minT = this.minT;
    let maxT = this.maxT;
    for (let i = from; i < from + count; i++, row++) {
      const t = ts[i]!;
      this.ts[row] = t;
      this.vs[row] = vs[i]!;
      this.prev[row] = heads.swap(ids[i]!, row);
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
    }
    this.length = row;
    this.minT = minT;
    this.maxT = maxT;
  }

  /**
   * Everything a flush needs to walk the rows series by series without rebuilding this memtable:
   * the columns, the row links, and each series' newest row, by ascending id. With `forWorker`,
   * unshared columns are copied so they can be transferred.
   */
  chains(forWorker: boolean): MemtableChains {
    const n = this.length;
    const copy = forWorker && !this.shared;
    const seriesIds = this.sortedIds();
    const heads = new Int32Array(seriesIds.length);
    for (let i = 0; i < seriesIds.length; i++) heads[i] = this.heads.get(seriesIds[i]!);
    const pick = <T extends Float64Array | Int32Array>(a: T): T => (copy ? a.slice(0, n) : a.subarray(0, n)) as T;
    return { timestamps: pick(this.ts), values: pick(this.vs), prev: pick(this.prev), seriesIds, heads };
  }

  has(id: number): boolean {
    return this.heads.get(id) >= 0;
  }

  /** Appends the series' rows within [minT, maxT] to out, oldest write first. */
  collect(id: number, minT: number, maxT: number, out: SampleBuffer): void {
    const row = this.heads.get(id);
    if (row < 0) return;
    collectChain(this.ts, this.vs, this.prev, row, minT, maxT, out);
  }

  /** Series ids present, ascending. */
  sortedIds(): Float64Array {
    const ids = new Float64Array(this.heads.size);
    let i = 0;
    this.heads.forEach((id) => {
      ids[i++] = id;
    });
    return ids.sort();
  }

  /** Ids with a row inside [minT, maxT]. */
  idsInRange(minT: number, maxT: number, out: Set<number>): void {
    if (this.maxT < minT || this.minT > maxT) return;
    const ts = this.ts;
    const prev = this.prev;
    this.heads.forEach((id, head) => {
      for (let row = head; row >= 0; row = prev[row]!) {
        const t = ts[row]!;
        if (t >= minT && t <= maxT) {
          out.add(id);
          return;
        }
      }
    });
  }
}
