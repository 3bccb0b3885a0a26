import { hash } from 'node:crypto';
import { MAX_LABEL_BYTES, type Label, type Labels, type Tenant } from '../model/index.js';

export { MAX_LABEL_BYTES } from '../model/index.js';
import { VarintError, readVarint, writeVarint } from '../varint.js';
import { IndexError } from './errors.js';

/**
 * LMDB key and value layouts: docs/format/index.md. Keys start with the tenant so tenants never
 * see each other's series and a tenant's keys form one range; fixed-width numbers are big-endian
 * so LMDB's byte order is numeric order.
 */

export const TENANT_BYTES = 8;
export const DAY_BYTES = 4;
/** Postings kinds under a tenant in the `postings` database. */
export const POSTINGS_ALL = 0x00;
export const POSTINGS_LABEL = 0x01;

const MAX_ID = 2 ** 53;

export function writeId(buf: Buffer, off: number, id: number): void {
  buf.writeUInt32BE(Math.floor(id / 0x100000000), off);
  buf.writeUInt32BE(id >>> 0, off + 4);
}

export function readId(buf: Uint8Array, off = 0): number {
  return (
    (buf[off]! * 0x1000000 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!)) * 0x100000000 +
    (buf[off + 4]! * 0x1000000 + ((buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!))
  );
}

export function idBytes(id: number): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new IndexError(`invalid series id ${id}`);
  const b = Buffer.allocUnsafe(8);
  writeId(b, 0, id);
  return b;
}

function checkTenant(t: Tenant): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!ok(t.accountID) || !ok(t.projectID)) {
    throw new IndexError(`invalid tenant ${t.accountID}:${t.projectID}: ids must be u32 integers`);
  }
}

export function tenantBytes(t: Tenant): Buffer {
  checkTenant(t);
  const b = Buffer.allocUnsafe(TENANT_BYTES);
  b.writeUInt32BE(t.accountID, 0);
  b.writeUInt32BE(t.projectID, 4);
  return b;
}

export function readTenant(buf: Uint8Array, off = 0): Tenant {
  const v = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { accountID: v.readUInt32BE(off), projectID: v.readUInt32BE(off + 4) };
}

export function tenantDay(tenant: Buffer, day: number): Buffer {
  if (!Number.isInteger(day) || day < 0 || day > 0xffffffff) throw new IndexError(`invalid day ${day}: want days since 1970-01-01`);
  const b = Buffer.allocUnsafe(TENANT_BYTES + DAY_BYTES);
  tenant.copy(b, 0);
  b.writeUInt32BE(day, TENANT_BYTES);
  return b;
}

/**
 * `prefix` + name \0 escaped-value \0: the key of one postings list; its blocks are this key plus
 * the block's first id. A NUL inside a value is written as \0 \xff (UTF-8 never holds 0xff), so
 * the terminating \0 is unambiguous and keys still sort by value bytes: another value's keys can
 * start with this one's only as key + \xff, past every block of this list (see posting-lists.ts).
 */
export function labelKey(prefix: Buffer, name: string, value: string): Buffer {
  const nl = Buffer.byteLength(name);
  const vl = Buffer.byteLength(value);
  const b = Buffer.allocUnsafe(prefix.length + nl + 1 + vl + 1);
  prefix.copy(b, 0);
  b.write(name, prefix.length, 'utf8');
  b[prefix.length + nl] = 0;
  b.write(value, prefix.length + nl + 1, 'utf8');
  b[b.length - 1] = 0;
  return value.includes('\u0000') ? escapeNuls(b, prefix.length + nl + 1) : b;
}

function escapeNuls(b: Buffer, from: number): Buffer {
  const parts: number[] = [];
  for (let i = from; i < b.length - 1; i++) {
    parts.push(b[i]!);
    if (b[i] === 0) parts.push(0xff);
  }
  parts.push(0);
  return Buffer.concat([b.subarray(0, from), Buffer.from(parts)]);
}

/** `prefix` + name \0 + the escaped bytes of `valuePrefix` (no terminator): a range-scan start. */
export function labelValuePrefix(prefix: Buffer, name: string, valuePrefix: string): Buffer {
  const k = labelKey(prefix, name, valuePrefix);
  return k.subarray(0, k.length - 1);
}

/** `prefix` + name \0: the start of every postings key of one label name. */
export function labelNamePrefix(prefix: Buffer, name: string): Buffer {
  return labelValuePrefix(prefix, name, '');
}

/**
 * Where the escaped value that starts at `from` in a postings block key ends (the index of its
 * terminating \0), and whether it holds escaped NULs.
 */
export function valueEnd(key: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const j = key.indexOf(0, i);
    if (j < 0) return key.length;
    if (key[j + 1] !== 0xff) return j;
    i = j + 2;
  }
}

/** The label value held in `key` between `from` and `end` (see valueEnd). */
export function readValue(key: Buffer, from: number, end: number): string {
  const raw = key.subarray(from, end);
  if (raw.indexOf(0xff) < 0) return raw.toString('utf8');
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    out.push(raw[i]!);
    if (raw[i] === 0 && raw[i + 1] === 0xff) i++;
  }
  return Buffer.from(out).toString('utf8');
}

/** A postings block key: the list key plus the block's first id. */
export function blockKey(listKey: Buffer, firstId: number): Buffer {
  const b = Buffer.allocUnsafe(listKey.length + 8);
  listKey.copy(b, 0);
  writeId(b, listKey.length, firstId);
  return b;
}

/** The smallest key greater than every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]!++;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.concat([b, Buffer.from([0xff])]);
}

/**
 * Canonical bytes of a label set: for each label (sorted by name), u16 byte length + UTF-8 name,
 * u16 byte length + UTF-8 value. Length-prefixed so that no value content can collide.
 */
export function encodeLabels(labels: Labels): Buffer {
  let size = 0;
  for (const l of labels) size += 4 + Buffer.byteLength(l.name) + Buffer.byteLength(l.value);
  const b = Buffer.allocUnsafe(size);
  let off = 0;
  for (const l of labels) {
    const n = b.write(l.name, off + 2, 'utf8');
    b.writeUInt16BE(n, off);
    off += 2 + n;
    const v = b.write(l.value, off + 2, 'utf8');
    b.writeUInt16BE(v, off);
    off += 2 + v;
  }
  return b;
}

export function decodeLabels(buf: Uint8Array, off: number): Label[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Label[] = [];
  while (off < b.length) {
    const n = b.readUInt16BE(off);
    const name = b.toString('utf8', off + 2, off + 2 + n);
    off += 2 + n;
    const v = b.readUInt16BE(off);
    const value = b.toString('utf8', off + 2, off + 2 + v);
    off += 2 + v;
    out.push({ name, value });
  }
  return out;
}

/**
 * The `series` key of a label set: the first 8 bytes of SHA-256 over the tenant and the canonical
 * label bytes. The labels themselves live once, in `labels`; a short fixed key keeps this B-tree
 * small (it was tenant + 16 hash bytes, a quarter of the whole index). The value lists every id
 * whose label set has this key (see encodeIdList): lookups compare each one's stored tenant and
 * labels, so a collision (odds ~2^-24 at a million series) only adds a second id to the list.
 */
export function seriesKey(tenant: Buffer, labelBytes: Buffer): Buffer {
  // One-shot hashing: a Hash object per series cost more than the digest itself.
  const h = hash('sha256', Buffer.concat([tenant, labelBytes], tenant.length + labelBytes.length), 'buffer');
  return Buffer.from(h.buffer, h.byteOffset, SERIES_KEY_BYTES);
}

export const SERIES_KEY_BYTES = 8;

/**
 * seriesKey for many label sets in a row without a buffer per set: the tenant and the canonical
 * label bytes are written into one reused scratch buffer and hashed in place. `labelBytes` copies
 * the last set's bytes out, for the rare set whose key is already taken (a lookup compares them).
 */
export class SeriesKeyEncoder {
  private buf = Buffer.allocUnsafe(4096);
  private end = 0;

  key(tenant: Buffer, labels: Labels): Buffer {
    let max = TENANT_BYTES;
    for (const l of labels) max += 4 + 3 * (l.name.length + l.value.length);
    if (max > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(max, this.buf.length * 2));
    const b = this.buf;
    tenant.copy(b, 0, 0, TENANT_BYTES);
    let off = TENANT_BYTES;
    for (const l of labels) {
      off = writeString(b, off, l.name);
      off = writeString(b, off, l.value);
    }
    this.end = off;
    const h = hash('sha256', b.subarray(0, off), 'buffer');
    return Buffer.from(h.buffer, h.byteOffset, SERIES_KEY_BYTES);
  }

  /** A copy of the canonical label bytes (encodeLabels) of the set last keyed. */
  labelBytes(): Buffer {
    return Buffer.from(this.buf.subarray(TENANT_BYTES, this.end));
  }
}

/**
 * Writes u16 byte length + UTF-8 of `s` at `off` (room checked by the caller); returns the end.
 * Label names and values are short and nearly always ASCII: a plain loop beats Buffer#write's
 * fixed cost for those, and anything else takes Buffer#write.
 */
function writeString(b: Buffer, off: number, s: string): number {
  const at = off + 2;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[at + i] = c;
  }
  const n = i === s.length ? i : b.write(s, at, 'utf8');
  b[off] = n >>> 8;
  b[off + 1] = n & 0xff;
  return at + n;
}

/** A `series` value: the ids as varints, in the order they were added. */
export function encodeIdList(ids: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(ids.length * 8);
  let off = 0;
  for (const v of ids) off = writeVarint(b, off, v);
  return b.subarray(0, off);
}

export function decodeIdList(buf: Uint8Array): number[] {
  const out: number[] = [];
  const at = { pos: 0 };
  try {
    while (at.pos < buf.length) out.push(readVarint(buf, at));
  } catch (e) {
    if (!(e instanceof VarintError)) throw e;
    throw new IndexError(e.message.startsWith('truncated') ? 'corrupt series id list: it ends inside a varint' : `corrupt series id list: ${e.message}`);
  }
  return out;
}

/**
 * Validates and canonicalizes a label set: sorted by name, empty values dropped (Prometheus treats
 * an empty value as an absent label), no duplicate or empty names, each label small enough to key.
 */
export function canonicalLabels(labels: Labels): Labels {
  let sorted = true;
  let hasEmpty = false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l.value === '') hasEmpty = true;
    if (i > 0 && !(labels[i - 1]!.name < l.name)) sorted = false;
  }
  let out = labels;
  if (hasEmpty) out = out.filter((l) => l.value !== '');
  if (!sorted) out = [...out].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 0; i < out.length; i++) {
    const l = out[i]!;
    if (typeof l.name !== 'string' || typeof l.value !== 'string') throw new IndexError('label names and values must be strings');
    if (l.name === '' || l.name.includes('\u0000')) {
      throw new IndexError(`invalid label name ${JSON.stringify(l.name)}: must be non-empty and contain no NUL`);
    }
    if (i > 0 && out[i - 1]!.name === l.name) throw new IndexError(`duplicate label name ${JSON.stringify(l.name)} in series`);
    // A NUL in a value takes two bytes in postings keys (see labelKey): still at most 3 per UTF-16 unit.
    if (l.name.length + l.value.length > MAX_LABEL_BYTES / 3 && Buffer.byteLength(l.name) + Buffer.byteLength(l.value) + nulCount(l.value) > MAX_LABEL_BYTES) {
      throw new IndexError(`label ${l.name} is too long: name and value together must be at most ${MAX_LABEL_BYTES} bytes of UTF-8`);
    }
  }
  if (out.length === 0) throw new IndexError('a series needs at least one label with a non-empty value');
  return out;
}

function nulCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\u0000'); i >= 0; i = s.indexOf('\u0000', i + 1)) n++;
  return n;
}
