/**
 * Query results and errors rendered as Prometheus's HTTP API JSON, byte for byte in shape:
 * `{"status":"success","data":{"resultType":"vector","result":[...]},"warnings":[...]}`, sample
 * values as strings in Go's float formatting, timestamps as float seconds with millisecond digits.
 * Pure functions; the HTTP layer writes the returned status and body.
 */
import { httpStatusOf, type ErrorType, type Labels } from '../model/index.js';
import { classifyError } from './errors.js';
import { formatPosition, type Annotation, type QueryResult, type Value } from '../promql/index.js';
import { JsonWriter } from './json-writer.js';
import type { FloatHistogram } from '../model/index.js';
import { allBuckets } from '../promql/index.js';

/**
 * A sample value as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, otherwise the shortest decimal
 * that round-trips, with an exponent only below 1e-6 or from 1e21 (Go `'e'` style: `1e-07`).
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // JavaScript switches to exponent form at the same thresholds; only the exponent's digit count differs.
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const exp = s.slice(e + 2);
  return `${s.slice(0, e + 2)}${exp.length < 2 ? '0' : ''}${exp}`;
}

/** A millisecond timestamp as float seconds with up to three decimals (`1700000000.123`, `-1.5` → `-1.500`). */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  const secs = Math.floor(t / 1000);
  const frac = t % 1000;
  if (frac === 0) return `${sign}${secs}`;
  return `${sign}${secs}.${String(frac).padStart(3, '0')}`;
}

function writeMetric(w: JsonWriter, labels: Labels): void {
  w.byte(0x7b);
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) w.byte(0x2c);
    w.jsonString(labels[i]!.name);
    w.byte(0x3a);
    w.jsonString(labels[i]!.value);
  }
  w.byte(0x7d);
}

/** `[<timestamp>,"<value>"]` */
function writePoint(w: JsonWriter, t: number, v: number): void {
  w.byte(0x5b);
  w.timestamp(t);
  w.byte(0x2c);
  w.byte(0x22);
  w.sampleValue(v, formatSampleValue);
  w.byte(0x22);
  w.byte(0x5d);
}

function writeQuotedFloat(w: JsonWriter, v: number): void {
  w.byte(0x22);
  w.sampleValue(v, formatSampleValue);
  w.byte(0x22);
}

/**
 * `{"count":"N","sum":"S","buckets":[[rule,"lower","upper","count"],...]}` as Prometheus writes a
 * native histogram: empty buckets left out, `buckets` absent when none is populated; the rule is
 * 0 `(l,u]`, 1 `[l,u)`, 2 `(l,u)`, 3 `[l,u]`.
 */
export function writeHistogram(w: JsonWriter, h: FloatHistogram): void {
  w.ascii('{"count":');
  writeQuotedFloat(w, h.count);
  w.ascii(',"sum":');
  writeQuotedFloat(w, h.sum);
  let found = false;
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    w.ascii(found ? ',[' : ',"buckets":[[');
    found = true;
    w.ascii(String(b.boundaryRule));
    w.byte(0x2c);
    writeQuotedFloat(w, b.lower);
    w.byte(0x2c);
    writeQuotedFloat(w, b.upper);
    w.byte(0x2c);
    writeQuotedFloat(w, b.count);
    w.byte(0x5d);
  }
  if (found) w.byte(0x5d);
  w.byte(0x7d);
}

/** `[<timestamp>,{histogram}]` */
function writeHistogramPoint(w: JsonWriter, t: number, h: FloatHistogram): void {
  w.byte(0x5b);
  w.timestamp(t);
  w.byte(0x2c);
  writeHistogram(w, h);
  w.byte(0x5d);
}

/** Bytes a result will take, roughly, so the writer seldom regrows. */
function sizeHint(value: Value): number {
  switch (value.type) {
    case 'vector':
      return 64 + value.samples.length * 160;
    case 'matrix': {
      let points = 0;
      for (const s of value.series) points += s.timestamps.length + (s.histograms ? 8 * s.histograms.timestamps.length : 0);
      return 64 + value.series.length * 160 + points * 30;
    }
    default:
      return 256;
  }
}

/** Writes the `data` object of a query response: `{"resultType":...,"result":...}`. */
export function writeQueryData(w: JsonWriter, value: Value): void {
  switch (value.type) {
    case 'scalar':
      w.ascii('{"resultType":"scalar","result":');
      writePoint(w, value.t, value.v);
      w.byte(0x7d);
      return;
    case 'string':
      w.ascii('{"resultType":"string","result":[');
      w.timestamp(value.t);
      w.byte(0x2c);
      w.utf8(JSON.stringify(value.v));
      w.ascii(']}');
      return;
    case 'vector': {
      w.ascii('{"resultType":"vector","result":[');
      for (let k = 0; k < value.samples.length; k++) {
        const s = value.samples[k]!;
        w.ascii(k > 0 ? ',{"metric":' : '{"metric":');
        writeMetric(w, s.labels);
        if (s.h) {
          w.ascii(',"histogram":');
          writeHistogramPoint(w, s.t, s.h);
        } else {
          w.ascii(',"value":');
          writePoint(w, s.t, s.v);
        }
        w.byte(0x7d);
      }
      w.ascii(']}');
      return;
    }
    case 'matrix': {
      w.ascii('{"resultType":"matrix","result":[');
      for (let k = 0; k < value.series.length; k++) {
        const s = value.series[k]!;
        w.ascii(k > 0 ? ',{"metric":' : '{"metric":');
        writeMetric(w, s.labels);
        const ts = s.timestamps;
        const vs = s.values;
        // Like Prometheus, a series lists `values` and `histograms` only when it has such points.
        if (ts.length > 0 || !s.histograms) {
          w.ascii(',"values":[');
          for (let i = 0; i < ts.length; i++) {
            if (i > 0) w.byte(0x2c);
            writePoint(w, ts[i]!, vs[i]!);
          }
          w.byte(0x5d);
        }
        if (s.histograms) {
          w.ascii(',"histograms":[');
          const hts = s.histograms.timestamps;
          for (let i = 0; i < hts.length; i++) {
            if (i > 0) w.byte(0x2c);
            writeHistogramPoint(w, hts[i]!, s.histograms.histograms[i]!);
          }
          w.byte(0x5d);
        }
        w.byte(0x7d);
      }
      w.ascii(']}');
      return;
    }
  }
}

/** The `data` object of a query response: `{"resultType":...,"result":...}`. */
export function formatQueryData(value: Value): string {
  const w = new JsonWriter(sizeHint(value));
  writeQueryData(w, value);
  return w.toString();
}

/**
 * The whole success body of a query as bytes: the result, then `extraData` (already serialised
 * JSON members such as `"stats":{...}`, or '') inside `data`, then the annotations.
 */
export function formatQueryBody(value: Value, warnings: readonly string[], infos: readonly string[], extraData = ''): Uint8Array {
  const w = new JsonWriter(sizeHint(value) + extraData.length + 64);
  w.ascii('{"status":"success","data":');
  writeQueryData(w, value);
  if (extraData) {
    w.back(1);
    w.byte(0x2c);
    w.utf8(extraData);
    w.byte(0x7d);
  }
  w.utf8(annotationFields(warnings, infos));
  w.byte(0x7d);
  return w.bytes();
}

/** Most annotations of each kind listed in a response; the rest are summarised in one line. */
export const MAX_ANNOTATIONS = 10;

/**
 * Annotation texts as the API lists them: `PromQL warning: ... (1:5)`, positions resolved against
 * the query text, at most MAX_ANNOTATIONS each plus an `N more ... omitted` line.
 */
export function annotationStrings(annotations: readonly Annotation[], query: string, kind: 'warning' | 'info'): string[] {
  const out: string[] = [];
  for (const a of annotations.slice(0, MAX_ANNOTATIONS)) {
    out.push(a.pos ? `${a.message} (${formatPosition(query, a.pos.start)})` : a.message);
  }
  if (annotations.length > MAX_ANNOTATIONS) out.push(`${annotations.length - MAX_ANNOTATIONS} more ${kind} annotations omitted`);
  return out;
}

function annotationFields(warnings: readonly string[], infos: readonly string[]): string {
  let s = '';
  if (warnings.length > 0) s += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) s += `,"infos":${JSON.stringify(infos)}`;
  return s;
}

/** A success envelope around already-serialised `data` JSON. */
export function formatSuccess(dataJSON: string, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  return `{"status":"success","data":${dataJSON}${annotationFields(warnings, infos)}}`;
}

/** The full `/api/v1/query` or `/api/v1/query_range` response body for a result. */
export function formatQueryResponse(result: QueryResult, query: string): string {
  return formatSuccess(formatQueryData(result.value), annotationStrings(result.warnings, query, 'warning'), annotationStrings(result.infos, query, 'info'));
}

/** The `/api/v1/format_query` response body for a formatted expression. */
export function formatFormatQueryResponse(formatted: string): string {
  return formatSuccess(JSON.stringify(formatted));
}

export interface ApiErrorResponse {
  readonly status: number;
  readonly body: string;
}

/** An error envelope: `{"status":"error","errorType":"bad_data","error":"..."}` with its HTTP status. */
export function formatError(errorType: ErrorType, message: string, warnings: readonly string[] = [], infos: readonly string[] = []): ApiErrorResponse {
  return {
    status: httpStatusOf(errorType),
    body: `{"status":"error","errorType":${JSON.stringify(errorType)},"error":${JSON.stringify(message)}${annotationFields(warnings, infos)}}`,
  };
}

/**
 * Maps anything a query handler caught to Prometheus's error envelope (server/errors.ts
 * classifyError; what no class accounts for is an execution error, as in Prometheus).
 */
export function errorResponse(err: unknown): ApiErrorResponse {
  const { errorType } = classifyError(err, 'execution');
  return formatError(errorType, err instanceof Error ? err.message : String(err));
}
