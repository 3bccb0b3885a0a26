import { addToList } from './posting-lists.js';
import { sortUnique } from './postings.js';
import type { BinDb } from './stores.js';

type ListWriter = (db: BinDb, listKey: Buffer, ascendingIds: ArrayLike<number>) => void;

interface Pending {
  readonly db: BinDb;
  readonly key: Buffer;
  /** Where flush puts this list: a hash of the key (see flush). */
  readonly order: number;
  readonly ids: number[];
}

/**
 * Ids to add to (or remove from) many postings lists within one transaction, gathered so that each
 * list is read and rewritten once per batch instead of once per series.
 */
export class PendingLists {
  private readonly lists = new Map<BinDb, Map<string, Pending>>();

  constructor(private readonly write: ListWriter = addToList) {}

  add(db: BinDb, listKey: Buffer, id: number): void {
    let byKey = this.lists.get(db);
    if (!byKey) {
      byKey = new Map();
      this.lists.set(db, byKey);
    }
    const k = listKey.toString('latin1');
    const p = byKey.get(k);
    if (p) p.ids.push(id);
    else byKey.set(k, { db, key: listKey, order: scramble(k), ids: [id] });
  }

  /**
   * Writes every gathered list, in a scrambled but repeatable order. Not key order: LMDB splits a
   * full page in half, so inserting a run of new adjacent keys (pod-10000, pod-10001, …) leaves
   * a trail of half-empty pages; scattered inserts fill pages to about 70%.
   */
  flush(): void {
    for (const byKey of this.lists.values()) {
      const all = [...byKey.values()].sort((a, b) => a.order - b.order);
      for (const p of all) this.write(p.db, p.key, isAscending(p.ids) ? p.ids : sortUnique(Float64Array.from(p.ids)));
    }
    this.lists.clear();
  }
}

/** FNV-1a of a string's code units: a cheap, repeatable shuffle key. */
function scramble(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function isAscending(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) return false;
  return true;
}
