import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/promql/engine.js';
import { TestQuerier } from './helpers.js';

// Throughput figures for the evaluator; run with STRATA_SLOW_TESTS=1.
describe.skipIf(!process.env.STRATA_SLOW_TESTS)('evaluator throughput', () => {
  const SERIES = 2000;
  const STEP = 15_000;
  const POINTS = 1440; // 6h at 15s
  const q = new TestQuerier();
  for (let i = 0; i < SERIES; i++) {
    const ts = new Float64Array(POINTS);
    const vs = new Float64Array(POINTS);
    let v = 0;
    for (let k = 0; k < POINTS; k++) {
      ts[k] = k * STEP;
      v += (i % 7) + 1;
      vs[k] = v;
    }
    q.series.push({
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'instance', value: `i${i}` },
        { name: 'job', value: `j${i % 10}` },
      ],
      timestamps: ts,
      values: vs,
    });
  }
  const engine = new Engine({});
  const end = (POINTS - 1) * STEP;

  for (const [query, step] of [
    ['sum by (job) (rate(http_requests_total[5m]))', 60_000],
    ['http_requests_total', 60_000],
    ['rate(http_requests_total[5m]) > 0.3', 60_000],
    ['topk(5, http_requests_total)', 60_000],
    ['avg_over_time(http_requests_total[1h])', 60_000],
  ] as const) {
    it(`range ${query}`, async () => {
      const t0 = performance.now();
      const r = await engine.rangeQuery(q, query, 0, end, step);
      const ms = performance.now() - t0;
      const points = r.value.type === 'matrix' ? r.value.series.reduce((n, s) => n + s.timestamps.length, 0) : 0;
      console.log(`${query}: ${ms.toFixed(0)} ms, ${SERIES} series x ${POINTS} samples in, ${points} points out`);
      expect(points).toBeGreaterThan(0);
    }, 120_000);
  }

  it('instant rate over all series', async () => {
    const t0 = performance.now();
    const r = await engine.instantQuery(q, 'sum(rate(http_requests_total[5m]))', end);
    console.log(`instant sum(rate): ${(performance.now() - t0).toFixed(1)} ms`);
    expect(r.value.type).toBe('vector');
  });
});
