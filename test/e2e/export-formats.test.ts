/**
 * The ways out of Strata, checked against the real tools on the other side: OpenMetrics through
 * promtool into Prometheus TSDB blocks, JSON lines into VictoriaMetrics, and CSV both ways.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { encodeRemoteWriteV1 } from '../../src/ingest/index.js';
import { histogramOf } from '../helpers/histogram-cases.js';
import type { FloatHistogram } from '../../src/model/histogram.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const base = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const ts = Array.from({ length: 30 }, (_, i) => base + i * 15_000);

type Line = { metric: Record<string, string>; values: number[]; timestamps: number[] };
const sortLines = (lines: Line[]) => lines.sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
const parseLines = (text: string) =>
  sortLines(
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line),
  );

describe('export formats', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
    // Metadata makes node_cpu_seconds_total a counter and node_load1 a gauge in OpenMetrics.
    const body = encodeRemoteWriteV1(
      [
        {
          labels: [
            { name: '__name__', value: 'node_cpu_seconds_total' },
            { name: 'cpu', value: '0' },
            { name: 'mode', value: 'idle' },
          ],
          timestamps: ts,
          values: ts.map((_, i) => 1000 + i * 14.75),
        },
        {
          labels: [
            { name: '__name__', value: 'node_cpu_seconds_total' },
            { name: 'cpu', value: '1' },
            { name: 'mode', value: 'idle' },
          ],
          timestamps: ts,
          values: ts.map((_, i) => 2000 + i * 13.5),
        },
        {
          labels: [
            { name: '__name__', value: 'node_load1' },
            { name: 'instance', value: 'a:9100' },
          ],
          timestamps: ts,
          values: ts.map((_, i) => (i % 7) * 0.25),
        },
        {
          labels: [
            { name: '__name__', value: 'plain' },
            { name: 'path', value: 'a "quoted", comma' },
          ],
          timestamps: ts,
          values: ts.map((_, i) => -i),
        },
      ],
      {
        metadata: [
          { metricFamilyName: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: '' },
          { metricFamilyName: 'node_load1', type: 'gauge', help: '1m load average.', unit: '' },
        ],
      },
    );
    const r = await fetch(`${s.url}/api/v1/write`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    expect(r.status).toBe(204);
  });
  afterAll(() => s.stop());

  async function strataExport(): Promise<Line[]> {
    return parseLines(await (await fetch(`${s.url}/api/v1/export?match[]={__name__=~".+"}&start=0`)).text());
  }

  it('writes OpenMetrics with families, TYPE from metadata, timestamps in seconds and # EOF', async () => {
    const r = await fetch(`${s.url}/api/v1/export/openmetrics?match[]={__name__=~"node_.*"}`);
    expect(r.headers.get('content-type')).toMatch(/application\/openmetrics-text/);
    const text = await r.text();
    expect(text).toContain('# TYPE node_cpu_seconds counter\n# HELP node_cpu_seconds Seconds the CPUs spent in each mode.\n');
    expect(text).toContain('# TYPE node_load1 gauge\n');
    expect(text).toContain(`node_load1{instance="a:9100"} 0 ${base / 1000}\n`);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it.skipIf(!has('promtool'))(
    'turns into TSDB blocks with promtool that hold the same samples as the JSON export',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-om-'));
      try {
        const om = await (await fetch(`${s.url}/api/v1/export/openmetrics?match[]={__name__=~".+"}&start=0`)).text();
        writeFileSync(join(dir, 'in.om'), om);
        const made = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'blocks')], { encoding: 'utf8' });
        expect(made.status, made.stderr + made.stdout).toBe(0);
        // promtool 2.42 opens the blocks as a read-only TSDB, which wants a WAL directory, even empty.
        mkdirSync(join(dir, 'blocks', 'wal'));
        const dump = spawnSync('promtool', ['tsdb', 'dump', join(dir, 'blocks')], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(dump.status, dump.stderr).toBe(0);
        // `{labels} value timestamp_ms` per line.
        const got = new Map<string, [number, number][]>();
        for (const line of dump.stdout.trim().split('\n')) {
          const m = /^(\{.*\}) (\S+) (\d+)$/.exec(line);
          if (!m) continue;
          const key = m[1]!;
          if (!got.has(key)) got.set(key, []);
          got.get(key)!.push([Number(m[3]), Number(m[2])]);
        }
        const want = new Map<string, [number, number][]>();
        for (const l of await strataExport()) {
          const key =
            '{' +
            Object.entries(l.metric)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(', ') +
            '}';
          want.set(
            key,
            l.timestamps.map((t, i) => [t, l.values[i]!]),
          );
        }
        expect(new Map([...got].sort())).toEqual(new Map([...want].sort()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.skipIf(!has('victoria-metrics'))(
    'JSON lines imported into VictoriaMetrics export identically',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-vm-'));
      const port = await new Promise<number>((res) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as { port: number }).port;
          srv.close(() => res(p));
        });
      });
      const vm = spawn(
        'victoria-metrics',
        [
          `-storageDataPath=${dir}`,
          `-httpListenAddr=127.0.0.1:${port}`,
          '-retentionPeriod=100y',
          '-search.disableCache',
          '-search.latencyOffset=0s',
          '-loggerLevel=ERROR',
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise((r) => vm.on('exit', r));
      try {
        const vmUrl = `http://127.0.0.1:${port}`;
        for (let i = 0; i < 100; i++) {
          if (
            await fetch(`${vmUrl}/health`).then(
              (r) => r.ok,
              () => false,
            )
          )
            break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const ours = await (await fetch(`${s.url}/api/v1/export?match[]={__name__=~".+"}&start=0`)).text();
        expect((await fetch(`${vmUrl}/api/v1/import`, { method: 'POST', body: ours })).status).toBe(204);
        await fetch(`${vmUrl}/internal/force_flush`);
        const theirs = parseLines(await (await fetch(`${vmUrl}/api/v1/export?match[]={__name__=~".+"}&start=0`)).text());
        expect(theirs).toEqual(await strataExport());
      } finally {
        vm.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('exports CSV with the requested columns, quoting where needed', async () => {
    const r = await fetch(`${s.url}/api/v1/export/csv?format=__name__,path,__value__,__timestamp__:unix_s&match[]=plain`);
    const rows = (await r.text()).trim().split('\n');
    expect(rows).toHaveLength(30);
    expect(rows[1]).toBe(`plain,"a ""quoted"", comma",-1,${(base + 15_000) / 1000}`);
  });

  it('imports CSV with VictoriaMetrics format= columns', async () => {
    const body = `GOOG,1.23,4.56,${base / 1000}\nMSFT,3.21,6.54,${base / 1000}\n`;
    const r = await fetch(`${s.url}/api/v1/import/csv?format=2:metric:ask,3:metric:bid,1:label:ticker,4:time:unix_s`, { method: 'POST', body });
    expect(r.status).toBe(204);
    const lines = parseLines(await (await fetch(`${s.url}/api/v1/export?match[]={__name__=~"ask|bid"}&start=0`)).text());
    expect(lines.map((l) => [l.metric.__name__, l.metric.ticker, l.values[0], l.timestamps[0]])).toEqual([
      ['ask', 'GOOG', 1.23, base],
      ['ask', 'MSFT', 3.21, base],
      ['bid', 'GOOG', 4.56, base],
      ['bid', 'MSFT', 6.54, base],
    ]);
  });

  it('answers 400 naming the entry for a bad CSV format', async () => {
    const r = await fetch(`${s.url}/api/v1/import/csv?format=2:value:ask`, { method: 'POST', body: 'a,1\n' });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/2:value:ask/);
  });
});

describe('OpenMetrics export of native histograms', () => {
  let s: StrataProcess;
  const hts = ts.slice(0, 5);
  beforeAll(async () => {
    s = await startStrata();
    const h = (over: Partial<FloatHistogram>): FloatHistogram => histogramOf({ schema: -53, ...over });
    const body = encodeRemoteWriteV1([
      {
        labels: [
          { name: '__name__', value: 'om_nhcb_seconds' },
          { name: 'job', value: 'om' },
        ],
        histograms: hts.map((t, i) => ({
          timestamp: t,
          integer: false,
          histogram: h({
            count: 3 * i + 0.5,
            sum: 2.25 * i,
            positiveSpans: [{ offset: 0, length: 3 }],
            positiveBuckets: Float64Array.from([i, 2 * i, 0.5]),
            customValues: Float64Array.from([0.1, 1]),
          }),
        })),
      },
      {
        labels: [
          { name: '__name__', value: 'om_exponential' },
          { name: 'job', value: 'om' },
        ],
        histograms: hts.map((t, i) => ({
          timestamp: t,
          integer: true,
          histogram: h({ schema: 0, count: i, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: Float64Array.of(i) }),
        })),
      },
    ]);
    const r = await fetch(`${s.url}/api/v1/write`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    expect(r.status, await r.text()).toBe(204);
  });
  afterAll(() => s.stop());

  /** The classic series Prometheus makes of sample i: cumulative buckets, count and sum. */
  function classic(i: number): [string, number][] {
    return [
      ['om_nhcb_seconds_bucket{job="om",le="0.1"}', i],
      ['om_nhcb_seconds_bucket{job="om",le="1"}', 3 * i],
      ['om_nhcb_seconds_bucket{job="om",le="+Inf"}', 3 * i + 0.5],
      ['om_nhcb_seconds_count{job="om"}', 3 * i + 0.5],
      ['om_nhcb_seconds_sum{job="om"}', 2.25 * i],
    ];
  }

  it('writes custom-bucket histograms as classic histogram families and leaves exponential ones out', async () => {
    const text = await (await fetch(`${s.url}/api/v1/export/openmetrics?match[]={job="om"}&start=0`)).text();
    expect(text).toContain('# TYPE om_nhcb_seconds histogram\n');
    expect(text).toContain(`om_nhcb_seconds_bucket{job="om",le="+Inf"} 6.5 ${hts[2]! / 1000}\n`);
    expect(text).not.toContain('om_exponential');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it.skipIf(!has('promtool'))(
    'promtool turns them into TSDB blocks holding the classic series',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-om-nh-'));
      try {
        writeFileSync(join(dir, 'in.om'), await (await fetch(`${s.url}/api/v1/export/openmetrics?match[]={job="om"}&start=0`)).text());
        const made = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'blocks')], { encoding: 'utf8' });
        expect(made.status, made.stderr + made.stdout).toBe(0);
        mkdirSync(join(dir, 'blocks', 'wal'));
        const dump = spawnSync('promtool', ['tsdb', 'dump', join(dir, 'blocks')], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(dump.status, dump.stderr).toBe(0);
        const got = dump.stdout
          .trim()
          .split('\n')
          .map((l) => /^\{(.*)\} (\S+) (\d+)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => `${m[1]} ${Number(m[2])} ${m[3]}`)
          .sort();
        const want = hts
          .flatMap((t, i) =>
            classic(i).map(([series, v]) => {
              const m = /^(\w+)\{(.*)\}$/.exec(series)!;
              const labels = [`__name__="${m[1]}"`, ...m[2]!.split(',')].sort().join(', ');
              return `${labels} ${v} ${t}`;
            }),
          )
          .sort();
        expect(got).toEqual(want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
