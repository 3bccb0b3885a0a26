/**
 * Native histogram scenario (issue 18), side by side in one run: exponential (schema 3) integer
 * histograms of latency-like series, written in time order through remote write 1.0
 * (`TimeSeries.histograms`) to
 *   - Strata,
 *   - Prometheus 2.42 with --enable-feature=native-histograms,
 * then persisted (Strata: force_flush + force_merge; Prometheus: a snapshot, head compacted) and
 * measured: ingest histogram samples/s, the server's CPU seconds (all threads) while the
 * requests were sent, per million histograms, and bytes per histogram sample of the histogram data
 * (Strata's `data/histograms/`, Prometheus's block chunks) and of the whole persisted directory.
 * The request bodies are built before the clock starts and are the same bytes for both.
 *
 *   node scripts/bench.mjs histograms [--series=300] [--hours=8] [--buckets=20] [--targets=strata,prom]
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRemoteWriteV1, type EncodeSeries } from '../src/ingest/index.js';
import type { FloatHistogram } from '../src/model/histogram.js';
import { Rng } from './gen/rng.js';
import { parseScenarioArgs } from './scenario-args.js';
import { dirBytes, freePort, httpRequest, PrometheusTarget, StrataTarget, type Target } from './targets/index.js';

interface Args {
  series: number;
  hours: number;
  buckets: number;
  targets: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const a = parseScenarioArgs<Args>(argv, { series: 300, hours: 8, buckets: 20, targets: ['strata', 'prom'] });
  if (!Number.isInteger(a.series) || a.series < 1) throw new Error('--series must be a positive integer');
  if (!(a.hours > 0 && a.hours <= 48)) throw new Error('--hours must be in (0, 48]');
  if (!Number.isInteger(a.buckets) || a.buckets < 1) throw new Error('--buckets must be a positive integer');
  return a;
}

const STEP_MS = 15_000;
/** Scrapes per request round (each series' samples of these scrapes go in one body). */
const STEPS_PER_ROUND = 20;
const CONNECTIONS = 4;

class PrometheusNative extends PrometheusTarget {
  protected override command(dataDir: string, port: number) {
    const c = super.command(dataDir, port);
    return { ...c, args: [...c.args, '--enable-feature=native-histograms'] };
  }
}

/**
 * Histograms in time order, as rounds of CONNECTIONS bodies: a round covers STEPS_PER_ROUND
 * scrapes, each of its bodies one shard of the series. Within a round the shards go in parallel;
 * rounds go one after the other, so no series ever gets an older sample after a newer one
 * (Prometheus refuses those) and no connection runs ahead of the others.
 */
function buildRounds(a: Args, fromT: number, toT: number): { rounds: Uint8Array[][]; samples: number } {
  const rng = new Rng(18);
  // Sorted by name, as Prometheus sends them.
  const labels = Array.from({ length: a.series }, (_, i) => [
    { name: '__name__', value: 'bench_request_duration_seconds' },
    { name: 'handler', value: `/api/h${i % 10}` },
    { name: 'instance', value: `host-${Math.floor(i / 10)}:8080` },
    { name: 'job', value: 'api' },
  ]);
  // Per series: absolute bucket counts, zero count, sum; a bell-shaped spread of observations.
  const counts = Array.from({ length: a.series }, () => new Float64Array(a.buckets));
  const weight = Float64Array.from({ length: a.buckets }, (_, k) => Math.exp(-(((k - a.buckets / 2) / (a.buckets / 5)) ** 2)));
  const zero = new Float64Array(a.series);
  const sum = new Float64Array(a.series);
  const offset = Array.from({ length: a.series }, () => -8 - Math.floor(rng.next() * 8));
  const rounds: Uint8Array[][] = [];
  let samples = 0;
  for (let t0 = fromT; t0 <= toT; t0 += STEPS_PER_ROUND * STEP_MS) {
    const shards: EncodeSeries[][] = Array.from({ length: CONNECTIONS }, () => []);
    for (let t = t0; t < t0 + STEPS_PER_ROUND * STEP_MS && t <= toT; t += STEP_MS) {
      for (let i = 0; i < a.series; i++) {
        const c = counts[i]!;
        for (let k = 0; k < a.buckets; k++) {
          const n = Math.floor(weight[k]! * 20 * rng.next());
          c[k]! += n;
          sum[i]! += n * 2 ** ((offset[i]! + k) / 8);
        }
        zero[i]! += rng.next() < 0.05 ? 1 : 0;
        let count = zero[i]!;
        for (const v of c) count += v;
        const h: FloatHistogram = {
          schema: 3,
          counterResetHint: 0,
          zeroThreshold: 2 ** -128,
          zeroCount: zero[i]!,
          count,
          sum: sum[i]!,
          positiveSpans: [{ offset: offset[i]!, length: a.buckets }],
          positiveBuckets: c.slice(),
          negativeSpans: [],
          negativeBuckets: new Float64Array(0),
          customValues: new Float64Array(0),
        };
        shards[i % CONNECTIONS]!.push({ labels: labels[i]!, histograms: [{ timestamp: t, histogram: h, integer: true }] });
        samples++;
      }
    }
    rounds.push(shards.filter((x) => x.length > 0).map((x) => encodeRemoteWriteV1(x)));
  }
  return { rounds, samples };
}

async function ingest(target: Target, rounds: readonly Uint8Array[][]): Promise<void> {
  const send = async (body: Uint8Array) => {
    const r = await httpRequest(target.baseUrl + target.writePath, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      timeoutMs: 600_000,
    });
    if (r.status !== 204 && r.status !== 200) throw new Error(`${target.label}: write answered ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
  };
  for (const round of rounds) await Promise.all(round.map(send));
}

/** Bytes of the histogram data proper: Strata's histogram parts, Prometheus's block chunk files. */
function histogramBytes(target: Target, dataDir: string): number {
  if (target instanceof StrataTarget) return dirBytes(join(dataDir, 'data', 'histograms'));
  const snaps = join(dataDir, 'snapshots');
  let n = 0;
  if (!existsSync(snaps)) return 0;
  for (const snap of readdirSync(snaps)) {
    for (const block of readdirSync(join(snaps, snap))) {
      const chunks = join(snaps, snap, block, 'chunks');
      if (existsSync(chunks) && statSync(chunks).isDirectory()) n += dirBytes(chunks);
    }
  }
  return n;
}

interface Row {
  label: string;
  samples: number;
  ingestS: number;
  /** Server CPU (user + system, all threads) spent while the requests were sent. */
  ingestCpuS: number;
  diskBytes: number;
  histBytes: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const toT = Math.floor(Date.now() / STEP_MS) * STEP_MS - 60_000;
  const fromT = toT - args.hours * 3_600_000;
  process.stderr.write(`[histograms] building request bodies\n`);
  const { rounds, samples } = buildRounds(args, fromT, toT);
  let wire = 0;
  for (const r of rounds) for (const b of r) wire += b.length;
  const all: Record<string, () => Target> = { strata: () => new StrataTarget(), prom: () => new PrometheusNative() };
  const rows: Row[] = [];
  for (const id of args.targets) {
    const target = all[id]!();
    const why = await target.prepare({ install: false });
    if (why) {
      process.stderr.write(`[histograms] ${target.label}: n/a (${why})\n`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), `strata-bench-histograms-${id}-`));
    try {
      await target.start(dir, await freePort(), join(dir, '..', `strata-bench-histograms-${id}.log`));
      process.stderr.write(`[histograms] ${target.label}: writing ${samples.toLocaleString('en')} histogram samples\n`);
      const cpu0 = target.stats().cpuSeconds;
      const t0 = performance.now();
      await ingest(target, rounds);
      const ingestS = (performance.now() - t0) / 1000;
      const ingestCpuS = target.stats().cpuSeconds - cpu0;
      const persisted = await target.persist();
      rows.push({
        label: target instanceof PrometheusNative ? `${target.version ?? 'Prometheus'} --enable-feature=native-histograms` : (target.version ?? target.label),
        samples,
        ingestS,
        ingestCpuS,
        diskBytes: persisted.diskBytes,
        histBytes: histogramBytes(target, dir),
      });
    } finally {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const lines: string[] = [];
  lines.push(
    `Native histograms: ${args.series} series × ${args.hours} h at 15 s, schema 3, ${args.buckets} buckets, integer counts (${samples.toLocaleString('en')} samples, ${(wire / 1048576).toFixed(1)} MiB of snappy remote write 1.0), ${CONNECTIONS} connections`,
  );
  lines.push('');
  lines.push('| system | ingest s | histogram samples/s | server CPU s per 1M histograms | histogram data bytes/sample | persisted dir bytes/sample |');
  lines.push('|---|---|---|---|---|---|');
  for (const r of rows)
    lines.push(
      `| ${r.label} | ${r.ingestS.toFixed(1)} | ${Math.round(r.samples / r.ingestS).toLocaleString('en')} | ${((r.ingestCpuS / r.samples) * 1e6).toFixed(2)} | ${(r.histBytes / r.samples).toFixed(2)} | ${(r.diskBytes / r.samples).toFixed(2)} |`,
    );
  const out = lines.join('\n');
  console.log('\n' + out);
  const resultsDir = join(process.cwd(), 'bench', 'results');
  try {
    writeFileSync(join(resultsDir, `histograms-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), out + '\n');
  } catch {
    // bench/results may not exist in a fresh checkout; the table is on stdout anyway.
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[histograms] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
