import type { Label, Labels } from '../model/index.js';
import { IndexError } from './errors.js';
import { TENANT_BYTES, idBytes, readId } from './keys.js';
import type { BinDb } from './stores.js';

/**
 * The label sets of series, by id, packed in blocks: the series created by one batch (one tenant)
 * share blocks of up to BLOCK_SERIES sets, each set written as its difference from the one before
 * (series created together mostly share names and many values). One LMDB row per block instead of
 * per series, and a few bytes per repeated label instead of its name and value.
 *
 * Key: the block's first id (8 bytes big-endian); ids in a block are consecutive.
 * Value: tenant (8 bytes), varint count, then per set: varint label count, then per label a tag:
 * 0 = same label as the previous set's at this position, 1 = same name, new value (varint length +
 * UTF-8), 2 = new name and value (each varint length + UTF-8).
 */

const BLOCK_SERIES = 32;
/** Blocks stop growing past this many bytes, so most stay inline in a 4 KiB page. */
const BLOCK_BYTES = 1200;

/** One decoded block. */
export interface LabelBlock {
  readonly first: number;
  readonly tenant: Buffer;
  readonly sets: Labels[];
}

class Writer {
  buf = Buffer.allocUnsafe(4096);
  off = 0;

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.off++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.off++] = v;
  }

  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.off, 'utf8');
    this.off += n;
  }
}

function encodeBlock(tenant: Buffer, sets: readonly Labels[]): Buffer {
  const w = new Writer();
  w.ensure(TENANT_BYTES);
  tenant.copy(w.buf, 0);
  w.off = TENANT_BYTES;
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
  return Buffer.from(w.buf.subarray(0, w.off));
}

function decodeBlock(first: number, value: Buffer): LabelBlock {
  let off = TENANT_BYTES;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (off >= value.length) throw new IndexError(`corrupt label block at series ${first}`);
      const b = value[off++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  const str = (): string => {
    const n = varint();
    const s = value.toString('utf8', off, off + n);
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
  return { first, tenant: Buffer.from(value.subarray(0, TENANT_BYTES)), sets };
}

/**
 * Within a write transaction: stores the label sets of new series `firstId`, `firstId + 1`, … of
 * one tenant (`tenant` as key bytes), in as many blocks as they need.
 */
export function writeLabelSets(db: BinDb, tenant: Buffer, firstId: number, sets: readonly Labels[]): void {
  let i = 0;
  while (i < sets.length) {
    let j = i;
    let bytes = 0;
    while (j < sets.length && j - i < BLOCK_SERIES && bytes < BLOCK_BYTES) {
      for (const l of sets[j]!) bytes += l.name.length + l.value.length;
      j++;
    }
    db.putSync(idBytes(firstId + i), encodeBlock(tenant, sets.slice(i, j)));
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

/** Every stored block, in id order. */
export function* labelBlocks(db: BinDb): Generator<LabelBlock> {
  for (const { key, value } of db.getRange()) yield decodeBlock(readId(key), value);
}
