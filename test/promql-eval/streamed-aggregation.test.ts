/**
 * Aggregations that fold their input (sum, avg, count, ...) over a per-series expression read
 * their selection batch by batch through the querier's stream: the answer is the same as reading
 * it whole, while no batch holds more than about streamBatchSamples samples.
 */
import { describe, expect, it } from 'vitest';
import type { LabelMatcher, Querier, Series, SeriesStream } from '../../src/model/index.js';
import { CounterResetHint } from '../../src/model/index.js';
import { Engine, PromQLError, type QueryResult } from '../../src/promql/engine.js';
import { TestQuerier, type SamplePair } from './helpers.js';

const M = 60_000;

/** 120 series (3 jobs × 40 instances) of 241 samples at 15 s: counters with resets and gauges. */
function bigQuerier(): TestQuerier {
  const q = new TestQuerier();
  for (let job = 0; job < 3; job++) {
    for (let inst = 0; inst < 40; inst++) {
      const counter: SamplePair[] = [];
      const gauge: SamplePair[] = [];
      let c = inst * 7;
      for (let i = 0; i <= 240; i++) {
        c = i % (50 + inst) === 0 ? 3 : c + ((i * 31 + inst * 17 + job) % 11) / 3;
        counter.push([i * 15_000, c]);
        gauge.push([i * 15_000, Math.sin(i / 7 + inst) * 100 + job]);
      }
      q.add({ __name__: 'requests_total', job: `j${job}`, instance: `i${inst}` }, counter);
      q.add({ __name__: 'temperature', job: `j${job}`, instance: `i${inst}` }, gauge);
    }
  }
  return q;
}

/** A querier with a stream of its own that records how many series each batch held. */
class StreamingQuerier implements Querier {
  readonly batches: number[] = [];
  readonly samplesPerBatch: number[] = [];
  selects = 0;
  streams = 0;

  constructor(private readonly base: Querier) {}

  async select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]> {
    this.selects++;
    return this.base.select(matchers, minT, maxT);
  }

  async stream(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<SeriesStream> {
    this.streams++;
    const all = await this.base.select(matchers, minT, maxT);
    let at = 0;
    return {
      matched: all.length,
      next: (max: number) => {
        if (at >= all.length) return Promise.resolve(null);
        const batch = all.slice(at, at + max);
        at += batch.length;
        this.batches.push(batch.length);
        this.samplesPerBatch.push(batch.reduce((n, s) => n + s.timestamps.length, 0));
        return Promise.resolve(batch);
      },
      close: () => undefined,
    };
  }
}

const wholeEngine = new Engine({ streamBatchSamples: 0 });
const batchEngine = new Engine({ streamBatchSamples: 1000 });

function bits(r: QueryResult): string {
  // Exact bit patterns (NaN payloads aside): batches must not change a single rounding.
  return JSON.stringify(r.value, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}

describe('streamed aggregations', () => {
  const base = bigQuerier();
  const queries = [
    'sum(rate(requests_total[5m]))',
    'sum by (job) (rate(requests_total[5m]))',
    'avg without (instance) (temperature)',
    'count(temperature > 0)',
    'max by (instance) (increase(requests_total[10m]))',
    'min(temperature)',
    'stddev by (job) (temperature)',
    'stdvar(temperature)',
    'group by (job) (requests_total)',
    'sum(quantile_over_time(0.9, temperature[10m]))',
    'sum by (job) (abs(temperature) * 2)',
    'sum(count_over_time({__name__=~".+"}[1h]))',
  ];

  for (const expr of queries) {
    it(`${expr}: the same bits as reading the selection whole, in batches of ≈1000 samples`, async () => {
      const q = new StreamingQuerier(base);
      const streamed = await batchEngine.rangeQuery(q, expr, 10 * M, 60 * M, 30_000);
      const whole = await wholeEngine.rangeQuery(base, expr, 10 * M, 60 * M, 30_000);
      expect(bits(streamed)).toBe(bits(whole));
      expect(q.streams).toBe(1);
      expect(q.selects).toBe(0);
      expect(q.batches.length).toBeGreaterThan(3);
      // After the first batches size it, no batch holds much more than the target.
      for (const n of q.samplesPerBatch) expect(n).toBeLessThanOrEqual(2 * 1000);
      const instant = await batchEngine.instantQuery(new StreamingQuerier(base), expr, 45 * M);
      expect(bits(instant)).toBe(bits(await wholeEngine.instantQuery(base, expr, 45 * M)));
    });
  }

  it('reads whole the selections of aggregations that need all series at once', async () => {
    for (const expr of [
      'topk(3, temperature)',
      'quantile(0.5, temperature)',
      'sum(temperature / on(job, instance) temperature)',
      'count_values("v", temperature)',
    ]) {
      const q = new StreamingQuerier(base);
      const got = await batchEngine.instantQuery(q, expr, 45 * M);
      expect(q.streams).toBe(0);
      expect(bits(got)).toBe(bits(await wholeEngine.instantQuery(base, expr, 45 * M)));
    }
  });

  it('holds to --search.maxSamplesPerQuery per batch: a scan of more samples than the limit succeeds', async () => {
    // 240 series × 241 samples = 57,840 samples, more than the limit of 10,000.
    const limited = new Engine({ maxSamples: 10_000, streamBatchSamples: 1000 });
    const r = await limited.instantQuery(new StreamingQuerier(base), 'sum(count_over_time({__name__=~".+"}[2h]))', 60 * M);
    expect(r.value).toMatchObject({ type: 'vector', samples: [{ v: 240 * 241 }] });
    expect(r.stats?.samples).toBe(240 * 241);
    // Read whole, the same selection is refused.
    const whole = new Engine({ maxSamples: 10_000, streamBatchSamples: 0 });
    await expect(whole.instantQuery(base, 'sum(count_over_time({__name__=~".+"}[2h]))', 60 * M)).rejects.toBeInstanceOf(PromQLError);
  });

  it('still refuses a selection of more series than --search.maxSeries', async () => {
    const limited = new Engine({ maxSeries: 100, streamBatchSamples: 1000 });
    await expect(limited.instantQuery(new StreamingQuerier(base), 'count(temperature)', 45 * M)).rejects.toThrow(/more than the limit of 100/);
  });

  it('falls back to the whole selection when a batch holds native histograms', async () => {
    const q = bigQuerier();
    const h = {
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 4,
      sum: 10,
      positiveSpans: [{ offset: 0, length: 1 }],
      positiveBuckets: Float64Array.of(4),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
      counterResetHint: CounterResetHint.Gauge,
    };
    const withHist: Querier = {
      select: async (ms, minT, maxT) => {
        const out = await q.select(ms, minT, maxT);
        // One series of the selection carries a native histogram at 45m.
        const first = out[0];
        if (first) out[0] = { ...first, histograms: { timestamps: Float64Array.of(45 * M), histograms: [h] } };
        return out;
      },
    };
    const s = new StreamingQuerier(withHist);
    const streamed = await batchEngine.instantQuery(s, 'sum(temperature)', 45 * M);
    expect(s.selects).toBe(1);
    expect(bits(streamed)).toBe(bits(await wholeEngine.instantQuery(withHist, 'sum(temperature)', 45 * M)));
  });
});
