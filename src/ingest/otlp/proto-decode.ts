/**
 * `ExportMetricsServiceRequest` protobuf → the request model. Walks the wire format with the
 * bounds-checked ProtoReader; every malformation (truncation, a length running past its message,
 * a wrong wire type for a known field, invalid UTF-8 in a string) is an IngestError 400 naming
 * the field and byte offset. Unknown fields are skipped, as protobuf requires.
 */
import { isUtf8 } from 'node:buffer';
import { unzigzag } from '../../codec/index.js';
import { ProtoReader } from '../proto-reader.js';
import { renderAnyValue, type RawValue } from './any-value.js';
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
  Quantile,
  ResourceMetrics,
  Scope,
  ScopeMetrics,
  SummaryPoint,
} from './model.js';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

class Reader extends ProtoReader {
  private readonly view: DataView;

  private readonly text: Buffer;

  constructor(buf: Uint8Array) {
    super(buf, 'OTLP ExportMetricsServiceRequest protobuf');
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Visits each field of the message ending at `end`; `visit` returns false to skip a field. */
  message(end: number, what: string, visit: (field: number, wire: number) => boolean): void {
    const saved = this.limit;
    this.limit = end;
    while (this.pos < end) {
      const tag = this.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) throw this.fail(`field number 0 in ${what}`);
      if (!visit(field, wire)) this.skip(wire);
    }
    this.limit = saved;
  }

  want(wire: number, want: number, what: string): void {
    if (wire !== want) throw this.fail(`${what} has wire type ${wire}, want ${want}`);
  }

  /** A nested message: its end offset, after checking the wire type. */
  sub(wire: number, what: string): number {
    this.want(wire, WIRE_LEN, what);
    return this.lengthEnd();
  }

  string(wire: number, what: string): string {
    const end = this.sub(wire, what);
    const s = this.pos;
    const b = this.buf;
    let ascii = true;
    for (let i = s; i < end; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    // Most names and values are ASCII; only the others need the (slower) UTF-8 validation.
    if (!ascii && !isUtf8(b.subarray(s, end))) throw this.fail(`invalid UTF-8 in ${what}`);
    this.pos = end;
    return this.text.toString(ascii ? 'latin1' : 'utf8', s, end);
  }

  bytes(wire: number, what: string): Uint8Array {
    const end = this.sub(wire, what);
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  private need(n: number, what: string): number {
    const p = this.pos;
    if (p + n > this.limit) throw this.fail(`truncated ${what}`);
    this.pos = p + n;
    return p;
  }

  double(wire: number, what: string): number {
    this.want(wire, WIRE_I64, what);
    return this.view.getFloat64(this.need(8, what), true);
  }

  /** fixed64 as a float64 (counts; exact up to 2^53). */
  fixed64(wire: number, what: string): number {
    this.want(wire, WIRE_I64, what);
    const p = this.need(8, what);
    return this.view.getUint32(p + 4, true) * 4294967296 + this.view.getUint32(p, true);
  }

  sfixed64(wire: number, what: string): number {
    this.want(wire, WIRE_I64, what);
    return Number(this.view.getBigInt64(this.need(8, what), true));
  }

  /** fixed64 nanoseconds since the epoch → integer milliseconds, exactly (no float rounding). */
  timeMs(wire: number, what: string): number {
    this.want(wire, WIRE_I64, what);
    const p = this.need(8, what);
    const hi = this.view.getUint32(p + 4, true);
    const lo = this.view.getUint32(p, true);
    // hi·2^32 = hi·4294·10^6 + hi·967296; both remainders stay far below 2^53.
    return hi * 4294 + Math.floor((hi * 967296 + lo) / 1e6);
  }

  /** An unsigned 64-bit varint as a float64. */
  uint64(what: string): number {
    const v = this.int64();
    return v < 0 ? v + 2 ** 64 : v;
  }

  sint32(wire: number, what: string): number {
    this.want(wire, WIRE_VARINT, what);
    return unzigzag(this.uint32());
  }

  varint32(wire: number, what: string): number {
    this.want(wire, WIRE_VARINT, what);
    return this.uint32();
  }

  /** repeated fixed64/double: packed (the proto3 default) or one value per field. */
  repeated64(wire: number, what: string, out: number[], read: (p: number) => number): void {
    if (wire === WIRE_I64) {
      out.push(read(this.need(8, what)));
      return;
    }
    const end = this.sub(wire, what);
    if ((end - this.pos) % 8 !== 0) throw this.fail(`packed ${what} is ${end - this.pos} bytes, not a multiple of 8`);
    while (this.pos < end) out.push(read(this.need(8, what)));
  }

  readDouble = (p: number): number => this.view.getFloat64(p, true);
  readFixed64 = (p: number): number => this.view.getUint32(p + 4, true) * 4294967296 + this.view.getUint32(p, true);

  /** repeated uint64 (varints): packed or not. */
  repeatedVarint(wire: number, what: string, out: number[]): void {
    if (wire === WIRE_VARINT) {
      out.push(this.uint64(what));
      return;
    }
    const end = this.sub(wire, what);
    const saved = this.limit;
    this.limit = end;
    while (this.pos < end) out.push(this.uint64(what));
    this.limit = saved;
  }
}

export function decodeExportRequestProto(body: Uint8Array): ExportRequest {
  const r = new Reader(body);
  const resourceMetrics: ResourceMetrics[] = [];
  r.message(body.length, 'ExportMetricsServiceRequest', (f, w) => {
    if (f !== 1) return false;
    resourceMetrics.push(readResourceMetrics(r, r.sub(w, 'resource_metrics')));
    return true;
  });
  return { resourceMetrics };
}

function readAnyValue(r: Reader, end: number, depth: number): RawValue {
  if (depth > 32) throw r.fail('AnyValue nested more than 32 deep');
  let v: RawValue = null;
  r.message(end, 'AnyValue', (f, w) => {
    switch (f) {
      case 1:
        v = r.string(w, 'AnyValue.string_value');
        return true;
      case 2:
        v = r.varint32(w, 'AnyValue.bool_value') !== 0;
        return true;
      case 3:
        r.want(w, WIRE_VARINT, 'AnyValue.int_value');
        v = BigInt.asIntN(64, BigInt(r.uint64('AnyValue.int_value')));
        return true;
      case 4:
        v = r.double(w, 'AnyValue.double_value');
        return true;
      case 5: {
        const e = r.sub(w, 'AnyValue.array_value');
        const items: RawValue[] = [];
        r.message(e, 'ArrayValue', (f2, w2) => {
          if (f2 !== 1) return false;
          items.push(readAnyValue(r, r.sub(w2, 'ArrayValue.values'), depth + 1));
          return true;
        });
        v = items;
        return true;
      }
      case 6: {
        const e = r.sub(w, 'AnyValue.kvlist_value');
        const kv: [string, RawValue][] = [];
        r.message(e, 'KeyValueList', (f2, w2) => {
          if (f2 !== 1) return false;
          kv.push(readKeyValueRaw(r, r.sub(w2, 'KeyValueList.values'), depth + 1));
          return true;
        });
        v = { kv };
        return true;
      }
      case 7:
        v = r.bytes(w, 'AnyValue.bytes_value');
        return true;
      default:
        return false;
    }
  });
  return v;
}

function readKeyValueRaw(r: Reader, end: number, depth: number): [string, RawValue] {
  let key = '';
  let value: RawValue = null;
  r.message(end, 'KeyValue', (f, w) => {
    if (f === 1) key = r.string(w, 'KeyValue.key');
    else if (f === 2) value = readAnyValue(r, r.sub(w, 'KeyValue.value'), depth);
    else return false;
    return true;
  });
  return [key, value];
}

function readAttribute(r: Reader, wire: number, what: string): Attribute {
  const [key, value] = readKeyValueRaw(r, r.sub(wire, what), 0);
  return { key, value: renderAnyValue(value) };
}

function readResourceMetrics(r: Reader, end: number): ResourceMetrics {
  const resource: Attribute[] = [];
  const scopeMetrics: ScopeMetrics[] = [];
  r.message(end, 'ResourceMetrics', (f, w) => {
    if (f === 1) {
      r.message(r.sub(w, 'ResourceMetrics.resource'), 'Resource', (f2, w2) => {
        if (f2 !== 1) return false;
        resource.push(readAttribute(r, w2, 'Resource.attributes'));
        return true;
      });
    } else if (f === 2) scopeMetrics.push(readScopeMetrics(r, r.sub(w, 'ResourceMetrics.scope_metrics')));
    else return false;
    return true;
  });
  return { resource, scopeMetrics };
}

function readScopeMetrics(r: Reader, end: number): ScopeMetrics {
  let name = '';
  let version = '';
  let schemaUrl = '';
  const attributes: Attribute[] = [];
  const metrics: Metric[] = [];
  r.message(end, 'ScopeMetrics', (f, w) => {
    if (f === 1) {
      r.message(r.sub(w, 'ScopeMetrics.scope'), 'InstrumentationScope', (f2, w2) => {
        if (f2 === 1) name = r.string(w2, 'InstrumentationScope.name');
        else if (f2 === 2) version = r.string(w2, 'InstrumentationScope.version');
        else if (f2 === 3) attributes.push(readAttribute(r, w2, 'InstrumentationScope.attributes'));
        else return false;
        return true;
      });
    } else if (f === 2) metrics.push(readMetric(r, r.sub(w, 'ScopeMetrics.metrics')));
    else if (f === 3) schemaUrl = r.string(w, 'ScopeMetrics.schema_url');
    else return false;
    return true;
  });
  const scope: Scope = { name, version, attributes, schemaUrl };
  return { scope, metrics };
}

function readMetric(r: Reader, end: number): Metric {
  let name = '';
  let description = '';
  let unit = '';
  let data: MetricData | null = null;
  r.message(end, 'Metric', (f, w) => {
    switch (f) {
      case 1:
        name = r.string(w, 'Metric.name');
        return true;
      case 2:
        description = r.string(w, 'Metric.description');
        return true;
      case 3:
        unit = r.string(w, 'Metric.unit');
        return true;
      case 5: {
        const points: NumberPoint[] = [];
        r.message(r.sub(w, 'Metric.gauge'), 'Gauge', (f2, w2) => {
          if (f2 !== 1) return false;
          points.push(readNumberPoint(r, r.sub(w2, 'Gauge.data_points')));
          return true;
        });
        data = { kind: 'gauge', points };
        return true;
      }
      case 7: {
        const points: NumberPoint[] = [];
        let temporality = 0;
        let monotonic = false;
        r.message(r.sub(w, 'Metric.sum'), 'Sum', (f2, w2) => {
          if (f2 === 1) points.push(readNumberPoint(r, r.sub(w2, 'Sum.data_points')));
          else if (f2 === 2) temporality = r.varint32(w2, 'Sum.aggregation_temporality');
          else if (f2 === 3) monotonic = r.varint32(w2, 'Sum.is_monotonic') !== 0;
          else return false;
          return true;
        });
        data = { kind: 'sum', points, temporality, monotonic };
        return true;
      }
      case 9: {
        const points: HistogramPoint[] = [];
        let temporality = 0;
        r.message(r.sub(w, 'Metric.histogram'), 'Histogram', (f2, w2) => {
          if (f2 === 1) points.push(readHistogramPoint(r, r.sub(w2, 'Histogram.data_points')));
          else if (f2 === 2) temporality = r.varint32(w2, 'Histogram.aggregation_temporality');
          else return false;
          return true;
        });
        data = { kind: 'histogram', points, temporality };
        return true;
      }
      case 10: {
        const points: ExponentialPoint[] = [];
        let temporality = 0;
        r.message(r.sub(w, 'Metric.exponential_histogram'), 'ExponentialHistogram', (f2, w2) => {
          if (f2 === 1) points.push(readExponentialPoint(r, r.sub(w2, 'ExponentialHistogram.data_points')));
          else if (f2 === 2) temporality = r.varint32(w2, 'ExponentialHistogram.aggregation_temporality');
          else return false;
          return true;
        });
        data = { kind: 'exponentialHistogram', points, temporality };
        return true;
      }
      case 11: {
        const points: SummaryPoint[] = [];
        r.message(r.sub(w, 'Metric.summary'), 'Summary', (f2, w2) => {
          if (f2 !== 1) return false;
          points.push(readSummaryPoint(r, r.sub(w2, 'Summary.data_points')));
          return true;
        });
        data = { kind: 'summary', points };
        return true;
      }
      default:
        return false;
    }
  });
  return { name, description, unit, data };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function readExemplar(r: Reader, end: number): Exemplar {
  const attributes: Attribute[] = [];
  let timeMs = 0;
  let value = NaN;
  let traceId = '';
  let spanId = '';
  r.message(end, 'Exemplar', (f, w) => {
    if (f === 7) attributes.push(readAttribute(r, w, 'Exemplar.filtered_attributes'));
    else if (f === 2) timeMs = r.timeMs(w, 'Exemplar.time_unix_nano');
    else if (f === 3) value = r.double(w, 'Exemplar.as_double');
    else if (f === 6) value = r.sfixed64(w, 'Exemplar.as_int');
    else if (f === 4) spanId = hex(r.bytes(w, 'Exemplar.span_id'));
    else if (f === 5) traceId = hex(r.bytes(w, 'Exemplar.trace_id'));
    else return false;
    return true;
  });
  return { attributes, timeMs, value, traceId, spanId };
}

function readNumberPoint(r: Reader, end: number): NumberPoint {
  const attributes: Attribute[] = [];
  const exemplars: Exemplar[] = [];
  let timeMs = 0;
  let value = NaN;
  let flags = 0;
  r.message(end, 'NumberDataPoint', (f, w) => {
    if (f === 7) attributes.push(readAttribute(r, w, 'NumberDataPoint.attributes'));
    else if (f === 3) timeMs = r.timeMs(w, 'NumberDataPoint.time_unix_nano');
    else if (f === 4) value = r.double(w, 'NumberDataPoint.as_double');
    else if (f === 6) value = r.sfixed64(w, 'NumberDataPoint.as_int');
    else if (f === 5) exemplars.push(readExemplar(r, r.sub(w, 'NumberDataPoint.exemplars')));
    else if (f === 8) flags = r.varint32(w, 'NumberDataPoint.flags');
    else return false;
    return true;
  });
  return { attributes, timeMs, value, flags, exemplars };
}

function readHistogramPoint(r: Reader, end: number): HistogramPoint {
  const attributes: Attribute[] = [];
  const exemplars: Exemplar[] = [];
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  let timeMs = 0;
  let count = 0;
  let sum: number | null = null;
  let flags = 0;
  r.message(end, 'HistogramDataPoint', (f, w) => {
    if (f === 9) attributes.push(readAttribute(r, w, 'HistogramDataPoint.attributes'));
    else if (f === 3) timeMs = r.timeMs(w, 'HistogramDataPoint.time_unix_nano');
    else if (f === 4) count = r.fixed64(w, 'HistogramDataPoint.count');
    else if (f === 5) sum = r.double(w, 'HistogramDataPoint.sum');
    else if (f === 6) r.repeated64(w, 'HistogramDataPoint.bucket_counts', bucketCounts, r.readFixed64);
    else if (f === 7) r.repeated64(w, 'HistogramDataPoint.explicit_bounds', explicitBounds, r.readDouble);
    else if (f === 8) exemplars.push(readExemplar(r, r.sub(w, 'HistogramDataPoint.exemplars')));
    else if (f === 10) flags = r.varint32(w, 'HistogramDataPoint.flags');
    else return false;
    return true;
  });
  return { attributes, timeMs, count, sum, bucketCounts, explicitBounds, flags, exemplars };
}

function readBuckets(r: Reader, end: number, what: string): Buckets {
  let offset = 0;
  const counts: number[] = [];
  r.message(end, what, (f, w) => {
    if (f === 1) offset = r.sint32(w, `${what}.offset`);
    else if (f === 2) r.repeatedVarint(w, `${what}.bucket_counts`, counts);
    else return false;
    return true;
  });
  return { offset, counts };
}

const NO_BUCKETS: Buckets = { offset: 0, counts: [] };

function readExponentialPoint(r: Reader, end: number): ExponentialPoint {
  const attributes: Attribute[] = [];
  const exemplars: Exemplar[] = [];
  let timeMs = 0;
  let count = 0;
  let sum: number | null = null;
  let scale = 0;
  let zeroCount = 0;
  let zeroThreshold = 0;
  let positive = NO_BUCKETS;
  let negative = NO_BUCKETS;
  let flags = 0;
  r.message(end, 'ExponentialHistogramDataPoint', (f, w) => {
    switch (f) {
      case 1:
        attributes.push(readAttribute(r, w, 'ExponentialHistogramDataPoint.attributes'));
        return true;
      case 3:
        timeMs = r.timeMs(w, 'ExponentialHistogramDataPoint.time_unix_nano');
        return true;
      case 4:
        count = r.fixed64(w, 'ExponentialHistogramDataPoint.count');
        return true;
      case 5:
        sum = r.double(w, 'ExponentialHistogramDataPoint.sum');
        return true;
      case 6:
        scale = r.sint32(w, 'ExponentialHistogramDataPoint.scale');
        return true;
      case 7:
        zeroCount = r.fixed64(w, 'ExponentialHistogramDataPoint.zero_count');
        return true;
      case 8:
        positive = readBuckets(r, r.sub(w, 'ExponentialHistogramDataPoint.positive'), 'Buckets');
        return true;
      case 9:
        negative = readBuckets(r, r.sub(w, 'ExponentialHistogramDataPoint.negative'), 'Buckets');
        return true;
      case 10:
        flags = r.varint32(w, 'ExponentialHistogramDataPoint.flags');
        return true;
      case 11:
        exemplars.push(readExemplar(r, r.sub(w, 'ExponentialHistogramDataPoint.exemplars')));
        return true;
      case 14:
        zeroThreshold = r.double(w, 'ExponentialHistogramDataPoint.zero_threshold');
        return true;
      default:
        return false;
    }
  });
  return { attributes, timeMs, count, sum, scale, zeroCount, zeroThreshold, positive, negative, flags, exemplars };
}

function readSummaryPoint(r: Reader, end: number): SummaryPoint {
  const attributes: Attribute[] = [];
  const quantiles: Quantile[] = [];
  let timeMs = 0;
  let count = 0;
  let sum = 0;
  let flags = 0;
  r.message(end, 'SummaryDataPoint', (f, w) => {
    if (f === 7) attributes.push(readAttribute(r, w, 'SummaryDataPoint.attributes'));
    else if (f === 3) timeMs = r.timeMs(w, 'SummaryDataPoint.time_unix_nano');
    else if (f === 4) count = r.fixed64(w, 'SummaryDataPoint.count');
    else if (f === 5) sum = r.double(w, 'SummaryDataPoint.sum');
    else if (f === 6) {
      let quantile = 0;
      let value = 0;
      r.message(r.sub(w, 'SummaryDataPoint.quantile_values'), 'ValueAtQuantile', (f2, w2) => {
        if (f2 === 1) quantile = r.double(w2, 'ValueAtQuantile.quantile');
        else if (f2 === 2) value = r.double(w2, 'ValueAtQuantile.value');
        else return false;
        return true;
      });
      quantiles.push({ quantile, value });
    } else if (f === 8) flags = r.varint32(w, 'SummaryDataPoint.flags');
    else return false;
    return true;
  });
  return { attributes, timeMs, count, sum, quantiles, flags, exemplars: [] };
}
