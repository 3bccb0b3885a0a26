/**
 * CSV in and out with VictoriaMetrics's `format=` syntax.
 *
 * Import (`/api/v1/import/csv?format=2:metric:ask,3:metric:bid,1:label:ticker,4:time:unix_s`):
 * columns are 1-based; `metric:NAME` columns hold values (one sample each per row), `label:NAME`
 * columns label every sample of the row, `time:unix_s|unix_ms|unix_ns|rfc3339` gives the time
 * (now when absent). Empty value cells are skipped.
 *
 * Export (`/api/v1/export/csv?format=__name__,job,__value__,__timestamp__:unix_ms`): one row per
 * sample, a column per field: a label name, `__name__`, `__value__`, or `__timestamp__` with an
 * optional time format (default unix_ms). Fields are quoted as RFC 4180 asks when needed.
 */
import { METRIC_NAME, type Label, type Labels } from '../model/index.js';
import { BatchBuilder, type DecodedBatch } from './batch.js';
import { IngestError } from './errors.js';
import { formatVMFloat } from './float-format.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { decodeText, forEachLine } from './text.js';

export type CsvTimeFormat = 'unix_s' | 'unix_ms' | 'unix_ns' | 'rfc3339';
const TIME_FORMATS: readonly CsvTimeFormat[] = ['unix_s', 'unix_ms', 'unix_ns', 'rfc3339'];

export type CsvImportColumn =
  | { readonly col: number; readonly kind: 'metric'; readonly name: string }
  | { readonly col: number; readonly kind: 'label'; readonly name: string }
  | { readonly col: number; readonly kind: 'time'; readonly format: CsvTimeFormat };

function timeFormat(raw: string, what: string): CsvTimeFormat {
  const f = TIME_FORMATS.find((x) => x === raw);
  if (!f) throw new IngestError(400, `invalid ${what} time format ${JSON.stringify(raw)}: want one of ${TIME_FORMATS.join(', ')}`);
  return f;
}

/** Parses the import `format` argument; 400 naming the bad entry. */
export function parseCsvImportFormat(arg: string | null): CsvImportColumn[] {
  if (arg === null || arg.trim() === '') throw new IngestError(400, 'missing format query arg: e.g. format=2:metric:price,1:label:ticker,3:time:unix_s');
  const out: CsvImportColumn[] = [];
  for (const entry of arg.split(',')) {
    const m = /^(\d+):(metric|label|time):(.+)$/.exec(entry.trim());
    if (!m || Number(m[1]) < 1)
      throw new IngestError(
        400,
        `invalid format entry ${JSON.stringify(entry)}: want COLUMN:metric:NAME, COLUMN:label:NAME or COLUMN:time:FORMAT (columns from 1)`,
      );
    const col = Number(m[1]) - 1;
    if (m[2] === 'time') out.push({ col, kind: 'time', format: timeFormat(m[3]!, 'format entry') });
    else out.push({ col, kind: m[2] as 'metric' | 'label', name: m[3]! });
  }
  if (!out.some((c) => c.kind === 'metric')) throw new IngestError(400, 'format names no metric column: add COLUMN:metric:NAME');
  if (out.filter((c) => c.kind === 'time').length > 1) throw new IngestError(400, 'format names more than one time column');
  return out;
}

/** Splits one CSV record (RFC 4180 quoting; no newlines inside quotes, as VictoriaMetrics). */
function splitRecord(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') throw new Error('text after a quoted field');
    } else {
      const c = line.indexOf(',', i);
      out.push(c < 0 ? line.slice(i) : line.slice(i, c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function parseTimeCell(s: string, f: CsvTimeFormat): number {
  if (f === 'rfc3339') {
    const t = Date.parse(s);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(t)) throw new Error(`cannot parse ${JSON.stringify(s)} as RFC 3339`);
    return t;
  }
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new Error(`cannot parse ${JSON.stringify(s)} as ${f}`);
  return Math.round(f === 'unix_s' ? n * 1000 : f === 'unix_ns' ? n / 1e6 : n);
}

export function parseCsv(input: string | Uint8Array, columns: readonly CsvImportColumn[], nowMs: number, limits?: Partial<IngestLimits>): DecodedBatch {
  const l = resolveLimits(limits);
  const text = decodeText(input);
  const out = new BatchBuilder(l, 1024);
  const need = Math.max(...columns.map((c) => c.col)) + 1;
  forEachLine(text, (line, lineNo) => {
    if (line.trim() === '') return;
    try {
      const cells = splitRecord(line);
      if (cells.length < need) throw new Error(`has ${cells.length} columns, the format needs ${need}`);
      const labels: Label[] = [];
      let t = nowMs;
      for (const c of columns) {
        if (c.kind === 'label') labels.push({ name: c.name, value: cells[c.col]! });
        else if (c.kind === 'time') t = parseTimeCell(cells[c.col]!, c.format);
      }
      for (const c of columns) {
        if (c.kind !== 'metric') continue;
        const cell = cells[c.col]!.trim();
        if (cell === '') continue;
        const v = Number(cell);
        if (Number.isNaN(v) && cell !== 'NaN') throw new Error(`cannot parse ${JSON.stringify(cell)} in column ${c.col + 1} as a number`);
        const si = out.addLabels([{ name: METRIC_NAME, value: c.name }, ...labels], 1);
        if (si >= 0) out.addSample(si, t, v);
      }
    } catch (e) {
      if (e instanceof IngestError) throw e;
      const shown = line.length > 200 ? line.slice(0, 197) + '...' : line;
      throw new IngestError(400, `invalid CSV line ${lineNo}: ${(e as Error).message}: ${JSON.stringify(shown)}`);
    }
  });
  return out.build();
}

export type CsvExportField =
  { readonly kind: 'label'; readonly name: string } | { readonly kind: 'value' } | { readonly kind: 'timestamp'; readonly format: CsvTimeFormat };

/** Parses the export `format` argument. */
export function parseCsvExportFormat(arg: string | null): CsvExportField[] {
  if (arg === null || arg.trim() === '') throw new IngestError(400, 'missing format query arg: e.g. format=__name__,__value__,__timestamp__:unix_s');
  return arg.split(',').map((raw): CsvExportField => {
    const f = raw.trim();
    if (f === '__value__') return { kind: 'value' };
    if (f === '__timestamp__') return { kind: 'timestamp', format: 'unix_ms' };
    if (f.startsWith('__timestamp__:')) return { kind: 'timestamp', format: timeFormat(f.slice('__timestamp__:'.length), 'export') };
    if (f === '') throw new IngestError(400, 'empty field in format');
    return { kind: 'label', name: f };
  });
}

function quoteCsv(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function formatTime(t: number, f: CsvTimeFormat): string {
  if (f === 'unix_ms') return String(t);
  if (f === 'unix_s') return String(t / 1000);
  if (f === 'unix_ns') return (BigInt(t) * 1_000_000n).toString();
  return new Date(t).toISOString();
}

/** The CSV rows of one series, one per sample. */
export function formatCsvRows(labels: Labels, timestamps: Float64Array, values: Float64Array, fields: readonly CsvExportField[]): string {
  const fixed = fields.map((f) => (f.kind === 'label' ? quoteCsv(labels.find((l) => l.name === f.name)?.value ?? '') : null));
  let out = '';
  for (let i = 0; i < timestamps.length; i++) {
    out += fields
      .map((f, k) => (f.kind === 'label' ? fixed[k]! : f.kind === 'value' ? formatVMFloat(values[i]!) : formatTime(timestamps[i]!, f.format)))
      .join(',');
    out += '\n';
  }
  return out;
}
