/** Requests shaped as Grafana's Prometheus data source sends them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

const end = Math.floor(Date.now() / 60_000) * 60_000;
const start = end - 10 * 60_000;

describe('Grafana-style requests', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
    const ts = Array.from({ length: 11 }, (_, i) => start + i * 60_000);
    await writeV1(s.url, [
      series(
        'grafana_metric',
        { job: 'g' },
        ts,
        ts.map((_, i) => i),
      ),
    ]);
  });
  afterAll(() => s.stop());

  const post = (path: string, form: Record<string, string>) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  it('accepts query_range as a POST form with RFC 3339 times and a step in seconds', async () => {
    const r = await post('/api/v1/query_range', {
      query: 'grafana_metric',
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      step: '120',
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { data: { result: Array<{ values: [number, string][] }> } };
    expect(body.data.result[0]!.values.map((v) => v[1])).toEqual(['0', '2', '4', '6', '8', '10']);
    expect(body.data.result[0]!.values[0]![0]).toBe(start / 1000);
  });

  it('accepts a step written as a duration', async () => {
    const r = await post('/api/v1/query_range', { query: 'grafana_metric', start: String(start / 1000), end: String(end / 1000), step: '5m' });
    const body = (await r.json()) as { data: { result: Array<{ values: unknown[] }> } };
    expect(body.data.result[0]!.values).toHaveLength(3);
  });

  it('returns stats when asked', async () => {
    const r = await post('/api/v1/query', { query: 'grafana_metric', time: String(end / 1000), stats: 'all' });
    const body = (await r.json()) as { data: { stats?: { samples: unknown } } };
    expect(body.data.stats?.samples).toBeDefined();
  });

  it('answers label values for the variable editor with start/end', async () => {
    const r = await fetch(`${s.url}/api/v1/label/job/values?start=${start / 1000}&end=${end / 1000}`);
    expect(((await r.json()) as { data: string[] }).data).toEqual(['g']);
  });

  it('answers format_query', async () => {
    const r = await post('/api/v1/format_query', { query: 'sum(rate(grafana_metric[5m]))by(job)' });
    expect(((await r.json()) as { data: string }).data).toBe('sum by (job) (rate(grafana_metric[5m]))');
  });

  it('answers an impossible resolution with 400', async () => {
    const r = await post('/api/v1/query_range', { query: 'grafana_metric', start: '0', end: String(end / 1000), step: '1' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toContain('11,000 points');
  });

  it('answers query_exemplars with an empty list and metadata as an object', async () => {
    const ex = await post('/api/v1/query_exemplars', { query: 'grafana_metric', start: String(start / 1000), end: String(end / 1000) });
    expect(((await ex.json()) as { data: unknown }).data).toEqual([]);
    const md = await fetch(`${s.url}/api/v1/metadata`);
    expect(((await md.json()) as { status: string }).status).toBe('success');
  });
});
