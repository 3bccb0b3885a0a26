import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import { CheckedDb } from './checked-db.js';
import { IndexDamage } from './index-damage.js';

/** A database of raw bytes to checksummed raw bytes (see checked-db.ts). */
export type BinDb = CheckedDb;

/** The named databases of the index environment; key and value layouts: docs/format/index.md. */
export interface Stores {
  readonly env: RootDatabase;
  /** Where every checksum failure of these databases is recorded. */
  readonly damage: IndexDamage;
  /** hash of tenant and canonical label bytes → the ids with that hash (see keys.ts, seriesKey). */
  readonly series: BinDb;
  /** first id → a block of consecutive series' tenant and label sets, deflated (see label-blocks.ts). */
  readonly labels: BinDb;
  /**
   * Postings lists as packed blocks (see posting-lists.ts), all time: list key tenant + kind
   * (+ name \0 value \0) for all series and per label value, then the block's first id.
   */
  readonly postings: BinDb;
  /** tenant + day + name \0 value \0 + first id → block: per-day postings. */
  readonly dayPostings: BinDb;
  /** tenant + day + first id → block: the series active on a day. */
  readonly daySeries: BinDb;
  /** id → nothing: tombstoned series. */
  readonly deleted: BinDb;
  /** small named values: the id counter, the format version. */
  readonly meta: BinDb;
}

/** Every named database of the environment, by its LMDB name (compaction copies them all). */
export const DB_NAMES = ['series', 'label_blocks', 'block_postings', 'block_day_postings', 'block_day_series', 'deleted', 'meta'] as const;

/** Address space reserved for the index map: 1 TiB, far beyond any index this process could hold. */
const INDEX_MAP_SIZE = 2 ** 40;

export function openStores(dir: string, damage = new IndexDamage()): Stores {
  mkdirSync(dir, { recursive: true });
  // overlappingSync off: a synchronous commit must be on disk when it returns, because the WAL
  // may reference the new ids right after.
  // mapSize: lmdb-js otherwise starts with a 128 KB map and doubles it as the file grows, and each
  // superseded map stays mapped (and resident) for as long as anything still points into it: with
  // 100k series that was 100 MB of resident file pages for a 65 MB file. Reserving the address
  // space once costs nothing (the file is not grown to it without a write map) and leaves one map.
  const env = open({ path: dir, maxDbs: 12, overlappingSync: false, noSync: false, mapSize: INDEX_MAP_SIZE });
  const bin = (name: string): BinDb => new CheckedDb(env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }), name, damage);
  return {
    env,
    damage,
    series: bin('series'),
    labels: bin('label_blocks'),
    postings: bin('block_postings'),
    dayPostings: bin('block_day_postings'),
    daySeries: bin('block_day_series'),
    deleted: bin('deleted'),
    meta: bin('meta'),
  };
}
