import { labelKey } from './keys.js';
import { addToList } from './posting-lists.js';
import { sortUnique } from './postings.js';
import type { BinDb } from './stores.js';

type ListWriter = (db: BinDb, listKey: Buffer, ascendingIds: ArrayLike<number>) => void;

interface Pending {
  readonly db: BinDb;
  /** The list key, or the name and value whose labelKey under `prefix` it is (built at flush). */
  key: Buffer | null;
  readonly prefix: Buffer | null;
  readonly name: string;
  readonly value: string;
  readonly ids: number[];
}

/**
 * The label postings lists of one database under one key prefix (all time, or one day), by label
 * name and value: series creation adds each of a series' labels here, and nested maps of the
 * strings it already holds find the list without building its key bytes.
 */
export class LabelLists {
  private readonly byName = new Map<string, Map<string, Pending>>();

  constructor(
    private readonly db: BinDb,
    private readonly prefix: Buffer,
    private readonly all: Pending[],
  ) {}

  add(name: string, value: string, id: number): void {
    let byValue = this.byName.get(name);
    if (!byValue) {
      byValue = new Map();
      this.byName.set(name, byValue);
    }
    const p = byValue.get(value);
    if (p) p.ids.push(id);
    else {
      const np: Pending = { db: this.db, key: null, prefix: this.prefix, name, value, ids: [id] };
      byValue.set(value, np);
      this.all.push(np);
    }
  }
}

/**
 * Ids to add to (or remove from) many postings lists within one transaction, gathered so that each
 * list is read and rewritten once per batch instead of once per series.
 */
export class PendingLists {
  private readonly byKey = new Map<BinDb, Map<string, Pending>>();
  private readonly groups = new Map<BinDb, Map<string, LabelLists>>();
  private all: Pending[] = [];

  constructor(private readonly write: ListWriter = addToList) {}

  add(db: BinDb, listKey: Buffer, id: number): void {
    this.list(db, listKey).push(id);
  }

  /** The ids gathered for one list so far, to push more to directly. */
  list(db: BinDb, listKey: Buffer): number[] {
    let byKey = this.byKey.get(db);
    if (!byKey) {
      byKey = new Map();
      this.byKey.set(db, byKey);
    }
    const k = listKey.toString('latin1');
    const p = byKey.get(k);
    if (p) return p.ids;
    const np: Pending = { db, key: listKey, prefix: null, name: '', value: '', ids: [] };
    byKey.set(k, np);
    this.all.push(np);
    return np.ids;
  }

  /** The label lists of `db` under `prefix` (a tenant's all-time label prefix, or tenant + day). */
  labels(db: BinDb, prefix: Buffer): LabelLists {
    let byPrefix = this.groups.get(db);
    if (!byPrefix) {
      byPrefix = new Map();
      this.groups.set(db, byPrefix);
    }
    const k = prefix.toString('latin1');
    let g = byPrefix.get(k);
    if (!g) {
      g = new LabelLists(db, prefix, this.all);
      byPrefix.set(k, g);
    }
    return g;
  }

  /**
   * Writes every gathered list, in a scrambled but repeatable order. Not key order: LMDB splits a
   * full page in half, so inserting a run of new adjacent keys (pod-10000, pod-10001, …) leaves
   * a trail of half-empty pages; scattered inserts fill pages to about 70%. A list added both by
   * key and by label is written twice, which is harmless (the second write finds its ids there).
   */
  flush(): void {
    const lists: { p: Pending; key: Buffer; order: number }[] = [];
    for (const p of this.all) {
      const key = p.key ?? labelKey(p.prefix!, p.name, p.value);
      lists.push({ p, key, order: scramble(key) });
    }
    // Databases in first-use order, as before; within each, the scrambled order.
    const dbs = [...new Set(lists.map((l) => l.p.db))];
    for (const db of dbs) {
      const mine = lists.filter((l) => l.p.db === db).sort((a, b) => a.order - b.order);
      for (const { p, key } of mine) if (p.ids.length > 0) this.write(db, key, isAscending(p.ids) ? p.ids : sortUnique(Float64Array.from(p.ids)));
    }
    this.byKey.clear();
    this.groups.clear();
    this.all = [];
  }
}

/** FNV-1a of a key's bytes: a cheap, repeatable shuffle key. */
function scramble(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function isAscending(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) return false;
  return true;
}
