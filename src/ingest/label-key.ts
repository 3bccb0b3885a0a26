import { sortLabels, type Label, type Labels } from '../model/index.js';

/**
 * The canonical series key: the latin1 view of the label set's protobuf encoding as Prometheus
 * sends it in a remote-write TimeSeries (per label: `0x0a len { 0x0a len name 0x12 len value }`),
 * labels sorted by the UTF-8 bytes of their names, empty values left out. Because it is exactly the
 * bytes a well-behaved sender puts on the wire, the remote-write decoder can take the key as one
 * slice of the body without creating a single Label; every other format builds the same bytes, so a
 * series gets the same key whichever protocol wrote it. The encoding is length-prefixed, so any
 * UTF-8 (NUL included) is unambiguous, and `labelsFromKey` inverts it.
 */

/** Bytes of a protobuf varint for n (n < 2^32). */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/** Builds canonical keys in one reused scratch buffer: one string allocation per key. */
export class KeyWriter {
  private buf: Buffer = Buffer.allocUnsafe(4096);
  private pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends one label whose name and value are UTF-8 byte ranges of `src`. */
  addBytes(src: Uint8Array, ns: number, ne: number, vs: number, ve: number): void {
    const nl = ne - ns;
    const vl = ve - vs;
    const inner = 2 + varintSize(nl) + nl + varintSize(vl) + vl;
    this.ensure(inner + 6);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x0a;
    p = writeVarint(b, p, inner);
    b[p++] = 0x0a;
    p = writeVarint(b, p, nl);
    // Short runs: a plain loop beats creating a subarray view for a native copy.
    if (nl < 64) for (let i = 0; i < nl; i++) b[p + i] = src[ns + i]!;
    else b.set(src.subarray(ns, ne), p);
    p += nl;
    b[p++] = 0x12;
    p = writeVarint(b, p, vl);
    if (vl < 64) for (let i = 0; i < vl; i++) b[p + i] = src[vs + i]!;
    else b.set(src.subarray(vs, ve), p);
    this.pos = p + vl;
  }

  /** The scratch buffer holding the key bytes [0, length). */
  get buffer(): Buffer {
    return this.buf;
  }

  get length(): number {
    return this.pos;
  }

  finish(): string {
    return this.buf.toString('latin1', 0, this.pos);
  }
}

const encoder = new TextEncoder();

/** Sort order of the key: UTF-8 bytes of names, as Prometheus (Go) compares strings. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * The canonical key of any label set (sorted or not). Labels with empty values are left out, as
 * Prometheus treats them as absent. Duplicated names are kept (validation rejects them earlier).
 */
export function canonicalKey(labels: Labels): string {
  const enc: { n: Uint8Array; v: Uint8Array }[] = [];
  let ascii = true;
  let total = 0;
  for (const l of labels) {
    if (l.value === '') continue;
    const n = encoder.encode(l.name);
    const v = encoder.encode(l.value);
    if (n.length !== l.name.length) ascii = false;
    enc.push({ n, v });
    total += n.length + v.length + 12;
  }
  // JS order equals byte order for ASCII names; only non-ASCII names need the byte comparison.
  if (ascii) {
    let sorted = true;
    for (let i = 1; i < enc.length; i++) if (compareBytes(enc[i - 1]!.n, enc[i]!.n) > 0) sorted = false;
    if (!sorted) enc.sort((a, b) => compareBytes(a.n, b.n));
  } else {
    enc.sort((a, b) => compareBytes(a.n, b.n));
  }
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (const { n, v } of enc) {
    const inner = 2 + varintSize(n.length) + n.length + varintSize(v.length) + v.length;
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, inner);
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, n.length);
    buf.set(n, p);
    p += n.length;
    buf[p++] = 0x12;
    p = writeVarint(buf, p, v.length);
    buf.set(v, p);
    p += v.length;
  }
  return buf.toString('latin1', 0, p);
}

const utf8 = new TextDecoder('utf-8');

/** The label set a canonical key stands for, sorted as the model sorts (JS string order). */
export function labelsFromKey(key: string): Labels {
  const b = Buffer.from(key, 'latin1');
  const out: Label[] = [];
  let p = 0;
  const readVarint = (): number => {
    let r = 0;
    let shift = 0;
    for (;;) {
      if (p >= b.length || shift > 28) throw new Error('corrupt series key');
      const c = b[p++]!;
      r += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return r;
      shift += 7;
    }
  };
  while (p < b.length) {
    if (b[p++] !== 0x0a) throw new Error('corrupt series key');
    const end = readVarint() + p;
    let name = '';
    let value = '';
    while (p < end) {
      const tag = b[p++];
      const len = readVarint();
      const s = utf8.decode(b.subarray(p, p + len));
      p += len;
      if (tag === 0x0a) name = s;
      else if (tag === 0x12) value = s;
      else throw new Error('corrupt series key');
    }
    if (p !== end) throw new Error('corrupt series key');
    out.push({ name, value });
  }
  return sortLabels(out);
}
