/**
 * Forwarding from the WAL (--remoteWrite.url) to real receivers on loopback: VictoriaMetrics 1.79
 * standing in for a cluster's vminsert (behind a small path-rewriting proxy for
 * /insert/0/prometheus/...), Prometheus 2.42's remote-write receiver for Mimir/Thanos, and a
 * scripted endpoint for 429/5xx. Every acknowledged sample must arrive, across outages and kill -9.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { startPrometheusReceiver } from '../helpers/prometheus.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const now = Math.floor(Date.now() / 1000) * 1000;
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

type Line = { metric: Record<string, string>; values: number[]; timestamps: number[] };
async function exported(url: string, match: string): Promise<Map<string, Map<number, number>>> {
  const text = (await (await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}&start=0`)).text()).trim();
  const out = new Map<string, Map<number, number>>();
  for (const l of text
    .split('\n')
    .filter(Boolean)
    .map((x) => JSON.parse(x) as Line)) {
    out.set(JSON.stringify(Object.entries(l.metric).sort()), new Map(l.timestamps.map((t, i) => [t, l.values[i]!])));
  }
  return out;
}

class Vm {
  proc: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn(
      'victoria-metrics',
      [
        `-storageDataPath=${this.dir}`,
        `-httpListenAddr=127.0.0.1:${this.port}`,
        '-retentionPeriod=100y',
        '-search.disableCache',
        '-search.latencyOffset=0s',
        '-loggerLevel=ERROR',
      ],
      { stdio: 'ignore' },
    );
    await waitFor('VictoriaMetrics', async () => (await fetch(`${this.url}/health`)).ok);
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
}

/** vminsert's path on a single-node VictoriaMetrics: /insert/0/prometheus/api/v1/write → /api/v1/write. */
function insertProxy(target: number): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/insert\/\d+(:\d+)?\/prometheus/, '');
    const up = request({ host: '127.0.0.1', port: target, path, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(503);
      res.end('upstream down');
    });
    req.pipe(up);
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ port: (server.address() as { port: number }).port, server })));
}

function batch(name: string, k: number, n = 10): Parameters<typeof writeV1>[1] {
  const ts = Array.from({ length: 20 }, (_, i) => now - 600_000 + k * 20_000 + i * 1000);
  return Array.from({ length: n }, (_, j) =>
    series(
      name,
      { s: String(j) },
      ts,
      ts.map((_, i) => k * 100 + i),
    ),
  );
}

describe.skipIf(!has('victoria-metrics'))('forwarding to a VictoriaMetrics cluster path', () => {
  it('delivers every acknowledged sample, per series, as Strata stores them', async () => {
    const vm = new Vm(await freePort(), mkdtempSync(join(tmpdir(), 'strata-fwd-vm-')));
    await vm.start();
    const proxy = await insertProxy(vm.port);
    cleanups.push(
      () => vm.stop(),
      () => new Promise((r) => proxy.server.close(() => r(undefined))),
      () => rmSync(vm.dir, { recursive: true, force: true }),
    );
    const s = await startStrata({
      args: [`--remoteWrite.url=http://127.0.0.1:${proxy.port}/insert/0/prometheus/api/v1/write`, '--remoteWrite.retryMinInterval=100ms'],
    });
    cleanups.push(() => s.stop());
    for (let k = 0; k < 20; k++) expect((await writeV1(s.url, batch('fwd_basic', k))).status).toBe(204);
    await waitFor('forwarding to catch up', async () => (await metric(s.url, /^strata_forward_samples_sent_total\{[^}]*\} (\d+)$/m)) >= 20 * 10 * 20);
    await fetch(`${vm.url}/internal/force_flush`);
    expect(await exported(vm.url, 'fwd_basic')).toEqual(await exported(s.url, 'fwd_basic'));
  }, 120_000);

  it('loses nothing through an outage of the receiver and two kill -9s of Strata, and catches up', async () => {
    const vm = new Vm(await freePort(), mkdtempSync(join(tmpdir(), 'strata-fwd-vm2-')));
    cleanups.push(
      () => vm.stop(),
      () => rmSync(vm.dir, { recursive: true, force: true }),
    );
    const dataDir = tempDir('strata-fwd-');
    const args = [
      `--remoteWrite.url=${vm.url}/api/v1/write`,
      '--remoteWrite.retryMinInterval=100ms',
      '--remoteWrite.retryMaxInterval=1s',
      '--flushInterval=200ms',
    ];
    let k = 0;
    let s: StrataProcess | null = null;
    for (let round = 0; round < 2; round++) {
      s = await startStrata({ dataDir, args });
      // Enough batches that flushes hand segments to the forwarder while VictoriaMetrics is down.
      for (let i = 0; i < 10; i++, k++) expect((await writeV1(s.url, batch('fwd_outage', k))).status).toBe(204);
      await new Promise((r) => setTimeout(r, 500));
      await s.stop('SIGKILL');
    }
    await vm.start();
    s = await startStrata({ dataDir, args });
    cleanups.push(() => s!.stop());
    await waitFor(
      'lag back to 0',
      async () =>
        (await metric(s!.url, /^strata_forward_lag_seconds\{[^}]*\} (\S+)$/m)) === 0 &&
        (await metric(s!.url, /^strata_forward_pending_bytes\{[^}]*\} (\S+)$/m)) === 0,
      60_000,
    );
    await fetch(`${vm.url}/internal/force_flush`);
    const want = await exported(s.url, 'fwd_outage');
    expect([...want.values()].reduce((n, m) => n + m.size, 0)).toBe(k * 10 * 20);
    expect(await exported(vm.url, 'fwd_outage')).toEqual(want);
  }, 180_000);
});

describe('forwarding when a receiver is down or refuses', () => {
  it('drops the oldest samples past --remoteWrite.maxDiskUsagePerURL and never blocks ingestion', async () => {
    const dead = await freePort();
    const s = await startStrata({
      args: [
        `--remoteWrite.url=http://127.0.0.1:${dead}/api/v1/write`,
        '--remoteWrite.maxDiskUsagePerURL=200KB',
        '--remoteWrite.retryMinInterval=50ms',
        '--remoteWrite.retryMaxInterval=100ms',
        '--flushInterval=100ms',
      ],
    });
    cleanups.push(() => s.stop());
    for (let k = 0; k < 40; k++) {
      const t0 = Date.now();
      expect((await writeV1(s.url, batch('fwd_cap', k, 50))).status).toBe(204);
      expect(Date.now() - t0).toBeLessThan(5000);
      if (k % 5 === 4) await fetch(`${s.url}/internal/force_flush`);
    }
    await waitFor(
      'the disk cap to drop samples',
      async () => (await metric(s.url, /^strata_forward_samples_dropped_total\{reason="disk_cap",[^}]*\} (\d+)$/m)) > 0,
    );
    const du = spawnSync('du', ['-sb', join(s.dataDir, 'forward')], { encoding: 'utf8' });
    expect(Number(du.stdout.split('\t')[0])).toBeLessThan(200_000 + 300_000);
  }, 120_000);

  it('retries 429 and 5xx with backoff, honouring Retry-After, then delivers', async () => {
    const answers = [429, 503, 500];
    const seen: number[] = [];
    let body = 0;
    const server = createServer((req, res) => {
      seen.push(Date.now());
      req.on('data', (c: Buffer) => (body += c.length));
      req.on('end', () => {
        const status = answers.shift() ?? 204;
        res.writeHead(status, status === 429 ? { 'Retry-After': '1' } : {});
        res.end();
      });
    });
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise((r) => server.close(() => r(undefined))));
    const s = await startStrata({
      args: [`--remoteWrite.url=http://127.0.0.1:${port}/push`, '--remoteWrite.retryMinInterval=100ms', '--remoteWrite.queues=1'],
    });
    cleanups.push(() => s.stop());
    expect((await writeV1(s.url, batch('fwd_retry', 0, 1))).status).toBe(204);
    await waitFor('delivery', async () => (await metric(s.url, /^strata_forward_samples_sent_total\{[^}]*\} (\d+)$/m)) === 20);
    expect(seen).toHaveLength(4);
    // Retry-After: 1 held the second attempt back a second at least (less 20% jitter).
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(800);
    expect(await metric(s.url, /^strata_forward_requests_retried_total\{[^}]*\} (\d+)$/m)).toBe(3);
    expect(body).toBeGreaterThan(0);
  }, 60_000);

  it.skipIf(!has('prometheus'))(
    'drops and counts a day-old sample Prometheus refuses with 400 out of bounds, without retrying',
    async () => {
      const prom = await startPrometheusReceiver();
      cleanups.push(() => prom.stop());
      const s = await startStrata({
        args: [`--remoteWrite.url=${prom.url}/api/v1/write`, '--remoteWrite.retryMinInterval=100ms', '--remoteWrite.queues=1'],
      });
      cleanups.push(() => s.stop());
      // A sample at now first: Prometheus's head then refuses anything older than about an hour before it.
      expect((await writeV1(s.url, [series('fwd_new', {}, [now], [2])])).status).toBe(204);
      await waitFor('the fresh sample in Prometheus', async () => {
        const r = (await (await fetch(`${prom.url}/api/v1/query?query=fwd_new&time=${now / 1000}`)).json()) as { data: { result: unknown[] } };
        return r.data.result.length === 1;
      });
      expect((await writeV1(s.url, [series('fwd_old', {}, [now - 86_400_000], [1])])).status).toBe(204);
      await waitFor(
        'the drop to be counted',
        async () => (await metric(s.url, /^strata_forward_samples_dropped_total\{reason="http_400",[^}]*\} (\d+)$/m)) === 1,
      );
      expect(await metric(s.url, /^strata_forward_requests_retried_total\{[^}]*\} (\d+)$/m)).toBe(0);
      // What comes after the refused sample still goes through: it does not block the queue.
      expect((await writeV1(s.url, [series('fwd_new', {}, [now + 1000], [3])])).status).toBe(204);
      await waitFor('the next sample in Prometheus', async () => {
        const r = (await (await fetch(`${prom.url}/api/v1/query?query=fwd_new&time=${now / 1000 + 1}`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        return r.data.result[0]?.value[1] === '3';
      });
    },
    90_000,
  );
});
