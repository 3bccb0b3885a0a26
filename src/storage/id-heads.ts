/**
 * Series id → the memtable row holding its newest sample: an open-addressing table over typed
 * arrays. Appending a row reads the old head and writes the new one in a single probe, where a
 * Map<number, number> took a get and a set (~100 ns a row, the largest part of a memtable append).
 * Cleared in place when the memtable is reused.
 */
const MIN_SLOTS = 1024;

export class IdHeads {
  /** id + 1 a slot; 0 marks an empty slot. */
  private keys = new Float64Array(MIN_SLOTS);
  private rows = new Int32Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  size = 0;

  private static slotOf(id: number, mask: number): number {
    // Ids are integers ≤ 2^53: fold the high bits in, then spread (Fibonacci hashing).
    const h = (id | 0) ^ ((id / 4294967296) | 0);
    return (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
  }

  /** Makes `row` the head of `id`; returns the previous head, or -1 for a new series. */
  swap(id: number, row: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
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
        this.size++;
        return -1;
      }
    }
  }

  /** The head row of `id`, or -1. */
  get(id: number): number {
    const keys = this.keys;
    const key = id + 1;
    for (let s = IdHeads.slotOf(id, this.mask); ; s = (s + 1) & this.mask) {
      const k = keys[s]!;
      if (k === key) return this.rows[s]!;
      if (k === 0) return -1;
    }
  }

  /** Calls fn for every (id, head row), in no particular order. */
  forEach(fn: (id: number, row: number) => void): void {
    const keys = this.keys;
    for (let s = 0; s < keys.length; s++) if (keys[s] !== 0) fn(keys[s]! - 1, this.rows[s]!);
  }

  clear(): void {
    if (this.size === 0) return;
    this.keys.fill(0);
    this.size = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    const slots = oldKeys.length * 2;
    this.keys = new Float64Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
    this.size = 0;
    for (let s = 0; s < oldKeys.length; s++) if (oldKeys[s] !== 0) this.swap(oldKeys[s]! - 1, oldRows[s]!);
  }
}
