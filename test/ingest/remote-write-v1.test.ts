import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaNAt } from '../../src/model/index.js';
import {
  IngestError,
  canonicalKey,
  decodeRemoteWriteV1,
  decodeWriteRequestV1,
  encodeRemoteWriteV1,
  snappyCompress,
  ColumnBatch,
  KEY_HASH_LANES,
} from '../../src/ingest/index.js';
import { encodeV1 } from './protos.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

function body(obj: Record<string, unknown>): Uint8Array {
  return snappyCompress(encodeV1(obj));
}

function catchIngest(f: () => unknown): IngestError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IngestError);
    return e as IngestError;
  }
  throw new Error('expected an IngestError');
}

describe('remote write 1.0 decoding', () => {
  it('decodes series and samples written by protobufjs from the Prometheus schema', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [
          {
            labels: L({ __name__: 'up', instance: 'a:9100', job: 'node' }),
            samples: [
              { value: 1, timestamp: 1700000000000 },
              { value: 0, timestamp: 1700000015000 },
            ],
          },
          { labels: L({ __name__: 'temp', room: 'kitchen' }), samples: [{ value: 21.5, timestamp: 1700000000000 }] },
        ],
      }),
    );
    expect(b.seriesCount).toBe(2);
    expect(b.sampleCount).toBe(3);
    expect([...b.seriesIndex]).toEqual([0, 0, 1]);
    expect([...b.timestamps]).toEqual([1700000000000, 1700000015000, 1700000000000]);
    expect([...b.values]).toEqual([1, 0, 21.5]);
    expect(b.labels(0)).toEqual(L({ __name__: 'up', instance: 'a:9100', job: 'node' }));
    expect(b.labels(1)).toEqual(L({ __name__: 'temp', room: 'kitchen' }));
    expect(b.dropped).toEqual({ series: 0, samples: 0, reasons: [] });
  });

  it('gives a sorted, canonically encoded series the same key as canonicalKey', () => {
    const labels = L({ __name__: 'up', job: 'node' });
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels, samples: [{ value: 1, timestamp: 1 }] }] }));
    expect(b.keys[0]).toBe(canonicalKey(labels));
  });

  it('sorts unsorted labels and still produces the canonical key', () => {
    const sorted = L({ __name__: 'up', instance: 'x', job: 'node' });
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels: [sorted[2], sorted[0], sorted[1]], samples: [{ value: 1, timestamp: 1 }] }] }));
    expect(b.keys[0]).toBe(canonicalKey(sorted));
    expect(b.labels(0)).toEqual(sorted);
  });

  it('ignores labels with empty values, as Prometheus does', () => {
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels: L({ __name__: 'up', env: '', job: 'n' }), samples: [{ value: 1, timestamp: 1 }] }] }));
    expect(b.labels(0)).toEqual(L({ __name__: 'up', job: 'n' }));
    expect(b.keys[0]).toBe(canonicalKey(L({ __name__: 'up', job: 'n' })));
  });

  it('keeps negative and pre-epoch timestamps exactly', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [
          {
            labels: L({ __name__: 'x' }),
            samples: [
              { value: 1, timestamp: -1 },
              { value: 2, timestamp: -86400000123 },
              { value: 3, timestamp: 2 ** 52 + 1 },
            ],
          },
        ],
      }),
    );
    expect([...b.timestamps]).toEqual([-1, -86400000123, 2 ** 52 + 1]);
  });

  it('accepts samples out of order and duplicated timestamps', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [
          {
            labels: L({ __name__: 'x' }),
            samples: [
              { value: 1, timestamp: 300 },
              { value: 2, timestamp: 100 },
              { value: 3, timestamp: 100 },
            ],
          },
        ],
      }),
    );
    expect([...b.timestamps]).toEqual([300, 100, 100]);
    expect([...b.values]).toEqual([1, 2, 3]);
  });

  it('preserves the staleness marker bit pattern and special floats', () => {
    // Direct element assignment keeps the NaN payload; a JS array of doubles may quiet it.
    const values = new Float64Array(6);
    values[0] = STALE_NAN;
    values[1] = NaN;
    values[2] = Infinity;
    values[3] = -Infinity;
    values[4] = -0;
    values[5] = 5e-324;
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels: L({ __name__: 'x' }), timestamps: [1, 2, 3, 4, 5, 6], values }]));
    expect(isStaleNaNAt(b.values, 0)).toBe(true);
    expect(isStaleNaNAt(b.values, 1)).toBe(false);
    expect(Number.isNaN(b.values[1])).toBe(true);
    expect(b.values[2]).toBe(Infinity);
    expect(b.values[3]).toBe(-Infinity);
    expect(Object.is(b.values[4], -0)).toBe(true);
    expect(b.values[5]).toBe(5e-324);
  });

  it('reads absent sample fields as proto3 defaults (value 0, timestamp 0)', () => {
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels: L({ __name__: 'x' }), samples: [{}] }] }));
    expect(b.sampleCount).toBe(1);
    expect(b.timestamps[0]).toBe(0);
    expect(b.values[0]).toBe(0);
  });

  it('counts exemplars and decodes native histograms beside the float samples', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [
          {
            labels: L({ __name__: 'h' }),
            samples: [{ value: 1, timestamp: 5 }],
            exemplars: [
              { labels: L({ trace_id: 'abc' }), value: 1, timestamp: 5 },
              { value: 2, timestamp: 6 },
            ],
            histograms: [{ countInt: 3, sum: 1.5, schema: 0, timestamp: 5 }],
          },
          { labels: L({ __name__: 'only_hist' }), histograms: [{ countInt: 1, timestamp: 5 }] },
        ],
      }),
    );
    expect(b.exemplars).toBe(2);
    expect(b.histograms).toBe(2);
    expect(b.seriesCount).toBe(2); // a series with only histogram samples is a series too
    expect(b.sampleCount).toBe(1);
    expect([...b.histogramRows!.seriesIndex]).toEqual([0, 1]);
    expect([...b.histogramRows!.timestamps]).toEqual([5, 5]);
  });

  it('returns metadata records', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [],
        metadata: [
          { type: 1, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' },
          { type: 3, metricFamilyName: 'lat', help: '', unit: 'seconds' },
        ],
      }),
    );
    expect(b.metadata).toEqual([
      { metricFamilyName: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
      { metricFamilyName: 'lat', type: 'histogram', help: '', unit: 'seconds' },
    ]);
  });

  it('decodes an empty request to an empty batch', () => {
    const b = decodeRemoteWriteV1(snappyCompress(new Uint8Array(0)));
    expect(b.seriesCount).toBe(0);
    expect(b.sampleCount).toBe(0);
  });

  it('skips unknown fields', () => {
    const raw = encodeV1({ timeseries: [{ labels: L({ __name__: 'x' }), samples: [{ value: 7, timestamp: 9 }] }] });
    // Field 15 (varint) and field 16 (bytes) appended at the top level.
    const extra = new Uint8Array([0x78, 0x05, 0x82, 0x01, 0x02, 0x61, 0x62]);
    const all = new Uint8Array(raw.length + extra.length);
    all.set(raw);
    all.set(extra, raw.length);
    const b = decodeWriteRequestV1(all);
    expect(b.sampleCount).toBe(1);
    expect(b.values[0]).toBe(7);
  });
});

describe('remote write 1.0 validation', () => {
  const good = { labels: L({ __name__: 'ok', job: 'j' }), samples: [{ value: 1, timestamp: 1 }] };

  it('drops a series with a legacy-invalid label name under legacy validation, keeping the rest', () => {
    const b = decodeRemoteWriteV1(
      body({
        timeseries: [
          {
            labels: L({ '1abc': 'v', __name__: 'x' }),
            samples: [
              { value: 1, timestamp: 1 },
              { value: 2, timestamp: 2 },
            ],
          },
          good,
        ],
      }),
      { nameValidation: 'legacy' },
    );
    expect(b.seriesCount).toBe(1);
    expect(b.labels(0)).toEqual(good.labels);
    expect(b.dropped.series).toBe(1);
    expect(b.dropped.samples).toBe(2);
    expect(b.dropped.reasons[0]).toBe('invalid label name "1abc" in series x{1abc="v"}');
  });

  it('accepts UTF-8 label names by default, as Prometheus 3 does', () => {
    const labels = L({ __name__: 'http.requests', 'service.name': 'café' });
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels, samples: [{ value: 1, timestamp: 1 }] }] }));
    expect(b.dropped.series).toBe(0);
    expect(b.labels(0)).toEqual(labels);
  });

  it('rejects an invalid metric name under legacy validation', () => {
    const b = decodeRemoteWriteV1(body({ timeseries: [{ labels: L({ __name__: 'http.requests' }), samples: [{ value: 1, timestamp: 1 }] }] }), {
      nameValidation: 'legacy',
    });
    expect(b.dropped.reasons[0]).toMatch(/^invalid metric name "http.requests"/);
  });

  it('drops a series with an empty label name', () => {
    const b = decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        {
          labels: [
            { name: '__name__', value: 'x' },
            { name: '', value: 'v' },
          ],
          timestamps: [1],
          values: [1],
        },
      ]),
    );
    expect(b.seriesCount).toBe(0);
    expect(b.dropped.reasons[0]).toMatch(/^invalid label name ""/);
  });

  it('drops a series with invalid UTF-8 in a label value', () => {
    const b = decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        {
          labels: [
            { name: '__name__', value: 'x' },
            { name: 'path', value: new Uint8Array([0x61, 0xff, 0x62]) },
          ],
          timestamps: [1],
          values: [1],
        },
      ]),
    );
    expect(b.seriesCount).toBe(0);
    expect(b.dropped.reasons[0]).toMatch(/^invalid UTF-8 in the value of label "path" in series x\{path=/);
  });

  it('drops a series with invalid UTF-8 in a label name', () => {
    const b = decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        {
          labels: [
            { name: '__name__', value: 'x' },
            { name: new Uint8Array([0xc3, 0x28]), value: 'v' },
          ],
          timestamps: [1],
          values: [1],
        },
      ]),
    );
    expect(b.dropped.series).toBe(1);
    expect(b.dropped.reasons[0]).toMatch(/^invalid label name/);
  });

  it('drops a series with a duplicated label name', () => {
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels: L({ __name__: 'x', job: 'a' }).concat(L({ job: 'b' })), timestamps: [1], values: [1] }]));
    expect(b.dropped.series).toBe(1);
    expect(b.dropped.reasons[0]).toMatch(/^duplicate label name "job" in series x\{/);
  });

  it('drops a series with more labels than maxLabelsPerTimeseries', () => {
    const labels = [{ name: '__name__', value: 'x' }];
    for (let i = 0; i < 5; i++) labels.push({ name: `l${i}`, value: 'v' });
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels, timestamps: [1], values: [1] }]), { maxLabelsPerTimeseries: 5 });
    expect(b.dropped.series).toBe(1);
    expect(b.dropped.reasons[0]).toMatch(/has 6 labels, more than the limit of 5/);
  });

  it('accepts exactly maxLabelsPerTimeseries labels', () => {
    const labels = [{ name: '__name__', value: 'x' }];
    for (let i = 0; i < 4; i++) labels.push({ name: `l${i}`, value: 'v' });
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels, timestamps: [1], values: [1] }]), { maxLabelsPerTimeseries: 5 });
    expect(b.dropped.series).toBe(0);
  });

  it('drops a series with a label value longer than maxLabelValueLen (in UTF-8 bytes)', () => {
    const b = decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        { labels: L({ __name__: 'x', a: 'é'.repeat(3) }), timestamps: [1], values: [1] }, // 6 bytes
        { labels: L({ __name__: 'y', a: 'abcde' }), timestamps: [1], values: [1] },
      ]),
      { maxLabelValueLen: 5 },
    );
    expect(b.seriesCount).toBe(1);
    expect(b.labels(0)[0]!.value).toBe('y');
    expect(b.dropped.reasons[0]).toMatch(/value of label "a" in series x\{a="ééé"\} is longer than 5 bytes/);
  });

  it('keeps only maxReasons messages but counts every drop', () => {
    const series = [];
    for (let i = 0; i < 20; i++)
      series.push({
        labels: [
          { name: '__name__', value: 'x' },
          { name: '', value: String(i) },
        ],
        timestamps: [1],
        values: [1],
      });
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1(series), { maxReasons: 3 });
    expect(b.dropped.series).toBe(20);
    expect(b.dropped.reasons.length).toBe(3);
  });
});

describe('remote write 1.0 malformed bodies', () => {
  it('rejects a body that is not snappy with 400', () => {
    const e = catchIngest(() => decodeRemoteWriteV1(new TextEncoder().encode('{"hello": "world"} this is not snappy')));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/malformed snappy body/);
  });

  it('rejects an empty body with 400', () => {
    expect(catchIngest(() => decodeRemoteWriteV1(new Uint8Array(0))).message).toMatch(/malformed snappy body: empty body/);
  });

  it('rejects a truncated snappy stream with 400', () => {
    const full = encodeRemoteWriteV1([{ labels: L({ __name__: 'x', job: 'abcdefghijklmnopqrstuvwxyz' }), timestamps: [1, 2, 3], values: [1, 2, 3] }]);
    const e = catchIngest(() => decodeRemoteWriteV1(full.subarray(0, full.length - 5)));
    expect(e.status).toBe(400);
  });

  it('rejects a body whose declared size exceeds the limit with 413, before decompressing', () => {
    const full = encodeRemoteWriteV1([{ labels: L({ __name__: 'x' }), timestamps: [1], values: [1] }]);
    const e = catchIngest(() => decodeRemoteWriteV1(full, { maxDecompressedBytes: 10 }));
    expect(e.status).toBe(413);
    expect(e.message).toMatch(/more than the limit of 10 bytes/);
  });

  it('rejects truncated protobuf with 400 and says where', () => {
    const raw = encodeV1({ timeseries: [{ labels: L({ __name__: 'x' }), samples: [{ value: 1, timestamp: 1 }] }] });
    const e = catchIngest(() => decodeWriteRequestV1(raw.subarray(0, raw.length - 3)));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^malformed remote write request: .* at byte \d+/);
  });

  it('rejects every truncation of a valid request with an IngestError, never a crash', () => {
    const raw = encodeV1({
      timeseries: [{ labels: L({ __name__: 'x', job: 'y' }), samples: [{ value: 1.5, timestamp: 1700000000000 }], exemplars: [{ value: 1 }] }],
      metadata: [{ type: 2, metricFamilyName: 'x', help: 'h' }],
    });
    for (let n = 1; n < raw.length; n++) {
      try {
        decodeWriteRequestV1(raw.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(IngestError);
      }
    }
  });

  it('rejects a group wire type with 400', () => {
    expect(catchIngest(() => decodeWriteRequestV1(new Uint8Array([0x0b, 0x0c]))).message).toMatch(/unsupported wire type 3/);
  });

  it('survives random bytes without crashing', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let k = 0; k < 300; k++) {
      const b = new Uint8Array(1 + (k % 64));
      for (let i = 0; i < b.length; i++) b[i] = rnd();
      for (const f of [() => decodeRemoteWriteV1(b), () => decodeWriteRequestV1(b)]) {
        try {
          f();
        } catch (e) {
          expect(e).toBeInstanceOf(IngestError);
        }
      }
    }
  });
});

describe('remote write 1.0 keys from unusual encodings', () => {
  it('rebuilds the canonical key when a sender uses non-minimal varint lengths', () => {
    // Label{name "__name__", value "x"} whose name length 8 is written as two bytes (0x88 0x00).
    const name = Buffer.from('__name__');
    const label = Buffer.concat([Buffer.from([0x0a, 0x88, 0x00]), name, Buffer.from([0x12, 0x01, 0x78])]);
    const sample = Buffer.from([0x12, 0x02, 0x10, 0x05]);
    const ts = Buffer.concat([Buffer.from([0x0a, label.length]), label, sample]);
    const req = Buffer.concat([Buffer.from([0x0a, ts.length]), ts]);
    const b = decodeWriteRequestV1(req);
    expect(b.keys[0]).toBe(canonicalKey([{ name: '__name__', value: 'x' }]));
    expect(b.timestamps[0]).toBe(5);
  });

  it('rebuilds the canonical key when labels are interleaved with samples', () => {
    const raw = encodeRemoteWriteV1([{ labels: [{ name: '__name__', value: 'x' }], timestamps: [1], values: [1] }], { compress: false });
    // Append a second label field after the sample inside the same TimeSeries.
    const extraLabel = Buffer.from([0x0a, 0x08, 0x0a, 0x03, 0x6a, 0x6f, 0x62, 0x12, 0x01, 0x6e]);
    const inner = Buffer.concat([Buffer.from(raw.subarray(2)), extraLabel]);
    const req = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    const b = decodeWriteRequestV1(req);
    expect(b.keys[0]).toBe(
      canonicalKey([
        { name: '__name__', value: 'x' },
        { name: 'job', value: 'n' },
      ]),
    );
  });

  it('gives the same keys and key hashes in bytes mode, after crossing a thread boundary, as in strings mode', () => {
    const series = [
      { labels: L({ __name__: 'up', job: 'a' }), timestamps: [1], values: [1] },
      // Unsorted labels: the key is rebuilt rather than sliced from the body.
      { labels: L({ job: 'b', __name__: 'up' }), timestamps: [1], values: [2] },
      { labels: L({ __name__: 'up', job: 'c', zone: 'z'.repeat(300) }), timestamps: [1], values: [3] },
    ];
    const raw = decodeRemoteWriteV1(encodeRemoteWriteV1(series), {}, 'strings');
    const sent = decodeRemoteWriteV1(encodeRemoteWriteV1(series), {}, 'bytes');
    const received = new ColumnBatch(structuredClone(sent.toData()));
    expect(received.seriesCount).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(received.key(i)).toBe(raw.key(i));
      expect(received.labels(i)).toEqual(raw.labels(i));
    }
    expect(received.keys).toEqual(raw.keys);
    expect([...received.keyHashes]).toEqual([...raw.keyHashes]);
    expect(received.keyHashes.length).toBe(3 * KEY_HASH_LANES);
  });

  it('in bytes mode, validates a series on every request until it has passed once', () => {
    const bad = encodeRemoteWriteV1([
      { labels: L({ __name__: 'up', long: 'x'.repeat(5000) }), timestamps: [1], values: [1] },
      { labels: L({ __name__: 'up', job: 'ok' }), timestamps: [1], values: [1] },
    ]);
    for (let round = 0; round < 3; round++) {
      const b = decodeRemoteWriteV1(bad, {}, 'bytes');
      expect(b.seriesCount).toBe(1);
      expect(b.dropped.series).toBe(1);
      expect(b.dropped.reasons[0]).toContain('longer than 4096 bytes');
    }
    // A stricter limit is a different set of limits: what passed before is checked again.
    const strict = decodeRemoteWriteV1(bad, { maxLabelValueLen: 1 }, 'bytes');
    expect(strict.seriesCount).toBe(0);
    expect(strict.dropped.series).toBe(2);
  });
});
