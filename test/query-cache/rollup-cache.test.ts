/**
 * The rollup result cache over HTTP, against a real server: repeated range queries are answered
 * from it, writes before cached steps and deletes invalidate it, nocache=1 bypasses it and
 * /internal/resetRollupResultCache empties it. `stats=1` shows how many samples a query read:
 * an answer served from the cache reads none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from '../e2e/client.js';
import type { FloatHistogram } from '../../src/model/index.js';

interface RangeBody {
  status: string;
  data: { result: { metric: Record<string, string>; values: [number, string][] }[]; stats?: { samples: { totalQueryableSamples: number } } };
}

const STEP_S = 60;
const now = Math.floor(Date.now() / 60_000) * 60_000;
// Two hours of 15 s samples ending an hour ago: every step of the queries below is complete.
const start = now - 3 * 3_600_000;
const end = now - 3_600_000;
const ts = Array.from({ length: (end - start) / 15_000 + 1 }, (_, i) => start + i * 15_000);

describe('rollup result cache', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--adminAuthKey=k'] });
    const body = ['a', 'b', 'c'].map((host) =>
      series(
        'req_total',
        { host },
        ts,
        ts.map((_, i) => i * 10),
      ),
    );
    expect((await writeV1(s.url, body)).status).toBe(204);
  });
  afterAll(() => s.stop());

  const range = async (query: string, extra: Record<string, string> = {}): Promise<RangeBody> => {
    const qs = new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: String(STEP_S), stats: '1', ...extra });
    const r = await fetch(`${s.url}/api/v1/query_range?${qs}`);
    expect(r.status).toBe(200);
    return (await r.json()) as RangeBody;
  };
  const samplesRead = (b: RangeBody): number => b.data.stats!.samples.totalQueryableSamples;

  it('answers a repeated range query from the cache with the same result', async () => {
    const q = 'sum by (host) (rate(req_total[5m]))';
    const first = await range(q);
    expect(samplesRead(first)).toBeGreaterThan(0);
    const second = await range(q);
    expect(samplesRead(second)).toBe(0);
    expect(second.data.result).toEqual(first.data.result);
    expect(second.data.result).toEqual((await range(q, { nocache: '1' })).data.result);
  });

  it('computes only the steps past the cached ones when the range moves forward', async () => {
    const q = 'max(req_total)';
    const full = await range(q);
    const qs = new URLSearchParams({ query: q, start: String(start / 1000), end: String((end - 1_800_000) / 1000), step: String(STEP_S), stats: '1' });
    const fresh = await fetch(`${s.url}/api/v1/query_range?${qs}&nocache=1`).then((r) => r.json() as Promise<RangeBody>);
    // A cache holding only the first 90 minutes, then the whole range: the tail is computed.
    await fetch(`${s.url}/internal/resetRollupResultCache?authKey=k`);
    await fetch(`${s.url}/api/v1/query_range?${qs}`);
    const extended = await range(q);
    expect(samplesRead(extended)).toBeGreaterThan(0);
    expect(samplesRead(extended)).toBeLessThan(samplesRead(fresh));
    expect(extended.data.result).toEqual(full.data.result);
  });

  it('bypasses the cache with nocache=1', async () => {
    const q = 'count(req_total)';
    await range(q);
    expect(samplesRead(await range(q, { nocache: '1' }))).toBeGreaterThan(0);
  });

  it('drops cached steps at or after a backfilled sample', async () => {
    const q = 'max_over_time(req_total{host="a"}[1m])';
    await range(q);
    const t = start + 3_600_000;
    expect((await writeV1(s.url, [series('req_total', { host: 'a' }, [t + 7_000], [1e9])])).status).toBe(204);
    const after = await range(q);
    expect(after.data.result).toEqual((await range(q, { nocache: '1' })).data.result);
    const at = after.data.result[0]!.values.find(([x]) => x * 1000 === t + 60_000);
    expect(Number(at![1])).toBe(1e9);
  });

  it('forgets deleted series', async () => {
    const q = 'count(req_total)';
    expect((await range(q)).data.result[0]!.values[0]![1]).toBe('3');
    const del = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series?match[]=req_total{host="c"}&authKey=k`, { method: 'POST' });
    expect(del.status).toBeLessThan(300);
    expect((await range(q)).data.result[0]!.values[0]![1]).toBe('2');
  });

  it('computes answers holding native histograms in full and does not keep them', async () => {
    const h = (i: number): FloatHistogram => ({
      schema: 0,
      counterResetHint: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: i,
      sum: 2 * i,
      positiveSpans: [{ offset: 0, length: 1 }],
      positiveBuckets: Float64Array.from([i]),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
    });
    const hs = ts.filter((_, i) => i % 4 === 0).map((t, i) => ({ timestamp: t, histogram: h(i + 1), integer: false }));
    expect((await writeV1(s.url, [{ labels: [{ name: '__name__', value: 'lat_nh' }], histograms: hs }])).status).toBe(204);
    const q = 'lat_nh';
    const first = await range(q);
    const second = await range(q);
    expect(samplesRead(second)).toBeGreaterThan(0);
    expect(second.data.result).toEqual(first.data.result);
    expect(JSON.stringify(second.data.result)).toContain('histograms');
  });

  it('empties on /internal/resetRollupResultCache', async () => {
    const q = 'min(req_total)';
    await range(q);
    expect(samplesRead(await range(q))).toBe(0);
    expect((await fetch(`${s.url}/internal/resetRollupResultCache?authKey=k`)).status).toBe(200);
    expect(samplesRead(await range(q))).toBeGreaterThan(0);
  });
});
