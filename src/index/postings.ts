/**
 * Set operations on ascending arrays of series ids. Ids are integers ≤ 2^53 held as doubles,
 * so Float64Array sorting is exact and needs no comparator.
 */

/** Sorts and removes duplicates; the input buffer may be reordered. */
export function sortUnique(ids: Float64Array, length = ids.length): number[] {
  const view = ids.subarray(0, length).sort();
  const out: number[] = [];
  let last = -1;
  for (let i = 0; i < view.length; i++) {
    const v = view[i]!;
    if (v !== last) out.push(v);
    last = v;
  }
  return out;
}

export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  // Gallop when one side is much smaller: a short list against a huge one costs O(m log n).
  if (a.length * 16 < b.length || b.length * 16 < a.length) {
    const [small, big] = a.length < b.length ? [a, b] : [b, a];
    let lo = 0;
    for (const v of small) {
      let hi = big.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (big[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      if (lo < big.length && big[lo] === v) out.push(v);
    }
    return out;
  }
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

export function subtract(a: readonly number[], b: readonly number[]): number[] {
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (j >= b.length || b[j] !== x) out.push(x);
  }
  return out;
}

export function union(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

/** Accumulates ids from many postings lists, then sorts them once. */
export class IdCollector {
  private buf = new Float64Array(1024);
  private n = 0;

  push(id: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = id;
  }

  get length(): number {
    return this.n;
  }

  finish(): number[] {
    // One posting list arrives ascending already: the sort would only reorder nothing.
    const buf = this.buf;
    const n = this.n;
    let i = 1;
    while (i < n && buf[i]! > buf[i - 1]!) i++;
    if (i < n) return sortUnique(buf, n);
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = buf[k]!;
    return out;
  }
}
