/**
 * An append-only byte buffer for JSON response bodies. A large query result built as one string
 * is a tree of concatenations that stays live (and is copied by the young-generation GC) until it
 * is flattened and encoded once more for the socket; writing the bytes directly keeps only the
 * output. Numbers are written the way the Prometheus API renders them (see query-format.ts).
 */

const MAX_EXACT_INT = 2 ** 53;
/** Strings longer than this are copied by Buffer.write rather than a loop of charCodeAt. */
const LOOP_COPY_MAX = 48;

export class JsonWriter {
  private buf: Buffer;
  private len = 0;

  constructor(capacity = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(c: number): void {
    if (this.len === this.buf.length) this.ensure(1);
    this.buf[this.len++] = c;
  }

  /** Appends s, which the caller knows to be ASCII (every code unit below 0x80). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n > LOOP_COPY_MAX) {
      this.len += this.buf.write(s, this.len, n, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.len = p;
  }

  /** Appends any string as UTF-8. */
  utf8(s: string): void {
    this.ensure(Buffer.byteLength(s, 'utf8'));
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** A JSON string literal; plain ASCII (nearly all label names and values) skips JSON.stringify. */
  jsonString(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const b = this.buf;
    const start = this.len;
    let p = start;
    b[p++] = 0x22;
    // Copy while checking, in one pass; a character JSON (or Go's HTML-safe encoder) escapes, or
    // anything outside printable ASCII, sends the whole string through JSON.stringify.
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
        this.len = start;
        this.utf8(JSON.stringify(s));
        return;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.len = p;
  }

  /** A non-negative integer below 2^53 in decimal digits. */
  uint(n: number): void {
    if (n < 10) {
      this.byte(0x30 + n);
      return;
    }
    if (n <= 0x7fffffff) {
      this.smallUint(n | 0);
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.ensure(digits);
    const b = this.buf;
    let p = this.len + digits;
    let x = n;
    while (x >= 10) {
      let q = Math.floor(x / 10);
      let r = x - q * 10;
      // Rounding of x / 10 near 2^53 can be off by one either way; the remainder says which.
      if (r < 0) {
        q--;
        r += 10;
      } else if (r >= 10) {
        q++;
        r -= 10;
      }
      b[--p] = 0x30 + r;
      x = q;
    }
    b[--p] = 0x30 + x;
    this.len += digits;
  }

  /** uint for n < 2^31 (Unix seconds until 2038, most counts): int32 arithmetic, three times faster. */
  private smallUint(n: number): void {
    let digits = 1;
    for (let y = n; y >= 10; y = (y / 10) | 0) digits++;
    this.ensure(digits);
    const b = this.buf;
    let p = this.len + digits;
    let x = n;
    while (x >= 10) {
      const q = (x / 10) | 0;
      b[--p] = 0x30 + x - q * 10;
      x = q;
    }
    b[--p] = 0x30 + x;
    this.len += digits;
  }

  /** A millisecond timestamp as float seconds with up to three decimals, as formatTimestamp. */
  timestamp(ms: number): void {
    let t = Math.trunc(ms);
    if (t < 0) {
      this.byte(0x2d);
      t = -t;
    }
    if (!(t < MAX_EXACT_INT)) {
      this.ascii(String(Math.floor(t / 1000)));
    } else this.uint(Math.floor(t / 1000));
    const frac = t % 1000;
    if (frac === 0) return;
    this.ensure(4);
    const b = this.buf;
    const p = this.len;
    b[p] = 0x2e;
    b[p + 1] = 0x30 + Math.floor(frac / 100);
    b[p + 2] = 0x30 + (Math.floor(frac / 10) % 10);
    b[p + 3] = 0x30 + (frac % 10);
    this.len = p + 4;
  }

  /** A sample value as formatSampleValue writes it, integers without going through a string. */
  sampleValue(v: number, format: (v: number) => string): void {
    if (Number.isInteger(v) && v !== 0 && v <= MAX_EXACT_INT && v >= -MAX_EXACT_INT) {
      if (v < 0) {
        this.byte(0x2d);
        this.uint(-v);
      } else this.uint(v);
      return;
    }
    this.ascii(format(v));
  }

  /** Takes back the last n bytes (to reopen an object just closed). */
  back(n: number): void {
    this.len = Math.max(0, this.len - n);
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }
}
