import { METRIC_NAME, type Label, type Labels } from '../model/index.js';
import { BatchBuilder, type DecodedBatch } from './batch.js';
import { IngestError } from './errors.js';
import { readHistogramJson, type JsonValue } from './histogram-json.js';
import { formatVMFloat } from './float-format.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { decodeText, forEachLine } from './text.js';

/**
 * VictoriaMetrics JSON lines (`/api/v1/import`, `/api/v1/export`):
 * `{"metric":{"__name__":"up","job":"x"},"values":[1,0.5],"timestamps":[1700000000000,1700000015000]}`.
 * VictoriaMetrics writes NaN and infinities as bare `NaN`, `+Inf`, `-Inf` (not valid JSON), and
 * accepts `null` and strings like "Infinity" on import, so the parser is a small JSON reader of
 * its own rather than JSON.parse.
 */

type Json = JsonValue;

class JsonReader {
  p = 0;
  constructor(
    private readonly s: string,
    private readonly end: number,
    private readonly line: number,
  ) {
    this.p = 0;
  }

  fail(msg: string): IngestError {
    return new IngestError(400, `invalid JSON line ${this.line}: ${msg} at column ${this.p + 1}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.p < this.end) {
      const c = s.charCodeAt(this.p);
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) this.p++;
      else break;
    }
  }

  value(depth = 0): Json {
    if (depth > 32) throw this.fail('nesting too deep');
    this.ws();
    if (this.p >= this.end) throw this.fail('unexpected end of line');
    const c = this.s[this.p]!;
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (this.s.startsWith('true', this.p)) return ((this.p += 4), true);
    if (this.s.startsWith('false', this.p)) return ((this.p += 5), false);
    if (this.s.startsWith('null', this.p)) return ((this.p += 4), null);
    return this.number();
  }

  private number(): number {
    const s = this.s;
    const start = this.p;
    for (const [tok, v] of SPECIAL) {
      if (s.startsWith(tok, start)) {
        this.p += tok.length;
        return v;
      }
    }
    let p = start;
    if (s[p] === '-') p++;
    const digits0 = p;
    while (p < this.end && s.charCodeAt(p) >= 0x30 && s.charCodeAt(p) <= 0x39) p++;
    if (p === digits0) throw this.fail('expected a value');
    if (s[p] === '.') {
      p++;
      const d = p;
      while (p < this.end && s.charCodeAt(p) >= 0x30 && s.charCodeAt(p) <= 0x39) p++;
      if (p === d) throw this.fail('expected digits after the decimal point');
    }
    if (s[p] === 'e' || s[p] === 'E') {
      p++;
      if (s[p] === '+' || s[p] === '-') p++;
      const d = p;
      while (p < this.end && s.charCodeAt(p) >= 0x30 && s.charCodeAt(p) <= 0x39) p++;
      if (p === d) throw this.fail('expected exponent digits');
    }
    this.p = p;
    return Number(s.slice(start, p));
  }

  string(): string {
    const s = this.s;
    let p = this.p + 1;
    let out = '';
    let run = p;
    for (;;) {
      if (p >= this.end) throw this.fail('unterminated string');
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.p = p;
        throw this.fail('control character in string');
      }
      if (c !== 0x5c) {
        p++;
        continue;
      }
      out += s.slice(run, p);
      const e = s[p + 1];
      p += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(p, p + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.p = p;
            throw this.fail('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          this.p = p - 2;
          throw this.fail(`bad escape \\${e ?? ''}`);
      }
      run = p;
    }
    out += s.slice(run, p);
    this.p = p + 1;
    return out;
  }

  private array(depth: number): Json[] {
    this.p++;
    const out: Json[] = [];
    this.ws();
    if (this.s[this.p] === ']') {
      this.p++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.p];
      this.p++;
      if (c === ']') return out;
      if (c !== ',') {
        this.p--;
        throw this.fail("expected ',' or ']'");
      }
    }
  }

  private object(depth: number): { [k: string]: Json } {
    this.p++;
    const out: { [k: string]: Json } = Object.create(null) as { [k: string]: Json };
    this.ws();
    if (this.s[this.p] === '}') {
      this.p++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.p] !== '"') throw this.fail('expected a string key');
      const k = this.string();
      this.ws();
      if (this.s[this.p] !== ':') throw this.fail("expected ':'");
      this.p++;
      out[k] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.p];
      this.p++;
      if (c === '}') return out;
      if (c !== ',') {
        this.p--;
        throw this.fail("expected ',' or '}'");
      }
    }
  }

  atEnd(): boolean {
    this.ws();
    return this.p >= this.end;
  }
}

// Longest first: `-Inf` is a prefix of `-Infinity`.
const SPECIAL: readonly (readonly [string, number])[] = [
  ['NaN', NaN],
  ['+Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['Infinity', Infinity],
  ['+Inf', Infinity],
  ['-Inf', -Infinity],
  ['Inf', Infinity],
];

/** Strings VictoriaMetrics accepts as values. */
function specialFromString(s: string): number | undefined {
  const neg = s.startsWith('-');
  const t = neg ? s.slice(1) : s;
  if (t === 'infinity' || t === 'Infinity' || t === 'Inf' || t === 'inf') return neg ? -Infinity : Infinity;
  if (t === 'null' || t === 'Null' || t === 'nan' || t === 'NaN') return NaN;
  return undefined;
}

/**
 * Parses a `/api/v1/import` body. A syntax error anywhere rejects the request (400, naming the
 * line); a line whose labels fail validation is dropped and counted.
 */
export function parseJsonLines(input: string | Uint8Array, limits?: Partial<IngestLimits>): DecodedBatch {
  const l = resolveLimits(limits);
  const text = decodeText(input);
  const out = new BatchBuilder(l, 1024);
  forEachLine(text, (line, lineNo) => parseLine(line, lineNo, out));
  return out.build();
}

function parseLine(line: string, lineNo: number, out: BatchBuilder): void {
  if (line.trim() === '') return;
  const r = new JsonReader(line, line.length, lineNo);
  const v = r.value();
  if (!r.atEnd()) throw r.fail('unexpected text after the object');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new IngestError(400, `invalid JSON line ${lineNo}: want an object`);
  const metric = v['metric'];
  if (metric === undefined || metric === null || typeof metric !== 'object' || Array.isArray(metric)) {
    throw new IngestError(400, `invalid JSON line ${lineNo}: missing "metric" object`);
  }
  const labels: Label[] = [];
  for (const name of Object.keys(metric)) {
    const value = metric[name];
    if (typeof value !== 'string') throw new IngestError(400, `invalid JSON line ${lineNo}: the value of label ${JSON.stringify(name)} must be a string`);
    labels.push({ name, value });
  }
  const values = v['values'];
  const timestamps = v['timestamps'];
  if (v['histograms'] !== undefined && values === undefined) return parseHistogramLine(v['histograms'], timestamps, labels, lineNo, out);
  if (!Array.isArray(values) || values.length === 0) throw new IngestError(400, `invalid JSON line ${lineNo}: missing "values" array`);
  if (!Array.isArray(timestamps) || timestamps.length === 0) throw new IngestError(400, `invalid JSON line ${lineNo}: missing "timestamps" array`);
  if (values.length !== timestamps.length) {
    throw new IngestError(400, `invalid JSON line ${lineNo}: "timestamps" has ${timestamps.length} entries but "values" has ${values.length}`);
  }
  // Check every sample before adding the series, so a bad line leaves nothing behind.
  const n = values.length;
  const vs = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    let f: number | undefined;
    if (typeof x === 'number') f = x;
    else if (x === null) f = NaN;
    else if (typeof x === 'string') f = specialFromString(x);
    if (f === undefined) throw new IngestError(400, `invalid JSON line ${lineNo}: value at position ${i} is not a number`);
    vs[i] = f;
    const t = timestamps[i];
    if (typeof t !== 'number' || !Number.isSafeInteger(t)) {
      throw new IngestError(400, `invalid JSON line ${lineNo}: timestamp at position ${i} is not an integer (milliseconds)`);
    }
    ts[i] = t;
  }
  const si = out.addLabels(labels, n);
  if (si < 0) return;
  out.reserve(n);
  for (let i = 0; i < n; i++) out.addSample(si, ts[i]!, vs[i]!);
}

/** A line of native histograms, as `/api/v1/export` writes them (histogram-output.ts). */
function parseHistogramLine(histograms: Json, timestamps: Json | undefined, labels: Label[], lineNo: number, out: BatchBuilder): void {
  if (!Array.isArray(histograms) || histograms.length === 0) throw new IngestError(400, `invalid JSON line ${lineNo}: "histograms" must be a non-empty array`);
  if (!Array.isArray(timestamps) || timestamps.length !== histograms.length) {
    throw new IngestError(400, `invalid JSON line ${lineNo}: "timestamps" must have as many entries as "histograms" (${histograms.length})`);
  }
  const hs = histograms.map((h, i) => readHistogramJson(h, `invalid JSON line ${lineNo}: histogram at position ${i}`));
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (typeof t !== 'number' || !Number.isSafeInteger(t)) {
      throw new IngestError(400, `invalid JSON line ${lineNo}: timestamp at position ${i} is not an integer (milliseconds)`);
    }
  }
  const si = out.addLabels(labels, hs.length);
  if (si < 0) return;
  for (let i = 0; i < hs.length; i++) out.addHistogram(si, timestamps[i] as number, hs[i]!);
}

const SPECIAL_JSON = /["\\<'\u0000-\u001f]/;

/** JSON string as quicktemplate quotes it (VictoriaMetrics's exporter): `<` and `'` escaped too. */
export function quoteVMJson(s: string): string {
  if (!SPECIAL_JSON.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x3c:
        out += '\\u003c';
        break;
      case 0x27:
        out += '\\u0027';
        break;
      default:
        out += c < 0x20 ? '\\u' + c.toString(16).padStart(4, '0') : s[i];
    }
  }
  return out + '"';
}

/**
 * One `/api/v1/export` line (newline included), byte for byte as VictoriaMetrics writes it:
 * `__name__` first, then the other labels in order, values via `formatVMFloat`.
 */
export function formatJsonLine(labels: Labels, timestamps: ArrayLike<number>, values: ArrayLike<number>): string {
  let name: string | undefined;
  const parts: string[] = [];
  for (const lb of labels) {
    if (lb.name === METRIC_NAME) name = lb.value;
    else parts.push(quoteVMJson(lb.name) + ':' + quoteVMJson(lb.value));
  }
  if (name !== undefined && name !== '') parts.unshift('"__name__":' + quoteVMJson(name));
  const n = Math.min(timestamps.length, values.length);
  let vs = '';
  let ts = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      vs += ',';
      ts += ',';
    }
    vs += formatVMFloat(values[i]!);
    ts += String(timestamps[i]!);
  }
  return `{"metric":{${parts.join(',')}},"values":[${vs}],"timestamps":[${ts}]}\n`;
}
