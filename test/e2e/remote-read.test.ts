/**
 * Remote read over real HTTP: requests built with protobufjs from Prometheus's own schema, answers
 * decoded with it too (SAMPLES after snappy, STREAMED_XOR_CHUNKS frame by frame with their CRC32C
 * and the XOR chunks decoded by a reader written from the chunk format's description).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snappyCompress, snappyUncompress } from '../../src/ingest/index.js';
import { crc32c } from '../../src/remote-read/index.js';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { bitsToFloat64, decodeXorChunk } from '../helpers/xor-chunk-decoder.js';
import { ChunkedReadResponse, ReadResponse, encodeReadRequest } from '../ingest/protos.js';
import { series, writeV1, RW1_HEADERS, RW2_HEADERS } from './client.js';
import { encodeRemoteWriteV1, encodeRemoteWriteV2 } from '../../src/ingest/index.js';
import { CounterResetHint, type FloatHistogram } from '../../src/model/index.js';

// Recent enough for the default one-month retention.
const T0 = Math.floor((Date.now() - 3 * 3600_000) / 60_000) * 60_000;
const STEP = 15_000;
/** 300 samples each: more than two XOR chunks. */
const N = 300;
const tsOf = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * STEP);

type Matcher = { type: number; name: string; value: string };
const EQ = 0;
const NEQ = 1;
const RE = 2;
const NRE = 3;

interface TS {
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
}

function labelsObj(labels: Array<{ name: string; value: string }>): Record<string, string> {
  return Object.fromEntries(labels.map((l) => [l.name, l.value]));
}

async function read(
  url: string,
  queries: Array<{ start: number; end: number; matchers: Matcher[] }>,
  types?: number[],
  path = '/api/v1/read',
): Promise<globalThis.Response> {
  const body = encodeReadRequest({
    queries: queries.map((q) => ({
      startTimestampMs: q.start,
      endTimestampMs: q.end,
      matchers: q.matchers,
      hints: { stepMs: 15000, func: 'rate', startMs: q.start, endMs: q.end, rangeMs: 60000, grouping: ['job'], by: true },
    })),
    ...(types ? { acceptedResponseTypes: types } : {}),
  });
  return fetch(`${url}${path}`, {
    method: 'POST',
    body: snappyCompress(body),
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Read-Version': '0.1.0' },
  });
}

async function readSamples(url: string, queries: Array<{ start: number; end: number; matchers: Matcher[] }>, path?: string): Promise<TS[][]> {
  const r = await read(url, queries, undefined, path);
  expect(r.status, await r.clone().text()).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/x-protobuf');
  expect(r.headers.get('content-encoding')).toBe('snappy');
  const raw = snappyUncompress(new Uint8Array(await r.arrayBuffer()), 1 << 30);
  const msg = ReadResponse.toObject(ReadResponse.decode(raw), { longs: Number, defaults: true }) as {
    results: Array<{ timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value: number; timestamp: number }> }> }>;
  };
  return msg.results.map((qr) =>
    qr.timeseries.map((s) => ({ labels: labelsObj(s.labels), timestamps: s.samples.map((x) => x.timestamp), values: s.samples.map((x) => x.value) })),
  );
}

interface Frame {
  queryIndex: number;
  labels: Record<string, string>;
  chunks: Array<{ minTimeMs: number; maxTimeMs: number; type: number; samples: Array<{ t: number; v: number; bits: bigint }> }>;
}

function parseFrames(buf: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let p = 0;
  while (p < buf.length) {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    const crc = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    p += 4;
    const data = buf.subarray(p, p + len);
    p += len;
    expect(crc32c(data)).toBe(crc);
    const m = ChunkedReadResponse.toObject(ChunkedReadResponse.decode(data), { longs: Number, defaults: true }) as {
      queryIndex: number;
      chunkedSeries: Array<{
        labels: Array<{ name: string; value: string }>;
        chunks: Array<{ minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }>;
      }>;
    };
    expect(m.chunkedSeries).toHaveLength(1);
    const cs = m.chunkedSeries[0]!;
    frames.push({
      queryIndex: m.queryIndex,
      labels: labelsObj(cs.labels),
      chunks: cs.chunks.map((c) => ({
        minTimeMs: c.minTimeMs,
        maxTimeMs: c.maxTimeMs,
        type: c.type,
        samples: decodeXorChunk(c.data).map((s) => ({ t: s.t, v: bitsToFloat64(s.bits), bits: s.bits })),
      })),
    });
  }
  return frames;
}

async function readStreamed(url: string, queries: Array<{ start: number; end: number; matchers: Matcher[] }>): Promise<Frame[]> {
  const r = await read(url, queries, [1, 0]);
  expect(r.status, await r.clone().text()).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
  expect(r.headers.get('content-encoding')).toBeNull();
  return parseFrames(new Uint8Array(await r.arrayBuffer()));
}

const data = [
  series(
    'rr_metric',
    { job: 'a', instance: 'x' },
    tsOf(N),
    tsOf(N).map((_, i) => i * 1.5),
  ),
  series(
    'rr_metric',
    { job: 'a', instance: 'y' },
    tsOf(N),
    tsOf(N).map((_, i) => 1000 - i),
  ),
  series(
    'rr_metric',
    { job: 'b', instance: 'x' },
    tsOf(N),
    tsOf(N).map((_, i) => Math.sin(i)),
  ),
  series(
    'rr_other',
    { job: 'a' },
    tsOf(10),
    tsOf(10).map(() => 7),
  ),
];

describe('remote read over real HTTP', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
    const r = await writeV1(s.url, data);
    expect(r.status).toBe(204);
    const t = await fetch(`${s.url}/insert/7/prometheus/api/v1/write`, {
      method: 'POST',
      body: encodeRemoteWriteV1([series('rr_metric', { job: 'tenant7' }, tsOf(5), [1, 2, 3, 4, 5])]),
      headers: RW1_HEADERS,
    });
    expect(t.status).toBe(204);
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  const all = { start: T0, end: T0 + N * STEP, matchers: [{ type: EQ, name: '__name__', value: 'rr_metric' }] };

  it('answers SAMPLES with every series and sample of the range, sorted by labels', async () => {
    const [res] = await readSamples(s.url, [all]);
    expect(res!.map((x) => x.labels)).toEqual([
      { __name__: 'rr_metric', instance: 'x', job: 'a' },
      { __name__: 'rr_metric', instance: 'x', job: 'b' },
      { __name__: 'rr_metric', instance: 'y', job: 'a' },
    ]);
    const ax = res![0]!;
    expect(ax.timestamps).toEqual(tsOf(N));
    expect(ax.values).toEqual(tsOf(N).map((_, i) => i * 1.5));
    expect(res![1]!.values).toEqual(tsOf(N).map((_, i) => Math.sin(i)));
  });

  it('answers SAMPLES with native histograms in TimeSeries.histograms (tenant 9, apart from the float data)', async () => {
    const h = (i: number): FloatHistogram => ({
      schema: 0,
      counterResetHint: CounterResetHint.Unknown,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 3 * i,
      sum: 2.5 * i,
      positiveSpans: [{ offset: 0, length: 2 }],
      positiveBuckets: Float64Array.from([i, 2 * i]),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
    });
    const w = await fetch(`${s.url}/insert/9/prometheus/api/v1/write`, {
      method: 'POST',
      body: encodeRemoteWriteV2([
        { labels: [{ name: '__name__', value: 'rr_hist' }], histograms: tsOf(4).map((t, i) => ({ timestamp: t, histogram: h(i + 1), integer: false })) },
      ]),
      headers: RW2_HEADERS,
    });
    expect(w.status, await w.text()).toBe(204);
    const r = await read(
      s.url,
      [{ start: T0, end: T0 + N * STEP, matchers: [{ type: EQ, name: '__name__', value: 'rr_hist' }] }],
      undefined,
      '/select/9/prometheus/api/v1/read',
    );
    expect(r.status).toBe(200);
    const raw = snappyUncompress(new Uint8Array(await r.arrayBuffer()), 1 << 30);
    const msg = ReadResponse.toObject(ReadResponse.decode(raw), { longs: Number, defaults: true }) as {
      results: Array<{ timeseries: Array<{ histograms: Array<{ timestamp: number; sum: number; countFloat: number; positiveCounts: number[] }> }> }>;
    };
    const got = msg.results[0]!.timeseries[0]!.histograms;
    expect(got.map((x) => [x.timestamp, x.sum, x.countFloat, x.positiveCounts])).toEqual(
      tsOf(4).map((t, i) => [t, 2.5 * (i + 1), 3 * (i + 1), [i + 1, 2 * (i + 1)]]),
    );
  });

  it('honours the time range (inclusive at both ends)', async () => {
    const [res] = await readSamples(s.url, [{ ...all, start: T0 + 10 * STEP, end: T0 + 20 * STEP }]);
    for (const x of res!) expect(x.timestamps).toEqual(tsOf(21).slice(10));
  });

  it('answers several queries in order, each with its own matchers of all four types', async () => {
    const res = await readSamples(s.url, [
      {
        ...all,
        matchers: [
          { type: EQ, name: '__name__', value: 'rr_metric' },
          { type: NEQ, name: 'job', value: 'a' },
        ],
      },
      {
        ...all,
        matchers: [
          { type: RE, name: '__name__', value: 'rr_.*' },
          { type: NRE, name: 'instance', value: 'x|y' },
        ],
      },
      { ...all, matchers: [{ type: EQ, name: '__name__', value: 'nothing_here' }] },
      {
        ...all,
        matchers: [
          { type: RE, name: '__name__', value: 'rr_metric' },
          { type: EQ, name: 'instance', value: 'y' },
        ],
      },
    ]);
    expect(res.map((q) => q.map((x) => x.labels))).toEqual([
      [{ __name__: 'rr_metric', instance: 'x', job: 'b' }],
      [{ __name__: 'rr_other', job: 'a' }],
      [],
      [{ __name__: 'rr_metric', instance: 'y', job: 'a' }],
    ]);
    expect(res[1]![0]!.values).toEqual(Array(10).fill(7));
  });

  it('answers STREAMED_XOR_CHUNKS with one series per CRC32C frame in chunks of at most 120 samples', async () => {
    const frames = await readStreamed(s.url, [all]);
    expect(frames.map((f) => f.labels.job + f.labels.instance)).toEqual(['ax', 'bx', 'ay']);
    for (const f of frames) {
      expect(f.queryIndex).toBe(0);
      expect(f.chunks.map((c) => c.samples.length)).toEqual([120, 120, 60]);
      for (const c of f.chunks) {
        expect(c.type).toBe(1);
        expect(c.minTimeMs).toBe(c.samples[0]!.t);
        expect(c.maxTimeMs).toBe(c.samples[c.samples.length - 1]!.t);
      }
    }
    const ay = frames[2]!.chunks.flatMap((c) => c.samples);
    expect(ay.map((x) => x.t)).toEqual(tsOf(N));
    expect(ay.map((x) => x.v)).toEqual(tsOf(N).map((_, i) => 1000 - i));
    const bx = frames[1]!.chunks.flatMap((c) => c.samples);
    expect(bx.map((x) => x.v)).toEqual(tsOf(N).map((_, i) => Math.sin(i)));
  });

  it('marks each streamed frame with the index of its query', async () => {
    const frames = await readStreamed(s.url, [
      { ...all, matchers: [{ type: EQ, name: '__name__', value: 'rr_other' }] },
      { ...all, matchers: [{ type: EQ, name: '__name__', value: 'nothing_here' }] },
      {
        ...all,
        matchers: [
          { type: EQ, name: '__name__', value: 'rr_metric' },
          { type: EQ, name: 'job', value: 'b' },
        ],
      },
    ]);
    expect(frames.map((f) => [f.queryIndex, f.labels.__name__, f.labels.job])).toEqual([
      [0, 'rr_other', 'a'],
      [2, 'rr_metric', 'b'],
    ]);
  });

  it('keeps staleness markers bit for bit', async () => {
    const values = Float64Array.of(1, 0);
    new DataView(values.buffer).setBigUint64(8, 0x7ff0000000000002n, true);
    const r = await writeV1(s.url, [{ labels: [{ name: '__name__', value: 'rr_stale' }], timestamps: [T0, T0 + STEP], values }]);
    expect(r.status).toBe(204);
    const frames = await readStreamed(s.url, [{ ...all, matchers: [{ type: EQ, name: '__name__', value: 'rr_stale' }] }]);
    // Compared as bits: turning them into a JS number may quiet the signalling NaN.
    expect(frames[0]!.chunks[0]!.samples[1]!.bits).toBe(0x7ff0000000000002n);
  });

  it('reads series over several storage batches (pooled sample space reused between them) without mixing their samples', async () => {
    // 200 series: more than three 64-series storage reads, each with its own values.
    const many = Array.from({ length: 200 }, (_, k) =>
      series(
        'rr_many',
        { k: String(k).padStart(3, '0') },
        tsOf(150),
        tsOf(150).map((_, i) => k * 1000 + i),
      ),
    );
    const w = await fetch(`${s.url}/insert/11/prometheus/api/v1/write`, { method: 'POST', body: encodeRemoteWriteV1(many), headers: RW1_HEADERS });
    expect(w.status).toBe(204);
    const q = { start: T0, end: T0 + N * STEP, matchers: [{ type: EQ, name: '__name__', value: 'rr_many' }] };
    const want = many.map((_, k) => tsOf(150).map((_, i) => k * 1000 + i));
    const r = await read(s.url, [q], [1], '/select/11/prometheus/api/v1/read');
    expect(r.status).toBe(200);
    const frames = parseFrames(new Uint8Array(await r.arrayBuffer()));
    expect(frames.map((f) => f.chunks.flatMap((c) => c.samples.map((x) => x.v)))).toEqual(want);
    const [res] = await readSamples(s.url, [q], '/select/11/prometheus/api/v1/read');
    expect(res!.map((x) => x.values)).toEqual(want);
  });

  it('reads the tenant of the path prefix', async () => {
    const [res] = await readSamples(s.url, [all], '/select/7/prometheus/api/v1/read');
    expect(res!.map((x) => x.labels)).toEqual([{ __name__: 'rr_metric', job: 'tenant7' }]);
    expect(res![0]!.values).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads the tenant of X-Scope-OrgID', async () => {
    const body = snappyCompress(encodeReadRequest({ queries: [{ startTimestampMs: all.start, endTimestampMs: all.end, matchers: all.matchers }] }));
    const r = await fetch(`${s.url}/api/v1/read`, { method: 'POST', body, headers: { 'Content-Encoding': 'snappy', 'X-Scope-OrgID': '7' } });
    expect(r.status).toBe(200);
    const msg = ReadResponse.toObject(ReadResponse.decode(snappyUncompress(new Uint8Array(await r.arrayBuffer()), 1 << 20)), { longs: Number }) as {
      results: Array<{ timeseries: Array<{ labels: Array<{ name: string; value: string }> }> }>;
    };
    expect(msg.results[0]!.timeseries.map((t) => labelsObj(t.labels))).toEqual([{ __name__: 'rr_metric', job: 'tenant7' }]);
  });

  describe('bad input gets a 400 naming the problem', () => {
    const post = (body: Uint8Array, headers: Record<string, string> = { 'Content-Encoding': 'snappy' }) =>
      fetch(`${s.url}/api/v1/read`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf', ...headers } });

    it('a body that is not snappy', async () => {
      const r = await post(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]));
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/snappy/);
    });

    it('snappy around bytes that are not a ReadRequest', async () => {
      const r = await post(snappyCompress(Buffer.from([0x0a, 0x50, 0x01, 0x02])));
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/malformed remote read request/);
    });

    it('a request without queries', async () => {
      const r = await post(snappyCompress(encodeReadRequest({ queries: [] })));
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/no queries/);
    });

    it('a query without matchers, or whose matchers all match the empty string', async () => {
      const none = await post(snappyCompress(encodeReadRequest({ queries: [{ startTimestampMs: 0, endTimestampMs: 1 }] })));
      expect(none.status).toBe(400);
      expect(await none.text()).toMatch(/query 0 has no matchers/);
      const empty = await post(
        snappyCompress(encodeReadRequest({ queries: [{ startTimestampMs: 0, endTimestampMs: 1, matchers: [{ type: RE, name: 'job', value: '.*' }] }] })),
      );
      expect(empty.status).toBe(400);
      expect(await empty.text()).toMatch(/empty string/);
    });

    it('an invalid regex', async () => {
      const r = await post(
        snappyCompress(encodeReadRequest({ queries: [{ startTimestampMs: 0, endTimestampMs: 1, matchers: [{ type: RE, name: '__name__', value: 'a(' }] }] })),
      );
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/regex/);
    });

    it('only response types the server does not know', async () => {
      // accepted_response_types = [7] appended by hand: the schema's enum cannot name it.
      const query = encodeReadRequest({ queries: [{ startTimestampMs: 0, endTimestampMs: 1, matchers: [{ type: EQ, name: '__name__', value: 'x' }] }] });
      const r = await post(snappyCompress(Buffer.concat([query, Buffer.from([0x10, 0x07])])));
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/response types \[7\]/);
    });

    it('an unknown Content-Encoding', async () => {
      const r = await post(encodeReadRequest({ queries: [] }), { 'Content-Encoding': 'gzip' });
      expect(r.status).toBe(415);
    });

    it('and the server still answers afterwards', async () => {
      const [res] = await readSamples(s.url, [all]);
      expect(res).toHaveLength(3);
    });
  });
});

describe('remote read limits', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--search.maxSeries=2', '--search.maxSamplesPerQuery=500'] });
    expect((await writeV1(s.url, data)).status).toBe(204);
  });
  afterAll(async () => {
    await s.stop();
  });

  it('more series than --search.maxSeries is a 400 naming the flag, in both response types', async () => {
    for (const types of [[0], [1]]) {
      const r = await read(s.url, [{ start: T0, end: T0 + N * STEP, matchers: [{ type: EQ, name: '__name__', value: 'rr_metric' }] }], types);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/search\.maxSeries=2/);
    }
  });

  it('more samples than --search.maxSamplesPerQuery is a 400 (Prometheus: exceeded sample limit), in both response types', async () => {
    for (const types of [[0], [1]]) {
      const r = await read(
        s.url,
        [
          {
            start: T0,
            end: T0 + N * STEP,
            matchers: [
              { type: EQ, name: '__name__', value: 'rr_metric' },
              { type: EQ, name: 'job', value: 'a' },
            ],
          },
        ],
        types,
      );
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/exceeded sample limit \(500\)/);
    }
  });

  it('the sample limit counts all queries of a request together', async () => {
    const q = {
      start: T0,
      end: T0 + N * STEP,
      matchers: [
        { type: EQ, name: '__name__', value: 'rr_metric' },
        { type: EQ, name: 'instance', value: 'y' },
      ],
    };
    expect((await read(s.url, [q])).status).toBe(200);
    expect((await read(s.url, [q, q])).status).toBe(400);
  });
});
