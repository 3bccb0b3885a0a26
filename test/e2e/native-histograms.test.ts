/**
 * Native histograms over real HTTP: remote write 1.0 and 2.0 in (integer and float counts,
 * schemas 0, 3 and -53), read back through /api/v1/export and /federate, across a restart
 * (WAL replay), a forced merge (parts), deletion and deduplication.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodeHistogram, EncodeSeries } from '../../src/ingest/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { writeV1, writeV2 } from './client.js';
import { histogramOf } from '../helpers/histogram-cases.js';

const T0 = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;

const hist = histogramOf;

/** Sample i of a histogram that grows by one observation per bucket per step. */
function exponential(schema: number, i: number): FloatHistogram {
  return hist({
    schema,
    zeroThreshold: 0.001,
    zeroCount: i,
    count: 4 * i,
    sum: 10 * i,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: Float64Array.from([i, i]),
    negativeSpans: [{ offset: 1, length: 1 }],
    negativeBuckets: Float64Array.from([i]),
  });
}

function custom(i: number): FloatHistogram {
  return hist({
    schema: -53,
    count: 3 * i + 0.5,
    sum: 2.25 * i,
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveBuckets: Float64Array.from([i, 2 * i, 0.5]),
    customValues: Float64Array.from([0.1, 1]),
  });
}

function hseries(name: string, hs: EncodeHistogram[]): EncodeSeries {
  return {
    labels: [
      { name: '__name__', value: name },
      { name: 'job', value: 'nh' },
    ],
    histograms: hs,
  };
}

const steps = (n: number, stepMs: number, make: (i: number) => FloatHistogram, integer: boolean): EncodeHistogram[] =>
  Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i * stepMs, histogram: make(i + 1), integer }));

interface ExportLine {
  metric: Record<string, string>;
  values?: number[];
  histograms?: { count: string; sum: string; buckets?: [number, string, string, string][] }[];
  timestamps: number[];
}

async function exportAll(url: string, match: string): Promise<ExportLine[]> {
  const r = await fetch(
    `${url}/api/v1/export?${new URLSearchParams({ 'match[]': match, start: String(T0 / 1000 - 60), end: String(Date.now() / 1000 + 60) })}`,
  );
  expect(r.status).toBe(200);
  return (await r.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ExportLine)
    .sort((a, b) => (a.metric['__name__']! < b.metric['__name__']! ? -1 : 1));
}

const WRITES: [string, 'v1' | 'v2', EncodeHistogram[]][] = [
  ['rw1_int_schema0', 'v1', steps(5, 15_000, (i) => exponential(0, i), true)],
  ['rw1_float_schema3', 'v1', steps(5, 15_000, (i) => exponential(3, i + 0.5), false)],
  ['rw1_custom', 'v1', steps(5, 15_000, custom, false)],
  ['rw2_int_schema3', 'v2', steps(5, 15_000, (i) => exponential(3, i), true)],
  ['rw2_float_schema0', 'v2', steps(5, 15_000, (i) => exponential(0, i / 4), false)],
  ['rw2_custom_int', 'v2', steps(5, 15_000, (i) => ({ ...custom(i), count: 3 * i + 1, positiveBuckets: Float64Array.from([i, 2 * i, 1]) }), true)],
];

/** What export must answer for WRITES: counts and sums of every sample. */
function expected(): Record<string, { counts: number[]; sums: number[]; timestamps: number[] }> {
  const out: Record<string, { counts: number[]; sums: number[]; timestamps: number[] }> = {};
  for (const [name, , hs] of WRITES)
    out[name] = { counts: hs.map((h) => h.histogram.count), sums: hs.map((h) => h.histogram.sum), timestamps: hs.map((h) => h.timestamp) };
  return out;
}

function got(lines: ExportLine[]): Record<string, { counts: number[]; sums: number[]; timestamps: number[] }> {
  const out: Record<string, { counts: number[]; sums: number[]; timestamps: number[] }> = {};
  for (const l of lines) {
    if (!l.histograms) continue;
    out[l.metric['__name__']!] = { counts: l.histograms.map((h) => Number(h.count)), sums: l.histograms.map((h) => Number(h.sum)), timestamps: l.timestamps };
  }
  return out;
}

describe('native histograms end to end', () => {
  let s: StrataProcess;
  const dataDir = tempDir();
  beforeAll(async () => {
    s = await startStrata({ dataDir });
  });
  afterAll(() => s.stop());

  it('stores remote write 1.0 and 2.0 histograms and reports them in the 2.0 response header', async () => {
    for (const [name, version, hs] of WRITES) {
      const r = version === 'v1' ? await writeV1(s.url, [hseries(name, hs)]) : await writeV2(s.url, [hseries(name, hs)]);
      expect(r.status, await r.text()).toBe(204);
      if (version === 'v2') {
        expect(r.headers.get('x-prometheus-remote-write-histograms-written')).toBe(String(hs.length));
        expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('0');
      }
    }
    expect(got(await exportAll(s.url, '{job="nh"}'))).toEqual(expected());
  });

  it('reports histogram storage in /metrics', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const total = WRITES.reduce((n, w) => n + w[2].length, 0);
    expect(text).toMatch(new RegExp(`^strata_storage_histogram_rows_ingested_total ${total}$`, 'm'));
    expect(text).toMatch(/^strata_rows_inserted_total\{type="promremotewrite2_histogram"\} 15$/m);
    expect(text).toMatch(/^# TYPE strata_storage_histogram_parts gauge$/m);
  });

  it('exports Prometheus-style buckets: negative, zero and positive buckets of schema 0', async () => {
    const line = (await exportAll(s.url, 'rw1_int_schema0')).find((l) => l.histograms)!;
    // Sample 1: one observation in each bucket; schema 0 bounds are powers of two.
    expect(line.histograms![0]!.buckets).toEqual([
      [1, '-2', '-1', '1'],
      [3, '-0.001', '0.001', '1'],
      [0, '0.5', '1', '1'],
      [0, '1', '2', '1'],
    ]);
  });

  it('exports custom-bucket (schema -53) histograms with their own bounds and +Inf', async () => {
    const line = (await exportAll(s.url, 'rw1_custom')).find((l) => l.histograms)!;
    expect(line.histograms![1]!.buckets).toEqual([
      [0, '-Inf', '0.1', '2'],
      [0, '0.1', '1', '4'],
      [0, '1', '+Inf', '0.5'],
    ]);
  });

  it('keeps every histogram across a restart (WAL replay) and a forced merge (parts)', async () => {
    await s.stop();
    s = await startStrata({ dataDir });
    expect(got(await exportAll(s.url, '{job="nh"}'))).toEqual(expected());
    expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
    expect(got(await exportAll(s.url, '{job="nh"}'))).toEqual(expected());
    await s.stop();
    s = await startStrata({ dataDir });
    expect(got(await exportAll(s.url, '{job="nh"}'))).toEqual(expected());
  });

  it('lists histogram-only series in /api/v1/series and answers PromQL over them without an error', async () => {
    const range = { start: String(T0 / 1000 - 60), end: String(Date.now() / 1000) };
    const series = await fetch(`${s.url}/api/v1/series?${new URLSearchParams({ 'match[]': '{job="nh"}', ...range })}`);
    const names = ((await series.json()) as { data: Record<string, string>[] }).data.map((m) => m['__name__']).sort();
    expect(names).toEqual(WRITES.map((w) => w[0]).sort());
    for (const query of ['rw1_custom', 'count_over_time(rw1_custom[10m])', 'sum(rw2_int_schema3)']) {
      const r = await fetch(`${s.url}/api/v1/query?${new URLSearchParams({ query, time: String((T0 + 60_000) / 1000) })}`);
      expect(r.status, query).toBe(200);
    }
  });

  it('federates custom-bucket histograms as classic _bucket/_count/_sum lines', async () => {
    const r = await fetch(`${s.url}/federate?${new URLSearchParams({ 'match[]': 'rw1_custom', time: String((T0 + 4 * 15_000) / 1000) })}`);
    const body = await r.text();
    expect(body).toContain('# TYPE rw1_custom histogram');
    expect(body).toContain(`rw1_custom_bucket{job="nh",le="0.1"} 5 ${T0 + 60_000}`);
    expect(body).toContain(`rw1_custom_bucket{job="nh",le="1"} 15 ${T0 + 60_000}`);
    expect(body).toContain(`rw1_custom_bucket{job="nh",le="+Inf"} 15.5 ${T0 + 60_000}`);
    expect(body).toContain(`rw1_custom_count{job="nh"} 15.5 ${T0 + 60_000}`);
  });

  it('leaves exponential histograms out of text federation (Prometheus sends them only in protobuf)', async () => {
    const r = await fetch(`${s.url}/federate?${new URLSearchParams({ 'match[]': 'rw1_int_schema0', time: String((T0 + 60_000) / 1000) })}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
  });

  it('answers 400 naming a bad histogram and still stores the good series of the request', async () => {
    const bad = (h: Partial<FloatHistogram>, integer = false): EncodeSeries =>
      hseries('bad_' + Math.random().toString(36).slice(2, 8), [{ timestamp: T0, histogram: hist(h), integer }]);
    const cases: [EncodeSeries, string][] = [
      [
        bad({ count: 2, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: Float64Array.from([1, 1]) }),
        'positive spans add up to 3 buckets but 2 bucket counts were given',
      ],
      [
        bad({ count: 2, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: Float64Array.from([3, -1]) }),
        'positive bucket 1 has a negative count (-1)',
      ],
      [
        bad({ count: 2, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: Float64Array.from([1, -1]) }, true),
        'positive bucket 1 has a negative count (-1)',
      ],
      [bad({ schema: 9 }), 'schema 9 is out of range'],
      [bad({ schema: -5 }), 'schema -5 is out of range'],
    ];
    for (const [i, [series, reason]] of cases.entries()) {
      const good = hseries(`good_${i}`, [{ timestamp: T0, histogram: exponential(0, 1), integer: true }]);
      const r = i % 2 === 0 ? await writeV1(s.url, [series, good]) : await writeV2(s.url, [series, good]);
      expect(r.status).toBe(400);
      const text = await r.text();
      expect(text).toContain('invalid native histogram');
      expect(text).toContain(reason);
      const lines = await exportAll(s.url, `{__name__=~"good_${i}|${series.labels[0]!.value as string}"}`);
      expect(lines.map((l) => l.metric['__name__'])).toEqual([`good_${i}`]);
    }
  });

  it('reads its own export back through /api/v1/import: the same histograms on another server', async () => {
    const q = new URLSearchParams({ 'match[]': '{job="nh",__name__=~"rw.*"}', start: String(T0 / 1000 - 60), end: String(Date.now() / 1000 + 60) });
    const text = await (await fetch(`${s.url}/api/v1/export?${q}`)).text();
    const other = await startStrata();
    try {
      const r = await fetch(`${other.url}/api/v1/import`, { method: 'POST', body: text });
      expect(r.status, await r.text()).toBe(204);
      const back = await (await fetch(`${other.url}/api/v1/export?${q}`)).text();
      expect(back.split('\n').sort()).toEqual(text.split('\n').sort());
      // PromQL sees the same histograms, not just the same text.
      for (const query of [
        'histogram_quantile(0.5, rw1_int_schema0)',
        'histogram_fraction(0, 0.5, rw1_custom)',
        'histogram_count(rate(rw2_float_schema0[2m]))',
      ]) {
        const ask = async (url: string): Promise<unknown> =>
          (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query, time: String((T0 + 60_000) / 1000) })}`)).json()) as unknown;
        expect(await ask(other.url), query).toEqual(await ask(s.url));
      }
    } finally {
      await other.stop();
    }
  });

  it('answers 400 naming the line and the bucket when an imported histogram has a bucket its schema does not have', async () => {
    const line = `{"metric":{"__name__":"bad_import"},"histograms":[{"schema":0,"zero_threshold":"0","count":"1","sum":"1","buckets":[[0,"1","3","1"]]}],"timestamps":[${T0}]}`;
    const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: line });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/line 1: histogram at position 0: bucket 0 \[1, 3\] is not a bucket of schema 0/);
  });

  it("puts histogram parts into snapshots, and a server started on a snapshot's files serves them", async () => {
    const r = await fetch(`${s.url}/snapshot/create`);
    const name = ((await r.json()) as { snapshot: string }).snapshot;
    const snap = join(dataDir, 'snapshots', name);
    const info = JSON.parse(readFileSync(join(snap, 'snapshot.json'), 'utf8')) as { files: { path: string }[] };
    expect(info.files.some((f) => f.path.startsWith('data/histograms/') && f.path.endsWith('/data.bin'))).toBe(true);
    const copy = tempDir();
    cpSync(snap, copy, { recursive: true });
    const restored = await startStrata({ dataDir: copy });
    try {
      expect(got(await exportAll(restored.url, '{job="nh",__name__=~"rw.*"}'))).toEqual(expected());
    } finally {
      await restored.stop();
    }
  });

  it('deletes histogram series with delete_series, also after a merge', async () => {
    const r = await fetch(`${s.url}/api/v1/admin/tsdb/delete_series?${new URLSearchParams({ 'match[]': 'rw2_float_schema0' })}`, { method: 'POST' });
    expect(r.status).toBe(204);
    expect(await exportAll(s.url, 'rw2_float_schema0')).toEqual([]);
    await fetch(`${s.url}/internal/force_merge`);
    expect(await exportAll(s.url, 'rw2_float_schema0')).toEqual([]);
    expect(Object.keys(got(await exportAll(s.url, '{job="nh"}')))).not.toContain('rw2_float_schema0');
  });

  it('deletes a time range of a histogram series (tombstone), before and after a merge', async () => {
    const from = (T0 + 15_000) / 1000;
    const to = (T0 + 30_000) / 1000;
    const r = await fetch(
      `${s.url}/api/v1/admin/tsdb/delete_series?${new URLSearchParams({ 'match[]': 'rw2_int_schema3', start: String(from), end: String(to) })}`,
      { method: 'POST' },
    );
    expect(r.status).toBe(204);
    const want = [T0, T0 + 45_000, T0 + 60_000];
    expect(got(await exportAll(s.url, 'rw2_int_schema3'))['rw2_int_schema3']!.timestamps).toEqual(want);
    await fetch(`${s.url}/internal/force_merge`);
    expect(got(await exportAll(s.url, 'rw2_int_schema3'))['rw2_int_schema3']!.timestamps).toEqual(want);
  });
});

describe('native histograms with -dedup.minScrapeInterval', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['-dedup.minScrapeInterval=1m'] });
  });
  afterAll(() => s.stop());

  it('keeps one histogram per interval, the last one, after a merge', async () => {
    // Two HA replicas scraping every 20 s, 5 s apart: 3 minutes of data.
    const a = steps(9, 20_000, (i) => exponential(0, i), true);
    const b = steps(9, 20_000, (i) => exponential(0, i), true).map((h) => ({ ...h, timestamp: h.timestamp + 5_000 }));
    expect((await writeV1(s.url, [hseries('dedup_h', a)])).status).toBe(204);
    expect((await writeV1(s.url, [hseries('dedup_h', b)])).status).toBe(204);
    await fetch(`${s.url}/internal/force_merge`);
    const ts = got(await exportAll(s.url, 'dedup_h'))['dedup_h']!.timestamps;
    // One per minute interval (T0 is minute-aligned, intervals are (k·1m, (k+1)·1m]).
    expect(ts).toEqual([T0, T0 + 60_000, T0 + 120_000, T0 + 165_000]);
  });
});
