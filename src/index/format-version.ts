import { IndexError } from './errors.js';
import { idBytes, readId } from './keys.js';
import { DB_NAMES, type Stores } from './stores.js';

/**
 * The index format version, stored in `meta` under `format` (docs/format/index.md). Version 1
 * (no `format` entry) stored values without checksums; version 2 ends every value in one. An
 * index of version 1 is upgraded on open: every value of every database is rewritten with its
 * checksum in one transaction (so a crash leaves either version whole), which takes about a
 * second per million entries. A version newer than this build's is refused, not guessed at.
 */
export const INDEX_FORMAT = 2;
export const META_FORMAT = Buffer.from('format');

/** The stored format version: 1 for an index without the entry, 0 for an empty (new) index. */
export function storedFormat(s: Stores): number {
  const raw = s.meta.raw.getBinary(META_FORMAT);
  if (raw !== undefined) {
    const v = s.meta.getBinary(META_FORMAT);
    // A damaged version entry is recorded as damage; the values around it say which format it is.
    return v !== undefined && v.length === 8 ? readId(v) : INDEX_FORMAT;
  }
  for (const name of DB_NAMES) {
    // Any entry without a `format` one is format 1 (written before checksums).
    for (const _ of s.env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }).getKeys({ limit: 1 })) return 1;
  }
  return 0;
}

/** Brings the index to INDEX_FORMAT, or refuses an index of a newer one. */
export function upgradeFormat(s: Stores): void {
  const v = storedFormat(s);
  if (v === INDEX_FORMAT) return;
  if (v > INDEX_FORMAT)
    throw new IndexError(
      `the label index has format version ${v}, newer than this Strata understands (${INDEX_FORMAT}); run a newer Strata or rebuild the index with \`strata index rebuild\``,
    );
  s.env.transactionSync(() => {
    if (v === 1) {
      for (const name of DB_NAMES) {
        const db = [s.series, s.labels, s.postings, s.dayPostings, s.daySeries, s.deleted, s.meta].find((d) => d.table === name)!;
        const all: [Buffer, Buffer][] = [];
        for (const { key, value } of db.raw.getRange()) all.push([Buffer.from(key), Buffer.from(value)]);
        for (const [key, value] of all) db.putSync(key, value);
      }
    }
    s.meta.putSync(META_FORMAT, idBytes(INDEX_FORMAT));
  });
}
