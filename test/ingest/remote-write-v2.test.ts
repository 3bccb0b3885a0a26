import { describe, expect, it } from 'vitest';
import {
  IngestError,
  canonicalKey,
  checkContentEncoding,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  decodeWriteRequestV2,
  encodeRemoteWriteV1,
  encodeRemoteWriteV2,
  parseContentType,
  remoteWriteV2ResponseHeaders,
  snappyCompress,
} from '../../src/ingest/index.js';
import { encodeV2 } from './protos.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe('remote write 2.0 decoding', () => {
  it('resolves labels through the symbols table (protobufjs-encoded request)', () => {
    const raw = encodeV2({
      symbols: ['', '__name__', 'up', 'job', 'node', 'instance', 'a:9100', 'b:9100'],
      timeseries: [
        { labelsRefs: [1, 2, 5, 6, 3, 4], samples: [{ value: 1, timestamp: 1700000000000 }] },
        {
          labelsRefs: [1, 2, 5, 7, 3, 4],
          samples: [
            { value: 0, timestamp: 1700000000000 },
            { value: 1, timestamp: 1700000015000 },
          ],
        },
      ],
    });
    const b = decodeRemoteWriteV2(snappyCompress(raw));
    expect(b.seriesCount).toBe(2);
    expect(b.labels(0)).toEqual(L({ __name__: 'up', instance: 'a:9100', job: 'node' }));
    expect(b.labels(1)).toEqual(L({ __name__: 'up', instance: 'b:9100', job: 'node' }));
    expect([...b.seriesIndex]).toEqual([0, 1, 1]);
    expect([...b.values]).toEqual([1, 0, 1]);
    expect([...b.timestamps]).toEqual([1700000000000, 1700000000000, 1700000015000]);
  });

  it('gives a series the same key in 1.0 and 2.0', () => {
    const s = { labels: L({ __name__: 'up', job: 'node', zone: 'eu' }), timestamps: [1], values: [1] };
    const v1 = decodeRemoteWriteV1(encodeRemoteWriteV1([s]));
    const v2 = decodeRemoteWriteV2(encodeRemoteWriteV2([s]));
    expect(v2.keys[0]).toBe(v1.keys[0]);
    expect(v2.keys[0]).toBe(canonicalKey(s.labels));
  });

  it('returns per-series metadata once per metric family, with help and unit from symbols', () => {
    const raw = encodeV2({
      symbols: ['', '__name__', 'req_total', 'job', 'a', 'b', 'Requests served.', 'requests'],
      timeseries: [
        { labelsRefs: [1, 2, 3, 4], samples: [{ value: 1, timestamp: 1 }], metadata: { type: 1, helpRef: 6, unitRef: 7 } },
        { labelsRefs: [1, 2, 3, 5], samples: [{ value: 1, timestamp: 1 }], metadata: { type: 1, helpRef: 6, unitRef: 7 } },
      ],
    });
    const b = decodeWriteRequestV2(raw);
    expect(b.metadata).toEqual([{ metricFamilyName: 'req_total', type: 'counter', help: 'Requests served.', unit: 'requests' }]);
  });

  it('counts histograms and exemplars for the response headers', () => {
    const b = decodeRemoteWriteV2(
      encodeRemoteWriteV2([
        { labels: L({ __name__: 'a' }), timestamps: [1, 2], values: [1, 2], exemplars: 3 },
        { labels: L({ __name__: 'h' }), histograms: 2 },
      ]),
    );
    expect({ samples: b.sampleCount, histograms: b.histograms, exemplars: b.exemplars }).toEqual({ samples: 2, histograms: 2, exemplars: 3 });
    expect(remoteWriteV2ResponseHeaders({ samples: b.sampleCount, histograms: b.histograms, exemplars: b.exemplars })).toEqual({
      'X-Prometheus-Remote-Write-Samples-Written': '2',
      'X-Prometheus-Remote-Write-Histograms-Written': '2',
      'X-Prometheus-Remote-Write-Exemplars-Written': '3',
    });
  });

  it('accepts symbols placed after the series', () => {
    // Field 5 (series) first, then field 4 (symbols): hand-encoded.
    const series = encodeV2({ timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 3, timestamp: 4 }] }] });
    const symbols = encodeV2({ symbols: ['', '__name__', 'late'] });
    const raw = new Uint8Array(series.length + symbols.length);
    raw.set(series);
    raw.set(symbols, series.length);
    const b = decodeWriteRequestV2(raw);
    expect(b.labels(0)).toEqual(L({ __name__: 'late' }));
  });

  it('drops a series with an out-of-range symbol reference and says which', () => {
    const raw = encodeV2({
      symbols: ['', '__name__', 'x'],
      timeseries: [
        { labelsRefs: [1, 2, 9, 2], samples: [{ value: 1, timestamp: 1 }] },
        { labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 1 }] },
      ],
    });
    const b = decodeWriteRequestV2(raw);
    expect(b.seriesCount).toBe(1);
    expect(b.dropped.series).toBe(1);
    expect(b.dropped.reasons[0]).toMatch(/references symbol 9, but the symbols table has 3 entries/);
  });

  it('drops a series with an odd number of label refs', () => {
    const b = decodeWriteRequestV2(
      encodeV2({ symbols: ['', '__name__', 'x'], timeseries: [{ labelsRefs: [1, 2, 1], samples: [{ value: 1, timestamp: 1 }] }] }),
    );
    expect(b.dropped.reasons[0]).toMatch(/odd number \(3\) of labels_refs/);
  });

  it('validates labels as 1.0 does (duplicates, legacy names)', () => {
    const b = decodeRemoteWriteV2(
      encodeRemoteWriteV2([
        { labels: L({ __name__: 'x', a: '1' }).concat(L({ a: '2' })), timestamps: [1], values: [1] },
        { labels: L({ __name__: 'x', 'b-c': '1' }), timestamps: [1], values: [1] },
      ]),
      { nameValidation: 'legacy' },
    );
    expect(b.dropped.series).toBe(2);
    expect(b.dropped.reasons[0]).toMatch(/^duplicate label name "a"/);
    expect(b.dropped.reasons[1]).toMatch(/^invalid label name "b-c"/);
  });

  it('rejects malformed bodies with 400', () => {
    const raw = encodeV2({ symbols: ['', '__name__', 'x'], timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 1 }] }] });
    for (let n = 1; n < raw.length; n++) {
      try {
        decodeWriteRequestV2(raw.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(IngestError);
        expect((e as IngestError).status).toBe(400);
      }
    }
  });
});

describe('remote write content negotiation', () => {
  it('treats a missing Content-Type as 1.0', () => {
    expect(parseContentType(undefined)).toBe('v1');
    expect(parseContentType('')).toBe('v1');
  });

  it('treats plain application/x-protobuf as 1.0', () => {
    expect(parseContentType('application/x-protobuf')).toBe('v1');
  });

  it('recognises both proto parameters, case-insensitive media type and quoted values', () => {
    expect(parseContentType('application/x-protobuf;proto=prometheus.WriteRequest')).toBe('v1');
    expect(parseContentType('application/x-protobuf;proto=io.prometheus.write.v2.Request')).toBe('v2');
    expect(parseContentType('Application/X-Protobuf; proto="io.prometheus.write.v2.Request"')).toBe('v2');
  });

  it('answers 415 for an unknown proto, naming it', () => {
    try {
      parseContentType('application/x-protobuf;proto=io.prometheus.write.v3.Request');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IngestError);
      expect((e as IngestError).status).toBe(415);
      expect((e as IngestError).message).toContain('io.prometheus.write.v3.Request');
    }
  });

  it('answers 415 for a non-protobuf media type', () => {
    expect(() => parseContentType('application/json')).toThrow(IngestError);
  });

  it('accepts snappy or absent Content-Encoding and rejects others with 415', () => {
    expect(() => checkContentEncoding('snappy')).not.toThrow();
    expect(() => checkContentEncoding(undefined)).not.toThrow();
    expect(() => checkContentEncoding('gzip')).toThrow(/Content-Encoding "gzip"/);
  });
});
