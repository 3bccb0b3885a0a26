/**
 * The ingestion and query drivers against a stand-in HTTP server (an external system's role):
 * what they send, what they count, and how a missing capability becomes "n/a".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, type GenConfig } from '../../bench/gen/index.js';
import { runIngest } from '../../bench/ingest-e2e.js';
import { QUERIES } from '../../bench/queries.js';
import { runQueries } from '../../bench/query-e2e.js';
import { readProcStats, Unsupported, type PersistResult, type Target } from '../../bench/targets/index.js';
import { decodeBody } from './helpers.js';

const END = 1_700_000_100_000 - (1_700_000_100_000 % 15_000);
const CONFIG: GenConfig = {
  seed: 3,
  hosts: 2,
  scrapeIntervalMs: 15_000,
  durationMs: 20 * 60_000,
  endMs: END,
  churnFraction: 0,
  churnIntervalMs: 60 * 60_000,
  samplesPerRequest: 1000,
  shards: 3,
};
const dataset = generateDataset(CONFIG);

interface Behaviour {
  write: 'ok' | '404' | 'reject-every-third';
  query: 'ok' | '404' | 'error';
}

const behaviour: Behaviour = { write: 'ok', query: 'ok' };
const received: { series: string; t: number }[][] = [];
let writes = 0;
let server: http.Server;
let port = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/v1/write') {
        if (behaviour.write === '404') return void res.writeHead(404).end('not found');
        writes++;
        if (behaviour.write === 'reject-every-third' && writes % 3 === 0) return void res.writeHead(400).end('out of bounds');
        const decoded = decodeBody(new Uint8Array(Buffer.concat(chunks)));
        received.push(decoded.map((s) => ({ series: s.labels.map((l) => l.value).join(','), t: s.samples[0]!.timestamp })));
        return void res.writeHead(204).end();
      }
      if (url.pathname.startsWith('/api/v1/query')) {
        if (behaviour.query === '404') return void res.writeHead(404).end('{}');
        if (behaviour.query === 'error') {
          return void res.writeHead(422, { 'Content-Type': 'application/json' }).end('{"status":"error","errorType":"execution","error":"too many samples"}');
        }
        const result = [
          { metric: {}, value: [1, '1'] },
          { metric: { a: 'b' }, value: [1, '2'] },
        ];
        return void res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The stand-in measured as a target: this test process plays the server's /proc entry. */
const target: Target = {
  id: 'strata',
  label: 'stand-in',
  version: 'test',
  prepare: async () => null,
  start: async () => {},
  get pid() {
    return process.pid;
  },
  get baseUrl() {
    return `http://127.0.0.1:${port}`;
  },
  writePath: '/api/v1/write',
  makeQueryable: async () => {},
  persist: async (): Promise<PersistResult> => ({ diskBytes: 5000, indexBytes: 1000, note: 'stand-in' }),
  stats: () => readProcStats(process.pid),
  queryParams: {},
  stop: async () => {},
};

const QUERY_OPTS = { sequentialRuns: 3, concurrency: 4, concurrentRequests: 8, phaseBudgetMs: 1000, timeoutMs: 5000 };

describe('ingestion driver', () => {
  it('delivers every sample once, each series in time order, and computes bytes per sample', async () => {
    behaviour.write = 'ok';
    received.length = 0;
    const r = await runIngest(target, dataset, { settleMs: 0 });
    const all = received.flat();
    expect(all.length).toBe(dataset.totalSamples);
    expect(r.samplesAccepted).toBe(dataset.totalSamples);
    expect(r.failedRequests).toBe(0);
    expect(r.complete).toBe(true);
    expect(r.bytesPerSample).toBeCloseTo(5000 / dataset.totalSamples, 12);
    expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(r.peakRssBytes).toBeGreaterThan(0);
    // Over 3 concurrent connections the server still sees every series' samples in time order.
    const last = new Map<string, number>();
    for (const s of all) {
      expect(s.t).toBeGreaterThan(last.get(s.series) ?? -Infinity);
      last.set(s.series, s.t);
    }
  });

  it('turns a write endpoint answering 404 into Unsupported naming the path', async () => {
    behaviour.write = '404';
    await expect(runIngest(target, dataset, { settleMs: 0 })).rejects.toThrow(new Unsupported('POST /api/v1/write returns 404'));
  });

  it('counts rejected requests and keeps the first error message', async () => {
    behaviour.write = 'reject-every-third';
    writes = 0;
    const r = await runIngest(target, dataset, { settleMs: 0 });
    expect(r.failedRequests).toBe(Math.floor(dataset.requests / 3));
    expect(r.firstError).toBe('HTTP 400: out of bounds');
    expect(r.samplesAccepted).toBeLessThan(dataset.totalSamples);
  });

  it('stops at the time budget and says the run is incomplete', async () => {
    behaviour.write = 'ok';
    const r = await runIngest(target, dataset, { settleMs: 0, budgetMs: 0 });
    expect(r.complete).toBe(false);
    expect(r.samplesSent).toBeLessThan(dataset.totalSamples);
  });
});

describe('query driver', () => {
  it('counts result series and measures latency and throughput', async () => {
    behaviour.query = 'ok';
    const [r] = await runQueries(target, QUERIES.slice(0, 1), dataset, QUERY_OPTS);
    expect(r!.error).toBe('');
    expect(r!.seriesCount).toBe(2);
    expect(r!.points).toBe(2);
    expect(r!.valueSum).toBe(3);
    expect(r!.sequentialRuns).toBe(3);
    expect(r!.concurrentRuns).toBe(8);
    expect(r!.p50Ms).toBeGreaterThan(0);
    expect(r!.qps).toBeGreaterThan(0);
  });

  it('reports a query API answering 404 as n/a naming the path', async () => {
    behaviour.query = '404';
    const rs = await runQueries(
      target,
      QUERIES.filter((q) => q.id === 'q01' || q.id === 'q10'),
      dataset,
      QUERY_OPTS,
    );
    expect(rs.map((r) => r.error)).toEqual(['GET /api/v1/query returns 404', 'GET /api/v1/query_range returns 404']);
  });

  it('reports the Prometheus error type and message of a failing query', async () => {
    behaviour.query = 'error';
    const [r] = await runQueries(target, QUERIES.slice(0, 1), dataset, QUERY_OPTS);
    expect(r!.error).toBe('HTTP 422 execution: too many samples');
    expect(Number.isNaN(r!.p50Ms)).toBe(true);
  });
});
