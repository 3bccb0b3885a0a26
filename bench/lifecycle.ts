/**
 * Data-lifecycle scenario (issue 19), side by side in one run: a year of 15 s samples of
 * node_exporter-like series (half counters, half gauges), written in time order through remote
 * write to
 *   - Strata with --downsampling.period=30d:5m,180d:1h,
 *   - Strata without downsampling,
 *   - VictoriaMetrics 1.79 OSS (no downsampling there),
 * then flushed and force-merged (which is where Strata downsamples), and measured: bytes on disk,
 * and the time of a one-year `rate` over all series (instant, and a range query at 1d steps).
 *
 *   node scripts/bench.mjs lifecycle [--series=1000] [--days=365] [--targets=strata-ds,strata,vm]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from './gen/rng.js';
import { parseScenarioArgs } from './scenario-args.js';
import { encodeLabelBlock, REMOTE_WRITE_HEADERS, WriteRequestBuilder } from './gen/remote-write.js';
import { freePort, httpRequest, StrataTarget, VictoriaMetricsTarget, type Target } from './targets/index.js';

interface Args {
  series: number;
  days: number;
  targets: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const a = parseScenarioArgs<Args>(argv, { series: 1000, days: 365, targets: ['strata-ds', 'strata', 'vm'] });
  if (!Number.isInteger(a.series) || a.series < 2) throw new Error('--series must be an integer ≥ 2');
  if (!(a.days > 0)) throw new Error('--days must be positive');
  return a;
}

const STEP_MS = 15_000;
const PER_REQUEST = 20_000;
const CONNECTIONS = 4;
const DOWNSAMPLING = '30d:5m,180d:1h';

class StrataWith extends StrataTarget {
  constructor(
    override readonly label: string,
    private readonly extra: string[],
  ) {
    super();
  }

  protected override command(dataDir: string, port: number) {
    const c = super.command(dataDir, port);
    return { ...c, args: [...c.args, '--retentionPeriod=2y', ...this.extra] };
  }
}

class LongVictoriaMetrics extends VictoriaMetricsTarget {
  protected override command(dataDir: string, port: number) {
    const c = super.command(dataDir, port);
    return { ...c, args: c.args.map((x) => (x.startsWith('-retentionPeriod=') ? '-retentionPeriod=2y' : x)) };
  }
}

/** The year's samples in time order, PER_REQUEST to a body; values as node_exporter's look. */
function* bodies(series: number, fromT: number, toT: number): Generator<Uint8Array> {
  const rng = new Rng(19);
  const labels = Array.from({ length: series }, (_, i) =>
    encodeLabelBlock([
      { name: '__name__', value: i % 2 === 0 ? 'lc_counter_total' : 'lc_gauge' },
      { name: 'instance', value: `host-${Math.floor(i / 2)}:9100` },
      { name: 'job', value: 'node' },
    ]),
  );
  const value: number[] = Array.from({ length: series }, (_, i) => (i % 2 === 0 ? 0 : 50));
  const rate = Array.from({ length: series }, () => 1 + Math.floor(rng.next() * 200));
  const b = new WriteRequestBuilder();
  for (let t = fromT; t <= toT; t += STEP_MS) {
    for (let i = 0; i < series; i++) {
      if (i % 2 === 0) value[i]! += Math.floor(rate[i]! * (0.5 + rng.next()));
      else value[i] = Math.round(Math.min(100, Math.max(0, value[i]! + (rng.next() - 0.5) * 4)) * 100) / 100;
      b.add(labels[i]!, t, value[i]!);
      if (b.sampleCount >= PER_REQUEST) yield b.finish().data;
    }
  }
  if (b.sampleCount > 0) yield b.finish().data;
}

async function ingest(target: Target, gen: Generator<Uint8Array>): Promise<void> {
  const worker = async () => {
    for (;;) {
      const n = gen.next();
      if (n.done) return;
      const r = await httpRequest(target.baseUrl + target.writePath, { method: 'POST', body: n.value, headers: REMOTE_WRITE_HEADERS, timeoutMs: 600_000 });
      if (r.status !== 204 && r.status !== 200) throw new Error(`${target.label}: write answered ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
}

async function timed(url: string): Promise<{ ms: number; series: number }> {
  const times: number[] = [];
  let series = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await httpRequest(url, { method: 'GET', timeoutMs: 600_000 });
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`query answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
    series = (JSON.parse(r.body.toString('utf8')) as { data: { result: unknown[] } }).data.result.length;
  }
  times.sort((a, b) => a - b);
  return { ms: times[2]!, series };
}

interface Row {
  label: string;
  samples: number;
  ingestS: number;
  diskBytes: number;
  instantMs: number;
  rangeMs: number;
  resultSeries: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const toT = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3_600_000;
  const fromT = toT - args.days * 86_400_000;
  const samples = args.series * (Math.floor((toT - fromT) / STEP_MS) + 1);
  const all: Record<string, () => Target> = {
    'strata-ds': () => new StrataWith(`Strata (${DOWNSAMPLING})`, [`--downsampling.period=${DOWNSAMPLING}`]),
    strata: () => new StrataWith('Strata (raw)', []),
    vm: () => new LongVictoriaMetrics(),
  };
  const rows: Row[] = [];
  for (const id of args.targets) {
    const target = all[id]!();
    const why = await target.prepare({ install: true });
    if (why) {
      process.stderr.write(`[lifecycle] ${target.label}: n/a (${why})\n`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), `strata-bench-lifecycle-${id}-`));
    try {
      await target.start(dir, await freePort(), join(dir, '..', `strata-bench-lifecycle-${id}.log`));
      process.stderr.write(`[lifecycle] ${target.label}: writing ${samples.toLocaleString('en')} samples\n`);
      const t0 = performance.now();
      await ingest(target, bodies(args.series, fromT, toT));
      const ingestS = (performance.now() - t0) / 1000;
      const persisted = await target.persist();
      const q = (path: string) => `${target.baseUrl}${path}`;
      const instant = await timed(q(`/api/v1/query?query=${encodeURIComponent('rate(lc_counter_total[365d])')}&time=${toT / 1000}`));
      const range = await timed(
        q(`/api/v1/query_range?query=${encodeURIComponent('rate(lc_counter_total[1d])')}&start=${fromT / 1000 + 86_400}&end=${toT / 1000}&step=86400`),
      );
      rows.push({
        label: target.label,
        samples,
        ingestS,
        diskBytes: persisted.diskBytes,
        instantMs: instant.ms,
        rangeMs: range.ms,
        resultSeries: range.series,
      });
    } finally {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const vm = rows.find((r) => r.label === 'VictoriaMetrics');
  const mib = (b: number) => (b / 1048576).toFixed(1);
  console.log(`\nLifecycle: ${args.series} series × ${args.days} days at 15 s (${samples.toLocaleString('en')} samples), time order, remote write 1.0\n`);
  console.log('| system | ingest s | disk MiB | bytes/raw sample | disk vs VictoriaMetrics | 1-year rate, instant | rate at 1d steps over a year | series |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = vm ? `${(vm.diskBytes / r.diskBytes).toFixed(1)}× less` : 'n/a';
    console.log(
      `| ${r.label} | ${r.ingestS.toFixed(0)} | ${mib(r.diskBytes)} | ${(r.diskBytes / r.samples).toFixed(3)} | ${r === vm ? '1×' : ratio} | ${r.instantMs.toFixed(0)} ms | ${r.rangeMs.toFixed(0)} ms | ${r.resultSeries} |`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[lifecycle] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
