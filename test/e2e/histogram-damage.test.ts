/**
 * A flipped byte in a histogram part on disk, over real HTTP: the damaged block is skipped like a
 * float block (queries answer from the intact data and warn, the damage is listed, counted and
 * logged, merges leave the block out) and nothing crashes.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodeSeries } from '../../src/ingest/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { api, writeV1 } from './client.js';

const now = Date.now();
const t0 = now - 600_000;
const ts = Array.from({ length: 20 }, (_, i) => t0 + i * 15_000);

function hist(i: number, scale: number): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 3 * i * scale,
    sum: 5 * i * scale,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: Float64Array.from([i * scale, 2 * i * scale]),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
  };
}

function hseries(s: string, scale: number): EncodeSeries {
  return {
    labels: [
      { name: '__name__', value: 'hdmg' },
      { name: 's', value: s },
    ],
    histograms: ts.map((t, i) => ({ timestamp: t, histogram: hist(i + 1, scale), integer: true })),
  };
}

describe('a flipped byte in a histogram part', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
    // Series a is created first (lower id), so its block is the first in data.bin.
    expect((await writeV1(s.url, [hseries('a', 1)])).status).toBe(204);
    expect((await writeV1(s.url, [hseries('b', 7)])).status).toBe(204);
    expect((await fetch(`${s.url}/internal/force_flush`)).status).toBe(200);
    const dir = join(s.dataDir, 'data', 'histograms');
    const partition = readdirSync(dir).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const part = readdirSync(join(dir, partition)).find((n) => /^[0-9a-f]{16}$/.test(n))!;
    const file = join(dir, partition, part, 'data.bin');
    const bytes = readFileSync(file);
    bytes[3] ^= 0xff;
    writeFileSync(file, bytes);
  });
  afterAll(() => s.stop());

  it('keeps serving the other series of the part, without a warning', async () => {
    const res = await api<{ result: { value: [number, string] }[] }>(s.url, '/api/v1/query', {
      query: 'histogram_count(hdmg{s="b"})',
      time: String(ts[19]! / 1000),
    });
    expect(res.status).toBe(200);
    expect(res.body.data.result.map((r) => r.value[1])).toEqual([String(3 * 20 * 7)]);
    expect(res.body.warnings ?? []).toEqual([]);
  });

  it('answers a query over the damaged block from the intact series, with a warning naming the partition', async () => {
    const res = await api<{ result: { metric: Record<string, string> }[] }>(s.url, '/api/v1/query_range', {
      query: 'histogram_count(hdmg)',
      start: String(t0 / 1000),
      end: String(now / 1000),
      step: '15',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.result.map((r) => r.metric['s'])).toEqual(['b']);
    expect(res.body.warnings?.join('\n')).toMatch(/partition histograms\/\d{4}_\d{2}: 1 damaged block/);
  });

  it('lists the damaged block in /api/v1/status/tsdb, counts it in /metrics and logs it', async () => {
    const st = await api<{ quarantined: { kind: string; partition: string }[] }>(s.url, '/api/v1/status/tsdb');
    expect(st.body.data.quarantined.map((q) => [q.kind, q.partition.split('/')[0]])).toEqual([['block', 'histograms']]);
    expect(/^strata_storage_damaged_blocks_total 1$/m.test(await (await fetch(`${s.url}/metrics`)).text())).toBe(true);
    expect(s.stderr()).toMatch(/not serving a damaged block of series/);
  });

  it('merges without the damaged block, keeps the other series whole and keeps warning', async () => {
    expect((await fetch(`${s.url}/internal/force_merge`)).status).toBe(200);
    const res = await api<{ result: { values: unknown[] }[] }>(s.url, '/api/v1/query_range', {
      query: 'histogram_count(hdmg{s="b"})',
      start: String(t0 / 1000),
      end: String(ts[19]! / 1000),
      step: '15',
    });
    expect(res.body.data.result[0]!.values).toHaveLength(20);
    const a = await api<{ result: unknown[] }>(s.url, '/api/v1/query', { query: 'histogram_count(hdmg{s="a"})', time: String(ts[19]! / 1000) });
    expect(a.status).toBe(200);
    expect(a.body.data.result).toEqual([]);
    expect(a.body.warnings?.join('\n')).toMatch(/damaged block/);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});
