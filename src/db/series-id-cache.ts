/**
 * The ingestion cache from a series key's 128-bit hash (four u32 lanes, see ingest/key-hash.ts)
 * to its series id: open addressing over typed arrays, so a lookup is a few integer compares with
 * no string built or hashed and nothing for the garbage collector. Two generations as
 * VictoriaMetrics keeps them: when `current` holds its share it becomes `previous` and the old
 * `previous` is dropped whole; a hit in `previous` is copied forward. Tables start small and
 * double, so memory follows the series actually written (24 bytes a slot, at most half full).
 */

import { ID_TABLE_SLOT, type SharedIdTable } from '../ingest/index.js';

/** Words a slot: the hash's four lanes, then value + 1 as low and high u32 (0, 0: empty). */
const SLOT = ID_TABLE_SLOT;
const MIN_SLOTS = 1024;
const TWO32 = 2 ** 32;

/**
 * One table, slots interleaved in a single array: with 100k+ series almost every probe misses
 * the CPU cache, and a lookup that reads the key and the value from one place misses once.
 * The array is shared memory that decode workers read (ingest/id-lookup.ts): a slot is published
 * by an atomic store of its value's low word after its key, and never changed once filled.
 */
export class HashTable {
  words: Uint32Array;
  slots: number;
  mask: number;
  count = 0;

  /** `shared`: the words live in shared memory, for decode workers to read. */
  constructor(
    slots: number,
    private readonly shared = false,
  ) {
    this.words = words(slots, shared);
    this.slots = slots;
    this.mask = slots - 1;
  }

  /** The word offset of the slot holding the hash, or -1. */
  find(h: Uint32Array, o: number): number {
    const h0 = h[o]!;
    const h1 = h[o + 1]!;
    const h2 = h[o + 2]!;
    const h3 = h[o + 3]!;
    const { words, mask } = this;
    for (let s = h1 & mask; ; s = (s + 1) & mask) {
      const k = s * SLOT;
      if (words[k] === h0 && words[k + 1] === h1 && words[k + 2] === h2 && words[k + 3] === h3 && (words[k + 4] !== 0 || words[k + 5] !== 0)) return k;
      if (words[k + 4] === 0 && words[k + 5] === 0) return -1;
    }
  }

  valueAt(k: number): number {
    return this.words[k + 5]! * TWO32 + this.words[k + 4]! - 1;
  }

  /** Stores hash → value (the table must have a free slot). */
  put(h: Uint32Array, o: number, value: number): void {
    const { words, mask } = this;
    const v = value + 1;
    for (let s = h[o + 1]! & mask; ; s = (s + 1) & mask) {
      const k = s * SLOT;
      const empty = words[k + 4] === 0 && words[k + 5] === 0;
      if (empty || (words[k] === h[o] && words[k + 1] === h[o + 1] && words[k + 2] === h[o + 2] && words[k + 3] === h[o + 3])) {
        if (empty) {
          words[k] = h[o]!;
          words[k + 1] = h[o + 1]!;
          words[k + 2] = h[o + 2]!;
          words[k + 3] = h[o + 3]!;
          this.count++;
        }
        words[k + 5] = Math.floor(v / TWO32);
        if (this.shared) Atomics.store(words, k + 4, v % TWO32);
        else words[k + 4] = v % TWO32;
        return;
      }
    }
  }

  /** Doubles the slots, re-placing every entry. */
  grow(): void {
    const old = this.words;
    const oldSlots = this.slots;
    this.slots = oldSlots * 2;
    this.words = words(this.slots, this.shared);
    this.mask = this.slots - 1;
    this.count = 0;
    for (let k = 0; k < oldSlots * SLOT; k += SLOT) {
      if (old[k + 4] !== 0 || old[k + 5] !== 0) this.put(old, k, old[k + 5]! * TWO32 + old[k + 4]! - 1);
    }
  }
}

function words(slots: number, shared: boolean): Uint32Array {
  return shared ? new Uint32Array(new SharedArrayBuffer(slots * SLOT * 4)) : new Uint32Array(slots * SLOT);
}

export class SeriesIdCache {
  private current = new HashTable(MIN_SLOTS, true);
  private previous = new HashTable(MIN_SLOTS, true);
  /** Entries a generation holds before it rotates. */
  private readonly half: number;
  /** Bumped by clear(): ids a worker resolved under an older epoch may name deleted series. */
  private epoch = 0;

  /** Holds between capacity/2 and capacity entries once warm. */
  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** The series id cached for the hash at h[o .. o+4), or -1. */
  get(h: Uint32Array, o: number): number {
    const cur = this.current;
    const s = cur.find(h, o);
    if (s >= 0) return cur.valueAt(s);
    const prev = this.previous;
    const p = prev.find(h, o);
    if (p < 0) return -1;
    const id = prev.valueAt(p);
    this.set(h, o, id);
    return id;
  }

  set(h: Uint32Array, o: number, id: number): void {
    let cur = this.current;
    if (cur.count >= this.half) {
      // The dropped generation is not reused: a decode worker may still be reading it.
      this.previous = cur;
      cur = this.current = new HashTable(cur.slots, true);
    }
    if ((cur.count + 1) * 2 > cur.slots) cur.grow();
    cur.put(h, o, id);
  }

  clear(): void {
    this.current = new HashTable(MIN_SLOTS, true);
    this.previous = new HashTable(MIN_SLOTS, true);
    this.epoch++;
  }

  /**
   * The current generation for decode workers to look hashes up in. Hits in the previous one are
   * left to get(), which copies them forward.
   */
  shared(): SharedIdTable {
    return { words: this.current.words, epoch: this.epoch };
  }

  /** The ids a worker found, or null when a deletion since makes them untrustworthy. */
  trusted(known: { readonly ids: Uint32Array; readonly epoch: number } | undefined, n: number): Uint32Array | null {
    return known !== undefined && known.epoch === this.epoch && known.ids.length === n ? known.ids : null;
  }

  get size(): number {
    return this.current.count + this.previous.count;
  }
}
