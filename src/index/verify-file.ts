import { openValue } from './checked-db.js';
import { META_FORMAT } from './format-version.js';
import { checkIndexFile } from './page-check.js';

/**
 * The deep check of an index file without LMDB (so it can neither crash nor wait for a writer):
 * the structural check of page-check.ts plus every entry's checksum. Entries of a format 1
 * index carry none; then only the structure is checked. A server may be writing meanwhile:
 * pages can be reused under the walk, so a check that found problems is repeated, and only
 * problems found twice are reported.
 */
export function verifyIndexFile(path: string, maxProblems = 20): string[] {
  let last: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = once(path, maxProblems);
    if (found.length === 0) return [];
    if (attempt > 0 && found.join('\n') === last.join('\n')) return found;
    last = found;
  }
  return last;
}

function once(path: string, maxProblems: number): string[] {
  const entries: { db: string; key: Buffer; value: Buffer }[] = [];
  let checksummed = false;
  const bad: string[] = [];
  const structural = checkIndexFile(path, {
    maxProblems,
    onEntry: (db, key, value) => {
      if (db === 'meta' && key.equals(META_FORMAT) && openValue(key, value) !== undefined) checksummed = true;
      if (openValue(key, value) === undefined) entries.push({ db, key, value: Buffer.alloc(0) });
    },
  }).problems;
  if (checksummed) {
    for (const e of entries) {
      if (bad.length + structural.length >= maxProblems) break;
      bad.push(`database ${e.db}, key ${e.key.toString('hex')}: checksum mismatch`);
    }
  }
  return [...structural, ...bad];
}
