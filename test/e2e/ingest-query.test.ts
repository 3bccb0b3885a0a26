/**
 * The whole path through a real server: remote write (1.0 and 2.0) and imports over HTTP, into
 * the LMDB index and the storage engine, back out through PromQL, the label APIs and export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { api, instant, series, writeV1, writeV2, RW1_HEADERS } from './client.js';

const now = Math.floor(Date.now() / 60_000) * 60_000;

describe('remote write to query', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--retentionPeriod=1y'] });
  });
  afterAll(() => s.stop());

  it('stores remote write 1.0 samples and answers 204', async () => {
    const r = await writeV1(s.url, [
      series('node_cpu_seconds_total', { instance: 'a:9100', mode: 'idle' }, [now - 120_000, now - 60_000, now], [10, 20, 30]),
      series('node_cpu_seconds_total', { instance: 'b:9100', mode: 'idle' }, [now - 120_000, now - 60_000, now], [5, 5, 5]),
    ]);
    expect(r.status).toBe(204);
    const res = await instant(s.url, 'node_cpu_seconds_total', now / 1000);
    expect(res.map((x) => [x.metric.instance, x.value[1]]).sort()).toEqual([
      ['a:9100', '30'],
      ['b:9100', '5'],
    ]);
  });

  it('evaluates rate() over what was written', async () => {
    const res = await instant(s.url, 'rate(node_cpu_seconds_total{instance="a:9100"}[3m])', now / 1000);
    expect(res).toHaveLength(1);
    expect(Number(res[0]!.value[1])).toBeGreaterThan(0);
  });

  it('stores remote write 2.0 samples and reports them in X-Prometheus-Remote-Write-Samples-Written', async () => {
    const r = await writeV2(s.url, [series('rw2_metric', { job: 'x' }, [now - 1000, now], [1.5, 2.5])]);
    expect(r.status).toBe(204);
    expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    const res = await instant(s.url, 'rw2_metric', now / 1000);
    expect(res[0]!.value[1]).toBe('2.5');
  });

  it('keeps tenants apart', async () => {
    const r = await fetch(`${s.url}/insert/7:1/prometheus/api/v1/write`, {
      method: 'POST',
      headers: RW1_HEADERS,
      body: (await import('../../src/ingest/index.js')).encodeRemoteWriteV1([series('tenant_only', {}, [now], [42])]),
    });
    expect(r.status).toBe(204);
    expect(await instant(s.url, 'tenant_only', now / 1000)).toHaveLength(0);
    const t = await fetch(`${s.url}/select/7:1/prometheus/api/v1/query?query=tenant_only&time=${now / 1000}`);
    const body = (await t.json()) as { data: { result: Array<{ value: [number, string] }> } };
    expect(body.data.result[0]!.value[1]).toBe('42');
    const h = await fetch(`${s.url}/api/v1/query?query=tenant_only&time=${now / 1000}`, { headers: { 'X-Scope-OrgID': '7:1' } });
    expect(((await h.json()) as { data: { result: unknown[] } }).data.result).toHaveLength(1);
  });

  it('answers the label APIs in Prometheus shape', async () => {
    const names = await api<string[]>(s.url, '/api/v1/labels');
    expect(names.body.data).toEqual(expect.arrayContaining(['__name__', 'instance', 'mode']));
    const values = await api<string[]>(s.url, '/api/v1/label/instance/values');
    expect(values.body.data).toEqual(['a:9100', 'b:9100']);
    const ser = await api<Record<string, string>[]>(s.url, '/api/v1/series', { 'match[]': 'node_cpu_seconds_total{instance=~"a.*"}' });
    expect(ser.body.data).toEqual([{ __name__: 'node_cpu_seconds_total', instance: 'a:9100', mode: 'idle' }]);
  });

  it('answers a parse error with 400 bad_data and its position', async () => {
    const r = await api<unknown>(s.url, '/api/v1/query', { query: 'sum(rate(x[5m])' });
    expect(r.status).toBe(400);
    expect(r.body.errorType).toBe('bad_data');
    expect(r.body.error).toMatch(/1:\d+: parse error/);
  });

  it('answers query_range as a matrix with step-aligned points', async () => {
    const r = await api<{ resultType: string; result: Array<{ values: [number, string][] }> }>(s.url, '/api/v1/query_range', {
      query: 'node_cpu_seconds_total{instance="b:9100"}',
      start: String((now - 120_000) / 1000),
      end: String(now / 1000),
      step: '60',
    });
    expect(r.body.data.resultType).toBe('matrix');
    expect(r.body.data.result[0]!.values.map((v) => v[1])).toEqual(['5', '5', '5']);
  });

  it('deletes series through the admin API', async () => {
    await writeV1(s.url, [series('doomed', { a: '1' }, [now], [1])]);
    expect(await instant(s.url, 'doomed', now / 1000)).toHaveLength(1);
    const r = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series?match[]=doomed`, { method: 'POST' });
    expect(r.status).toBe(204);
    expect(await instant(s.url, 'doomed', now / 1000)).toHaveLength(0);
  });

  it('stores a deleted series written again as a new series, with only its new samples', async () => {
    await writeV1(s.url, [series('reborn', { a: '1' }, [now - 1000], [1])]);
    await writeV1(s.url, [series('reborn', { a: '1' }, [now - 500], [2])]);
    const r = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series?match[]=reborn`, { method: 'POST' });
    expect(r.status).toBe(204);
    await writeV1(s.url, [series('reborn', { a: '1' }, [now], [3])]);
    const got = await instant(s.url, 'reborn', now / 1000);
    expect(got).toHaveLength(1);
    expect(got[0]!.value[1]).toBe('3');
  });

  it('counts ingested rows in /metrics', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/strata_rows_inserted_total\{type="promremotewrite"\} \d+/);
  });
});

describe('bad input on the write path', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
  });
  afterAll(() => s.stop());

  it('answers malformed snappy with 400 and a message', async () => {
    // Declares 16 bytes of output, then a copy that reaches back before the start.
    const r = await fetch(`${s.url}/api/v1/write`, { method: 'POST', headers: RW1_HEADERS, body: new Uint8Array([0x10, 0x0a, 0xff, 0x7f, 0x00]) });
    expect(r.status).toBe(400);
    expect((await r.text()).length).toBeGreaterThan(5);
  });

  it('answers snappy declaring a gigantic decompressed size with 413', async () => {
    const r = await fetch(`${s.url}/api/v1/write`, { method: 'POST', headers: RW1_HEADERS, body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) });
    expect(r.status).toBe(413);
  });

  it('answers a truncated protobuf with 400', async () => {
    const { encodeRemoteWriteV1, snappyCompress } = await import('../../src/ingest/index.js');
    const raw = encodeRemoteWriteV1([series('x', { a: 'b' }, [now], [1])], { compress: false });
    const r = await fetch(`${s.url}/api/v1/write`, { method: 'POST', headers: RW1_HEADERS, body: snappyCompress(raw.subarray(0, raw.length - 3)) });
    expect(r.status).toBe(400);
  });

  it('answers an unknown remote write proto with 415', async () => {
    const r = await fetch(`${s.url}/api/v1/write`, {
      method: 'POST',
      headers: { ...RW1_HEADERS, 'Content-Type': 'application/x-protobuf;proto=foo.Bar' },
      body: new Uint8Array(1),
    });
    expect(r.status).toBe(415);
  });

  it('drops a series with an invalid label name, stores the rest and says which with 400', async () => {
    const r = await writeV1(s.url, [
      series('good_one', { a: '1' }, [now], [1]),
      {
        labels: [
          { name: '__name__', value: 'bad' },
          { name: '', value: 'x' },
        ],
        timestamps: [now],
        values: [1],
      },
    ]);
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('dropped 1 invalid series');
    expect(await instant(s.url, 'good_one', now / 1000)).toHaveLength(1);
  });

  it('keeps serving after all of the above', async () => {
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});
