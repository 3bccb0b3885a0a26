import { MAX_LABEL_BYTES, type Label } from '../model/index.js';
import type { KeyWriter } from './label-key.js';
import type { IngestLimits } from './limits.js';
import { describeSeries, isLegacyNameBytes, isValidUtf8Range, quote } from './validate.js';

const NAME_BYTES = [0x5f, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x5f, 0x5f]; // "__name__"
const utf8Decoder = new TextDecoder('utf-8');

export function isMetricNameLabel(buf: Uint8Array, s: number, e: number): boolean {
  if (e - s !== 8) return false;
  for (let i = 0; i < 8; i++) if (buf[s + i] !== NAME_BYTES[i]) return false;
  return true;
}

/** Byte order of two ranges of the same buffer: <0, 0, >0. */
function compareRanges(buf: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const al = ae - as;
  const bl = be - bs;
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const d = buf[as + i]! - buf[bs + i]!;
    if (d !== 0) return d;
  }
  return al - bl;
}

/**
 * One series' labels as byte ranges of a decoded body, before any string exists. Remote write 1.0
 * and 2.0 both collect into it, then validate and key the series here, creating strings only for
 * the key (one latin1 slice) or for the message of a rejected series.
 */
export class RawLabelSet {
  /** Labels stored (empty values are skipped: Prometheus treats them as absent). */
  n = 0;
  private cap = 64;
  ns: Int32Array = new Int32Array(this.cap);
  ne: Int32Array = new Int32Array(this.cap);
  vs: Int32Array = new Int32Array(this.cap);
  ve: Int32Array = new Int32Array(this.cap);
  /** Names so far strictly ascending in byte order (so: sorted, no duplicates). */
  sorted = true;
  private order: number[] = [];

  reset(): void {
    this.n = 0;
    this.sorted = true;
  }

  add(buf: Uint8Array, ns: number, ne: number, vs: number, ve: number): void {
    if (ve === vs) return;
    const i = this.n;
    if (i === this.cap) this.grow();
    if (i > 0 && this.sorted && compareRanges(buf, this.ns[i - 1]!, this.ne[i - 1]!, ns, ne) >= 0) this.sorted = false;
    this.ns[i] = ns;
    this.ne[i] = ne;
    this.vs[i] = vs;
    this.ve[i] = ve;
    this.n = i + 1;
  }

  private grow(): void {
    const c = this.cap * 2;
    const g = (a: Int32Array): Int32Array => {
      const b = new Int32Array(c);
      b.set(a);
      return b;
    };
    this.ns = g(this.ns);
    this.ne = g(this.ne);
    this.vs = g(this.vs);
    this.ve = g(this.ve);
    this.cap = c;
  }

  /** Sorts unsorted input by name bytes (rare: Prometheus sends sorted labels). */
  private sortInPlace(buf: Uint8Array): void {
    const n = this.n;
    const o = this.order;
    o.length = n;
    for (let i = 0; i < n; i++) o[i] = i;
    const { ns, ne } = this;
    o.sort((a, b) => compareRanges(buf, ns[a]!, ne[a]!, ns[b]!, ne[b]!) || a - b);
    const pick = (arr: Int32Array): Int32Array => {
      const t = new Int32Array(this.cap);
      for (let i = 0; i < n; i++) t[i] = arr[o[i]!]!;
      return t;
    };
    this.ns = pick(this.ns);
    this.ne = pick(this.ne);
    this.vs = pick(this.vs);
    this.ve = pick(this.ve);
  }

  /**
   * The common case in one tight loop: sorted, within limits, legacy-style ASCII names, ASCII
   * values. True means valid; false means "look closer" (`check` then decides and explains).
   */
  private quickValid(buf: Uint8Array, limits: IngestLimits): boolean {
    const n = this.n;
    if (!this.sorted || n === 0 || n > limits.maxLabelsPerTimeseries) return false;
    const { ns, ne, vs, ve } = this;
    const maxName = limits.maxLabelNameLen;
    const maxValue = limits.maxLabelValueLen;
    const legacy = limits.nameValidation === 'legacy';
    for (let i = 0; i < n; i++) {
      const a = ns[i]!;
      const b = ne[i]!;
      if (b - a > maxName || b === a) return false;
      let c = buf[a]!;
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) return false;
      for (let k = a + 1; k < b; k++) {
        c = buf[k]!;
        if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x30 && c <= 0x39))) return false;
      }
      const d = vs[i]!;
      const e = ve[i]!;
      if (e - d > maxValue || b - a + (e - d) > MAX_LABEL_BYTES / 2) return false;
      for (let k = d; k < e; k++) if (buf[k]! >= 0x80) return false;
      if (legacy && b - a === 8 && isMetricNameLabel(buf, a, b) && !isLegacyNameBytes(buf, d, e, true)) return false;
    }
    return true;
  }

  /** Validates (sorting first if needed). Returns null when valid, else why not. */
  check(buf: Uint8Array, limits: IngestLimits): string | null {
    if (this.quickValid(buf, limits)) return null;
    const n = this.n;
    if (n === 0) return 'series without labels (all label values empty)';
    if (n > limits.maxLabelsPerTimeseries) {
      return `series ${this.describe(buf)} has ${n} labels, more than the limit of ${limits.maxLabelsPerTimeseries} (--maxLabelsPerTimeseries)`;
    }
    if (!this.sorted) {
      this.sortInPlace(buf);
      for (let i = 1; i < n; i++) {
        if (compareRanges(buf, this.ns[i - 1]!, this.ne[i - 1]!, this.ns[i]!, this.ne[i]!) === 0) {
          return `duplicate label name ${quote(this.str(buf, this.ns[i]!, this.ne[i]!))} in series ${this.describe(buf)}`;
        }
      }
    }
    const legacy = limits.nameValidation === 'legacy';
    const { ns, ne, vs, ve } = this;
    for (let i = 0; i < n; i++) {
      const a = ns[i]!;
      const b = ne[i]!;
      const c = vs[i]!;
      const d = ve[i]!;
      // Legacy-valid bytes are ASCII, hence valid UTF-8: the common case costs one scan.
      if (!isLegacyNameBytes(buf, a, b, false) && (legacy || a === b || !isValidUtf8Range(buf, a, b))) {
        return `invalid label name ${quote(this.str(buf, a, b))} in series ${this.describe(buf)}`;
      }
      if (b - a > limits.maxLabelNameLen) {
        return `label name ${quote(this.str(buf, a, b))} in series ${this.describe(buf)} is longer than ${limits.maxLabelNameLen} bytes`;
      }
      if (!isValidUtf8Range(buf, c, d)) {
        return `invalid UTF-8 in the value of label ${quote(this.str(buf, a, b))} in series ${this.describe(buf)}`;
      }
      if (d - c > limits.maxLabelValueLen) {
        return `value of label ${quote(this.str(buf, a, b))} in series ${this.describe(buf)} is longer than ${limits.maxLabelValueLen} bytes (--maxLabelValueLen)`;
      }
      const why = this.indexKeyProblem(buf, a, b, c, d);
      if (why !== null) return why;
      if (legacy && isMetricNameLabel(buf, a, b) && !isLegacyNameBytes(buf, c, d, true)) {
        return `invalid metric name ${quote(this.str(buf, c, d))} in series ${this.describe(buf)}`;
      }
    }
    return null;
  }

  /** validate.ts's indexKeyProblem on bytes: a NUL in a name; name + value over the index's key limit. */
  private indexKeyProblem(buf: Uint8Array, a: number, b: number, c: number, d: number): string | null {
    if (buf.subarray(a, b).includes(0))
      return `invalid label name ${quote(this.str(buf, a, b))} in series ${this.describe(buf)}: label names cannot contain NUL`;
    let bytes = b - a + (d - c);
    if (bytes <= MAX_LABEL_BYTES / 2) return null;
    for (let k = c; k < d; k++) if (buf[k] === 0) bytes++; // a NUL in a value takes two bytes in the index's keys
    if (bytes <= MAX_LABEL_BYTES) return null;
    return `label ${quote(this.str(buf, a, b))} in series ${this.describe(buf)} is too long for the index: name and value together are ${bytes} bytes, the limit is ${MAX_LABEL_BYTES}`;
  }

  /** Writes the canonical key (see label-key.ts) into `kw`. Call after a successful check. */
  writeKey(buf: Uint8Array, kw: KeyWriter): void {
    kw.reset();
    for (let i = 0; i < this.n; i++) kw.addBytes(buf, this.ns[i]!, this.ne[i]!, this.vs[i]!, this.ve[i]!);
  }

  private str(buf: Uint8Array, s: number, e: number): string {
    return utf8Decoder.decode(buf.subarray(s, e));
  }

  /** `{__name__="x", a="b"}` for messages; invalid UTF-8 shows as U+FFFD. */
  describe(buf: Uint8Array): string {
    const labels: Label[] = [];
    for (let i = 0; i < this.n && i < 64; i++) {
      labels.push({ name: this.str(buf, this.ns[i]!, this.ne[i]!), value: this.str(buf, this.vs[i]!, this.ve[i]!) });
    }
    labels.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    return describeSeries(labels);
  }
}
