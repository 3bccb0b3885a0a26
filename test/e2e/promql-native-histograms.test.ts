/**
 * PromQL over native histograms stored by a real server: remote write 2.0 in, /api/v1/query and
 * /api/v1/query_range out, answered in Prometheus's JSON (`histogram`, `histograms`, counts and
 * bounds as strings) with values computed from what was written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodeHistogram, EncodeSeries } from '../../src/ingest/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { writeV2 } from './client.js';

const STEP = 15_000;
const T0 = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;

/** Sample i: i observations in (0.5, 1] and 2i in (1, 2], schema 0; the sum grows by 3i. */
function counter(i: number): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 3 * i,
    sum: 4 * i,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: Float64Array.from([i, 2 * i]),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
  };
}

function series(instance: string, n: number): EncodeSeries {
  const hs: EncodeHistogram[] = Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i * STEP, histogram: counter(i + 1), integer: true }));
  return {
    labels: [
      { name: '__name__', value: 'rpc_seconds' },
      { name: 'instance', value: instance },
    ],
    histograms: hs,
  };
}

interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}
interface QueryBody {
  status: string;
  data: {
    resultType: string;
    result: {
      metric: Record<string, string>;
      value?: [number, string];
      histogram?: [number, ApiHistogram];
      values?: [number, string][];
      histograms?: [number, ApiHistogram][];
    }[];
  };
}

describe('PromQL over stored native histograms', () => {
  let s: StrataProcess;
  const last = T0 + 9 * STEP;
  beforeAll(async () => {
    s = await startStrata({ dataDir: tempDir() });
    const r = await writeV2(s.url, [series('a', 10), series('b', 10)]);
    expect(r.status, await r.text()).toBe(204);
  });
  afterAll(() => s.stop());

  async function query(q: string, t = last): Promise<QueryBody> {
    const r = await fetch(`${s.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(t / 1000) })}`);
    expect(r.status, await r.clone().text()).toBe(200);
    return (await r.json()) as QueryBody;
  }

  it('returns the stored histogram of an instant selector under "histogram"', async () => {
    const b = await query('rpc_seconds{instance="a"}');
    expect(b.data.result).toEqual([
      {
        metric: { __name__: 'rpc_seconds', instance: 'a' },
        histogram: [
          last / 1000,
          {
            count: '30',
            sum: '40',
            buckets: [
              [0, '0.5', '1', '10'],
              [0, '1', '2', '20'],
            ],
          },
        ],
      },
    ]);
  });

  it('sums histograms across series and reads count, sum and quantiles out of them', async () => {
    const b = await query('sum(rpc_seconds)');
    expect(b.data.result[0]!.histogram![1]).toEqual({
      count: '60',
      sum: '80',
      buckets: [
        [0, '0.5', '1', '20'],
        [0, '1', '2', '40'],
      ],
    });
    const count = await query('histogram_count(sum(rpc_seconds))');
    expect(count.data.result[0]!.value![1]).toBe('60');
    // The median lies in (1, 2]: rank 30 of 60, 10 past the 20 in (0.5, 1], interpolated exponentially.
    const median = await query('histogram_quantile(0.5, sum(rpc_seconds))');
    expect(Number(median.data.result[0]!.value![1])).toBeCloseTo(Math.pow(2, 10 / 40), 12);
  });

  it('computes rate over histogram counters: per-second increase of every bucket', async () => {
    // One observation per 15 s in (0.5, 1] and two in (1, 2], over a window wholly inside the data.
    const b = await query('rate(rpc_seconds{instance="a"}[1m])');
    const h = b.data.result[0]!.histogram![1];
    expect(Number(h.count)).toBeCloseTo(3 / 15, 12);
    expect(h.buckets!.map((x) => Number(x[3]))).toEqual([expect.closeTo(1 / 15, 12), expect.closeTo(2 / 15, 12)]);
  });

  it('writes range results under "histograms", and floats derived from them under "values"', async () => {
    const params = new URLSearchParams({
      query: 'rpc_seconds{instance="b"} or histogram_sum(rpc_seconds{instance="b"})',
      start: String(T0 / 1000),
      end: String((T0 + 2 * STEP) / 1000),
      step: '15',
    });
    const r = await fetch(`${s.url}/api/v1/query_range?${params}`);
    expect(r.status).toBe(200);
    const b = (await r.json()) as QueryBody;
    expect(b.data.resultType).toBe('matrix');
    const hs = b.data.result.find((x) => x.histograms);
    expect(hs!.values).toBeUndefined();
    expect(hs!.histograms!.map(([t, h]) => [t, h.count])).toEqual([
      [T0 / 1000, '3'],
      [(T0 + STEP) / 1000, '6'],
      [(T0 + 2 * STEP) / 1000, '9'],
    ]);
  });
});
