/**
 * exponentialToFloatHistogram against an independent producer: the OpenTelemetry JS SDK's own
 * exponential histogram aggregation. Every value the SDK recorded must land in the native
 * histogram bucket whose Prometheus bounds (base^(i-1), base^i] contain it, at the SDK's chosen
 * scale and after merging scales above 8.
 */
import { AggregationType, MeterProvider, MetricReader, type ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { exponentialToFloatHistogram } from '../../src/ingest/otlp/index.js';
import type { BucketSpan, FloatHistogram } from '../../src/model/histogram.js';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Records each group of values under its own attribute set; returns the SDK's data points, in order. */
async function sdkHistograms(groups: number[][], maxSize?: number): Promise<ExponentialHistogram[]> {
  const reader = new PullReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: 'h', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: maxSize ? { maxSize } : undefined } }],
  });
  const h = provider.getMeter('t').createHistogram('h');
  groups.forEach((vs, g) => vs.forEach((v) => h.record(v, { g })));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const points = resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints;
  const byGroup = new Map(points.map((p) => [Number(p.attributes['g']), p.value as ExponentialHistogram]));
  return groups.map((_, g) => byGroup.get(g)!);
}

function convert(e: ExponentialHistogram): FloatHistogram {
  return exponentialToFloatHistogram({
    scale: e.scale,
    count: e.count,
    sum: e.sum ?? null,
    zeroCount: e.zeroCount,
    zeroThreshold: 0,
    positive: { offset: e.positive.offset, counts: e.positive.bucketCounts },
    negative: { offset: e.negative.offset, counts: e.negative.bucketCounts },
  });
}

/** [index, count] of every populated bucket. */
function buckets(spans: readonly BucketSpan[], counts: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  let idx = 0;
  let k = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++, idx++, k++) if (counts[k]! > 0) out.push([idx, counts[k]!]);
  }
  return out;
}

function contains(schema: number, index: number, v: number): boolean {
  const a = Math.abs(v);
  const lower = 2 ** ((index - 1) * 2 ** -schema);
  const upper = 2 ** (index * 2 ** -schema);
  const slack = 1e-12 * a;
  return a > lower - slack && a <= upper + slack;
}

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exponentialToFloatHistogram on the OpenTelemetry SDK’s histograms', () => {
  it('puts a single recorded value (SDK scale 20, merged to schema 8) into the bucket that contains it', async () => {
    const r = rng(7);
    // Histogram instruments take no negative values (the SDK drops them); negative buckets are unit-tested.
    const values = [1, 2, 0.5, 1024, 3, 1e-9, 12345.678, ...Array.from({ length: 200 }, () => 10 ** (r() * 12 - 6))];
    const hs = await sdkHistograms(values.map((v) => [v]));
    hs.forEach((e, i) => {
      const v = values[i]!;
      expect(e.scale).toBe(20);
      const fh = convert(e);
      expect(fh.schema).toBe(8);
      expect(fh.count).toBe(1);
      const got = buckets(fh.positiveSpans, fh.positiveBuckets);
      expect(got, `value ${v}`).toHaveLength(1);
      expect(contains(fh.schema, got[0]![0], v), `value ${v} in bucket ${got[0]![0]}`).toBe(true);
    });
  });

  it('keeps every observation of a wide histogram (SDK scale below 8) in a bucket containing it', async () => {
    const r = rng(11);
    const values = Array.from({ length: 500 }, () => 10 ** (r() * 8 - 3));
    const [e] = await sdkHistograms([values], 20);
    expect(e!.scale).toBeLessThan(8);
    const fh = convert(e!);
    expect(fh.schema).toBe(e!.scale);
    expect(fh.count).toBe(500);
    const got = new Map(buckets(fh.positiveSpans, fh.positiveBuckets));
    const want = new Map<number, number>();
    for (const v of values) {
      const idx = [...got.keys()].find((i) => contains(fh.schema, i, v));
      expect(idx, `value ${v}`).toBeDefined();
      want.set(idx!, (want.get(idx!) ?? 0) + 1);
    }
    expect(got).toEqual(want);
  });
});
