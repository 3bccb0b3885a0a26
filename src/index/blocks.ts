import { IndexError } from './errors.js';
import { MAX_VARINT_BYTES, VarintError, readVarint, varintSize, writeVarint } from '../varint.js';

/**
 * Postings lists stored as packed blocks (layout: docs/format/index.md): one LMDB value holds many
 * ascending series ids, so creating 10k series with `job="node"` writes a few values instead of
 * 10k dupSort rows.
 */

/** Blocks are cut near this size: several fit in one 4 KiB page, so none spill to overflow pages. */
export const BLOCK_BYTES = 440;
/** The largest varint (a gap ≤ 2^53) takes 8 bytes; a block may pass BLOCK_BYTES by one varint. */
const MAX_VARINT = MAX_VARINT_BYTES;

let scratch = new Uint8Array(BLOCK_BYTES + 2 * MAX_VARINT);

/** One encoded block: its first id (part of the key) and its value bytes. */
export interface EncodedBlock {
  readonly first: number;
  readonly value: Buffer;
}

/**
 * Cuts ascending unique `ids[from, to)` into blocks of about BLOCK_BYTES, each filled before the
 * next starts (appends then leave full blocks behind).
 */
export function encodeBlocks(ids: ArrayLike<number>, from = 0, to = ids.length): EncodedBlock[] {
  const out: EncodedBlock[] = [];
  let i = from;
  while (i < to) {
    const first = ids[i]!;
    // Leave room for the count varint in front; the gaps are written after it.
    let off = MAX_VARINT;
    let prev = first;
    let j = i + 1;
    while (j < to && off < MAX_VARINT + BLOCK_BYTES) {
      const id = ids[j]!;
      if (off + MAX_VARINT > scratch.length) {
        const bigger = new Uint8Array(scratch.length * 2);
        bigger.set(scratch);
        scratch = bigger;
      }
      off = writeVarint(scratch, off, id - prev);
      prev = id;
      j++;
    }
    const count = j - i;
    const head = varintSize(count);
    const value = Buffer.allocUnsafe(head + off - MAX_VARINT);
    writeVarint(value, 0, count);
    value.set(scratch.subarray(MAX_VARINT, off), head);
    out.push({ first, value });
    i = j;
  }
  return out;
}

/** Writes `v` as a varint at the front of a new buffer followed by `rest`. */
export function prefixVarint(v: number, rest: Uint8Array): Buffer {
  const head = varintSize(v);
  const out = Buffer.allocUnsafe(head + rest.length);
  writeVarint(out, 0, v);
  out.set(rest, head);
  return out;
}

/** Reads the varint at the front of `buf`: its value and byte length. */
export function frontVarint(buf: Uint8Array): { value: number; size: number } {
  const at = { pos: 0 };
  const value = readBlockVarint(buf, at);
  return { value, size: at.pos };
}

/** The number of ids in a block, from its header alone. */
export function blockCount(value: Uint8Array): number {
  return readBlockVarint(value, { pos: 0 });
}

function readBlockVarint(buf: Uint8Array, at: { pos: number }): number {
  try {
    return readVarint(buf, at);
  } catch (e) {
    throw e instanceof VarintError ? new IndexError(`corrupt postings block: ${e.message}`) : e;
  }
}

/** Calls `push` with every id of a block, ascending. */
export function decodeBlock(first: number, value: Uint8Array, push: (id: number) => void): void {
  const at = { pos: 0 };
  const count = readBlockVarint(value, at);
  push(first);
  let id = first;
  for (let k = 1; k < count; k++) {
    // Most gaps fit in one byte: read those inline, the rest through the shared reader.
    const b = value[at.pos];
    if (b !== undefined && b < 0x80) {
      at.pos++;
      id += b;
    } else id += readBlockVarint(value, at);
    push(id);
  }
}

/** Every id of a block as an array. */
export function blockIds(first: number, value: Uint8Array): number[] {
  const out: number[] = [];
  decodeBlock(first, value, (id) => out.push(id));
  return out;
}

/** The encoded size of a block value, for deciding whether an append can start a fresh block. */
export function isFull(value: Uint8Array): boolean {
  return value.length >= BLOCK_BYTES;
}
