/**
 * The label order of recently sorted selections, by their series ids. A dashboard asks the same
 * selections again every refresh, and sorting 100k series by labels (`count({job="node"}) by
 * (instance)`) costs tens of milliseconds each time; a series' labels never change, so the same
 * ids always sort the same way and the permutation found once serves every repeat. Bounded by the
 * ids it holds; the least recently used selection goes first.
 */
import { sortByLabels, type Labels } from '../model/index.js';

/** Selections smaller than this sort quicker than a lookup pays off. */
const CACHED_FROM = 1024;

interface Entry {
  readonly ids: Float64Array;
  readonly order: Uint32Array;
}

export class SelectionOrderCache {
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  /** At most `maxIds` ids (12 bytes each) over all entries. */
  constructor(private readonly maxIds: number) {}

  /** Sorts items in place by their labels, as sortByLabels does (the same ids in the same order hit). */
  sort<T extends { readonly id: number; readonly labels: Labels }>(items: T[]): void {
    const n = items.length;
    if (n < CACHED_FROM || n > this.maxIds) {
      sortByLabels(items);
      return;
    }
    const key = keyOf(items);
    const hit = this.entries.get(key);
    if (hit && sameIds(hit.ids, items)) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      const copy = items.slice();
      for (let i = 0; i < n; i++) items[i] = copy[hit.order[i]!]!;
      return;
    }
    const ids = new Float64Array(n);
    const tagged = new Array<{ at: number; labels: Labels }>(n);
    for (let i = 0; i < n; i++) {
      ids[i] = items[i]!.id;
      tagged[i] = { at: i, labels: items[i]!.labels };
    }
    sortByLabels(tagged);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = tagged[i]!.at;
    const copy = items.slice();
    for (let i = 0; i < n; i++) items[i] = copy[order[i]!]!;
    if (hit) this.drop(key, hit);
    this.entries.set(key, { ids, order });
    this.held += n;
    for (const [k, e] of this.entries) {
      if (this.held <= this.maxIds) break;
      this.drop(k, e);
    }
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.held -= e.ids.length;
  }
}

/** Count, ends and a hash of the ids: equal selections share it, and sameIds settles the rest. */
function keyOf(items: readonly { readonly id: number }[]): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < items.length; i++) {
    const id = items[i]!.id;
    h = Math.imul(h ^ (id | 0), 0x01000193);
    h = Math.imul(h ^ ((id / 0x100000000) | 0), 0x01000193);
  }
  return `${items.length}:${items[0]!.id}:${items[items.length - 1]!.id}:${h >>> 0}`;
}

function sameIds(ids: Float64Array, items: readonly { readonly id: number }[]): boolean {
  if (ids.length !== items.length) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== items[i]!.id) return false;
  return true;
}
