/**
 * A real Prometheus 2.42 reading from Strata: configured with `remote_read` (read_recent: true)
 * and no local data, it must answer range queries with the values Strata itself answers on the
 * samples it stores. Needs the `prometheus` binary (Debian package; .ci/run installs it).
 *
 * Native histograms: Prometheus 2.42's remote-read client asks for SAMPLES only and drops the
 * histograms of a ReadResponse (reading histograms and streamed chunks came in 2.44 and 2.55), so it
 * cannot read them back from Strata. Instead the same histograms are remote-written to a 2.42 with
 * native histograms enabled, and its own streamed remote-read answer (the chunks its head encoded)
 * must equal Strata's byte for byte: chunk types, time ranges, headers and bits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForOk } from '../helpers/net.js';
import { caseSamples, HISTOGRAM_CASES } from '../helpers/histogram-cases.js';
import { ROOT, startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { encodeRemoteWriteV1, encodeRemoteWriteV2, snappyCompress } from '../../src/ingest/index.js';
import { crc32c } from '../../src/remote-read/index.js';
import { ChunkedReadResponse, encodeReadRequest } from '../ingest/protos.js';
import { RW1_HEADERS, RW2_HEADERS, series, writeV1 } from './client.js';

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

async function startPrometheus(dir: string, extraConfig: string[], flags: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, ['global:', '  scrape_interval: 1h', ...extraConfig].join('\n'));
  const proc = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, ...flags], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/-/ready`, 30_000);
  return { proc, url };
}

async function stopPrometheus(prom: ChildProcess | undefined): Promise<void> {
  if (!prom || prom.exitCode !== null || prom.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => prom.once('exit', () => resolve()));
  prom.kill('SIGTERM');
  const timer = setTimeout(() => prom.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
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
    const started = await startPrometheus(dir, ['remote_read:', `  - url: ${strata.url}/api/v1/read`, '    read_recent: true'], []);
    prom = started.proc;
    promUrl = started.url;
  }, 60_000);

  afterAll(async () => {
    await stopPrometheus(prom);
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

interface RawChunk {
  type: number;
  minTimeMs: number;
  maxTimeMs: number;
  hex: string;
}

/** Every series' chunks of a streamed answer, by its labels (frames of one series joined). */
async function streamedChunks(base: string, name: string, start: number, end: number): Promise<Map<string, RawChunk[]>> {
  const body = encodeReadRequest({
    queries: [{ startTimestampMs: start, endTimestampMs: end, matchers: [{ type: 2, name: '__name__', value: name }] }],
    acceptedResponseTypes: [1],
  });
  const r = await fetch(`${base}/api/v1/read`, {
    method: 'POST',
    body: snappyCompress(body),
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Read-Version': '0.1.0' },
  });
  const buf = new Uint8Array(await r.arrayBuffer());
  expect(r.status, Buffer.from(buf).toString()).toBe(200);
  const out = new Map<string, RawChunk[]>();
  for (let p = 0; p < buf.length;) {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    const crc = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    const data = buf.subarray(p + 4, p + 4 + len);
    p += 4 + len;
    expect(crc32c(data)).toBe(crc);
    const m = ChunkedReadResponse.toObject(ChunkedReadResponse.decode(data), { longs: Number, defaults: true }) as {
      chunkedSeries: Array<{
        labels: Array<{ name: string; value: string }>;
        chunks: Array<{ minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }>;
      }>;
    };
    for (const cs of m.chunkedSeries) {
      const key = cs.labels.map((l) => `${l.name}=${l.value}`).join(',');
      const list = out.get(key) ?? [];
      for (const c of cs.chunks) list.push({ type: c.type, minTimeMs: c.minTimeMs, maxTimeMs: c.maxTimeMs, hex: Buffer.from(c.data).toString('hex') });
      out.set(key, list);
    }
  }
  return out;
}

const GOLDEN = JSON.parse(readFileSync(join(ROOT, 'test/remote-read/testdata/histogram-chunks.json'), 'utf8')) as {
  t0: number;
  chunks: Record<string, RawChunk[]>;
};

describe.skipIf(!enabled)('native histograms streamed as Prometheus 2.42 streams them', () => {
  let strata: StrataProcess;
  const proms: ChildProcess[] = [];
  let promUrl = '';
  let goldenUrl = '';
  const dirs: string[] = [];
  // One two-hour block range of Prometheus's head, three to one hours back.
  const t0 = Math.floor((Date.now() - 3 * 3600_000) / 7_200_000) * 7_200_000 + 60_000;
  const histSeries = (from: number) =>
    HISTOGRAM_CASES.map((c) => ({
      labels: [
        { name: '__name__', value: c.name },
        { name: 'job', value: 'h' },
      ],
      histograms: caseSamples(c, from),
    }));
  const flags = ['--web.enable-remote-write-receiver', '--enable-feature=native-histograms'];

  beforeAll(async () => {
    strata = await startStrata();
    const w = await fetch(`${strata.url}/api/v1/write`, { method: 'POST', body: encodeRemoteWriteV2(histSeries(t0)), headers: RW2_HEADERS });
    expect(w.status, await w.text()).toBe(204);
    for (const [from, set] of [
      [t0, (u: string) => (promUrl = u)],
      // The golden fixture's fixed timestamps go to a Prometheus of their own: a head holding
      // both years would be compacted under the test's feet.
      [GOLDEN.t0, (u: string) => (goldenUrl = u)],
    ] as const) {
      const dir = tempDir('strata-remote-read-h-');
      dirs.push(dir);
      const { proc, url } = await startPrometheus(dir, [], flags);
      proms.push(proc);
      set(url);
      const pw = await fetch(`${url}/api/v1/write`, { method: 'POST', body: encodeRemoteWriteV1(histSeries(from)), headers: RW1_HEADERS });
      expect(pw.status, await pw.text()).toBe(204);
    }
  }, 90_000);

  afterAll(async () => {
    for (const p of proms) await stopPrometheus(p);
    await strata?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 30_000);

  for (const c of HISTOGRAM_CASES) {
    it(`writes ${c.name}'s chunks byte for byte as Prometheus does`, async () => {
      const [p, s] = await Promise.all([streamedChunks(promUrl, c.name, t0, t0 + 3_600_000), streamedChunks(strata.url, c.name, t0, t0 + 3_600_000)]);
      expect(p.size).toBe(1);
      expect(s).toEqual(p);
      const chunks = [...s.values()][0]!;
      expect(chunks.map((x) => x.hex.slice(4, 6))).toEqual(c.headers);
      expect(new Set(chunks.map((x) => x.type))).toEqual(new Set([c.integer ? 2 : 3]));
    });
  }

  it('streams the golden fixture of the encoder test (test/remote-read/testdata) for the same samples', async () => {
    for (const c of HISTOGRAM_CASES) {
      const got = await streamedChunks(goldenUrl, c.name, GOLDEN.t0, GOLDEN.t0 + 3_600_000);
      expect([...got.values()][0], c.name).toEqual(GOLDEN.chunks[c.name]);
    }
  });
});
