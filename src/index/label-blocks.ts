import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Label, Labels } from '../model/index.js';
import { ByteWriter, VarintError, readVarint } from '../varint.js';
import { IndexError } from './errors.js';
import { TENANT_BYTES, idBytes, readId } from './keys.js';
import type { BinDb } from './stores.js';

/**
 * The label sets of series, by id, packed in blocks (layout: docs/format/index.md, `label_blocks`):
 * the series created by one batch (one tenant) share blocks of up to BLOCK_SERIES sets, each set
 * written as its difference from the one before (series created together mostly share names and
 * many values). One LMDB row per block instead of per series, and a few bytes per repeated label
 * instead of its name and value.
 */

/**
 * At most this many sets a block. Bigger blocks deflate better (64 sets: 48 pages for 12k
 * node_exporter series, 32: 58, 16: 71, plain: 151) but every label lookup that misses the
 * cache inflates a whole block (zlib's fixed cost, ~15 µs, dominates up to 64 sets).
 */
const BLOCK_SERIES = 32;
/** A block stops growing once its names and values reach this many characters. */
const BLOCK_CHARS = 2048;
/**
 * A stored block bigger than this is split in two (unless it holds one set): an LMDB value past
 * about half a 4 KiB page moves to overflow pages of its own, most of them empty.
 */
const MAX_STORED_BYTES = 1800;
const DEFLATED = 0;
/**
 * A body is a few KiB at most, so a 4 KiB window loses nothing, and zlib's default 32 KiB window
 * and 128 KiB hash table cost more to set up and free (about 300 µs a block) than compressing the
 * body itself. Inflating needs no options: a raw stream of any window size inflates with the default.
 */
const DEFLATE_OPTIONS = { level: 6, windowBits: 12, memLevel: 3 } as const;
/** The inflate limit of a block body: far past any real one, short of a memory problem. */
const MAX_BODY_BYTES = 64 << 20;

/** One decoded block. */
export interface LabelBlock {
  readonly first: number;
  readonly tenant: Buffer;
  readonly sets: Labels[];
}

function encodeBody(sets: readonly Labels[]): Buffer {
  const w = new ByteWriter();
  w.varint(sets.length);
  let prev: Labels = [];
  for (const set of sets) {
    w.varint(set.length);
    for (let i = 0; i < set.length; i++) {
      const l = set[i]!;
      const p = prev[i];
      if (p !== undefined && p.name === l.name && p.value === l.value) w.varint(0);
      else if (p !== undefined && p.name === l.name) {
        w.varint(1);
        w.str(l.value);
      } else {
        w.varint(2);
        w.str(l.name);
        w.str(l.value);
      }
    }
    prev = set;
  }
  return w.buf.subarray(0, w.off);
}

function encodeBlock(tenant: Buffer, sets: readonly Labels[]): Buffer {
  const body = encodeBody(sets);
  const deflated = deflateRawSync(body, DEFLATE_OPTIONS);
  if (deflated.length + 1 < body.length) return Buffer.concat([tenant, Buffer.from([DEFLATED]), deflated]);
  return Buffer.concat([tenant, body]);
}

/**
 * Decoded label names and values, one string object per distinct text: series of a selection
 * share most of their labels (the metric name, job, instance, ...), and queries sort them by
 * labels, where equal strings that are one object compare in one step instead of char by char.
 * Bounded: past the limit it starts over (strings still in use simply stay unshared).
 */
const interned = new Map<string, string>();
const MAX_INTERNED = 200_000;

function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(s, s);
  return s;
}

function decodeBlock(first: number, stored: Buffer, share = true): LabelBlock {
  const tenant = Buffer.from(stored.subarray(0, TENANT_BYTES));
  let value = stored;
  let off = TENANT_BYTES;
  if (stored.length > TENANT_BYTES && stored[TENANT_BYTES] === DEFLATED) {
    try {
      value = inflateRawSync(stored.subarray(TENANT_BYTES + 1), { maxOutputLength: MAX_BODY_BYTES });
    } catch (e) {
      throw new IndexError(`corrupt label block at series ${first}: ${(e as Error).message}`);
    }
    off = 0;
  }
  const at = { pos: 0 };
  const varint = (): number => {
    at.pos = off;
    try {
      const v = readVarint(value, at);
      off = at.pos;
      return v;
    } catch (e) {
      throw e instanceof VarintError ? new IndexError(`corrupt label block at series ${first}`) : e;
    }
  };
  const str = (): string => {
    const n = varint();
    if (off + n > value.length) throw new IndexError(`corrupt label block at series ${first}`);
    const text = value.toString('utf8', off, off + n);
    const s = share ? intern(text) : text;
    off += n;
    return s;
  };
  const count = varint();
  const sets: Labels[] = [];
  let prev: Labels = [];
  for (let k = 0; k < count; k++) {
    const n = varint();
    const set: Label[] = [];
    for (let i = 0; i < n; i++) {
      const tag = varint();
      const p = prev[i];
      if (tag === 0 && p !== undefined) set.push(p);
      else if (tag === 1 && p !== undefined) set.push({ name: p.name, value: str() });
      else if (tag === 2) {
        const name = str();
        set.push({ name, value: str() });
      } else throw new IndexError(`corrupt label block at series ${first}`);
    }
    sets.push(set);
    prev = set;
  }
  if (off !== value.length) throw new IndexError(`corrupt label block at series ${first}: bytes past its last set`);
  return { first, tenant, sets };
}

/**
 * Within a write transaction: stores the label sets of new series `firstId`, `firstId + 1`, … of
 * one tenant (`tenant` as key bytes), in as many blocks as they need.
 */
export function writeLabelSets(db: BinDb, tenant: Buffer, firstId: number, sets: readonly Labels[]): void {
  let i = 0;
  while (i < sets.length) {
    let j = i;
    let chars = 0;
    while (j < sets.length && j - i < BLOCK_SERIES && chars < BLOCK_CHARS) {
      for (const l of sets[j]!) chars += l.name.length + l.value.length;
      j++;
    }
    // Halve until the stored block fits inline in a page (or is a single set).
    let value = encodeBlock(tenant, sets.slice(i, j));
    while (value.length > MAX_STORED_BYTES && j - i > 1) {
      j = i + ((j - i) >> 1);
      value = encodeBlock(tenant, sets.slice(i, j));
    }
    db.putSync(idBytes(firstId + i), value);
    i = j;
  }
}

/** The block holding series `id`, if there is one. */
export function readLabelBlock(db: BinDb, id: number): LabelBlock | undefined {
  for (const { key, value } of db.getRange({ start: idBytes(id), end: Buffer.alloc(8), reverse: true, limit: 1 })) {
    const b = decodeBlock(readId(key), value);
    return id < b.first + b.sets.length ? b : undefined;
  }
  return undefined;
}

/** The largest id with labels stored, 0 when none. */
export function lastLabelledId(db: BinDb): number {
  for (const { key, value } of db.getRange({ reverse: true, limit: 1 })) {
    const b = decodeBlock(readId(key), value);
    return b.first + b.sets.length - 1;
  }
  return 0;
}

/**
 * The blocks holding any of the ascending `ids`, in id order, read in one pass and each decoded
 * once. Strings are not interned: the caller (a flush writing a part's series table) encodes
 * them right away and keeps none. A block holds the ids from its key up to the next block's key.
 */
export function* blocksHolding(db: BinDb, ids: ArrayLike<number>): Generator<LabelBlock> {
  if (ids.length === 0) return;
  let start = idBytes(ids[0]!);
  for (const { key } of db.getRange({ start, end: Buffer.alloc(8), reverse: true, limit: 1 })) start = Buffer.from(key);
  let i = 0;
  let held: { first: number; value: Buffer } | null = null;
  for (const { key, value } of db.getRange({ start })) {
    const first = readId(key);
    if (held !== null && ids[i]! < first) yield decodeBlock(held.first, held.value, false);
    while (i < ids.length && ids[i]! < first) i++;
    if (i >= ids.length) return;
    // The value may not outlive the cursor's next step; the block's extent is known only then.
    held = { first, value: Buffer.from(value) };
  }
  if (held !== null) yield decodeBlock(held.first, held.value, false);
}

/** Every stored block, in id order. */
export function* labelBlocks(db: BinDb): Generator<LabelBlock> {
  for (const { key, value } of db.getRange()) yield decodeBlock(readId(key), value);
}
