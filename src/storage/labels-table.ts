import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteWriter, VarintError, readVarint } from '../varint.js';

/**
 * A part's series table, `labels.bin` (docs/format/part.md): the tenant and label set of every
 * series the part holds, so the label index can be rebuilt from the parts alone (`strata index
 * rebuild`), as each Prometheus block carries its own index. Names and values are written once
 * each in a string table and referenced by number; the whole is deflated.
 */

export const LABELS_FILE = 'labels.bin';
const MAGIC = Buffer.from('STLB');
const VERSION = 1;
/** Inflate limit: far past any real table, short of a memory problem. */
const MAX_BODY = 1 << 30;

export interface SeriesLabels {
  readonly id: number;
  readonly accountID: number;
  readonly projectID: number;
  readonly labels: readonly { readonly name: string; readonly value: string }[];
}

/** The table's body (before deflate) for entries in ascending id order. */
export function encodeLabelsBody(entries: readonly SeriesLabels[]): Uint8Array {
  const strings = new Map<string, number>();
  const tenants = new Map<string, number>();
  const refs = new ByteWriter(1 << 16);
  refs.varint(entries.length);
  let prev = 0;
  const ref = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) strings.set(s, (i = strings.size));
    return i;
  };
  for (const e of entries) {
    const tk = `${e.accountID}:${e.projectID}`;
    let t = tenants.get(tk);
    if (t === undefined) tenants.set(tk, (t = tenants.size));
    refs.varint(e.id - prev);
    prev = e.id;
    refs.varint(t);
    refs.varint(e.labels.length);
    for (const l of e.labels) {
      refs.varint(ref(l.name));
      refs.varint(ref(l.value));
    }
  }
  const head = new ByteWriter(1 << 16);
  head.varint(strings.size);
  for (const s of strings.keys()) head.str(s);
  head.varint(tenants.size);
  for (const tk of tenants.keys()) {
    const [a, p] = tk.split(':');
    head.varint(Number(a));
    head.varint(Number(p));
  }
  return Buffer.concat([head.buf.subarray(0, head.off), refs.buf.subarray(0, refs.off)]);
}

export class LabelsTableError extends Error {}

export function decodeLabelsBody(body: Uint8Array): SeriesLabels[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let off = 0;
  const at = { pos: 0 };
  const varint = (): number => {
    at.pos = off;
    try {
      const v = readVarint(b, at);
      off = at.pos;
      return v;
    } catch (e) {
      throw e instanceof VarintError ? new LabelsTableError(`labels table: ${e.message}`) : e;
    }
  };
  const nStrings = varint();
  const strings: string[] = [];
  for (let i = 0; i < nStrings; i++) {
    const n = varint();
    if (off + n > b.length) throw new LabelsTableError('labels table string runs past its end');
    strings.push(b.toString('utf8', off, off + n));
    off += n;
  }
  const nTenants = varint();
  const tenants: [number, number][] = [];
  for (let i = 0; i < nTenants; i++) tenants.push([varint(), varint()]);
  const count = varint();
  const out: SeriesLabels[] = [];
  let id = 0;
  const str = (): string => {
    const s = strings[varint()];
    if (s === undefined) throw new LabelsTableError('labels table names a string it does not hold');
    return s;
  };
  for (let k = 0; k < count; k++) {
    id += varint();
    const t = tenants[varint()];
    if (t === undefined) throw new LabelsTableError('labels table names a tenant it does not hold');
    const n = varint();
    const labels: { name: string; value: string }[] = [];
    for (let i = 0; i < n; i++) labels.push({ name: str(), value: str() });
    out.push({ id, accountID: t[0], projectID: t[1], labels });
  }
  if (off !== b.length) throw new LabelsTableError('labels table has bytes past its last series');
  return out;
}

/** Writes `labels.bin` into a part directory being built; returns its size and CRC-32. */
export function writeLabelsFile(dir: string, entries: readonly SeriesLabels[]): { size: number; crc32: number } {
  const body = deflateRawSync(encodeLabelsBody(entries), { level: 6 });
  const head = Buffer.from([...MAGIC, VERSION]);
  const crc = crc32(body, crc32(head));
  const tail = Buffer.allocUnsafe(4);
  tail.writeUInt32LE(crc, 0);
  return writeLabelsFileBytes(dir, Buffer.concat([head, body, tail]));
}

/** Writes a whole `labels.bin` (another part's, checked by readLabelsTable) into a part being built. */
export function writeLabelsFileBytes(dir: string, file: Uint8Array): { size: number; crc32: number } {
  const fd = fs.openSync(join(dir, LABELS_FILE), 'w');
  try {
    let off = 0;
    while (off < file.length) off += fs.writeSync(fd, file, off, file.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { size: file.length, crc32: crc32(file) };
}

/**
 * A part's series table as read by a merge: the file as it is (checked), its ids, and the
 * entries decoded only on demand. Merging parts of one burst, one input lists every series and
 * the others none; the output's table is then that file byte for byte, and decoding it into
 * label objects only to encode it again was a tenth of such a merge.
 */
export interface LabelsTable {
  readonly file: Buffer;
  /** Ascending. */
  readonly ids: readonly number[];
  entries(): SeriesLabels[];
}

/** The series table of a part directory, checked and with its ids; null when the part has none. */
export function readLabelsTable(partDir: string): LabelsTable | null {
  let file: Buffer;
  try {
    file = fs.readFileSync(join(partDir, LABELS_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const raw = checkedBody(file);
  const ids = decodeLabelsIds(raw);
  let entries: SeriesLabels[] | null = null;
  return { file, ids, entries: () => (entries ??= decodeLabelsBody(raw)) };
}

function checkedBody(file: Buffer): Buffer {
  if (file.length < 9 || !file.subarray(0, 4).equals(MAGIC) || file[4] !== VERSION)
    throw new LabelsTableError(`${LABELS_FILE}: not a version ${VERSION} labels table`);
  const body = file.subarray(5, file.length - 4);
  if (crc32(body, crc32(file.subarray(0, 5))) !== file.readUInt32LE(file.length - 4)) throw new LabelsTableError(`${LABELS_FILE}: checksum mismatch`);
  try {
    return inflateRawSync(body, { maxOutputLength: MAX_BODY });
  } catch (e) {
    throw new LabelsTableError(`${LABELS_FILE}: ${(e as Error).message}`);
  }
}

/** The ids of a table body, checked as decodeLabelsBody checks it but without building strings. */
function decodeLabelsIds(b: Buffer): number[] {
  const at = { pos: 0 };
  const varint = (): number => {
    try {
      return readVarint(b, at);
    } catch (e) {
      throw e instanceof VarintError ? new LabelsTableError(`labels table: ${e.message}`) : e;
    }
  };
  const nStrings = varint();
  for (let i = 0; i < nStrings; i++) {
    const n = varint();
    if (at.pos + n > b.length) throw new LabelsTableError('labels table string runs past its end');
    at.pos += n;
  }
  const nTenants = varint();
  for (let i = 0; i < 2 * nTenants; i++) varint();
  const count = varint();
  const ids: number[] = [];
  let id = 0;
  for (let k = 0; k < count; k++) {
    id += varint();
    if (varint() >= nTenants) throw new LabelsTableError('labels table names a tenant it does not hold');
    const n = varint();
    for (let i = 0; i < 2 * n; i++) if (varint() >= nStrings) throw new LabelsTableError('labels table names a string it does not hold');
    ids.push(id);
  }
  if (at.pos !== b.length) throw new LabelsTableError('labels table has bytes past its last series');
  return ids;
}

/** The series table of a part directory; null when the part has none (written before it existed). */
export function readLabelsFile(partDir: string): SeriesLabels[] | null {
  return readLabelsTable(partDir)?.entries() ?? null;
}

/** The entries of ascending `ids` (others dropped), from entries in ascending id order. */
export function entriesFor(entries: readonly SeriesLabels[], ids: readonly number[]): SeriesLabels[] {
  const out: SeriesLabels[] = [];
  let j = 0;
  for (const e of entries) {
    while (j < ids.length && ids[j]! < e.id) j++;
    if (j < ids.length && ids[j] === e.id) out.push(e);
  }
  return out;
}
