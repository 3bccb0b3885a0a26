/**
 * Counter-reset hints over real HTTP: histograms written through remote write with hints that
 * contradict their values are queried as a Prometheus TSDB would serve them (hints per chunk,
 * resets found from the values), so PromQL's resets() and rate() agree with Prometheus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodeSeries } from '../../src/ingest/index.js';
import { CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { instant, writeV1 } from './client.js';

const T0 = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;

function hist(count: number, hint: CounterResetHint): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: hint,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: count,
    positiveSpans: [{ offset: 0, length: 1 }],
    positiveBuckets: Float64Array.from([count]),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
  };
}

function hseries(name: string, samples: [number, CounterResetHint][]): EncodeSeries {
  return {
    labels: [{ name: '__name__', value: name }],
    histograms: samples.map(([count, hint], i) => ({ timestamp: T0 + i * 15_000, histogram: hist(count, hint), integer: true })),
  };
}

describe('counter-reset hints of stored histograms', () => {
  let s: StrataProcess;
  const at = (T0 + 45_000) / 1000;
  beforeAll(async () => {
    s = await startStrata();
    const res = await writeV1(s.url, [
      // A `reset` hint where the count still grows: Prometheus's TSDB does not hand it back.
      hseries('hint_reset_no_drop', [
        [10, CounterResetHint.Unknown],
        [20, CounterResetHint.Reset],
        [30, CounterResetHint.Unknown],
        [40, CounterResetHint.Unknown],
      ]),
      // A `not_reset` hint where the count drops: Prometheus's appender finds the reset.
      hseries('hint_not_reset_drop', [
        [10, CounterResetHint.Unknown],
        [5, CounterResetHint.NotReset],
        [6, CounterResetHint.NotReset],
        [7, CounterResetHint.NotReset],
      ]),
    ]);
    expect(res.status).toBe(204);
  });
  afterAll(() => s.stop());

  for (const where of ['memtable', 'parts']) {
    it(`resets() counts the resets of the values, not of the written hints (${where})`, async () => {
      if (where === 'parts') expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
      expect((await instant(s.url, 'resets(hint_reset_no_drop[1m])', at)).map((r) => r.value[1])).toEqual(['0']);
      expect((await instant(s.url, 'resets(hint_not_reset_drop[1m])', at)).map((r) => r.value[1])).toEqual(['1']);
    });
  }

  it('increase() over the contradicting hints is the increase of the values', async () => {
    // 10 → 40 without a reset: 30 over the 45 s the samples span, extrapolated by one 15 s
    // interval to the window's start (a reset at the `reset` hint would add the 10 before it).
    const r = await instant(s.url, 'histogram_count(increase(hint_reset_no_drop[1m]))', at);
    expect(Number(r[0]!.value[1])).toBeCloseTo(40, 6);
  });
});
