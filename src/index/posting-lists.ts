import { blockCount, blockIds, decodeBlock, encodeBlocks, frontVarint, isFull, prefixVarint, type EncodedBlock } from './blocks.js';
import { blockKey, readId } from './keys.js';
import type { BinDb } from './stores.js';

/**
 * Postings lists in LMDB as runs of packed blocks (layout: docs/format/index.md). The largest ids
 * sit in an open "tail" block at a fixed key, so appending to a list — the whole of series
 * creation — is one point read of the tail and one write. Writers must run inside a write
 * transaction.
 */

const TAIL = 0x7f;
const CLOSED_END = 0x01;
const LIST_END = 0x80;

function suffixed(listKey: Buffer, byte: number): Buffer {
  const b = Buffer.allocUnsafe(listKey.length + 1);
  listKey.copy(b, 0);
  b[listKey.length] = byte;
  return b;
}

export function tailKey(listKey: Buffer): Buffer {
  return suffixed(listKey, TAIL);
}

/** The end (exclusive) of every block key of a list. */
export function listEnd(listKey: Buffer): Buffer {
  return suffixed(listKey, LIST_END);
}

/**
 * Decodes one block found by a scan, given the length of its list key (known to the scanner from
 * the key layout): calls `push` with its ids, ascending.
 */
export function decodeEntry(key: Uint8Array, value: Uint8Array, listKeyLength: number, push: (id: number) => void): void {
  if (key.length === listKeyLength + 1) {
    const first = frontVarint(value);
    decodeBlock(first.value, value.subarray(first.size), push);
  } else decodeBlock(readId(key, listKeyLength), value, push);
}

/** The number of ids in a block found by a scan (see decodeEntry). */
export function entryCount(key: Uint8Array, value: Uint8Array, listKeyLength: number): number {
  return blockCount(key.length === listKeyLength + 1 ? value.subarray(frontVarint(value).size) : value);
}

interface Block {
  readonly key: Buffer;
  readonly first: number;
  /** The packed ids (without the tail's first-id header). */
  readonly body: Uint8Array;
}

function getTail(db: BinDb, listKey: Buffer): Block | undefined {
  const key = tailKey(listKey);
  const value = db.getBinary(key);
  if (!value) return undefined;
  const first = frontVarint(value);
  return { key, first: first.value, body: value.subarray(first.size) };
}

function putTail(db: BinDb, listKey: Buffer, b: EncodedBlock): void {
  db.putSync(tailKey(listKey), prefixVarint(b.first, b.value));
}

/** Calls `push` with every id of the list, ascending. */
export function readList(db: BinDb, listKey: Buffer, push: (id: number) => void): void {
  const n = listKey.length;
  for (const { key, value } of db.getRange({ start: listKey, end: listEnd(listKey) })) decodeEntry(key, value, n, push);
}

/** The number of ids in a list (reads block headers only). */
export function listCount(db: BinDb, listKey: Buffer): number {
  let count = 0;
  const n = listKey.length;
  for (const { key, value } of db.getRange({ start: listKey, end: listEnd(listKey) })) count += entryCount(key, value, n);
  return count;
}

/** The closed block with the greatest first id ≤ id. */
function floorClosed(db: BinDb, listKey: Buffer, id: number): Block | undefined {
  for (const { key, value } of db.getRange({ start: blockKey(listKey, id), end: listKey, reverse: true, limit: 1 })) {
    return { key, first: readId(key, listKey.length), body: Buffer.from(value) }; // held across later reads
  }
  return undefined;
}

function firstClosed(db: BinDb, listKey: Buffer): Block | undefined {
  for (const { key, value } of db.getRange({ start: listKey, end: suffixed(listKey, CLOSED_END), limit: 1 })) {
    return { key, first: readId(key, listKey.length), body: Buffer.from(value) }; // held across later reads
  }
  return undefined;
}

function lastClosed(db: BinDb, listKey: Buffer): Block | undefined {
  for (const { key, value } of db.getRange({ start: suffixed(listKey, CLOSED_END), end: listKey, reverse: true, limit: 1 })) {
    return { key, first: readId(key, listKey.length), body: Buffer.from(value) }; // held across later reads
  }
  return undefined;
}

/** The first id of the closed block after the one starting at `first`, if any. */
function nextClosedFirst(db: BinDb, listKey: Buffer, first: number): number | undefined {
  for (const key of db.getKeys({ start: blockKey(listKey, first + 1), end: suffixed(listKey, CLOSED_END), limit: 1 })) {
    return readId(key, listKey.length);
  }
  return undefined;
}

function findIn(b: Block, id: number): boolean {
  if (b.first === id) return true;
  let found = false;
  decodeBlock(b.first, b.body, (x) => {
    if (x === id) found = true;
  });
  return found;
}

export function listHas(db: BinDb, listKey: Buffer, id: number): boolean {
  const tail = getTail(db, listKey);
  if (!tail || id < 0) return false;
  if (id >= tail.first) return findIn(tail, id);
  const b = floorClosed(db, listKey, id);
  return b !== undefined && findIn(b, id);
}

function mergeUnique(a: readonly number[], b: ArrayLike<number>, from: number, to: number): number[] {
  const out: number[] = [];
  let i = 0;
  let j = from;
  while (i < a.length || j < to) {
    if (j >= to || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

/** Writes ascending `ids`, the list's largest, as closed blocks followed by the tail. */
function putEnd(db: BinDb, listKey: Buffer, ids: ArrayLike<number>, from = 0, to = ids.length): void {
  const blocks = encodeBlocks(ids, from, to);
  for (let k = 0; k < blocks.length - 1; k++) db.putSync(blockKey(listKey, blocks[k]!.first), blocks[k]!.value);
  putTail(db, listKey, blocks[blocks.length - 1]!);
}

/** Replaces closed block `b` by closed blocks holding `ids` (ascending; empty drops the block). */
function rewriteClosed(db: BinDb, listKey: Buffer, b: Block, ids: readonly number[]): void {
  if (ids.length === 0 || ids[0] !== b.first) db.removeSync(b.key);
  for (const e of encodeBlocks(ids)) db.putSync(blockKey(listKey, e.first), e.value);
}

/** How many of the ascending `ids` lie below `first`: those go to closed blocks, the rest to the tail. */
function countBelow(ids: ArrayLike<number>, first: number): number {
  let split = ids.length;
  while (split > 0 && ids[split - 1]! >= first) split--;
  return split;
}

/** The end of the run ids[i, j) that closed block `b` covers: up to the next closed block or the tail. */
function runEnd(db: BinDb, listKey: Buffer, b: Block, tailFirst: number, ids: ArrayLike<number>, i: number, split: number): number {
  const bound = nextClosedFirst(db, listKey, b.first) ?? tailFirst;
  let j = i;
  while (j < split && ids[j]! < bound) j++;
  return j;
}

/** Adds ascending unique `ids` to a list (ids already there are left alone). */
export function addToList(db: BinDb, listKey: Buffer, ids: ArrayLike<number>): void {
  if (ids.length === 0) return;
  const tail = getTail(db, listKey);
  if (!tail) return putEnd(db, listKey, ids);
  // Ids at or past the tail's first id go to the tail: the common case, new series, only this.
  const split = countBelow(ids, tail.first);
  if (split < ids.length) {
    const old = blockIds(tail.first, tail.body);
    if (isFull(tail.body) && ids[split]! > old[old.length - 1]!) {
      // Close the full tail as it is and start a new one.
      db.putSync(blockKey(listKey, tail.first), Buffer.from(tail.body));
      putEnd(db, listKey, ids, split);
    } else {
      const merged = mergeUnique(old, ids, split, ids.length);
      if (merged.length !== old.length) putEnd(db, listKey, merged);
    }
  }
  // Older ids (a known series seen on a new day) go into the closed block covering each.
  let i = 0;
  while (i < split) {
    const b = floorClosed(db, listKey, ids[i]!) ?? firstClosed(db, listKey);
    if (!b) {
      // No closed blocks: the ids below the tail become the first closed blocks.
      for (const e of encodeBlocks(ids, i, split)) db.putSync(blockKey(listKey, e.first), e.value);
      return;
    }
    const j = runEnd(db, listKey, b, tail.first, ids, i, split);
    const old = blockIds(b.first, b.body);
    const merged = mergeUnique(old, ids, i, j);
    if (merged.length !== old.length) rewriteClosed(db, listKey, b, merged);
    i = j;
  }
}

/** Removes ascending unique `ids` from a list (ids not there are ignored). */
export function removeFromList(db: BinDb, listKey: Buffer, ids: ArrayLike<number>): void {
  const tail = getTail(db, listKey);
  if (!tail || ids.length === 0) return;
  const split = countBelow(ids, tail.first);
  let i = 0;
  while (i < split) {
    const b = floorClosed(db, listKey, ids[i]!);
    if (!b) {
      i++; // below every block: not in the list
      continue;
    }
    const j = runEnd(db, listKey, b, tail.first, ids, i, split);
    const gone = new Set<number>();
    for (let k = i; k < j; k++) gone.add(ids[k]!);
    const old = blockIds(b.first, b.body);
    const kept = old.filter((id) => !gone.has(id));
    if (kept.length !== old.length) rewriteClosed(db, listKey, b, kept);
    i = j;
  }
  if (split === ids.length) return;
  const gone = new Set<number>();
  for (let k = split; k < ids.length; k++) gone.add(ids[k]!);
  const old = blockIds(tail.first, tail.body);
  const kept = old.filter((id) => !gone.has(id));
  if (kept.length === old.length) return;
  if (kept.length > 0) return putEnd(db, listKey, kept);
  // The tail emptied: the last closed block, if any, becomes the tail.
  const last = lastClosed(db, listKey);
  if (!last) {
    db.removeSync(tail.key);
    return;
  }
  db.removeSync(last.key);
  putTail(db, listKey, { first: last.first, value: Buffer.from(last.body) });
}

/** The ids among ascending unique `ids` that the list lacks, ascending; each block is read once. */
export function missingFromList(db: BinDb, listKey: Buffer, ids: ArrayLike<number>): number[] {
  const out: number[] = [];
  const tail = getTail(db, listKey);
  if (!tail) {
    for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    return out;
  }
  const keepMissing = (have: readonly number[], from: number, to: number): void => {
    let h = 0;
    for (let k = from; k < to; k++) {
      const id = ids[k]!;
      while (h < have.length && have[h]! < id) h++;
      if (h >= have.length || have[h] !== id) out.push(id);
    }
  };
  const split = countBelow(ids, tail.first);
  let i = 0;
  while (i < split) {
    const b = floorClosed(db, listKey, ids[i]!);
    if (!b) {
      out.push(ids[i++]!);
      continue;
    }
    const j = runEnd(db, listKey, b, tail.first, ids, i, split);
    keepMissing(blockIds(b.first, b.body), i, j);
    i = j;
  }
  if (split < ids.length) keepMissing(blockIds(tail.first, tail.body), split, ids.length);
  return out;
}
