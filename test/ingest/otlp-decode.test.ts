import { describe, expect, it } from 'vitest';
import { IngestError } from '../../src/ingest/index.js';
import { decodeExportRequestJson, decodeExportRequestProto } from '../../src/ingest/otlp/index.js';
import { encodeOtlp } from './otlp-protos.js';

const T = '1700000000123456789';
const T_MS = 1700000000123;

/** One request in OTLP/JSON form exercising every data kind and AnyValue type. */
const FIXTURE = {
  resourceMetrics: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: 'shop' } },
          { key: 'replicas', value: { intValue: '3' } },
          { key: 'ratio', value: { doubleValue: 0.25 } },
          { key: 'on', value: { boolValue: true } },
          { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
          { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
          { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
        ],
      },
      scopeMetrics: [
        {
          scope: { name: 'my.lib', version: '1.2.3', attributes: [{ key: 'tier', value: { stringValue: 'gold' } }] },
          schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
          metrics: [
            {
              name: 'g',
              unit: 'By',
              description: 'a gauge',
              gauge: { dataPoints: [{ attributes: [{ key: 'k', value: { stringValue: 'v' } }], timeUnixNano: T, asDouble: 1.5, flags: 1 }] },
            },
            {
              name: 'c',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  {
                    timeUnixNano: T,
                    asInt: '-7',
                    exemplars: [
                      {
                        timeUnixNano: T,
                        asDouble: 2,
                        traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex').toString('base64'),
                        spanId: Buffer.from('0102030405060708', 'hex').toString('base64'),
                      },
                    ],
                  },
                ],
              },
            },
            {
              name: 'h',
              histogram: {
                aggregationTemporality: 2,
                dataPoints: [{ timeUnixNano: T, count: '3', sum: 4.5, bucketCounts: ['1', '2', '0'], explicitBounds: [0.5, 1] }],
              },
            },
            {
              name: 'e',
              exponentialHistogram: {
                aggregationTemporality: 2,
                dataPoints: [
                  {
                    timeUnixNano: T,
                    count: '4',
                    scale: -2,
                    zeroCount: '1',
                    zeroThreshold: 0.001,
                    positive: { offset: -3, bucketCounts: ['2'] },
                    negative: { offset: 1, bucketCounts: ['1'] },
                  },
                ],
              },
            },
            {
              name: 's',
              summary: {
                dataPoints: [
                  {
                    timeUnixNano: T,
                    count: '10',
                    sum: 20,
                    quantileValues: [
                      { quantile: 0.5, value: 1.5 },
                      { quantile: 0.99, value: 3 },
                    ],
                  },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
};

/** The same fixture as the proto3 JSON mapping writes it: ids as hex (OTLP), 64-bit ints as strings. */
function asOtlpJson(): unknown {
  const j = JSON.parse(JSON.stringify(FIXTURE));
  const ex = j.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].exemplars[0];
  ex.traceId = '0102030405060708090a0b0c0d0e0f10';
  ex.spanId = '0102030405060708';
  return j;
}

describe('OTLP decoding', () => {
  const fromProto = decodeExportRequestProto(encodeOtlp(FIXTURE));
  const fromJson = decodeExportRequestJson(Buffer.from(JSON.stringify(asOtlpJson())));

  it('decodes protobuf and JSON encodings of one request to the same model', () => {
    expect(fromJson).toEqual(fromProto);
  });

  it('renders attribute values as Prometheus does (strings, decimal ints, JS doubles, base64 bytes, JSON lists)', () => {
    expect(fromProto.resourceMetrics[0]!.resource).toEqual([
      { key: 'service.name', value: 'shop' },
      { key: 'replicas', value: '3' },
      { key: 'ratio', value: '0.25' },
      { key: 'on', value: 'true' },
      { key: 'raw', value: 'AQL/' },
      { key: 'list', value: '["a",2]' },
      { key: 'map', value: '{"k":false}' },
    ]);
  });

  it('converts nanosecond timestamps to milliseconds exactly', () => {
    const m = fromProto.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(m.data?.kind === 'gauge' && m.data.points[0]!.timeMs).toBe(T_MS);
  });

  it('reads every data kind with its fields', () => {
    const ms = fromProto.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(ms.map((m) => m.data?.kind)).toEqual(['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']);
    const [g, c, h, e, s] = ms.map((m) => m.data!);
    expect(g!.kind === 'gauge' && g.points[0]).toMatchObject({ value: 1.5, flags: 1, attributes: [{ key: 'k', value: 'v' }] });
    expect(c!.kind === 'sum' && c).toMatchObject({
      temporality: 2,
      monotonic: true,
      points: [{ value: -7, exemplars: [{ value: 2, traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708' }] }],
    });
    expect(h!.kind === 'histogram' && h.points[0]).toMatchObject({ count: 3, sum: 4.5, bucketCounts: [1, 2, 0], explicitBounds: [0.5, 1] });
    expect(e!.kind === 'exponentialHistogram' && e.points[0]).toMatchObject({
      count: 4,
      scale: -2,
      zeroCount: 1,
      zeroThreshold: 0.001,
      positive: { offset: -3, counts: [2] },
      negative: { offset: 1, counts: [1] },
      sum: null,
    });
    expect(s!.kind === 'summary' && s.points[0]).toMatchObject({
      count: 10,
      sum: 20,
      quantiles: [
        { quantile: 0.5, value: 1.5 },
        { quantile: 0.99, value: 3 },
      ],
    });
    expect(fromProto.resourceMetrics[0]!.scopeMetrics[0]!.scope).toEqual({
      name: 'my.lib',
      version: '1.2.3',
      attributes: [{ key: 'tier', value: 'gold' }],
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
    });
  });

  it('accepts snake_case field names, numeric 64-bit integers and enum names in JSON', () => {
    const r = decodeExportRequestJson(
      Buffer.from(
        JSON.stringify({
          resource_metrics: [
            {
              scope_metrics: [
                {
                  metrics: [
                    {
                      name: 'x',
                      sum: {
                        aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                        is_monotonic: true,
                        data_points: [{ time_unix_nano: 1700000000000000000, as_int: 5 }],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const d = r.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data!;
    expect(d).toMatchObject({ kind: 'sum', temporality: 2, monotonic: true, points: [{ value: 5, timeMs: 1700000000000 }] });
  });
});

describe('OTLP decoding refuses malformed bodies with a 400 naming the problem', () => {
  const good = encodeOtlp(FIXTURE);

  function err(f: () => unknown): IngestError {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(IngestError);
      return e as IngestError;
    }
    throw new Error('no error');
  }

  it('a truncated protobuf', () => {
    const e = err(() => decodeExportRequestProto(good.subarray(0, good.length - 5)));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/malformed OTLP ExportMetricsServiceRequest protobuf: .* at byte \d+/);
  });

  it('a wrong wire type for a known field', () => {
    // Field 1 (resource_metrics) as a varint.
    expect(err(() => decodeExportRequestProto(Uint8Array.from([0x08, 0x01]))).message).toMatch(/resource_metrics has wire type 0, want 2/);
  });

  it('invalid UTF-8 in a string', () => {
    // resource_metrics { scope_metrics { metrics { name: 0xff } } }
    const body = Uint8Array.from([0x0a, 0x07, 0x12, 0x05, 0x12, 0x03, 0x0a, 0x01, 0xff]);
    expect(err(() => decodeExportRequestProto(body)).message).toMatch(/invalid UTF-8 in Metric.name/);
  });

  it('JSON that does not parse', () => {
    expect(err(() => decodeExportRequestJson(Buffer.from('{"resourceMetrics": ['))).message).toMatch(/malformed OTLP JSON ExportMetricsServiceRequest/);
  });

  it('a JSON value of the wrong type, naming its path', () => {
    const body = Buffer.from(
      JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', histogram: { dataPoints: [{ count: 'three' }] } }] }] }] }),
    );
    expect(err(() => decodeExportRequestJson(body)).message).toContain(
      '$.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].count: want an integer',
    );
  });

  it('a JSON document that is not an object', () => {
    expect(err(() => decodeExportRequestJson(Buffer.from('[1,2]'))).message).toMatch(/\$: want an object/);
  });
});
