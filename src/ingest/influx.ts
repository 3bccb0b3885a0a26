import { METRIC_NAME, type Label } from '../model/index.js';
import { BatchBuilder, type DecodedBatch } from './batch.js';
import { IngestError } from './errors.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { decodeText, forEachLine } from './text.js';

/**
 * InfluxDB line protocol (`/write`, `/influx/write`), mapped as VictoriaMetrics maps it: each
 * numeric or boolean field becomes a series named `<measurement>_<field>` (just `<measurement>`
 * for a field called `value`), tags become labels, string fields are skipped.
 */

export type InfluxPrecision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

/** The `precision` query argument; absent means nanoseconds. Unknown values are a 400. */
export function parseInfluxPrecision(arg: string | undefined | null): InfluxPrecision {
  switch (arg ?? '') {
    case '':
    case 'ns':
    case 'n':
      return 'ns';
    case 'us':
    case 'u':
    case 'µ':
      return 'us';
    case 'ms':
      return 'ms';
    case 's':
      return 's';
    case 'm':
      return 'm';
    case 'h':
      return 'h';
    default:
      throw new IngestError(400, `unknown precision ${JSON.stringify(arg)}: want ns, us, ms, s, m or h`);
  }
}

class LineError extends Error {}

function toMs(digits: string, precision: InfluxPrecision): number {
  if (!/^-?\d{1,19}$/.test(digits)) throw new LineError(`invalid timestamp ${JSON.stringify(digits)}`);
  let ms: number;
  switch (precision) {
    case 'ns':
      ms = Number(BigInt(digits) / 1_000_000n); // BigInt division truncates toward zero, as Go's does
      break;
    case 'us':
      ms = Number(BigInt(digits) / 1_000n);
      break;
    case 'ms':
      ms = Number(digits);
      break;
    case 's':
      ms = Number(digits) * 1000;
      break;
    case 'm':
      ms = Number(digits) * 60_000;
      break;
    case 'h':
      ms = Number(digits) * 3_600_000;
      break;
  }
  if (!Number.isSafeInteger(ms)) throw new LineError(`timestamp ${digits} is out of range`);
  return ms;
}

/**
 * Reads one escaped token up to an unescaped stop character (`\` escapes the next character;
 * a backslash before anything else stays literal, as Influx does).
 */
function readToken(s: string, p: number, stops: string): [string, number] {
  let out = '';
  let run = p;
  while (p < s.length) {
    const c = s[p]!;
    if (c === '\\' && p + 1 < s.length) {
      const n = s[p + 1]!;
      if (n === ',' || n === '=' || n === ' ' || n === '\\' || n === '"') {
        out += s.slice(run, p) + n;
        p += 2;
        run = p;
        continue;
      }
    }
    if (stops.includes(c)) break;
    p++;
  }
  return [out + s.slice(run, p), p];
}

function parseFieldValue(raw: string): number | null {
  if (raw.length === 0) throw new LineError('empty field value');
  const last = raw[raw.length - 1];
  if (last === 'i' || last === 'u') {
    const body = raw.slice(0, -1);
    if (!/^[+-]?\d+$/.test(body) || (last === 'u' && body.startsWith('-'))) throw new LineError(`invalid integer field value ${JSON.stringify(raw)}`);
    return Number(body);
  }
  switch (raw) {
    case 't':
    case 'T':
    case 'true':
    case 'True':
    case 'TRUE':
      return 1;
    case 'f':
    case 'F':
    case 'false':
    case 'False':
    case 'FALSE':
      return 0;
  }
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  const t = raw.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  throw new LineError(`invalid field value ${JSON.stringify(raw)}`);
}

export interface InfluxOptions {
  /** The `db` query argument: added as a `db` label unless a tag already sets it (as VictoriaMetrics). */
  readonly db?: string;
}

export function parseInfluxLines(
  input: string | Uint8Array,
  precision: InfluxPrecision,
  nowMs: number,
  limits?: Partial<IngestLimits>,
  opts: InfluxOptions = {},
): DecodedBatch {
  const l = resolveLimits(limits);
  const text = decodeText(input);
  const out = new BatchBuilder(l, 1024);
  forEachLine(text, (line, lineNo) => {
    try {
      parseLine(line, precision, nowMs, opts, out);
    } catch (e) {
      if (e instanceof LineError) {
        const shown = line.length > 200 ? line.slice(0, 197) + '...' : line;
        throw new IngestError(400, `invalid Influx line ${lineNo}: ${e.message}: ${JSON.stringify(shown)}`);
      }
      throw e;
    }
  });
  return out.build();
}

function parseLine(line: string, precision: InfluxPrecision, nowMs: number, opts: InfluxOptions, out: BatchBuilder): void {
  let p = 0;
  while (p < line.length && (line[p] === ' ' || line[p] === '\t')) p++;
  if (p >= line.length || line[p] === '#') return;
  let measurement: string;
  [measurement, p] = readToken(line, p, ', ');
  const tags: Label[] = [];
  while (line[p] === ',') {
    let k: string;
    let v: string;
    [k, p] = readToken(line, p + 1, '=, ');
    if (line[p] !== '=') throw new LineError(`tag ${JSON.stringify(k)} has no '='`);
    [v, p] = readToken(line, p + 1, ', ');
    if (k === '') throw new LineError('empty tag key');
    tags.push({ name: k, value: v });
  }
  if (line[p] !== ' ') throw new LineError('missing fields');
  while (line[p] === ' ') p++;
  const fields: [string, number][] = [];
  for (;;) {
    let k: string;
    [k, p] = readToken(line, p, '=, ');
    if (k === '') throw new LineError('empty field key');
    if (line[p] !== '=') throw new LineError(`field ${JSON.stringify(k)} has no '='`);
    p++;
    if (line[p] === '"') {
      // String field: skipped, but must be well formed.
      p++;
      while (p < line.length && line[p] !== '"') p += line[p] === '\\' ? 2 : 1;
      if (p >= line.length) throw new LineError(`unterminated string in field ${JSON.stringify(k)}`);
      p++;
    } else {
      const s = p;
      while (p < line.length && line[p] !== ',' && line[p] !== ' ') p++;
      const v = parseFieldValue(line.slice(s, p));
      if (v !== null) fields.push([k, v]);
    }
    if (line[p] === ',') {
      p++;
      continue;
    }
    break;
  }
  while (line[p] === ' ') p++;
  let ts = nowMs;
  if (p < line.length) {
    const e = line.indexOf(' ', p);
    const tok = e < 0 ? line.slice(p) : line.slice(p, e);
    ts = toMs(tok, precision);
    if (e >= 0 && line.slice(e).trim() !== '') throw new LineError('unexpected text after the timestamp');
  }
  if (opts.db !== undefined && opts.db !== '' && !tags.some((t) => t.name === 'db')) tags.push({ name: 'db', value: opts.db });
  for (const [field, v] of fields) {
    const name = field === 'value' ? measurement : measurement === '' ? field : `${measurement}_${field}`;
    const labels: Label[] = [{ name: METRIC_NAME, value: name }, ...tags];
    const si = out.addLabels(labels, 1);
    if (si >= 0) out.addSample(si, ts, v);
  }
}
