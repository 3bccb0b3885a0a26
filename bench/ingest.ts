import { performance } from 'node:perf_hooks';
import {
  DecodePool,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  encodeRemoteWriteV1,
  encodeRemoteWriteV2,
  snappyUncompress,
  type EncodeSeries,
} from '../src/ingest/index.js';

/**
 * Remote-write decode throughput on one core: 100k distinct series (node-exporter-like label sets),
 * sent as requests of 10k samples each (one sample per series per request, as Prometheus batches
 * them), decoded end to end (snappy + protobuf + validation + series keys).
 */

export interface IngestBenchResult {
  readonly name: string;
  readonly requests: number;
  readonly samples: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Process CPU time (all threads) spent: robust against other load on a shared machine. */
  readonly cpuSeconds: number;
  readonly samplesPerCpuSecond: number;
  readonly compressedBytesPerRequest: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function makeSeries(count: number, offset: number, t: number): EncodeSeries[] {
  const out: EncodeSeries[] = [];
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    out.push({
      labels: [
        { name: '__name__', value: `node_metric_${n % 200}_total` },
        { name: 'cpu', value: String(n % 16) },
        { name: 'env', value: 'production' },
        { name: 'instance', value: `host-${Math.floor(n / 200)}.example.com:9100` },
        { name: 'job', value: 'node' },
        { name: 'mode', value: ['idle', 'user', 'system', 'iowait'][n % 4]! },
      ],
      timestamps: [t],
      values: [Math.round(Math.random() * 1e6) / 100],
    });
  }
  return out;
}

export async function runIngestBench(
  opts: { series?: number; samplesPerRequest?: number; seconds?: number; threads?: number } = {},
): Promise<IngestBenchResult[]> {
  const totalSeries = opts.series ?? 100_000;
  const perReq = opts.samplesPerRequest ?? 10_000;
  const budget = opts.seconds ?? 3;
  const reqCount = Math.max(1, Math.floor(totalSeries / perReq));
  const t0 = 1_700_000_000_000;
  const v1: Uint8Array[] = [];
  const v2: Uint8Array[] = [];
  for (let r = 0; r < reqCount; r++) {
    const s = makeSeries(perReq, r * perReq, t0 + r);
    v1.push(encodeRemoteWriteV1(s));
    v2.push(encodeRemoteWriteV2(s));
  }
  const results: IngestBenchResult[] = [];
  const run = (name: string, bodies: Uint8Array[], f: (b: Uint8Array) => number): void => {
    for (let i = 0; i < Math.min(3, bodies.length); i++) f(bodies[i]!); // warm up
    let samples = 0;
    let requests = 0;
    const cpu0 = cpuNow();
    const start = performance.now();
    let now = start;
    while (now - start < budget * 1000) {
      samples += f(bodies[requests % bodies.length]!);
      requests++;
      now = performance.now();
    }
    const seconds = (now - start) / 1000;
    const cpuSeconds = cpuNow() - cpu0;
    const bytes = bodies.reduce((a, b) => a + b.length, 0) / bodies.length;
    results.push({
      name,
      requests,
      samples,
      seconds,
      samplesPerSecond: samples / seconds,
      cpuSeconds,
      samplesPerCpuSecond: samples / cpuSeconds,
      compressedBytesPerRequest: Math.round(bytes),
    });
  };
  run('snappy only (v1 bodies)', v1, (b) => (snappyUncompress(b, 1 << 28).length > 0 ? perReq : 0));
  run('remote write 1.0 decode', v1, (b) => decodeRemoteWriteV1(b).sampleCount);
  run('remote write 2.0 decode', v2, (b) => decodeRemoteWriteV2(b).sampleCount);

  // Sample-dense requests (100 series x 100 samples, e.g. a backfill): per-sample cost dominates.
  const dense: Uint8Array[] = [];
  for (let r = 0; r < 4; r++) {
    const s = makeSeries(100, r * 100, t0).map((x) => ({
      labels: x.labels,
      timestamps: Array.from({ length: 100 }, (_, i) => t0 + i * 15_000),
      values: Array.from({ length: 100 }, (_, i) => i * 1.5),
    }));
    dense.push(encodeRemoteWriteV1(s));
  }
  run('rw 1.0 decode, dense', dense, (b) => decodeRemoteWriteV1(b).sampleCount);

  // Worker pool: keep two requests per worker in flight, count what comes back (wall clock; the
  // CPU figure adds up all threads).
  const threads = opts.threads ?? 2;
  const pool = new DecodePool({ threads });
  if (pool.threads > 0) {
    for (const [name, kind, bodies] of [
      [`pool v1 (${threads} workers)`, 'v1', v1],
      [`pool v2 (${threads} workers)`, 'v2', v2],
    ] as const) {
      let samples = 0;
      let requests = 0;
      let sent = 0;
      const cpu0 = cpuNow();
      const start = performance.now();
      await new Promise<void>((done, fail) => {
        const next = (): void => {
          if (performance.now() - start >= budget * 1000) {
            if (requests === sent) done();
            return;
          }
          const body = bodies[sent++ % bodies.length]!.slice(); // the pool takes ownership
          pool.decode(kind, body).then((b) => {
            // Touch the keys: the caller always does, and they are built on this thread.
            if (b.keys.length > b.sampleCount) throw new Error('impossible');
            samples += b.sampleCount;
            requests++;
            next();
          }, fail);
        };
        for (let i = 0; i < threads * 2; i++) next();
      });
      const seconds = (performance.now() - start) / 1000;
      const cpuSeconds = cpuNow() - cpu0;
      const bytes = bodies.reduce((a, b) => a + b.length, 0) / bodies.length;
      results.push({
        name,
        requests,
        samples,
        seconds,
        samplesPerSecond: samples / seconds,
        cpuSeconds,
        samplesPerCpuSecond: samples / cpuSeconds,
        compressedBytesPerRequest: Math.round(bytes),
      });
    }
  }
  await pool.close();
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await runIngestBench()) {
    console.log(
      `${r.name.padEnd(26)} ${(r.samplesPerSecond / 1e6).toFixed(2)} M samples/s wall, ${(r.samplesPerCpuSecond / 1e6).toFixed(2)} M samples per CPU-second  (${r.requests} requests, ${r.compressedBytesPerRequest} B compressed each)`,
    );
  }
}
