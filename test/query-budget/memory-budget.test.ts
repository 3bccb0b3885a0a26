/**
 * The per-query memory budget over HTTP: a query that would hold more than
 * --search.maxMemoryPerQuery fails with 422 naming the limit, the server keeps serving, and
 * queries within the budget are answered. The default is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from '../e2e/client.js';
import { FLAGS } from '../../src/config.js';

const now = Math.floor(Date.now() / 60_000) * 60_000;
// 100 series × 2,000 samples at 1 s: 200k samples, 3.2 MB of sample columns when read.
const ts = Array.from({ length: 2000 }, (_, i) => now - 3_600_000 + i * 1000);

describe('per-query memory budget', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--search.maxMemoryPerQuery=1MiB'] });
    const body = Array.from({ length: 100 }, (_, k) =>
      series(
        'mem_probe',
        { k: String(k) },
        ts,
        ts.map((_, i) => i),
      ),
    );
    expect((await writeV1(s.url, body)).status).toBe(204);
  });
  afterAll(() => s.stop());

  const get = async (
    path: string,
    params: Record<string, string>,
  ): Promise<{ status: number; body: { status: string; errorType?: string; error?: string } }> => {
    const r = await fetch(`${s.url}${path}?${new URLSearchParams(params)}`);
    return { status: r.status, body: (await r.json()) as { status: string; errorType?: string; error?: string } };
  };

  it('refuses a query reading more samples than the budget with 422 naming the limit', async () => {
    // Every series' samples are the result's input at once: nothing can be dropped early.
    const r = await get('/api/v1/query', { query: 'count_over_time(mem_probe[2h])', time: String(now / 1000) });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ status: 'error', errorType: 'execution' });
    expect(r.body.error).toContain('--search.maxMemoryPerQuery=1048576');
  });

  it('streams an aggregation over more samples than the budget: it succeeds with every sample counted', async () => {
    // 3.2 MB of sample columns under a 1 MiB budget: the sum folds the series batch by batch.
    const r = await get('/api/v1/query', { query: 'sum(count_over_time(mem_probe[2h]))', time: String(now / 1000) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'success', data: { result: [{ value: [now / 1000, String(100 * ts.length)] }] } });
  });

  it('gives a streamed aggregation the answer of the same query read whole', async () => {
    // sum by (k) keeps every series apart, so the whole selection's per-series counts are the
    // streamed aggregation's groups; the outer sum folds the same numbers.
    const at = String(ts[ts.length - 1]! / 1000);
    const streamed = await get('/api/v1/query', { query: 'sum by (k) (rate(mem_probe[1m]))', time: at });
    const whole = await get('/api/v1/query', { query: 'rate(mem_probe[1m])', time: at });
    expect(streamed.status).toBe(200);
    expect(whole.status).toBe(200);
    const values = (b: unknown): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const x of (b as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result) out[x.metric['k']!] = x.value[1];
      return out;
    };
    expect(Object.keys(values(streamed.body))).toHaveLength(100);
    expect(values(streamed.body)).toEqual(values(whole.body));
  });

  it('refuses a range query whose step grid exceeds the budget', async () => {
    // 100 series × 11,000 steps × 9 bytes ≈ 9.9 MB of step cells, from few samples.
    const r = await get('/api/v1/query_range', {
      query: 'mem_probe',
      start: String((now - 11_000_000) / 1000),
      end: String(now / 1000),
      step: '1',
      nocache: '1',
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('--search.maxMemoryPerQuery');
  });

  it('answers queries within the budget and keeps serving after a refusal', async () => {
    const r = await get('/api/v1/query', { query: 'count(mem_probe)', time: String(now / 1000) });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
  });

  it('is on by default', () => {
    const spec = FLAGS.find((f) => f.flag === 'search.maxMemoryPerQuery');
    expect(spec?.default).toBe('512MiB');
  });
});
