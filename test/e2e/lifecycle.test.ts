/**
 * Per-series retention, downsampling and the series limiter, over real HTTP on a real data dir,
 * with restarts where what is on disk matters.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { api, series, writeV1 } from './client.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = Math.floor(Date.now() / 1000) * 1000;

type ExportLine = { metric: Record<string, string>; values: number[]; timestamps: number[] };

async function exportLines(url: string, match: string): Promise<ExportLine[]> {
  const r = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}`);
  const text = (await r.text()).trim();
  return text === ''
    ? []
    : text
        .split('\n')
        .map((l) => JSON.parse(l) as ExportLine)
        .sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

async function withServer<T>(args: string[], dataDir: string | undefined, fn: (s: StrataProcess) => Promise<T>): Promise<T> {
  const s = await startStrata({ args, ...(dataDir ? { dataDir } : {}) });
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

describe('per-series retention (--retentionFilter)', () => {
  const args = ['--retentionPeriod=30d', '--retentionFilter={env="dev"}:2d'];

  it('hides expired dev samples at once, drops them at the merge and keeps prod and recent dev data', async () => {
    const dataDir = await withServer(args, undefined, async (s) => {
      const old = now - 3 * DAY;
      await writeV1(s.url, [series('rf', { env: 'dev' }, [old, now - 60_000], [1, 2]), series('rf', { env: 'prod' }, [old], [3])]);
      const visible = await exportLines(s.url, 'rf');
      expect(visible.map((l) => [l.metric.env, l.values])).toEqual([
        ['dev', [2]],
        ['prod', [3]],
      ]);
      expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
      return s.dataDir;
    });
    // Without the filter, what is left on disk shows: the old dev sample is gone for good.
    await withServer(['--retentionPeriod=30d'], dataDir, async (s) => {
      const lines = await exportLines(s.url, 'rf');
      expect(lines.map((l) => [l.metric.env, l.values])).toEqual([
        ['dev', [2]],
        ['prod', [3]],
      ]);
    });
  });

  it('removes a series whose samples all expired from the index, and its emptied partition from disk', async () => {
    await withServer(args, undefined, async (s) => {
      const old = now - 3 * DAY;
      await writeV1(s.url, [series('gone', { env: 'dev' }, [old], [1]), series('kept', { env: 'prod' }, [now], [1])]);
      const total = async () => Number(/^strata_series_total (\d+)$/m.exec(await (await fetch(`${s.url}/metrics`)).text())![1]);
      expect(await total()).toBe(2);
      await fetch(`${s.url}/internal/force_merge`);
      expect(await total()).toBe(1);
      const monthOfOld = new Date(old).toISOString().slice(0, 7).replace('-', '_');
      const monthOfNow = new Date(now).toISOString().slice(0, 7).replace('-', '_');
      if (monthOfOld !== monthOfNow) expect(existsSync(join(s.dataDir, 'data', monthOfOld))).toBe(false);
    });
  });

  it('applies a filter tightened across a restart to data written before it', async () => {
    const dataDir = await withServer(['--retentionPeriod=30d'], undefined, async (s) => {
      await writeV1(s.url, [series('tight', { env: 'dev' }, [now - 5 * DAY, now - 60_000], [1, 2])]);
      return s.dataDir;
    });
    await withServer(['--retentionPeriod=30d', '--retentionFilter={env=~"d.v"}:1d'], dataDir, async (s) => {
      expect((await exportLines(s.url, 'tight'))[0]!.values).toEqual([2]);
    });
  });

  it('shows which filter applies to a selector', async () => {
    await withServer(args, undefined, async (s) => {
      await writeV1(s.url, [series('st', { env: 'dev' }, [now], [1]), series('st', { env: 'prod' }, [now], [1])]);
      const r = await api<{ retentionFilter: string | null; retention: string; series: number }[]>(s.url, '/api/v1/status/retention', { 'match[]': 'st' });
      const byFilter = Object.fromEntries(r.body.data.map((g) => [g.retentionFilter ?? 'default', [g.retention, g.series]]));
      expect(byFilter).toEqual({ '{env="dev"}': ['2d', 1], default: ['30d', 1] });
    });
  });
});

describe('downsampling (--downsampling.period)', () => {
  // One whole hour two days back, a sample a minute, values that rise and fall.
  const hourStart = Math.floor((now - 2 * DAY) / HOUR) * HOUR;
  const ts = Array.from({ length: 60 }, (_, i) => hourStart + i * 60_000);
  const vs = ts.map((_, i) => (i === 17 ? 500 : i === 42 ? -7 : i));
  const recent = [now - 120_000, now - 60_000];

  it('keeps the last sample of each old hour and leaves recent data alone', async () => {
    await withServer(['--downsampling.period=1d:1h'], undefined, async (s) => {
      await writeV1(s.url, [series('ds', {}, [...ts, ...recent], [...vs, 1, 2])]);
      await fetch(`${s.url}/internal/force_merge`);
      const [line] = await exportLines(s.url, 'ds');
      expect(line!.timestamps).toEqual([ts[59], ...recent]);
      expect(line!.values).toEqual([59, 1, 2]);
    });
  });

  it('in extremes mode keeps minimum, maximum and last, so max_over_time over the old hour is exact', async () => {
    await withServer(['--downsampling.period=1d:1h', '--downsampling.keep=extremes'], undefined, async (s) => {
      await writeV1(s.url, [series('dsx', {}, ts, vs)]);
      const q = { query: 'max_over_time(dsx[1h]) - min_over_time(dsx[1h])', time: String((hourStart + HOUR - 1) / 1000) };
      const raw = await api<{ result: { value: [number, string] }[] }>(s.url, '/api/v1/query', q);
      await fetch(`${s.url}/internal/force_merge`);
      const [line] = await exportLines(s.url, 'dsx');
      expect(line!.values).toEqual([500, -7, 59]);
      const after = await api<{ result: { value: [number, string] }[] }>(s.url, '/api/v1/query', q);
      expect(after.body.data.result[0]!.value[1]).toBe(raw.body.data.result[0]!.value[1]);
      expect(after.body.data.result[0]!.value[1]).toBe('507');
    });
  });

  it('downsamples only the series its selector matches, and :0s drops old samples', async () => {
    await withServer(['--downsampling.period={__name__="dsa"}:1d:1h', '--downsampling.period={__name__="dsdrop"}:1d:0s'], undefined, async (s) => {
      await writeV1(s.url, [series('dsa', {}, ts, vs), series('dsb', {}, ts, vs), series('dsdrop', {}, [...ts, now], [...vs, 9])]);
      await fetch(`${s.url}/internal/force_merge`);
      expect((await exportLines(s.url, 'dsa'))[0]!.values).toHaveLength(1);
      expect((await exportLines(s.url, 'dsb'))[0]!.values).toHaveLength(60);
      expect((await exportLines(s.url, 'dsdrop'))[0]!.values).toEqual([9]);
    });
  });

  it('reports the resolution in the query stats', async () => {
    await withServer(['--downsampling.period=1d:1h'], undefined, async (s) => {
      const old = await api<unknown>(s.url, '/api/v1/query', { query: '1', time: String((now - 2 * DAY) / 1000), stats: '1' });
      const fresh = await api<unknown>(s.url, '/api/v1/query', { query: '1', time: String(now / 1000), stats: '1' });
      expect((old.body.data as { stats: { resolution: string } }).stats.resolution).toBe('1h');
      expect((fresh.body.data as { stats: { resolution: string } }).stats.resolution).toBe('raw');
    });
  });
});

describe('series limiter (--storage.maxHourlySeries)', () => {
  it('stores 50 of 100 new series, counts the rest, and lets the stored ones keep flowing', async () => {
    await withServer(['--storage.maxHourlySeries=50'], undefined, async (s) => {
      const batch = Array.from({ length: 100 }, (_, i) => series('lim', { i: String(i) }, [now - 1000], [i]));
      const r = await writeV1(s.url, batch);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/hourly series limit \(--storage.maxHourlySeries=50\)/);
      const stored = await exportLines(s.url, 'lim');
      expect(stored).toHaveLength(50);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^strata_rows_dropped_total\{reason="hourly_series_limit"\} 50$/m);
      const again = await writeV1(s.url, [series('lim', { i: stored[0]!.metric.i! }, [now], [1])]);
      expect(again.status).toBe(204);
    });
  });
});

describe('lifecycle flags', () => {
  for (const [flag, pattern] of [
    ['--retentionFilter=env=dev:2d', /--retentionFilter/],
    ['--retentionFilter={env="dev"}:40d', /--retentionFilter.*exceeds --retentionPeriod/],
    ['--downsampling.period=5m', /--downsampling.period/],
    ['--downsampling.period=1d:1h,2d:30m', /--downsampling.period.*grow/],
    ['--downsampling.keep=avg', /--downsampling.keep/],
    ['--storage.maxHourlySeries=-1', /--storage.maxHourlySeries/],
    ['--storage.maxDailySeries=many', /--storage.maxDailySeries/],
  ] as const) {
    it(`exits 2 naming the flag for ${flag}`, async () => {
      const r = await runCli(['serve', flag]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    });
  }
});
