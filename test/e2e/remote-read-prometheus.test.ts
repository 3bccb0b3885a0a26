/**
 * A real Prometheus 2.42 reading from Strata: configured with `remote_read` (read_recent: true)
 * and no local data, it must answer range queries with the values Strata itself answers on the
 * samples it stores. Needs the `prometheus` binary (Debian package; .ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForOk } from '../helpers/net.js';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

const enabled = spawnSync('sh', ['-c', 'command -v prometheus']).status === 0;

interface Matrix {
  resultType: string;
  result: Array<{ metric: Record<string, string>; values: [number, string][] }>;
}

async function rangeQuery(base: string, params: Record<string, string>): Promise<Matrix> {
  const r = await fetch(`${base}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = (await r.json()) as { status: string; data: Matrix; error?: string };
  if (body.status !== 'success') throw new Error(`${base} ${params.query}: ${body.error}`);
  return body.data;
}

function canonical(m: Matrix): string[] {
  return m.result
    .map((s) => {
      const labels = Object.entries(s.metric)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return `{${labels}} ${s.values.map(([t, v]) => `${t}:${Number(Number(v).toPrecision(12))}`).join(' ')}`;
    })
    .sort();
}

const STEP = 15_000;
const N = 240; // an hour of 15 s samples per series

describe.skipIf(!enabled)('a real Prometheus 2.42 reading from Strata through remote read', () => {
  let strata: StrataProcess;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let dir = '';
  const t0 = Math.floor((Date.now() - 2 * 3600_000) / 60_000) * 60_000;

  beforeAll(async () => {
    strata = await startStrata();
    const ts = Array.from({ length: N }, (_, i) => t0 + i * STEP);
    const data = [];
    for (const job of ['api', 'db']) {
      for (const instance of ['a:1', 'b:2', 'c:3']) {
        const seed = job.length * 7 + instance.charCodeAt(0);
        data.push(
          series(
            'rr_gauge',
            { job, instance },
            ts,
            ts.map((_, i) => Math.round(Math.sin(i / 10 + seed) * 1000) / 10),
          ),
        );
        let c = 0;
        // A counter with a reset in the middle.
        data.push(
          series(
            'rr_requests_total',
            { job, instance },
            ts,
            ts.map((_, i) => (i === 120 ? (c = 3) : (c += (i * seed) % 17))),
          ),
        );
      }
    }
    expect((await writeV1(strata.url, data)).status).toBe(204);

    dir = tempDir('strata-remote-read-');
    const promPort = await freePort();
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(cfg, ['global:', '  scrape_interval: 1h', 'remote_read:', `  - url: ${strata.url}/api/v1/read`, '    read_recent: true'].join('\n'));
    promUrl = `http://127.0.0.1:${promPort}`;
    prom = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: 'ignore',
    });
    await waitForOk(`${promUrl}/-/ready`, 30_000);
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null && prom.signalCode === null) {
      const exited = new Promise<void>((resolve) => prom!.once('exit', () => resolve()));
      prom.kill('SIGTERM');
      const timer = setTimeout(() => prom!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await strata?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  // Off the sample grid by a quarter second: Prometheus 2.42 selects ranges as [t - range, t],
  // Strata as Prometheus 3 does, (t - range, t]; on the grid the two differ by design.
  const QUERIES = [
    'rr_gauge',
    'rr_gauge{job="db", instance!="b:2"}',
    'rr_requests_total{instance=~"a:.*|c:3"}',
    'rate(rr_requests_total[5m])',
    'increase(rr_requests_total{job!~"api"}[10m])',
    'sum by (job) (rr_gauge)',
    'max_over_time(rr_gauge[3m])',
    'avg(rate(rr_requests_total[2m])) by (instance)',
  ];

  for (const q of QUERIES) {
    it(`answers ${q} as Strata does`, async () => {
      const params = { query: q, start: String((t0 + 10 * 60_000) / 1000 + 0.25), end: String((t0 + (N - 1) * STEP) / 1000 + 0.25), step: '30' };
      const [p, s] = await Promise.all([rangeQuery(promUrl, params), rangeQuery(strata.url, params)]);
      expect(s.result.length).toBeGreaterThan(0);
      expect(canonical(p)).toEqual(canonical(s));
    });
  }

  it('sees nothing Strata does not have', async () => {
    const params = { query: 'rr_gauge{job="nope"}', start: String(t0 / 1000), end: String((t0 + N * STEP) / 1000), step: '60' };
    expect((await rangeQuery(promUrl, params)).result).toEqual([]);
  });
});
