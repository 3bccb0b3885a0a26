/**
 * The histogram store's rows not yet in parts. A row is never copied on its way in: the memtable
 * keeps the byte buffers the rows arrived in (a WAL record's body, usually a decoded request's
 * rows as they are, in shared memory: see ingest/batch.ts) and, per sample, its series, timestamp
 * and where its row lies, in typed columns, so an append of thousands of histograms creates no
 * object per histogram, and a flush job takes the columns and buffers as they are.
 */
export class HistMemtable {
  ids: Float64Array = new Float64Array(256);
  ts: Float64Array = new Float64Array(256);
  /** Per sample: index into `buffers`, and the row's [start, end) there. */
  buf: Uint32Array = new Uint32Array(256);
  start: Uint32Array = new Uint32Array(256);
  end: Uint32Array = new Uint32Array(256);
  readonly buffers: Uint8Array[] = [];
  length = 0;
  minT = Infinity;
  maxT = -Infinity;

  private grow(need: number): void {
    if (need <= this.ids.length) return;
    const cap = Math.max(need, 2 * this.ids.length);
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    const u = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.ids = f(this.ids);
    this.ts = f(this.ts);
    this.buf = u(this.buf);
    this.start = u(this.start);
    this.end = u(this.end);
  }

  /** Adds `count` samples whose rows are bytes[offsets[i], offsets[i + 1]); keeps `bytes` as it is. */
  add(ids: Float64Array, ts: Float64Array, count: number, bytes: Uint8Array, offsets: ArrayLike<number>): void {
    if (count === 0) return;
    this.grow(this.length + count);
    const b = this.buffers.length;
    this.buffers.push(bytes);
    let k = this.length;
    let minT = this.minT;
    let maxT = this.maxT;
    for (let i = 0; i < count; i++, k++) {
      const t = ts[i]!;
      this.ids[k] = ids[i]!;
      this.ts[k] = t;
      this.buf[k] = b;
      this.start[k] = offsets[i]!;
      this.end[k] = offsets[i + 1]!;
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
    }
    this.length = k;
    this.minT = minT;
    this.maxT = maxT;
  }

  row(i: number): Uint8Array {
    return this.buffers[this.buf[i]!]!.subarray(this.start[i]!, this.end[i]!);
  }
}
