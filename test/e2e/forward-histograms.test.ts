/**
 * Forwarding native histograms (--remoteWrite.url): they have a log of their own
 * (`wal-histograms/`), read by each destination at its own cursor beside the samples' log. Real
 * receivers on loopback: other Strata servers (remote write 1.0 and 2.0) and Prometheus 2.42 with
 * its native-histogram feature on.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { EncodeHistogram, EncodeSeries } from '../../src/ingest/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { startPrometheusReceiver } from '../helpers/prometheus.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1, writeV2 } from './client.js';
import { histogramOf } from '../helpers/histogram-cases.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function metric(url: string, re: RegExp): Promise<number> {
  const m = re.exec(await (await fetch(`${url}/metrics`)).text());
  return m ? Number(m[1]) : 0;
}

const hist = (over: Partial<FloatHistogram>): FloatHistogram => histogramOf({ zeroThreshold: 0.001, ...over });

/** Sample i of an exponential histogram growing by i observations per bucket. */
const exponential = (schema: number, i: number): FloatHistogram =>
  hist({
    schema,
    zeroCount: i,
    count: 4 * i,
    sum: 10 * i,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: Float64Array.from([i, i]),
    negativeSpans: [{ offset: 1, length: 1 }],
    negativeBuckets: Float64Array.from([i]),
  });

const custom = (i: number): FloatHistogram =>
  hist({
    schema: -53,
    zeroThreshold: 0,
    count: 3 * i + 0.5,
    sum: 2.25 * i,
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveBuckets: Float64Array.from([i, 2 * i, 0.5]),
    customValues: Float64Array.from([0.1, 1]),
  });

function hseries(name: string, from: number, n: number, make: (i: number) => FloatHistogram, integer: boolean): EncodeSeries {
  const hs: EncodeHistogram[] = Array.from({ length: n }, (_, k) => ({
    timestamp: NOW - 600_000 + (from + k) * 10_000,
    histogram: make(from + k + 1),
    integer,
  }));
  return {
    labels: [
      { name: '__name__', value: name },
      { name: 'job', value: 'fwd_nh' },
    ],
    histograms: hs,
  };
}

/** A round of writes: three histogram series (integer, float, custom buckets) and a float series. */
function round(k: number): EncodeSeries[] {
  const ts = Array.from({ length: 5 }, (_, i) => NOW - 600_000 + (k * 5 + i) * 10_000);
  return [
    hseries('fwd_nh_int', k * 5, 5, (i) => exponential(0, i), true),
    hseries('fwd_nh_float', k * 5, 5, (i) => exponential(3, i + 0.25), false),
    hseries('fwd_nh_custom', k * 5, 5, custom, false),
    series(
      'fwd_nh_floats',
      { job: 'fwd_nh' },
      ts,
      ts.map((_, i) => k * 5 + i),
    ),
  ];
}

async function exportText(url: string): Promise<string[]> {
  const q = new URLSearchParams({ 'match[]': '{job="fwd_nh"}', start: String(NOW / 1000 - 3600), end: String(NOW / 1000 + 3600) });
  const r = await fetch(`${url}/api/v1/export?${q}`);
  expect(r.status).toBe(200);
  return (await r.text())
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('forwarding native histograms', () => {
  it('delivers every histogram, integer, float and custom-bucket, in remote write 1.0 and 2.0, across a kill -9 of the sender', async () => {
    const v1 = await startStrata();
    const v2 = await startStrata();
    cleanups.push(
      () => v1.stop(),
      () => v2.stop(),
    );
    const dataDir = tempDir('strata-fwd-nh-');
    const args = [
      `--remoteWrite.url=${v1.url}/api/v1/write`,
      `--remoteWrite.url=${v2.url}/api/v1/write`,
      '--remoteWrite.protocol=1',
      '--remoteWrite.protocol=2',
      '--remoteWrite.retryMinInterval=100ms',
      '--flushInterval=200ms',
    ];
    let s: StrataProcess = await startStrata({ dataDir, args });
    for (let k = 0; k < 4; k++) expect((await (k % 2 ? writeV2 : writeV1)(s.url, round(k))).status).toBe(204);
    // Past a flush, so segments of both logs go through the forwarder's archive too.
    await new Promise((r) => setTimeout(r, 600));
    await s.stop('SIGKILL');
    s = await startStrata({ dataDir, args });
    cleanups.push(() => s.stop());
    for (let k = 4; k < 8; k++) expect((await writeV1(s.url, round(k))).status).toBe(204);
    // Delivery is at least once (a kill -9 repeats the last request), so wait for the copies to match.
    const want = await exportText(s.url);
    expect(want.filter((l) => l.includes('"histograms"'))).toHaveLength(3);
    for (const l of want) expect((JSON.parse(l) as { timestamps: number[] }).timestamps).toHaveLength(40);
    await waitFor(
      'both destinations to catch up',
      async () => {
        const [a, b] = await Promise.all([exportText(v1.url), exportText(v2.url)]);
        return JSON.stringify(a) === JSON.stringify(want) && JSON.stringify(b) === JSON.stringify(want);
      },
      60_000,
    );
    expect(await exportText(v1.url)).toEqual(want);
    expect(await exportText(v2.url)).toEqual(want);
  }, 120_000);

  it.skipIf(!has('prometheus'))(
    'Prometheus 2.42 with native histograms receives them as Strata stores them',
    async () => {
      const prom = await startPrometheusReceiver(['--enable-feature=native-histograms']);
      cleanups.push(() => prom.stop());
      const promUrl = prom.url;
      const s = await startStrata({ args: [`--remoteWrite.url=${promUrl}/api/v1/write`, '--remoteWrite.retryMinInterval=100ms'] });
      cleanups.push(() => s.stop());
      const sent = [hseries('fwd_nh_prom', 0, 30, (i) => exponential(0, i), true), hseries('fwd_nh_prom3', 0, 30, (i) => exponential(3, i), true)];
      expect((await writeV1(s.url, sent)).status).toBe(204);
      await waitFor('delivery', async () => (await metric(s.url, /^strata_forward_samples_sent_total\{[^}]*\} (\d+)$/m)) === 60);
      const at = (NOW - 600_000 + 29 * 10_000) / 1000;
      // histogram_quantile is left out: 2.42 interpolates linearly inside a bucket, the Prometheus
      // versions whose test scripts our engine passes interpolate exponentially.
      for (const q of [
        'fwd_nh_prom',
        'fwd_nh_prom3',
        'histogram_count(fwd_nh_prom)',
        'histogram_sum(fwd_nh_prom3)',
        'histogram_count(rate(fwd_nh_prom[2m]))',
      ]) {
        const ask = async (url: string): Promise<unknown[]> => {
          const r = (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: q, time: String(at) })}`)).json()) as {
            data: { result: { value?: [number, string]; histogram?: [number, unknown] }[] };
          };
          // Bucket bounds to 12 digits: 2.42 computes 2^(i/2^schema) with Exp2, later versions (and
          // Strata) from a table, one ulp apart for some bounds.
          return JSON.parse(JSON.stringify(r.data.result.map((x) => x.value ?? x.histogram)), (_k, v: unknown) =>
            typeof v === 'string' && /^-?[0-9.e+-]+$/.test(v) ? Number(v).toPrecision(12) : v,
          ) as unknown[];
        };
        const want = await ask(s.url);
        expect(want, q).toHaveLength(1);
        expect(await ask(promUrl), q).toEqual(want);
      }
    },
    90_000,
  );
});
