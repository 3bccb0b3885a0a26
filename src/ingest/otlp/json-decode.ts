/**
 * OTLP/JSON (`application/json`) → the request model. The protobuf JSON mapping as OTLP fixes
 * it: lowerCamelCase field names (snake_case accepted too, as protobuf JSON parsers do), 64-bit
 * integers as decimal strings or numbers, enums as integers (names accepted), trace and span ids
 * as hex, `bytesValue` as base64, doubles as numbers or "NaN"/"Infinity"/"-Infinity". A value of
 * the wrong type is an IngestError 400 naming its path in the document. Unknown fields are ignored.
 */
import { IngestError } from '../errors.js';
import type { RawValue } from './any-value.js';
import { renderAnyValue } from './any-value.js';
import type {
  Attribute,
  Buckets,
  Exemplar,
  ExponentialPoint,
  ExportRequest,
  HistogramPoint,
  Metric,
  MetricData,
  NumberPoint,
  PointBase,
  Quantile,
  ResourceMetrics,
  ScopeMetrics,
  SummaryPoint,
} from './model.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

class Bad extends Error {}

function shown(v: Json | undefined): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function fail(path: string, want: string, v: Json | undefined): never {
  throw new Bad(`${path}: want ${want}, got ${shown(v)}`);
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** A field by its lowerCamelCase name or its proto (snake_case) name; null counts as absent. */
function field(o: Obj, camel: string): Json | undefined {
  const v = o[camel] ?? o[snake(camel)];
  return v === null ? undefined : v;
}

function obj(v: Json | undefined, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v;
}

function optObj(o: Obj, name: string, path: string): Obj | undefined {
  const v = field(o, name);
  return v === undefined ? undefined : obj(v, `${path}.${name}`);
}

function list<T>(o: Obj, name: string, path: string, each: (v: Json, path: string) => T): T[] {
  const v = field(o, name);
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${path}.${name}`, 'an array', v);
  return v.map((x, i) => each(x, `${path}.${name}[${i}]`));
}

function str(o: Obj, name: string, path: string): string {
  const v = field(o, name);
  if (v === undefined) return '';
  if (typeof v !== 'string') fail(`${path}.${name}`, 'a string', v);
  return v;
}

const INT = /^-?\d+$/;

/** A 64-bit integer (string or number) as a float64; negative ones pass, the translation judges them. */
function int64Value(v: Json | undefined, path: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && INT.test(v)) return Number(v);
  return fail(path, 'an integer (a number or a decimal string)', v);
}

function int64(o: Obj, name: string, path: string): number {
  return int64Value(field(o, name), `${path}.${name}`);
}

function int32(o: Obj, name: string, path: string): number {
  const n = int64(o, name, path);
  if (n < -(2 ** 31) || n >= 2 ** 31) fail(`${path}.${name}`, 'a 32-bit integer', field(o, name));
  return n;
}

function doubleValue(v: Json | undefined, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return fail(path, 'a number', v);
}

function optDouble(o: Obj, name: string, path: string): number | null {
  const v = field(o, name);
  return v === undefined ? null : doubleValue(v, `${path}.${name}`);
}

function bool(o: Obj, name: string, path: string): boolean {
  const v = field(o, name);
  if (v === undefined) return false;
  if (typeof v !== 'boolean') fail(`${path}.${name}`, 'true or false', v);
  return v;
}

const TEMPORALITIES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(o: Obj, path: string): number {
  const v = field(o, 'aggregationTemporality');
  if (typeof v === 'string' && v in TEMPORALITIES) return TEMPORALITIES[v]!;
  return int32(o, 'aggregationTemporality', path);
}

/** fixed64 nanoseconds → integer milliseconds, exactly for decimal strings. */
function timeMs(o: Obj, name: string, path: string): number {
  const v = field(o, name);
  if (v === undefined) return 0;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(BigInt(v) / 1_000_000n);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.floor(v / 1e6);
  return fail(`${path}.${name}`, 'nanoseconds since the epoch (a non-negative integer)', v);
}

function hexId(o: Obj, name: string, path: string): string {
  const s = str(o, name, path);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) fail(`${path}.${name}`, 'a hex id', s);
  return s.toLowerCase();
}

function anyValue(v: Json | undefined, path: string, depth: number): RawValue {
  if (v === undefined) return null;
  if (depth > 32) throw new Bad(`${path}: AnyValue nested more than 32 deep`);
  const o = obj(v, path);
  if (field(o, 'stringValue') !== undefined) return str(o, 'stringValue', path);
  if (field(o, 'boolValue') !== undefined) return bool(o, 'boolValue', path);
  if (field(o, 'intValue') !== undefined) {
    const x = field(o, 'intValue');
    if (typeof x === 'string' && INT.test(x)) return BigInt.asIntN(64, BigInt(x));
    return int64(o, 'intValue', path);
  }
  if (field(o, 'doubleValue') !== undefined) return doubleValue(field(o, 'doubleValue'), `${path}.doubleValue`);
  if (field(o, 'bytesValue') !== undefined) {
    const b = str(o, 'bytesValue', path);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) fail(`${path}.bytesValue`, 'base64', b);
    return new Uint8Array(Buffer.from(b, 'base64'));
  }
  const arr = optObj(o, 'arrayValue', path);
  if (arr) return list(arr, 'values', `${path}.arrayValue`, (x, p) => anyValue(x, p, depth + 1));
  const kvl = optObj(o, 'kvlistValue', path);
  if (kvl) return { kv: list(kvl, 'values', `${path}.kvlistValue`, (x, p) => keyValue(x, p, depth + 1)) };
  return null;
}

function keyValue(v: Json, path: string, depth: number): [string, RawValue] {
  const o = obj(v, path);
  return [str(o, 'key', path), anyValue(field(o, 'value'), `${path}.value`, depth)];
}

function attributes(o: Obj, name: string, path: string): Attribute[] {
  return list(o, name, path, (x, p) => {
    const [key, value] = keyValue(x, p, 0);
    return { key, value: renderAnyValue(value) };
  });
}

function exemplar(v: Json, path: string): Exemplar {
  const o = obj(v, path);
  const d = field(o, 'asDouble');
  const value = d !== undefined ? doubleValue(d, `${path}.asDouble`) : field(o, 'asInt') !== undefined ? int64(o, 'asInt', path) : NaN;
  return {
    attributes: attributes(o, 'filteredAttributes', path),
    timeMs: timeMs(o, 'timeUnixNano', path),
    value,
    traceId: hexId(o, 'traceId', path),
    spanId: hexId(o, 'spanId', path),
  };
}

function base(o: Obj, attrName: string, path: string): PointBase {
  return {
    attributes: attributes(o, attrName, path),
    timeMs: timeMs(o, 'timeUnixNano', path),
    flags: int64(o, 'flags', path),
    exemplars: list(o, 'exemplars', path, exemplar),
  };
}

function numberPoint(v: Json, path: string): NumberPoint {
  const o = obj(v, path);
  const d = field(o, 'asDouble');
  const value = d !== undefined ? doubleValue(d, `${path}.asDouble`) : field(o, 'asInt') !== undefined ? int64(o, 'asInt', path) : NaN;
  return { ...base(o, 'attributes', path), value };
}

function counts(o: Obj, name: string, path: string): number[] {
  return list(o, name, path, (x, p) => int64Value(x, p));
}

function histogramPoint(v: Json, path: string): HistogramPoint {
  const o = obj(v, path);
  return {
    ...base(o, 'attributes', path),
    count: int64(o, 'count', path),
    sum: optDouble(o, 'sum', path),
    bucketCounts: counts(o, 'bucketCounts', path),
    explicitBounds: list(o, 'explicitBounds', path, (x, p) => doubleValue(x, p)),
  };
}

function buckets(o: Obj, name: string, path: string): Buckets {
  const b = optObj(o, name, path);
  if (!b) return { offset: 0, counts: [] };
  return { offset: int32(b, 'offset', `${path}.${name}`), counts: counts(b, 'bucketCounts', `${path}.${name}`) };
}

function exponentialPoint(v: Json, path: string): ExponentialPoint {
  const o = obj(v, path);
  return {
    ...base(o, 'attributes', path),
    count: int64(o, 'count', path),
    sum: optDouble(o, 'sum', path),
    scale: int32(o, 'scale', path),
    zeroCount: int64(o, 'zeroCount', path),
    zeroThreshold: optDouble(o, 'zeroThreshold', path) ?? 0,
    positive: buckets(o, 'positive', path),
    negative: buckets(o, 'negative', path),
  };
}

function summaryPoint(v: Json, path: string): SummaryPoint {
  const o = obj(v, path);
  const quantiles = list(o, 'quantileValues', path, (x, p): Quantile => {
    const q = obj(x, p);
    return { quantile: optDouble(q, 'quantile', p) ?? 0, value: optDouble(q, 'value', p) ?? 0 };
  });
  return { ...base(o, 'attributes', path), count: int64(o, 'count', path), sum: optDouble(o, 'sum', path) ?? 0, quantiles, exemplars: [] };
}

function metric(v: Json, path: string): Metric {
  const o = obj(v, path);
  let data: MetricData | null = null;
  const g = optObj(o, 'gauge', path);
  const s = optObj(o, 'sum', path);
  const h = optObj(o, 'histogram', path);
  const e = optObj(o, 'exponentialHistogram', path);
  const q = optObj(o, 'summary', path);
  if (g) data = { kind: 'gauge', points: list(g, 'dataPoints', `${path}.gauge`, numberPoint) };
  else if (s) {
    const p = `${path}.sum`;
    data = { kind: 'sum', points: list(s, 'dataPoints', p, numberPoint), temporality: temporality(s, p), monotonic: bool(s, 'isMonotonic', p) };
  } else if (h) {
    const p = `${path}.histogram`;
    data = { kind: 'histogram', points: list(h, 'dataPoints', p, histogramPoint), temporality: temporality(h, p) };
  } else if (e) {
    const p = `${path}.exponentialHistogram`;
    data = { kind: 'exponentialHistogram', points: list(e, 'dataPoints', p, exponentialPoint), temporality: temporality(e, p) };
  } else if (q) data = { kind: 'summary', points: list(q, 'dataPoints', `${path}.summary`, summaryPoint) };
  return { name: str(o, 'name', path), description: str(o, 'description', path), unit: str(o, 'unit', path), data };
}

function scopeMetrics(v: Json, path: string): ScopeMetrics {
  const o = obj(v, path);
  const sc = optObj(o, 'scope', path) ?? {};
  const sp = `${path}.scope`;
  return {
    scope: { name: str(sc, 'name', sp), version: str(sc, 'version', sp), attributes: attributes(sc, 'attributes', sp), schemaUrl: str(o, 'schemaUrl', path) },
    metrics: list(o, 'metrics', path, metric),
  };
}

function resourceMetrics(v: Json, path: string): ResourceMetrics {
  const o = obj(v, path);
  const res = optObj(o, 'resource', path) ?? {};
  return { resource: attributes(res, 'attributes', `${path}.resource`), scopeMetrics: list(o, 'scopeMetrics', path, scopeMetrics) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeExportRequestJson(body: Uint8Array): ExportRequest {
  let doc: Json;
  try {
    doc = JSON.parse(utf8.decode(body)) as Json;
  } catch (e) {
    const why = e instanceof TypeError ? 'the body is not valid UTF-8' : (e as Error).message;
    throw new IngestError(400, `malformed OTLP JSON ExportMetricsServiceRequest: ${why}`);
  }
  try {
    return { resourceMetrics: list(obj(doc, '$'), 'resourceMetrics', '$', resourceMetrics) };
  } catch (e) {
    if (e instanceof Bad) throw new IngestError(400, `malformed OTLP JSON ExportMetricsServiceRequest: ${e.message}`);
    throw e;
  }
}
