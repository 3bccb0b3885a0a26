/**
 * Series id → the memtable row holding its newest sample. The label index hands out ids from a
 * counter (1, 2, 3, …), so ids below DENSE_LIMIT are looked up in a flat array indexed by id:
 * one load and one store a row, in 4 bytes per id, where the hash table below took a probe over
 * 12 bytes a slot at twice the series count, a cache miss per row with ~100k series. Larger ids
 * (a store written by something else, tests) go to an open-addressing typed-array table.
 * Cleared in place when the memtable is reused.
 */
const MIN_SLOTS = 1024;
/** Ids below this use the flat array (at most 16 MiB of it, grown by doubling as ids appear). */
const DENSE_LIMIT = 1 << 22;
const MIN_DENSE = 1024;

export class IdHeads {
  /** row + 1 per id below `dense.length`; 0: no row. */
  private dense = new Int32Array(MIN_DENSE);
  /** Largest id written to `dense` since the last clear, -1 for none. */
  private denseMax = -1;
  /** id + 1 a slot; 0 marks an empty slot. */
  private keys = new Float64Array(MIN_SLOTS);
  private rows = new Int32Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private hashed = 0;
  size = 0;

  private static slotOf(id: number, mask: number): number {
    // Ids are integers ≤ 2^53: fold the high bits in, then spread (Fibonacci hashing).
    const h = (id | 0) ^ ((id / 4294967296) | 0);
    return (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
  }

  /** Makes `row` the head of `id`; returns the previous head, or -1 for a new series. */
  swap(id: number, row: number): number {
    if (id < DENSE_LIMIT) {
      if (id >= this.dense.length) this.growDense(id);
      const dense = this.dense;
      const prev = dense[id]! - 1;
      dense[id] = row + 1;
      if (prev < 0) {
        this.size++;
        if (id > this.denseMax) this.denseMax = id;
      }
      return prev;
    }
    return this.swapHashed(id, row);
  }

  private swapHashed(id: number, row: number): number {
    if ((this.hashed + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const key = id + 1;
    for (let s = IdHeads.slotOf(id, this.mask); ; s = (s + 1) & this.mask) {
      const k = keys[s]!;
      if (k === key) {
        const prev = this.rows[s]!;
        this.rows[s] = row;
        return prev;
      }
      if (k === 0) {
        keys[s] = key;
        this.rows[s] = row;
        this.hashed++;
        this.size++;
        return -1;
      }
    }
  }

  /** The head row of `id`, or -1. */
  get(id: number): number {
    if (id < DENSE_LIMIT) return id < this.dense.length ? this.dense[id]! - 1 : -1;
    const keys = this.keys;
    const key = id + 1;
    for (let s = IdHeads.slotOf(id, this.mask); ; s = (s + 1) & this.mask) {
      const k = keys[s]!;
      if (k === key) return this.rows[s]!;
      if (k === 0) return -1;
    }
  }

  /** Calls fn for every (id, head row): ids of the flat array first, ascending, then the rest in no particular order. */
  forEach(fn: (id: number, row: number) => void): void {
    const dense = this.dense;
    for (let id = 0; id <= this.denseMax; id++) if (dense[id] !== 0) fn(id, dense[id]! - 1);
    if (this.hashed === 0) return;
    const keys = this.keys;
    for (let s = 0; s < keys.length; s++) if (keys[s] !== 0) fn(keys[s]! - 1, this.rows[s]!);
  }

  clear(): void {
    if (this.size === 0) return;
    if (this.denseMax >= 0) this.dense.fill(0, 0, this.denseMax + 1);
    this.denseMax = -1;
    if (this.hashed > 0) this.keys.fill(0);
    this.hashed = 0;
    this.size = 0;
  }

  private growDense(id: number): void {
    let n = this.dense.length * 2;
    while (n <= id) n *= 2;
    const next = new Int32Array(Math.min(n, DENSE_LIMIT));
    next.set(this.dense.subarray(0, this.denseMax + 1));
    this.dense = next;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    const slots = oldKeys.length * 2;
    this.keys = new Float64Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
    this.size -= this.hashed;
    this.hashed = 0;
    for (let s = 0; s < oldKeys.length; s++) if (oldKeys[s] !== 0) this.swapHashed(oldKeys[s]! - 1, oldRows[s]!);
  }
}
