/** Data moves between Strata and VictoriaMetrics in JSON lines: what goes in comes out identical. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { instant } from './client.js';

const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

describe('import and export', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
  });
  afterAll(() => s.stop());

  it('round-trips JSON lines with bit-identical values and exact timestamps', async () => {
    const lines = [
      `{"metric":{"__name__":"rt_gauge","host":"a"},"values":[0.1,-2.5,1e-7,123456789.123,1.7976931348623157e+308,0],"timestamps":[${[0, 1, 2, 3, 4, 5].map((i) => base + i * 15_000).join(',')}]}`,
      `{"metric":{"__name__":"rt_counter","host":"b","path":"/a\\"b"},"values":[1,2,3],"timestamps":[${[0, 1, 2].map((i) => base + i * 1000).join(',')}]}`,
    ];
    const imp = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: lines.join('\n') + '\n' });
    expect(imp.status).toBe(204);
    const exp = await fetch(`${s.url}/api/v1/export?match[]={__name__=~"rt_.*"}`);
    expect(exp.status).toBe(200);
    type Line = { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const parse = (text: string[]) => text.map((l) => JSON.parse(l) as Line).sort((a, b) => (a.metric.__name__! < b.metric.__name__! ? -1 : 1));
    const got = parse((await exp.text()).trim().split('\n'));
    const want = parse(lines);
    expect(got.map((l) => l.metric)).toEqual(want.map((l) => l.metric));
    expect(got.map((l) => l.timestamps)).toEqual(want.map((l) => l.timestamps));
    const bits = (v: number) => Buffer.from(new Float64Array([v]).buffer).toString('hex');
    expect(got.map((l) => l.values.map(bits))).toEqual(want.map((l) => l.values.map(bits)));
  });

  it('imports Prometheus text exposition with a timestamp argument', async () => {
    const body = '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 1027\nhttp_requests_total{code="500"} 3\n';
    const r = await fetch(`${s.url}/api/v1/import/prometheus?timestamp=${base}`, { method: 'POST', body });
    expect(r.status).toBe(204);
    const res = await instant(s.url, 'http_requests_total', base / 1000);
    expect(res.map((x) => x.value[1]).sort()).toEqual(['1027', '3']);
  });

  it('imports InfluxDB line protocol as measurement_field metrics', async () => {
    const body = `cpu,host=h1 usage_user=12.5,usage_system=3i ${base * 1_000_000}\n`;
    const r = await fetch(`${s.url}/write`, { method: 'POST', body });
    expect(r.status).toBe(204);
    const res = await instant(s.url, '{__name__=~"cpu_usage_.*",host="h1"}', base / 1000);
    expect(res.map((x) => [x.metric.__name__, x.value[1]]).sort()).toEqual([
      ['cpu_usage_system', '3'],
      ['cpu_usage_user', '12.5'],
    ]);
  });

  it('federates the latest sample of each matching series in exposition format', async () => {
    const r = await fetch(`${s.url}/federate?match[]=http_requests_total&time=${base / 1000 + 60}`);
    const text = await r.text();
    expect(r.status).toBe(200);
    expect(text).toContain(`http_requests_total{code="200"} 1027 ${base}`);
  });

  it('answers a malformed JSON line with 400 naming the line', async () => {
    const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: '{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]}\n{"metric": nope}\n' });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/line 2/);
  });
});
