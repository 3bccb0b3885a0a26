import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { idEncoder } from './keys.js';

/** A database whose values are series ids (8-byte big-endian), keyed by raw bytes. */
export type IdDb = Database<number, Buffer>;
/** A database of raw bytes to raw bytes. */
export type BinDb = Database<Buffer, Buffer>;

/** The named databases of the index environment (see ARCHITECTURE.md, "Label index"). */
export interface Stores {
  readonly env: RootDatabase;
  /** tenant + hash of the canonical label bytes → id. */
  readonly series: IdDb;
  /** id → tenant + canonical label bytes. */
  readonly labels: BinDb;
  /** tenant + kind (+ name \0 value) → ids (dupSort): all series, and per label value. */
  readonly postings: IdDb;
  /** tenant + day + name \0 value → ids (dupSort). */
  readonly dayPostings: IdDb;
  /** tenant + day → ids (dupSort): the series active on a day. */
  readonly daySeries: IdDb;
  /** id → nothing: tombstoned series. */
  readonly deleted: BinDb;
  /** small named values: the id counter. */
  readonly meta: IdDb;
}

// lmdb-js accepts a custom value encoder on named databases; its typings omit it.
type IdDbOptions = { name: string; dupSort?: boolean; keyEncoding: 'binary'; encoder: typeof idEncoder };

export function openStores(dir: string): Stores {
  mkdirSync(dir, { recursive: true });
  // overlappingSync off: a synchronous commit must be on disk when it returns, because the WAL
  // may reference the new ids right after.
  const env = open({ path: dir, maxDbs: 12, overlappingSync: false, noSync: false });
  const ids = (name: string, dupSort: boolean): IdDb =>
    env.openDB<number, Buffer>({ name, dupSort, keyEncoding: 'binary', encoder: idEncoder } as IdDbOptions);
  const bin = (name: string): BinDb => env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
  return {
    env,
    series: ids('series', false),
    labels: bin('labels'),
    postings: ids('postings', true),
    dayPostings: ids('day_postings', true),
    daySeries: ids('day_series', true),
    deleted: bin('deleted'),
    meta: ids('meta', false),
  };
}
