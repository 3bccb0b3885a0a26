/**
 * The read side of the series-id cache's shared table (db/series-id-cache.ts owns and writes it):
 * a decode worker looks each series' key hash up right after hashing it, so the main thread only
 * resolves the misses. With 100k+ series almost every probe misses the CPU caches; done here,
 * those stalls spread over the decode workers instead of serialising on the main thread.
 *
 * Layout: SLOT u32 words a slot — the hash's four lanes, then value + 1 as low and high u32
 * (0, 0: empty). The main thread fills a slot's key lanes first and publishes it with an atomic
 * store of the value's low word; a slot is never changed or cleared after that (a cleared or
 * rotated-out table is replaced by a new one, never reused), so a reader sees a slot either
 * empty, or with its key and value in full. Values of 2^32 − 1 and above are left to the main
 * thread (their high word is not published atomically with the low one).
 *
 * A table only maps keys to ids while no series was deleted: deleting bumps the owner's epoch,
 * and the main thread ignores ids resolved under an older epoch (a stale hit must never write
 * to a deleted series).
 */

import type { BatchData } from './batch.js';

export const ID_TABLE_SLOT = 6;

/** One generation of the shared table as a worker receives it. */
export interface SharedIdTable {
  /** SLOT words a slot over a SharedArrayBuffer; slots is a power of two. */
  readonly words: Uint32Array;
  /** The owner's deletion epoch when the table was handed out. */
  readonly epoch: number;
}

/** Ids a decode worker found for a batch's series: ids[i] = id + 1, or 0 when not found. */
export interface KnownIds {
  readonly ids: Uint32Array;
  readonly epoch: number;
  /** The keys of the series found were not sent (see dropKnownKeys): only their ids tell them. */
  readonly keysDropped?: boolean;
}

/**
 * A batch's key of a series a decode worker resolved was asked for, but was not kept: the ids it
 * found no longer hold (series were deleted meanwhile) or relabeling was turned on. The request
 * is answered 503 and retried.
 */
export class KeyNotKeptError extends Error {}

/** The id + 1 stored for the hash at h[o .. o+4), or 0. */
function find(words: Uint32Array, mask: number, h: Uint32Array, o: number): number {
  const h0 = h[o]!;
  const h1 = h[o + 1]!;
  const h2 = h[o + 2]!;
  const h3 = h[o + 3]!;
  for (let s = h1 & mask; ; s = (s + 1) & mask) {
    const k = s * ID_TABLE_SLOT;
    // The published word first: the key lanes read after it are complete.
    const lo = Atomics.load(words, k + 4);
    if (lo === 0) return 0;
    if (words[k] === h0 && words[k + 1] === h1 && words[k + 2] === h2 && words[k + 3] === h3) return words[k + 5] === 0 ? lo : 0;
  }
}

/**
 * Keeps only the keys of the series the table did not know: the rest of the decoded body (about
 * 1.4 MB a request of 10k samples) then stays in the worker instead of landing on the main
 * thread's heap as external memory, where it triggered most of its garbage collections. Known
 * series keep an empty key range (no ranges at all when every series was found, and no hashes
 * either); ColumnBatch refuses to read their keys.
 */
export function dropKnownKeys(data: BatchData): void {
  const known = data.knownIds;
  const ranges = data.keyRanges;
  const chunks = data.keyChunks;
  if (known === undefined || ranges === undefined || chunks === undefined) return;
  const extra = data.keyExtra ?? new Uint8Array(0);
  // Where each chunk starts in the ranges' numbering; keyExtra starts after the last one.
  const starts = [0];
  for (const c of chunks) starts.push(starts[starts.length - 1]! + c.length);
  const ids = known.ids;
  // Nothing found (a batch of new series): every key is needed, as it is.
  if (ids.every((v) => v === 0)) return;
  let bytes = 0;
  for (let i = 0; i < data.seriesCount; i++) if (ids[i] === 0) bytes += ranges[2 * i + 1]! - ranges[2 * i]!;
  const all = !ids.includes(0);
  const out = new Uint8Array(bytes);
  // Every range would be empty when every series was found: none at all then.
  const kept = new Uint32Array(all ? 0 : 2 * data.seriesCount);
  let pos = 0;
  let j = 0;
  for (let i = 0; i < data.seriesCount; i++) {
    if (ids[i] !== 0) continue;
    const s = ranges[2 * i]!;
    const e = ranges[2 * i + 1]!;
    // A key never spans two chunks (they are cut at field boundaries); ranges mostly ascend.
    if (s < starts[j]!) j = 0;
    while (j < chunks.length && s >= starts[j + 1]!) j++;
    const from = j < chunks.length ? chunks[j]! : extra;
    out.set(from.subarray(s - starts[j]!, e - starts[j]!), pos);
    kept[2 * i] = pos;
    pos += e - s;
    kept[2 * i + 1] = pos;
  }
  data.keyChunks = [out];
  data.keyExtra = new Uint8Array(0);
  data.keyRanges = kept;
  // Hashes serve only to look up and cache series not found: none, none needed.
  if (all) data.keyHashes = undefined;
  data.knownIds = { ...known, keysDropped: true };
}

/** Looks up `n` key hashes (KEY_HASH_LANES = 4 words each) in `table`. */
export function lookupIds(table: SharedIdTable, hashes: Uint32Array, n: number): KnownIds {
  const words = table.words;
  const mask = words.length / ID_TABLE_SLOT - 1;
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = find(words, mask, hashes, i * 4);
  return { ids, epoch: table.epoch };
}
