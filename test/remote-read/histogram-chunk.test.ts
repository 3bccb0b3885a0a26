import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CounterResetHint, type FloatHistogram, type HistogramSamples } from '../../src/model/index.js';
import { ChunkedResponseWriter, HistogramChunkEncoder, crc32c } from '../../src/remote-read/index.js';
import { ChunkedReadResponse } from '../ingest/protos.js';
import { decodeHistogramChunk, type DecodedHistogramChunk } from '../helpers/histogram-chunk-decoder.js';
import { caseSamples, hist, HISTOGRAM_CASES } from '../helpers/histogram-cases.js';
import { decodeXorChunk } from '../helpers/xor-chunk-decoder.js';

/**
 * The golden fixture holds Prometheus 2.42's own chunks for the shared histogram cases at fixed
 * timestamps: test/e2e/remote-read-prometheus.test.ts checks a real Prometheus 2.42 streams exactly
 * these bytes. STRATA_UPDATE_GOLDEN=1 rewrites it from this encoder (then run that e2e test).
 */
const GOLDEN_PATH = join(import.meta.dirname, 'testdata', 'histogram-chunks.json');
const GOLDEN_T0 = 1_699_999_260_000;

interface RawChunk {
  type: number;
  minTimeMs: number;
  maxTimeMs: number;
  hex: string;
}

function encodeAll(hs: HistogramSamples): RawChunk[] {
  const out: RawChunk[] = [];
  new HistogramChunkEncoder().encode(hs, 0, hs.timestamps.length, (type, minTimeMs, maxTimeMs, data) =>
    out.push({ type, minTimeMs, maxTimeMs, hex: Buffer.from(data).toString('hex') }),
  );
  return out;
}

function decodeAll(chunks: RawChunk[]): DecodedHistogramChunk[] {
  return chunks.map((c) => decodeHistogramChunk(Buffer.from(c.hex, 'hex'), c.type as 2 | 3));
}

function samplesOf(list: Array<{ timestamp: number; histogram: FloatHistogram }>): HistogramSamples {
  return { timestamps: Float64Array.from(list, (x) => x.timestamp), histograms: list.map((x) => x.histogram) };
}

const T = 1_700_000_000_000;
const series = (hs: FloatHistogram[], step = 15_000): HistogramSamples => samplesOf(hs.map((histogram, i) => ({ timestamp: T + i * step, histogram })));
const f64 = new Float64Array(1);
const bitsOf = (x: number): bigint => {
  f64[0] = x;
  return new BigUint64Array(f64.buffer)[0]!;
};

describe('Prometheus histogram chunk encoder', () => {
  it('writes the golden chunks (Prometheus 2.42 output) for the shared cases', () => {
    const got = Object.fromEntries(HISTOGRAM_CASES.map((c) => [c.name, encodeAll(samplesOf(caseSamples(c, GOLDEN_T0)))]));
    if (process.env.STRATA_UPDATE_GOLDEN === '1' || !existsSync(GOLDEN_PATH)) {
      writeFileSync(GOLDEN_PATH, JSON.stringify({ t0: GOLDEN_T0, chunks: got }, null, 1) + '\n');
    }
    const golden = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { t0: number; chunks: Record<string, RawChunk[]> };
    expect(golden.t0).toBe(GOLDEN_T0);
    expect(got).toEqual(golden.chunks);
  });

  it('round-trips every case through a reader written from the format description', () => {
    for (const c of HISTOGRAM_CASES) {
      const input = caseSamples(c, T);
      const decoded = decodeAll(encodeAll(samplesOf(input)));
      const flat = decoded.flatMap((d) => d.samples);
      expect(flat.map((s) => s.t)).toEqual(input.map((x) => x.timestamp));
      expect(flat.map((s) => s.count)).toEqual(input.map((x) => x.histogram.count));
      expect(flat.map((s) => s.sumBits)).toEqual(input.map((x) => bitsOf(x.histogram.sum)));
      expect(decoded.map((d) => d.header)).toEqual(c.headers.map((h) => parseInt(h, 16) >> 6));
    }
  });

  it('widens the layout for new buckets: earlier samples read 0 there', () => {
    const a = hist(0, 0, 1, 1, [[{ offset: 0, length: 1 }], [5]]);
    const b = hist(0, 0, 1, 2, [
      [
        { offset: 0, length: 1 },
        { offset: 2, length: 1 },
      ],
      [6, 3],
    ]);
    const [chunk, ...rest] = decodeAll(encodeAll(series([a, b])));
    expect(rest).toEqual([]);
    expect(chunk!.positiveSpans).toEqual([
      { offset: 0, length: 1 },
      { offset: 2, length: 1 },
    ]);
    expect(chunk!.samples.map((s) => s.positive)).toEqual([
      [5, 0],
      [6, 3],
    ]);
  });

  it('cuts at 120 samples with the not-a-counter-reset header', () => {
    const hs = Array.from({ length: 250 }, (_, i) => hist(1, 2 ** -128, i, i * 0.5, [[{ offset: -3, length: 2 }], [i, 2 * i]]));
    const chunks = decodeAll(encodeAll(series(hs)));
    expect(chunks.map((c) => c.samples.length)).toEqual([120, 120, 10]);
    expect(chunks.map((c) => c.header)).toEqual([0, 1, 1]);
    expect(chunks.flatMap((c) => c.samples.map((s) => s.positive[1]))).toEqual(hs.map((_, i) => 2 * i));
  });

  it('cuts on a vanished bucket (a counter reset) and on a zero-threshold change (unknown)', () => {
    const a = hist(0, 0, 0, 1, [[{ offset: 0, length: 2 }], [1, 1]]);
    const b = hist(0, 0, 0, 1, [[{ offset: 0, length: 1 }], [3]]);
    const c = hist(0, 0.5, 0, 1, [[{ offset: 0, length: 1 }], [3]]);
    expect(decodeAll(encodeAll(series([a, b, c]))).map((x) => [x.header, x.samples.length, x.zeroThreshold])).toEqual([
      [0, 1, 0],
      [2, 1, 0],
      [0, 1, 0.5],
    ]);
  });

  it('writes float counts as FLOAT_HISTOGRAM and whole counts as HISTOGRAM, cutting between them', () => {
    const whole = hist(0, 0, 1, 1, [[{ offset: 0, length: 1 }], [2]]);
    const frac = hist(0, 0, 1.5, 1, [[{ offset: 0, length: 1 }], [2.25]]);
    const chunks = encodeAll(series([whole, whole, frac, frac, whole]));
    expect(chunks.map((c) => c.type)).toEqual([2, 3, 2]);
    expect(decodeAll(chunks).map((c) => c.samples.map((s) => s.positive))).toEqual([[[2], [2]], [[2.25], [2.25]], [[2]]]);
  });

  it('keeps staleness markers: no buckets after them, a new chunk for the next real sample', () => {
    f64[0] = 0;
    new Uint32Array(f64.buffer).set([2, 0x7ff00000]);
    const staleSum = f64[0];
    const live = hist(0, 0, 1, 4, [[{ offset: 0, length: 1 }], [2]]);
    const stale: FloatHistogram = { ...hist(0, 0, 0, 0, [[], []]), sum: staleSum };
    for (const frac of [false, true]) {
      const l = frac ? { ...live, zeroCount: 1.5, count: 3.5 } : live;
      const chunks = decodeAll(encodeAll(series([l, stale, stale, l])));
      expect(chunks.map((c) => c.samples.map((s) => s.stale))).toEqual([[false, true, true], [false]]);
      expect(chunks[1]!.samples[0]!.positive).toEqual([2]);
    }
  });

  it('writes custom-bucket (schema -53) bounds: thousandths compactly, others in 64 bits', () => {
    const h: FloatHistogram = { ...hist(-53, 0, 0, 3, [[{ offset: 0, length: 3 }], [1, 2, 3]]), customValues: Float64Array.of(0.25, 1, 33554.43, 1e9, 0.1234) };
    const [chunk] = decodeAll(encodeAll(series([h, h])));
    expect(chunk!.schema).toBe(-53);
    expect(chunk!.customValues).toEqual([0.25, 1, 33554.43, 1e9, 0.1234]);
    expect(chunk!.samples.map((s) => s.positive)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('keeps large counts, negative buckets, irregular timestamps and counter-reset hints', () => {
    const big = 2 ** 40;
    const hs = [0, 1, 2, 3].map((i) =>
      hist(
        8,
        2 ** -128,
        big + i,
        i,
        [[{ offset: 1000, length: 1 }], [big * (i + 1)]],
        [[{ offset: -1000, length: 2 }], [i, big]],
        i === 2 ? CounterResetHint.Reset : CounterResetHint.Unknown,
      ),
    );
    const timestamps = Float64Array.of(-5000, 1, 2 ** 40, 2 ** 40 + 7);
    const chunks = decodeAll(encodeAll({ timestamps, histograms: hs }));
    expect(chunks.map((c) => c.header)).toEqual([0, 2]);
    expect(chunks.flatMap((c) => c.samples.map((s) => [s.t, s.count, s.positive, s.negative]))).toEqual(
      hs.map((h, i) => [timestamps[i], h.count, [...h.positiveBuckets], [...h.negativeBuckets]]),
    );
  });
});

describe('streamed answer with native histograms', () => {
  it('puts a series float and histogram chunks in time order', () => {
    const w = new ChunkedResponseWriter();
    const h = hist(0, 0, 1, 1, [[{ offset: 0, length: 1 }], [1]]);
    w.addSeries(
      {
        labels: [{ name: '__name__', value: 'mixed' }],
        timestamps: Float64Array.of(T, T + 1000, T + 5000),
        values: Float64Array.of(1, 2, 3),
        histograms: { timestamps: Float64Array.of(T + 2000, T + 3000, T + 6000), histograms: [h, h, h] },
      },
      0,
    );
    const buf = w.take(true)!;
    let p = 0;
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    const body = buf.subarray(p + 4, p + 4 + len);
    expect(p + 4 + len).toBe(buf.length);
    expect(crc32c(body)).toBe(Buffer.from(buf.subarray(p, p + 4)).readUInt32BE(0));
    const m = ChunkedReadResponse.toObject(ChunkedReadResponse.decode(body), { longs: Number }) as {
      chunkedSeries: Array<{ chunks: Array<{ minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }> }>;
    };
    const chunks = m.chunkedSeries[0]!.chunks;
    expect(chunks.map((c) => [c.type, c.minTimeMs - T, c.maxTimeMs - T])).toEqual([
      [1, 0, 1000],
      [2, 2000, 3000],
      [1, 5000, 5000],
      [2, 6000, 6000],
    ]);
    expect(decodeXorChunk(chunks[0]!.data).map((s) => s.t - T)).toEqual([0, 1000]);
    expect(decodeHistogramChunk(chunks[1]!.data, 2).samples.map((s) => s.t - T)).toEqual([2000, 3000]);
  });
});
