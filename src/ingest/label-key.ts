import { sortLabels, type Label, type Labels } from '../model/index.js';
import { readVarint, varintSize, writeVarint } from '../varint.js';

/**
 * The canonical series key: the latin1 view of the label set's protobuf encoding as Prometheus
 * sends it in a remote-write TimeSeries (per label: `0x0a len { 0x0a len name 0x12 len value }`),
 * labels sorted by the UTF-8 bytes of their names, empty values left out. Because it is exactly the
 * bytes a well-behaved sender puts on the wire, the remote-write decoder can take the key as one
 * slice of the body without creating a single Label; every other format builds the same bytes, so a
 * series gets the same key whichever protocol wrote it. The encoding is length-prefixed, so any
 * UTF-8 (NUL included) is unambiguous, and `labelsFromKey` inverts it.
 */

/** Builds canonical keys in one reused scratch buffer; the caller copies or slices the bytes out. */
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

  /** Appends one label given as latin1 text of its UTF-8 bytes (one char per byte). */
  addLatin1(name: string, value: string): void {
    const nl = name.length;
    const vl = value.length;
    const inner = 2 + varintSize(nl) + nl + varintSize(vl) + vl;
    this.ensure(inner + 6);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x0a;
    p = writeVarint(b, p, inner);
    b[p++] = 0x0a;
    p = writeVarint(b, p, nl);
    for (let i = 0; i < nl; i++) b[p + i] = name.charCodeAt(i);
    p += nl;
    b[p++] = 0x12;
    p = writeVarint(b, p, vl);
    for (let i = 0; i < vl; i++) b[p + i] = value.charCodeAt(i);
    this.pos = p + vl;
  }

  /** The key as one flat string (a chain of concatenations would leave many objects for the GC). */
  toKey(): string {
    return this.buf.toString('latin1', 0, this.pos);
  }

  /** The scratch buffer holding the key bytes [0, length). */
  get buffer(): Buffer {
    return this.buf;
  }

  get length(): number {
    return this.pos;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/** The key is latin1 text of UTF-8 bytes: for ASCII that is the string itself. */
function latin1OfUtf8(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

const shared = new KeyWriter();

/**
 * The canonical key of any label set (sorted or not). Labels with empty values are left out, as
 * Prometheus treats them as absent. Duplicated names are kept (validation rejects them earlier).
 * Text formats call this once per line: no per-label allocation for ASCII labels.
 */
export function canonicalKey(labels: Labels): string {
  const names: string[] = [];
  const values: string[] = [];
  let sorted = true;
  for (const l of labels) {
    if (l.value === '') continue;
    const n = latin1OfUtf8(l.name);
    // Comparing latin1-of-UTF-8 strings with < is comparing UTF-8 bytes: the key's order.
    if (names.length > 0 && names[names.length - 1]! >= n) sorted = false;
    names.push(n);
    values.push(latin1OfUtf8(l.value));
  }
  let order: number[] | undefined;
  if (!sorted) {
    order = names.map((_, i) => i);
    order.sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : a - b));
  }
  shared.reset();
  for (let k = 0; k < names.length; k++) {
    const i = order === undefined ? k : order[k]!;
    shared.addLatin1(names[i]!, values[i]!);
  }
  return shared.toKey();
}

/** The label set a canonical key stands for, sorted as the model sorts (JS string order). */
export function labelsFromKey(key: string): Labels {
  const b = Buffer.from(key, 'latin1');
  return labelsFromKeyBytes(b, 0, b.length);
}

/**
 * labelsFromKey over the key's bytes b[start, end): the decode workers hand keys over as bytes,
 * and each new series is parsed once, so no latin1 string and no copy is made on the way.
 */
export function labelsFromKeyBytes(b: Buffer, start: number, end: number): Labels {
  const out: Label[] = [];
  let pos = start;
  // Lengths are varints; label lengths under 128 (nearly all) take the one-byte path.
  const len = (): number => {
    const first = b[pos];
    if (first !== undefined && first < 0x80 && pos < end) {
      pos++;
      return first;
    }
    const at = { pos };
    let v: number;
    try {
      v = readVarint(b, at);
    } catch {
      throw new Error('corrupt series key');
    }
    pos = at.pos;
    return v;
  };
  let sorted = true;
  while (pos < end) {
    if (b[pos++] !== 0x0a) throw new Error('corrupt series key');
    const labelEnd = len() + pos;
    if (labelEnd > end) throw new Error('corrupt series key');
    let name = '';
    let value = '';
    while (pos < labelEnd) {
      const tag = b[pos++];
      const n = len();
      if (pos + n > labelEnd) throw new Error('corrupt series key');
      const s = b.toString('utf8', pos, pos + n);
      pos += n;
      if (tag === 0x0a) name = s;
      else if (tag === 0x12) value = s;
      else throw new Error('corrupt series key');
    }
    if (pos !== labelEnd) throw new Error('corrupt series key');
    if (out.length > 0 && !(out[out.length - 1]!.name < name)) sorted = false;
    out.push({ name, value });
  }
  return sorted ? out : sortLabels(out);
}
