/**
 * Exemplars over real HTTP: written with remote write 1.0 and 2.0 (requests encoded by protobufjs
 * from Prometheus's schemas), read back from /api/v1/query_exemplars in Prometheus's shape, kept
 * across a restart, bounded by --maxExemplars with the oldest evicted.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/ingest/index.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { metricValue } from '../helpers/net.js';
import { cli } from '../backup/cli.js';
import { encodeV1, encodeV2 } from '../ingest/protos.js';
import { RW1_HEADERS, RW2_HEADERS } from './client.js';

const T0 = Math.floor((Date.now() - 3600_000) / 1000) * 1000;

interface SeriesExemplars {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

function rw1(
  series: Array<{
    labels: Record<string, string>;
    samples?: Array<[number, number]>;
    exemplars?: Array<{ labels: Record<string, string>; value: number; t: number }>;
  }>,
): Uint8Array {
  return snappyCompress(
    encodeV1({
      timeseries: series.map((s) => ({
        labels: L(s.labels),
        samples: (s.samples ?? []).map(([t, v]) => ({ timestamp: t, value: v })),
        exemplars: (s.exemplars ?? []).map((e) => ({ labels: L(e.labels), value: e.value, timestamp: e.t })),
      })),
    }),
  );
}

async function write1(url: string, body: Uint8Array, prefix = ''): Promise<void> {
  const r = await fetch(`${url}${prefix}/api/v1/write`, { method: 'POST', body, headers: RW1_HEADERS });
  expect(r.status, await r.text()).toBe(204);
}

async function queryExemplars(url: string, params: Record<string, string>, path = '/api/v1/query_exemplars'): Promise<SeriesExemplars[]> {
  const r = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
  const body = (await r.json()) as { status: string; data: SeriesExemplars[]; error?: string };
  expect(r.status, body.error).toBe(200);
  return body.data;
}

describe('exemplars over real HTTP', () => {
  let s: StrataProcess;
  const dataDir = tempDir();

  beforeAll(async () => {
    s = await startStrata({ dataDir });
    await write1(
      s.url,
      rw1([
        {
          labels: { __name__: 'http_request_duration_seconds_bucket', job: 'api', le: '0.5' },
          samples: [
            [T0, 3],
            [T0 + 15_000, 5],
          ],
          exemplars: [
            { labels: { trace_id: 'abc123' }, value: 0.31, t: T0 - 500 },
            { labels: { trace_id: 'def456', span_id: 's1' }, value: 0.42, t: T0 + 14_250 },
          ],
        },
        {
          labels: { __name__: 'http_request_duration_seconds_bucket', job: 'db', le: '0.5' },
          samples: [[T0, 1]],
          exemplars: [{ labels: { trace_id: 'db1' }, value: 0.05, t: T0 }],
        },
        // A series with exemplars and no samples: Prometheus keeps the exemplars.
        { labels: { __name__: 'only_exemplars', job: 'api' }, exemplars: [{ labels: { trace_id: 'lonely' }, value: 7, t: T0 }] },
      ]),
    );
  });
  afterAll(async () => {
    await s.stop();
  });

  it('answers query_exemplars in Prometheus’s shape', async () => {
    const data = await queryExemplars(s.url, {
      query: 'http_request_duration_seconds_bucket{job="api"}',
      start: String(T0 / 1000 - 60),
      end: String(T0 / 1000 + 60),
    });
    expect(data).toEqual([
      {
        seriesLabels: { __name__: 'http_request_duration_seconds_bucket', job: 'api', le: '0.5' },
        exemplars: [
          { labels: { trace_id: 'abc123' }, value: '0.31', timestamp: (T0 - 500) / 1000 },
          { labels: { span_id: 's1', trace_id: 'def456' }, value: '0.42', timestamp: (T0 + 14_250) / 1000 },
        ],
      },
    ]);
  });

  it('honours the selectors of the whole query and the time range', async () => {
    const both = await queryExemplars(s.url, {
      query: 'histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) / on() group_left only_exemplars',
      start: String(T0 / 1000 - 60),
      end: String(T0 / 1000 + 60),
    });
    expect(both.map((x) => `${x.seriesLabels.__name__}/${x.seriesLabels.job}`)).toEqual([
      'http_request_duration_seconds_bucket/api',
      'http_request_duration_seconds_bucket/db',
      'only_exemplars/api',
    ]);
    const late = await queryExemplars(s.url, { query: '{__name__=~"http_.*", job!="db"}', start: String(T0 / 1000), end: String(T0 / 1000 + 60) });
    expect(late).toHaveLength(1);
    expect(late[0]!.exemplars.map((e) => e.labels.trace_id)).toEqual(['def456']);
    const none = await queryExemplars(s.url, { query: 'http_request_duration_seconds_bucket', start: String(T0 / 1000 + 100), end: String(T0 / 1000 + 200) });
    expect(none).toEqual([]);
  });

  it('answers null data for a query without selectors, and 400 for a bad query or range', async () => {
    expect(await queryExemplars(s.url, { query: '1 + 1' })).toBeNull();
    const bad = await fetch(`${s.url}/api/v1/query_exemplars?query=${encodeURIComponent('sum(')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errorType: string }).errorType).toBe('bad_data');
    const range = await fetch(`${s.url}/api/v1/query_exemplars?query=up&start=100&end=50`);
    expect(range.status).toBe(400);
  });

  it('stores remote write 2.0 exemplars and reports them in X-Prometheus-Remote-Write-Exemplars-Written', async () => {
    const body = encodeV2({
      symbols: ['', '__name__', 'rw2_latency_bucket', 'job', 'web', 'trace_id', 't-1', 't-2', 'le', '1'],
      timeseries: [
        {
          labelsRefs: [1, 2, 3, 4, 8, 9],
          samples: [{ value: 10, timestamp: T0 }],
          exemplars: [
            { labelsRefs: [5, 6], value: 0.7, timestamp: T0 },
            { labelsRefs: [5, 7], value: 0.9, timestamp: T0 + 1000 },
          ],
        },
      ],
    });
    const r = await fetch(`${s.url}/api/v1/write`, { method: 'POST', body: snappyCompress(body), headers: RW2_HEADERS });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('1');
    expect(r.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('2');
    const data = await queryExemplars(s.url, { query: 'rw2_latency_bucket', start: String(T0 / 1000 - 1), end: String(T0 / 1000 + 2) });
    expect(data).toEqual([
      {
        seriesLabels: { __name__: 'rw2_latency_bucket', job: 'web', le: '1' },
        exemplars: [
          { labels: { trace_id: 't-1' }, value: '0.7', timestamp: T0 / 1000 },
          { labels: { trace_id: 't-2' }, value: '0.9', timestamp: T0 / 1000 + 1 },
        ],
      },
    ]);
  });

  it('does not store a resent exemplar twice, nor one older than its series’ newest', async () => {
    const again = rw1([
      {
        labels: { __name__: 'http_request_duration_seconds_bucket', job: 'db', le: '0.5' },
        exemplars: [
          { labels: { trace_id: 'db1' }, value: 0.05, t: T0 },
          { labels: { trace_id: 'older' }, value: 1, t: T0 - 10_000 },
        ],
      },
    ]);
    await write1(s.url, again);
    const data = await queryExemplars(s.url, { query: 'http_request_duration_seconds_bucket{job="db"}' });
    expect(data[0]!.exemplars.map((e) => e.labels.trace_id)).toEqual(['db1']);
    expect(await metricValue(s.url, 'strata_exemplars_total{result="duplicate"}')).toBe(1);
    expect(await metricValue(s.url, 'strata_exemplars_total{result="out_of_order"}')).toBe(1);
  });

  it('keeps tenants apart', async () => {
    await write1(
      s.url,
      rw1([{ labels: { __name__: 'tenant_metric' }, samples: [[T0, 1]], exemplars: [{ labels: { trace_id: 't9' }, value: 1, t: T0 }] }]),
      '/insert/9/prometheus',
    );
    expect(await queryExemplars(s.url, { query: 'tenant_metric' })).toEqual([]);
    const t9 = await queryExemplars(s.url, { query: 'tenant_metric' }, '/select/9/prometheus/api/v1/query_exemplars');
    expect(t9.map((x) => x.exemplars[0]!.labels.trace_id)).toEqual(['t9']);
  });

  it('still has every exemplar after a restart', async () => {
    const before = await queryExemplars(s.url, { query: '{__name__=~".+"}' });
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(await s.stop()).toBe(0);
    s = await startStrata({ dataDir });
    expect(await queryExemplars(s.url, { query: '{__name__=~".+"}' })).toEqual(before);
    const t9 = await queryExemplars(s.url, { query: 'tenant_metric' }, '/select/9/prometheus/api/v1/query_exemplars');
    expect(t9).toHaveLength(1);
  });
});

describe('the --maxExemplars bound', () => {
  let s: StrataProcess;
  const dataDir = tempDir();
  beforeAll(async () => {
    s = await startStrata({ dataDir, args: ['--maxExemplars=5'] });
  });
  afterAll(async () => {
    await s.stop();
  });

  const ids = async () => (await queryExemplars(s.url, { query: '{__name__=~"bound_.*"}' })).flatMap((x) => x.exemplars.map((e) => e.labels.trace_id));

  it('evicts the oldest exemplars, whichever series they belong to', async () => {
    for (let i = 0; i < 8; i++) {
      await write1(
        s.url,
        rw1([
          { labels: { __name__: `bound_${i % 2}` }, samples: [[T0 + i * 1000, i]], exemplars: [{ labels: { trace_id: `e${i}` }, value: i, t: T0 + i * 1000 }] },
        ]),
      );
    }
    // Grouped by series (bound_0 then bound_1), each oldest first.
    expect(await ids()).toEqual(['e4', 'e6', 'e3', 'e5', 'e7']);
  });

  it('keeps the bound across restarts, also when the log holds more than it', async () => {
    for (let i = 8; i < 40; i++) {
      await write1(s.url, rw1([{ labels: { __name__: 'bound_0' }, exemplars: [{ labels: { trace_id: `e${i}` }, value: i, t: T0 + i * 1000 }] }]));
    }
    const before = await ids();
    expect(before).toEqual(['e35', 'e36', 'e37', 'e38', 'e39']);
    expect(await s.stop()).toBe(0);
    s = await startStrata({ dataDir, args: ['--maxExemplars=3'] });
    expect(await ids()).toEqual(['e37', 'e38', 'e39']);
  });

  it('stores none with --maxExemplars=0, and counts them as not stored', async () => {
    await s.stop();
    s = await startStrata({ dataDir: tempDir(), args: ['--maxExemplars=0'] });
    await write1(s.url, rw1([{ labels: { __name__: 'bound_x' }, samples: [[T0, 1]], exemplars: [{ labels: { trace_id: 'x' }, value: 1, t: T0 }] }]));
    expect(await ids()).toEqual([]);
    expect(await metricValue(s.url, 'strata_received_not_stored_total{kind="exemplar"}')).toBe(1);
  });
});

describe('exemplars in backups', () => {
  it('come back after backup and restore (the snapshot carries the exemplar log)', async () => {
    const source = await startStrata();
    try {
      await write1(
        source.url,
        rw1([{ labels: { __name__: 'backed_up' }, samples: [[T0, 1]], exemplars: [{ labels: { trace_id: 'kept' }, value: 1, t: T0 }] }]),
      );
      const repo = tempDir('strata-repo-');
      const b = await cli([
        'backup',
        `-storageDataPath=${source.dataDir}`,
        `-snapshot.createURL=${source.url}/snapshot/create`,
        `-dst=fs://${repo}/b`,
        '-progress=none',
      ]);
      expect(b.code, b.stderr).toBe(0);
      const target = join(tempDir('strata-restore-'), 'data');
      const r = await cli(['restore', `-src=fs://${repo}/b`, `-storageDataPath=${target}`, '-progress=none']);
      expect(r.code, r.stderr).toBe(0);
      const restored = await startStrata({ dataDir: target });
      try {
        const data = await queryExemplars(restored.url, { query: 'backed_up' });
        expect(data.map((x) => x.exemplars.map((e) => e.labels.trace_id))).toEqual([['kept']]);
      } finally {
        await restored.stop();
      }
    } finally {
      await source.stop();
    }
  });
});
