import { METRIC_NAME, isStaleNaN, isStaleNaNAt, type Label, type Labels } from '../model/index.js';
import { BatchBuilder, type DecodedBatch, type MetricType } from './batch.js';
import { IngestError } from './errors.js';
import { formatPromFloat } from './float-format.js';
import { classicSeries } from './histogram-output.js';
import type { FloatHistogram } from '../model/index.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { isMetricType } from './metadata.js';
import { decodeText, forEachLine } from './text.js';
import { isLegacyName } from './validate.js';

/**
 * Prometheus text exposition format 0.0.4, in (`/api/v1/import/prometheus`) and out (`/federate`).
 * Accepts Prometheus 3's quoted UTF-8 names (`{"my.metric", "a.b"="c"}`). A syntax error rejects
 * the request with the line number; a series failing label validation is dropped and counted.
 */

class LineError extends Error {}

interface Family {
  type?: MetricType;
  help?: string;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Go strconv.ParseFloat's accepted spellings of special values, plus plain decimals. */
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;

export function parsePromFloat(s: string): number | undefined {
  if (FLOAT_RE.test(s)) return Number(s);
  const t = s.toLowerCase();
  const neg = t.startsWith('-');
  const u = t.startsWith('+') || neg ? t.slice(1) : t;
  if (u === 'nan') return NaN;
  if (u === 'inf' || u === 'infinity') return neg ? -Infinity : Infinity;
  return undefined;
}

class LineReader {
  p = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.p < this.s.length && isSpace(this.s.charCodeAt(this.p))) this.p++;
  }

  name(what: string): string {
    const s = this.s;
    const start = this.p;
    if (start >= s.length || !isNameStart(s.charCodeAt(start))) throw new LineError(`expected ${what} at column ${start + 1}`);
    let p = start + 1;
    while (p < s.length && isNameChar(s.charCodeAt(p))) p++;
    this.p = p;
    return s.slice(start, p);
  }

  /** A double-quoted string with the exposition escapes `\\`, `\"`, `\n`. */
  quoted(): string {
    const s = this.s;
    if (s[this.p] !== '"') throw new LineError(`expected '"' at column ${this.p + 1}`);
    let p = this.p + 1;
    let out = '';
    let run = p;
    for (;;) {
      if (p >= s.length) throw new LineError('unterminated quoted string');
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += s.slice(run, p);
        const e = s[p + 1];
        if (e === '\\' || e === '"') out += e;
        else if (e === 'n') out += '\n';
        else throw new LineError(`invalid escape sequence '\\${e ?? ''}' at column ${p + 1}`);
        p += 2;
        run = p;
        continue;
      }
      p++;
    }
    out += s.slice(run, p);
    this.p = p + 1;
    return out;
  }

  /** A label name, bare or quoted. */
  labelName(): string {
    return this.s[this.p] === '"' ? this.quoted() : this.name('a label name');
  }

  token(): string {
    const s = this.s;
    const start = this.p;
    while (this.p < s.length && !isSpace(s.charCodeAt(this.p))) this.p++;
    return s.slice(start, this.p);
  }
}

/** Unescapes a HELP docstring (`\\` and `\n`). */
function unescapeHelp(s: string): string {
  return s.replace(/\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * Parses an exposition body. Samples without a timestamp get `defaultTimestampMs`. HELP/TYPE
 * lines become metadata.
 */
export function parsePrometheusText(input: string | Uint8Array, defaultTimestampMs: number, limits?: Partial<IngestLimits>): DecodedBatch {
  const l = resolveLimits(limits);
  const text = decodeText(input);
  const out = new BatchBuilder(l, 1024);
  const families = new Map<string, Family>();
  forEachLine(text, (line, lineNo) => {
    try {
      parseLine(line, defaultTimestampMs, out, families);
    } catch (e) {
      if (e instanceof LineError) {
        const shown = line.length > 200 ? line.slice(0, 197) + '...' : line;
        throw new IngestError(400, `invalid exposition line ${lineNo}: ${e.message}: ${JSON.stringify(shown)}`);
      }
      throw e;
    }
  });
  for (const [name, f] of families) {
    out.metadata.push({ metricFamilyName: name, type: f.type ?? 'unknown', help: f.help ?? '', unit: '' });
  }
  return out.build();
}

function parseLine(line: string, defaultTs: number, out: BatchBuilder, families: Map<string, Family>): void {
  const r = new LineReader(line);
  r.skipSpace();
  if (r.p >= line.length) return;
  if (line[r.p] === '#') {
    r.p++;
    r.skipSpace();
    const kw = r.token();
    if (kw !== 'HELP' && kw !== 'TYPE') return; // a comment
    r.skipSpace();
    if (r.p >= line.length) return; // `# HELP` alone is a comment too
    const name = line[r.p] === '"' ? r.quoted() : r.name('a metric name');
    const rest = line.slice(r.p).replace(/^[ \t]/, '');
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = {}));
    if (kw === 'HELP') {
      f.help = unescapeHelp(rest);
    } else {
      const t = rest.trim();
      if (t === 'untyped') f.type = 'unknown';
      else if (isMetricType(t)) f.type = t;
      else throw new LineError(`unknown metric type ${JSON.stringify(t)}`);
    }
    return;
  }
  const labels: Label[] = [];
  if (line[r.p] !== '{') labels.push({ name: METRIC_NAME, value: r.name('a metric name') });
  if (line[r.p] === '{') {
    r.p++;
    let first = true;
    for (;;) {
      r.skipSpace();
      if (line[r.p] === '}') {
        r.p++;
        break;
      }
      if (r.p >= line.length) throw new LineError('unterminated label set');
      const quotedName = line[r.p] === '"';
      const name = r.labelName();
      r.skipSpace();
      if (quotedName && first && labels.length === 0 && (line[r.p] === ',' || line[r.p] === '}')) {
        // `{"metric.name", ...}`: a quoted metric name inside the braces.
        labels.push({ name: METRIC_NAME, value: name });
      } else {
        if (line[r.p] !== '=') throw new LineError(`expected '=' after label name ${JSON.stringify(name)} at column ${r.p + 1}`);
        r.p++;
        r.skipSpace();
        labels.push({ name, value: r.quoted() });
        r.skipSpace();
      }
      first = false;
      if (line[r.p] === ',') {
        r.p++;
        continue;
      }
      if (line[r.p] !== '}') throw new LineError(`expected ',' or '}' at column ${r.p + 1}`);
    }
  }
  if (!isSpace(line.charCodeAt(r.p))) throw new LineError(`expected a space before the value at column ${r.p + 1}`);
  r.skipSpace();
  const vTok = r.token();
  const v = parsePromFloat(vTok);
  if (v === undefined) throw new LineError(`invalid value ${JSON.stringify(vTok)}`);
  r.skipSpace();
  let ts = defaultTs;
  if (r.p < line.length) {
    const tTok = r.token();
    if (!/^-?\d+$/.test(tTok) || !Number.isSafeInteger(Number(tTok)))
      throw new LineError(`invalid timestamp ${JSON.stringify(tTok)} (want integer milliseconds)`);
    ts = Number(tTok);
    r.skipSpace();
    if (r.p < line.length) throw new LineError(`unexpected text after the timestamp at column ${r.p + 1}`);
  }
  const si = out.addLabels(labels, 1);
  if (si >= 0) out.addSample(si, ts, v);
}

// ---- writing ---------------------------------------------------------------------------------

function escapeValue(s: string): string {
  return /[\\"\n]/.test(s) ? s.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c)) : s;
}

function nameToken(s: string, colon: boolean): string {
  return isLegacyName(s, colon) ? s : `"${escapeValue(s)}"`;
}

/** One sample line: `name{a="b"} value timestamp`, UTF-8 names in Prometheus 3's quoted form. */
export function formatExpositionLine(labels: Labels, timestamp: number, value: number): string {
  return `${seriesToken(labels)} ${formatPromFloat(value)} ${timestamp}\n`;
}

/** A series as the text formats write it before the value: `name{a="b"}`. */
function seriesToken(labels: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${nameToken(l.name, false)}="${escapeValue(l.value)}"`);
  }
  let head: string;
  if (name !== '' && !isLegacyName(name, true)) head = `{${[`"${escapeValue(name)}"`, ...parts].join(',')}}`;
  else head = parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
  return head;
}

export interface ExpositionSample {
  readonly labels: Labels;
  readonly timestamp: number;
  readonly value: number;
}

/**
 * Streams `/federate` output: a `# TYPE <name> untyped` line whenever the metric name changes
 * (feed samples sorted by name to get one per family), staleness markers skipped as Prometheus does.
 */
export class ExpositionWriter {
  private last: string | undefined;

  write(labels: Labels, timestamp: number, value: number): string {
    if (isStaleNaN(value)) return '';
    let name = '';
    for (const l of labels) if (l.name === METRIC_NAME) name = l.value;
    let head = '';
    if (name !== this.last) {
      this.last = name;
      if (name !== '') head = `# TYPE ${nameToken(name, true)} untyped\n`;
    }
    return head + formatExpositionLine(labels, timestamp, value);
  }

  /**
   * A native histogram sample: a custom-bucket one as classic `_bucket`/`_count`/`_sum` lines
   * under `# TYPE name histogram`; '' for an exponential one, which the text format cannot carry.
   */
  writeHistogram(labels: Labels, timestamp: number, h: FloatHistogram): string {
    const lines = classicSeries(labels, h);
    if (lines === null) return '';
    let name = '';
    for (const l of labels) if (l.name === METRIC_NAME) name = l.value;
    let head = '';
    if (name !== this.last) {
      this.last = name;
      if (name !== '') head = `# TYPE ${nameToken(name, true)} histogram\n`;
    }
    return head + lines.map((x) => formatExpositionLine(x.labels, timestamp, x.value)).join('');
  }
}

export function formatExposition(samples: Iterable<ExpositionSample>): string {
  const w = new ExpositionWriter();
  let s = '';
  for (const x of samples) s += w.write(x.labels, x.timestamp, x.value);
  return s;
}

/** A metric family's type and help as OpenMetrics writes them (from stored metadata). */
export interface FamilyMetadata {
  readonly type: string;
  readonly help: string;
}

/**
 * Streams OpenMetrics text (`/api/v1/export/openmetrics`) for `promtool tsdb
 * create-blocks-from openmetrics`: series sorted by metric name so each family is contiguous,
 * `# TYPE` (and `# HELP`) from metadata, timestamps in seconds, staleness markers skipped, and
 * `# EOF` last. A counter family is written only for names ending in `_total`, as the format
 * requires; anything else whose type cannot be stated exactly is `unknown`.
 */
export class OpenMetricsWriter {
  private current = '';
  /** 'histogram' while the open family is one histograms() started. */
  private currentType = '';
  private readonly seen = new Set<string>();

  constructor(private readonly metadata: (name: string) => FamilyMetadata | undefined) {}

  private familyOf(name: string): { family: string; type: string; help: string } {
    const meta = this.metadata(name) ?? (name.endsWith('_total') ? this.metadata(name.slice(0, -6)) : undefined);
    const help = meta?.help ?? '';
    if (meta?.type === 'counter' && name.endsWith('_total')) return { family: name.slice(0, -6), type: 'counter', help };
    if (meta?.type === 'gauge') return { family: name, type: 'gauge', help };
    return { family: name, type: 'unknown', help };
  }

  /** The lines of one series (family header first when a new family starts). */
  series(labels: Labels, timestamps: Float64Array, values: Float64Array): string {
    let name = '';
    for (const l of labels) if (l.name === METRIC_NAME) name = l.value;
    let out = '';
    if (name !== this.current || this.currentType === 'histogram') {
      this.current = name;
      this.currentType = '';
      let f = this.familyOf(name);
      // Two names must not open the same family (x_total as counter x, and a gauge x).
      if (this.seen.has(f.family)) f = { family: name, type: 'unknown', help: f.help };
      this.seen.add(f.family);
      out += `# TYPE ${nameToken(f.family, true)} ${f.type}\n`;
      if (f.help !== '') out += `# HELP ${nameToken(f.family, true)} ${escapeHelp(f.help)}\n`;
    }
    const head = seriesToken(labels);
    for (let i = 0; i < timestamps.length; i++) {
      if (isStaleNaNAt(values, i)) continue;
      out += `${head} ${formatPromFloat(values[i]!)} ${timestamps[i]! / 1000}\n`;
    }
    return out;
  }

  /**
   * A series' native histogram samples: custom-bucket ones as classic `_bucket`/`_count`/`_sum`
   * MetricPoints of a `histogram` family, as Prometheus converts them for text; exponential ones
   * give '' (OpenMetrics 1.0 text has no form for them). '' too when the family name is already
   * taken by float samples of another type, which OpenMetrics does not allow.
   */
  histograms(labels: Labels, timestamps: Float64Array, histograms: readonly FloatHistogram[]): string {
    let name = '';
    for (const l of labels) if (l.name === METRIC_NAME) name = l.value;
    let out = '';
    for (let i = 0; i < histograms.length; i++) {
      const h = histograms[i]!;
      if (isStaleNaN(h.sum)) continue;
      const lines = classicSeries(labels, h);
      if (lines === null) continue;
      if (out === '') {
        if (name !== this.current || this.currentType !== 'histogram') {
          if (this.seen.has(name)) return '';
          this.current = name;
          this.currentType = 'histogram';
          this.seen.add(name);
          const meta = this.metadata(name);
          out += `# TYPE ${nameToken(name, true)} histogram\n`;
          if (meta?.help) out += `# HELP ${nameToken(name, true)} ${escapeHelp(meta.help)}\n`;
        }
      }
      const at = timestamps[i]! / 1000;
      for (const x of lines) out += `${seriesToken(x.labels)} ${formatPromFloat(x.value)} ${at}\n`;
    }
    return out;
  }

  end(): string {
    return '# EOF\n';
  }
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}
