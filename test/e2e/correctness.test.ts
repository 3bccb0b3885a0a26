/**
 * Data-safety and compatibility fixes, each reproduced as a user would over real HTTP against a
 * real server: far-future samples, ranged deletes, import timestamps, compressed imports and
 * extra labels.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { api, instant, series, writeV1 } from './client.js';

const DAY = 86_400_000;
const now = Math.floor(Date.now() / 1000) * 1000;

type ExportLine = { metric: Record<string, string>; values: number[]; timestamps: number[] };

async function exportLines(url: string, match: string): Promise<ExportLine[]> {
  const r = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}`);
  expect(r.status).toBe(200);
  const text = (await r.text()).trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as ExportLine);
}

async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sel = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const m = new RegExp(`^${name}\\{${sel}\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('correctness over real HTTP', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--retentionPeriod=100y'] });
  });
  afterAll(() => s.stop());

  describe('far-future samples', () => {
    it('refuses a sample past --futureTimestampLimit with 400 out of bounds and stores the rest', async () => {
      const r = await writeV1(s.url, [series('future_m', { k: 'far' }, [now * 1000], [1]), series('future_m', { k: 'ok' }, [now], [2])]);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/out of bounds/);
      expect((await exportLines(s.url, 'future_m')).map((l) => l.metric.k)).toEqual(['ok']);
      expect(await metric(s.url, 'strata_rows_dropped_total', { reason: 'out_of_bounds' })).toBeGreaterThanOrEqual(1);
    });

    it('does not create a series whose only sample was refused', async () => {
      await writeV1(s.url, [series('future_only', { k: 'x' }, [now + 10 * DAY], [1])]);
      const r = await api<unknown[]>(s.url, '/api/v1/series', { 'match[]': 'future_only' });
      expect(r.body.data).toEqual([]);
    });

    it('keeps flushing after a millisecond timestamp was sent where seconds were once expected', async () => {
      // The old reading of ?timestamp= as seconds put this sample in year 58,902 and stopped every flush.
      const r = await fetch(`${s.url}/api/v1/import/prometheus?timestamp=${now}`, { method: 'POST', body: 'flush_probe 42\n' });
      expect(r.status).toBe(204);
      expect((await fetch(`${s.url}/internal/force_flush`)).status).toBe(200);
      await writeV1(s.url, [series('after_probe', {}, [now], [7])]);
      expect((await fetch(`${s.url}/internal/force_flush`)).status).toBe(200);
      expect((await instant(s.url, 'after_probe', now / 1000)).map((x) => x.value[1])).toEqual(['7']);
    });
  });

  describe('/api/v1/import/prometheus timestamp', () => {
    it('reads ?timestamp= as milliseconds, as VictoriaMetrics does', async () => {
      const t = now - 60_000;
      expect((await fetch(`${s.url}/api/v1/import/prometheus?timestamp=${t}`, { method: 'POST', body: 'ts_ms 1\n' })).status).toBe(204);
      expect((await exportLines(s.url, 'ts_ms'))[0]!.timestamps).toEqual([t]);
    });

    it('reads an RFC 3339 ?timestamp=', async () => {
      const t = now - 120_000;
      const r = await fetch(`${s.url}/api/v1/import/prometheus?timestamp=${new Date(t).toISOString()}`, { method: 'POST', body: 'ts_rfc 1\n' });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'ts_rfc'))[0]!.timestamps).toEqual([t]);
    });

    it('answers 400 for a timestamp it cannot read', async () => {
      const r = await fetch(`${s.url}/api/v1/import/prometheus?timestamp=yesterday`, { method: 'POST', body: 'ts_bad 1\n' });
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/timestamp/);
    });
  });

  describe('ranged delete_series', () => {
    const t0 = now - 3_600_000;
    const ts = Array.from({ length: 10 }, (_, i) => t0 + i * 60_000);

    it('deletes only the samples within start..end', async () => {
      await writeV1(s.url, [
        series(
          'del_range',
          { k: 'a' },
          ts,
          ts.map((_, i) => i),
        ),
      ]);
      const form = new URLSearchParams({ 'match[]': 'del_range', start: String((t0 + 3 * 60_000) / 1000), end: String((t0 + 5 * 60_000) / 1000) });
      const r = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series`, { method: 'POST', body: form });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'del_range'))[0]!.values).toEqual([0, 1, 2, 6, 7, 8, 9]);
    });

    it('keeps the range deleted through a merge and takes the tombstone away after it', async () => {
      await writeV1(s.url, [
        series(
          'del_merge',
          { k: 'a' },
          ts,
          ts.map((_, i) => i),
        ),
      ]);
      const form = new URLSearchParams({ 'match[]': 'del_merge', start: String(t0 / 1000), end: String((t0 + 60_000) / 1000) });
      expect((await fetch(`${s.url}/api/v1/admin/tsdb/delete_series`, { method: 'PUT', body: form })).status).toBe(204);
      expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
      expect((await exportLines(s.url, 'del_merge'))[0]!.values).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      const tomb = JSON.parse(readFileSync(join(s.dataDir, 'data', 'tombstones.json'), 'utf8')) as { tombstones: unknown[] };
      expect(tomb.tombstones).toEqual([]);
    });

    it('leaves samples written after the deletion visible', async () => {
      await writeV1(s.url, [series('del_after', {}, ts.slice(0, 5), [0, 1, 2, 3, 4])]);
      const form = new URLSearchParams({ 'match[]': 'del_after', start: String(t0 / 1000), end: String((t0 + 9 * 60_000) / 1000) });
      await fetch(`${s.url}/api/v1/admin/tsdb/delete_series`, { method: 'POST', body: form });
      await writeV1(s.url, [series('del_after', {}, ts.slice(5), [5, 6, 7, 8, 9])]);
      expect((await exportLines(s.url, 'del_after'))[0]!.values).toEqual([5, 6, 7, 8, 9]);
    });

    it('deletes whole series when no range is given', async () => {
      await writeV1(s.url, [
        series(
          'del_whole',
          {},
          ts,
          ts.map(() => 1),
        ),
      ]);
      await fetch(`${s.url}/api/v1/admin/tsdb/delete_series`, { method: 'POST', body: new URLSearchParams({ 'match[]': 'del_whole' }) });
      expect(await exportLines(s.url, 'del_whole')).toEqual([]);
    });

    it('refuses GET', async () => {
      const r = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series?match[]=del_range`);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect((await exportLines(s.url, 'del_range')).length).toBe(1);
    });

    it('answers 400 when end is before start', async () => {
      const form = new URLSearchParams({ 'match[]': 'del_range', start: '200', end: '100' });
      expect((await fetch(`${s.url}/api/v1/admin/tsdb/delete_series`, { method: 'POST', body: form })).status).toBe(400);
    });
  });

  describe('compressed import bodies', () => {
    const line = (name: string) => `{"metric":{"__name__":"${name}"},"values":[5],"timestamps":[${now}]}\n`;

    it('accepts gzip on /api/v1/import', async () => {
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: gzipSync(line('gz_import')), headers: { 'Content-Encoding': 'gzip' } });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'gz_import')).length).toBe(1);
    });

    it('accepts deflate on /api/v1/import/prometheus', async () => {
      const r = await fetch(`${s.url}/api/v1/import/prometheus`, {
        method: 'POST',
        body: deflateSync('deflate_prom 3\n'),
        headers: { 'Content-Encoding': 'deflate' },
      });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'deflate_prom')).length).toBe(1);
    });

    it('accepts gzip on the Influx endpoint (Telegraf v2 output)', async () => {
      const r = await fetch(`${s.url}/api/v2/write`, {
        method: 'POST',
        body: gzipSync(`gzcpu,host=h usage=1 ${now * 1e6}\n`),
        headers: { 'Content-Encoding': 'gzip' },
      });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'gzcpu_usage')).length).toBe(1);
    });

    it('accepts zstd written by the zstd tool', async () => {
      const body = readFileSync(join(import.meta.dirname, 'testdata', 'import.jsonl.zst'));
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body, headers: { 'Content-Encoding': 'zstd' } });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'zstd_import'))[0]!.values).toEqual([1, 2, 3]);
    });

    it('answers 415 for an unknown encoding', async () => {
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: line('br_import'), headers: { 'Content-Encoding': 'br' } });
      expect(r.status).toBe(415);
      expect(await r.text()).toMatch(/Content-Encoding/);
    });

    it('answers 400 for a body that is not what its encoding says', async () => {
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: line('notgz'), headers: { 'Content-Encoding': 'gzip' } });
      expect(r.status).toBe(400);
    });

    it('answers 413 when the decompressed body passes the limit', async () => {
      const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x20));
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: bomb, headers: { 'Content-Encoding': 'gzip' } });
      expect(r.status).toBe(413);
    });
  });

  describe('/api/v1/export numbers', () => {
    it('keeps the sign of -0 and writes 1e-300 in its shortest form', async () => {
      const body = `{"metric":{"__name__":"exp_fmt"},"values":[-0,1e-300],"timestamps":[${now - 1000},${now}]}\n`;
      expect((await fetch(`${s.url}/api/v1/import`, { method: 'POST', body })).status).toBe(204);
      const text = await (await fetch(`${s.url}/api/v1/export?match[]=exp_fmt`)).text();
      expect(text).toContain('"values":[-0,1e-300]');
      const q = await api<{ result: { value: [number, string] }[] }>(s.url, '/api/v1/query', { query: 'exp_fmt', time: String((now - 1000) / 1000) });
      expect(q.body.data.result[0]!.value[1]).toBe('-0');
    });
  });

  describe('extra_label', () => {
    it('adds a label on import, overriding one of the same name', async () => {
      const body = `{"metric":{"__name__":"xl_import","env":"dev"},"values":[1],"timestamps":[${now}]}\n`;
      const r = await fetch(`${s.url}/api/v1/import?extra_label=env=prod&extra_label=dc=eu`, { method: 'POST', body });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'xl_import'))[0]!.metric).toEqual({ __name__: 'xl_import', env: 'prod', dc: 'eu' });
    });

    it('adds a label on remote write', async () => {
      await writeV1(`${s.url}`, [series('xl_rw', {}, [now], [1])], {}, '?extra_label=cluster=c1');
      expect((await exportLines(s.url, 'xl_rw'))[0]!.metric).toEqual({ __name__: 'xl_rw', cluster: 'c1' });
    });

    it('adds a label on Influx line protocol', async () => {
      const r = await fetch(`${s.url}/write?extra_label=site=x`, { method: 'POST', body: `xlinflux v=1 ${now * 1e6}\n` });
      expect(r.status).toBe(204);
      expect((await exportLines(s.url, 'xlinflux_v'))[0]!.metric.site).toBe('x');
    });

    it('keeps a literal $ in the value', async () => {
      const body = `xl_dollar 1 ${now}\n`;
      await fetch(`${s.url}/api/v1/import/prometheus?extra_label=v=$1`, { method: 'POST', body });
      expect((await exportLines(s.url, 'xl_dollar'))[0]!.metric.v).toBe('$1');
    });

    it('answers 400 for an extra_label without =', async () => {
      const r = await fetch(`${s.url}/api/v1/import/prometheus?extra_label=oops`, { method: 'POST', body: 'xl_bad 1\n' });
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/extra_label/);
    });
  });
});

describe('a flipped byte in a part', () => {
  let s: StrataProcess;
  const t0 = now - 600_000;
  const ts = Array.from({ length: 20 }, (_, i) => t0 + i * 15_000);
  beforeAll(async () => {
    s = await startStrata();
    // Distinct values so the two series do not share a value column; a is created first (lower id).
    await writeV1(s.url, [
      series(
        'dmg',
        { s: 'a' },
        ts,
        ts.map((_, i) => i * 1.5),
      ),
    ]);
    await writeV1(s.url, [
      series(
        'dmg',
        { s: 'b' },
        ts,
        ts.map((_, i) => 1000 + i * 7.25),
      ),
    ]);
    await fetch(`${s.url}/internal/force_flush`);
    const dataDir = join(s.dataDir, 'data');
    const partition = readdirSync(dataDir).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const part = readdirSync(join(dataDir, partition)).find((n) => /^[0-9a-f]{16}$/.test(n))!;
    const file = join(dataDir, partition, part, 'values.bin');
    const bytes = readFileSync(file);
    bytes[0] ^= 0xff; // the first block in the file: series a's
    writeFileSync(file, bytes);
  });
  afterAll(() => s.stop());

  it('keeps serving the other series of the part', async () => {
    const res = await api<{ result: unknown[] }>(s.url, '/api/v1/query', { query: 'count_over_time(dmg{s="b"}[10m])', time: String(now / 1000) });
    expect(res.status).toBe(200);
    expect(res.body.data.result).toHaveLength(1);
    expect(res.body.warnings ?? []).toEqual([]);
  });

  it('answers a query over the damaged block with a warning naming the partition', async () => {
    const res = await api<{ result: unknown[] }>(s.url, '/api/v1/query_range', { query: 'dmg', start: String(t0 / 1000), end: String(now / 1000), step: '15' });
    expect(res.status).toBe(200);
    expect(res.body.warnings?.join('\n')).toMatch(/partition \d{4}_\d{2}: 1 damaged block/);
  });

  it('lists the damaged block in /api/v1/status/tsdb and counts it in /metrics', async () => {
    const st = await api<{ quarantined: { kind: string; seriesId: number }[] }>(s.url, '/api/v1/status/tsdb');
    expect(st.body.data.quarantined.map((q) => q.kind)).toEqual(['block']);
    expect(/^strata_storage_damaged_blocks_total 1$/m.test(await (await fetch(`${s.url}/metrics`)).text())).toBe(true);
  });

  it('merges the partition without the damaged block and keeps warning about it', async () => {
    expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
    expect((await exportLines(s.url, 'dmg{s="b"}'))[0]!.values).toHaveLength(20);
    const res = await api<{ result: unknown[] }>(s.url, '/api/v1/query', { query: 'count_over_time(dmg{s="a"}[10m])', time: String(now / 1000) });
    expect(res.body.warnings?.join('\n')).toMatch(/damaged block/);
  });
});

describe('a part whose metadata is unreadable', () => {
  it('is quarantined whole, and queries over its month warn about it', async () => {
    let s = await startStrata();
    const t = now - 60_000;
    await writeV1(s.url, [series('meta_gone', {}, [t], [1])]);
    await fetch(`${s.url}/internal/force_flush`);
    await s.stop();
    const dataDir = join(s.dataDir, 'data');
    const partition = readdirSync(dataDir).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const part = readdirSync(join(dataDir, partition)).find((n) => /^[0-9a-f]{16}$/.test(n))!;
    writeFileSync(join(dataDir, partition, part, 'metadata.json'), '{"formatVersion": 2, "rows"');
    s = await startStrata({ dataDir: s.dataDir });
    try {
      const res = await api<{ result: unknown[] }>(s.url, '/api/v1/query', { query: 'count_over_time({__name__=~"meta.*"}[5m])', time: String(now / 1000) });
      expect(res.status).toBe(200);
      expect(res.body.warnings?.join('\n')).toContain(`partition ${partition}: 1 quarantined part`);
    } finally {
      await s.stop();
    }
  });
});

describe('/api/v1/series and label values list only series with data in range', () => {
  it('leaves out a series whose samples all lie outside the range, even on the same day', async () => {
    const s = await startStrata();
    try {
      await writeV1(s.url, [series('exact_a', {}, [now - 3_600_000], [1]), series('exact_b', {}, [now - 60_000], [1])]);
      const r = await api<Record<string, string>[]>(s.url, '/api/v1/series', {
        'match[]': '{__name__=~"exact_.*"}',
        start: String((now - 600_000) / 1000),
        end: String(now / 1000),
      });
      expect(r.body.data.map((x) => x.__name__)).toEqual(['exact_b']);
    } finally {
      await s.stop();
    }
  });

  it('leaves out series whose data has left retention, with and without a range', async () => {
    let s = await startStrata({ args: ['--retentionPeriod=100y'] });
    await writeV1(s.url, [series('aged', { v: 'old' }, [now - 3 * DAY], [1]), series('aged', { v: 'new' }, [now - 60_000], [1])]);
    await s.stop();
    s = await startStrata({ dataDir: s.dataDir, args: ['--retentionPeriod=2d'] });
    try {
      const all = await api<Record<string, string>[]>(s.url, '/api/v1/series', { 'match[]': 'aged' });
      expect(all.body.data.map((x) => x.v)).toEqual(['new']);
      const ranged = await api<Record<string, string>[]>(s.url, '/api/v1/series', {
        'match[]': 'aged',
        start: String((now - 5 * DAY) / 1000),
        end: String(now / 1000),
      });
      expect(ranged.body.data.map((x) => x.v)).toEqual(['new']);
      const values = await api<string[]>(s.url, '/api/v1/label/v/values');
      expect(values.body.data).toEqual(['new']);
    } finally {
      await s.stop();
    }
  });
});
