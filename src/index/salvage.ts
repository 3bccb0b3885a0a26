import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import { openValue, sealValue } from './checked-db.js';
import { closeEnvNow, installCompactCopy } from './compaction.js';
import { INDEX_FORMAT, META_FORMAT } from './format-version.js';
import { idBytes, readId } from './keys.js';
import { checkIndexFile } from './page-check.js';
import { DB_NAMES } from './stores.js';

/**
 * Replaces a structurally damaged index file, which LMDB must never open (it would read out of
 * bounds or abort), by a fresh one holding every entry that can still be trusted: the entries of
 * every leaf page the structural check could reach intact whose checksums hold. The damaged
 * file is kept beside it as `damaged-<time>.mdb` for a post-mortem, and `meta` records the
 * damage under `damaged`, so the index counts as damaged — queries warn, /health is not ready —
 * across restarts until `strata index rebuild` recreates it.
 *
 * When the id counter is lost with the pages around it, the new counter skips ahead by
 * ID_GAP past the largest id seen anywhere: an id must never name two series.
 */

export const META_DAMAGED = Buffer.from('damaged');
export const META_NEXT_ID = Buffer.from('next_id');
const SALVAGE_DIR = 'salvaging';
const CHUNK = 5000;
const ID_GAP = 2 ** 20;

export interface SalvageResult {
  readonly kept: number;
  readonly dropped: number;
  /** Where the damaged file now lies. */
  readonly damagedFile: string;
}

/** The largest series id a stored key or payload could name, by database (a bound, not exact). */
function idsIn(db: string, key: Buffer): number {
  if (db === 'label_blocks' || db === 'deleted') return key.length === 8 ? readId(key) : 0;
  return 0;
}

export function salvageIndex(dir: string, problems: readonly string[]): SalvageResult {
  const file = join(dir, 'data.mdb');
  // The snapshot to copy: of the two meta pages, the one whose tree is more intact; on a tie the
  // newer (a damaged transaction id may be what is wrong).
  const tries = ([0, 1] as const).map((meta) => ({ meta, r: checkIndexFile(file, { meta, maxProblems: 10_000 }) }));
  tries.sort((a, b) =>
    (a.r.pages === 0) !== (b.r.pages === 0)
      ? a.r.pages === 0
        ? 1
        : -1
      : a.r.problems.length - b.r.problems.length || (b.r.txnid > a.r.txnid ? 1 : b.r.txnid < a.r.txnid ? -1 : 0),
  );
  const meta = tries[0]!.meta;
  // First pass: does the file carry checksums (format ≥ 2)? Its `meta` says so.
  let checksummed = false;
  checkIndexFile(file, {
    meta,
    maxProblems: 10_000,
    onEntry: (db, key, value) => {
      if (db === 'meta' && key.equals(META_FORMAT) && openValue(key, value) !== undefined) checksummed = true;
    },
  });
  const work = join(dir, SALVAGE_DIR);
  rmSync(work, { recursive: true, force: true });
  const env = open({ path: work, maxDbs: 12, overlappingSync: false, noSync: false, mapSize: 2 ** 40 });
  const dbs = new Map<string, Database<Buffer, Buffer>>();
  for (const name of DB_NAMES) dbs.set(name, env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }));
  let kept = 0;
  let dropped = 0;
  let maxId = 0;
  let nextId: number | undefined;
  let pending: [string, Buffer, Buffer][] = [];
  const flush = (): void => {
    const batch = pending;
    pending = [];
    env.transactionSync(() => {
      for (const [db, key, value] of batch) dbs.get(db)!.putSync(key, value);
    });
  };
  checkIndexFile(file, {
    meta,
    maxProblems: 10_000,
    onEntry: (db, key, value) => {
      if (!dbs.has(db)) return;
      const payload = checksummed ? openValue(key, value) : value;
      if (payload === undefined) {
        dropped++;
        return;
      }
      if (db === 'meta' && (key.equals(META_DAMAGED) || key.equals(META_FORMAT))) return;
      if (db === 'meta' && key.equals(META_NEXT_ID) && payload.length === 8) nextId = readId(payload);
      maxId = Math.max(maxId, idsIn(db, key));
      kept++;
      pending.push([db, key, sealValue(key, payload)]);
      if (pending.length >= CHUNK) flush();
    },
  });
  const counter = nextId !== undefined ? Math.max(nextId, maxId + 1) : maxId + 1 + ID_GAP;
  const note = `salvaged ${new Date().toISOString()}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}; ${kept} entries kept, ${dropped} dropped`;
  for (const [key, payload] of [
    [META_NEXT_ID, idBytes(counter)],
    [META_FORMAT, idBytes(INDEX_FORMAT)],
    [META_DAMAGED, Buffer.from(note)],
  ] as const) {
    pending.push(['meta', key, sealValue(key, payload)]);
  }
  flush();
  void closeEnvNow(env).done;
  const damagedFile = join(dir, `damaged-${new Date().toISOString().replace(/[:.]/g, '-')}.mdb`);
  renameSync(file, damagedFile);
  installCompactCopy(dir, work);
  return { kept, dropped, damagedFile };
}
