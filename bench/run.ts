/**
 * Entry point of the benchmark suite: `npm run bench` (quick profile, under 5 minutes on 2 cores)
 * or `npm run bench -- --full`. Generates one dataset, then for each target in turn starts it on a
 * loopback port, replays the same bytes, persists, runs the query list and stops it by PID; then
 * runs the in-process micro benchmarks and prints one table (also written to bench/results/).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateChurn, generateDataset, type Dataset, type GenConfig, type HostShape } from './gen/index.js';
import { runIngest } from './ingest-e2e.js';
import { MICRO_BENCHES, runMicro } from './micro.js';
import { QUERIES, SCALE_QUERIES } from './queries.js';
import { RssSampler } from './rss-sampler.js';
import { cacheableAgeWaitMs, runChurn, runConcurrentMix, runFullScan, type ScaleOptions, type ScaleResult } from './scale.js';
import { runQueries, type QueryOptions } from './query-e2e.js';
import { machineInfo, renderReport, type BenchReport, type MicroRun, type TargetRun } from './report.js';
import { freePort, PrometheusTarget, repoRoot, StrataTarget, Unsupported, VictoriaMetricsTarget, type Target, type TargetId } from './targets/index.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type ProfileName = 'quick' | 'full' | 'scale';

export interface Profile {
  readonly name: ProfileName;
  readonly hosts: number;
  readonly scrapeIntervalSec: number;
  readonly durationMin: number;
  readonly churnFraction: number;
  readonly churnIntervalMin: number;
  readonly samplesPerRequest: number;
  readonly connections: number;
  readonly query: QueryOptions;
  readonly ingestBudgetSec: number;
  readonly microTimeoutSec: number;
  /** Micro benchmarks are skipped once the run has taken this long (keeps quick under 5 min). */
  readonly runBudgetSec: number;
  readonly hostShape: HostShape;
  /** Systems run with their rollup result caches on (VictoriaMetrics's, Strata's) or both off. */
  readonly rollupCache: boolean;
  /** The scale phases (mixed 16-way queries, full scan, churn); null in quick and full. */
  readonly scale: (ScaleOptions & { readonly churnRounds: number; readonly churnFraction: number; readonly fullScanTimeoutMs: number }) | null;
  readonly defaultTargets: string;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  quick: {
    name: 'quick',
    hosts: 40,
    scrapeIntervalSec: 15,
    durationMin: 120,
    churnFraction: 0.1,
    churnIntervalMin: 30,
    samplesPerRequest: 10_000,
    connections: 4,
    query: { sequentialRuns: 5, concurrency: 16, concurrentRequests: 48, phaseBudgetMs: 1500, timeoutMs: 30_000 },
    ingestBudgetSec: 60,
    microTimeoutSec: 40,
    runBudgetSec: 270,
    hostShape: 'small',
    rollupCache: false,
    scale: null,
    defaultTargets: 'vm,prom,strata',
  },
  full: {
    name: 'full',
    hosts: 200,
    scrapeIntervalSec: 10,
    durationMin: 180,
    churnFraction: 0.05,
    churnIntervalMin: 30,
    samplesPerRequest: 10_000,
    connections: 4,
    query: { sequentialRuns: 20, concurrency: 16, concurrentRequests: 320, phaseBudgetMs: 15_000, timeoutMs: 120_000 },
    ingestBudgetSec: 1800,
    microTimeoutSec: 600,
    runBudgetSec: Infinity,
    hostShape: 'small',
    rollupCache: false,
    scale: null,
    defaultTargets: 'vm,prom,strata',
  },
  // Issue 17: 100 wide hosts × ~1,000 series = ~100k series, 2 h at 10 s = ~72M samples. Both
  // systems keep their rollup caches on, as users run them. Prometheus is left out by default
  // (it takes longer than the rest together at this size); --targets=strata,vm,prom adds it.
  scale: {
    name: 'scale',
    hosts: 100,
    scrapeIntervalSec: 10,
    durationMin: 120,
    churnFraction: 0,
    churnIntervalMin: 30,
    samplesPerRequest: 10_000,
    connections: 4,
    query: { sequentialRuns: 5, concurrency: 16, concurrentRequests: 0, phaseBudgetMs: 20_000, timeoutMs: 60_000 },
    ingestBudgetSec: 900,
    microTimeoutSec: 0,
    runBudgetSec: 0,
    hostShape: 'wide',
    rollupCache: true,
    defaultTargets: 'vm,strata',
    scale: { concurrency: 16, concurrentRequests: 16 * 17, timeoutMs: 60_000, churnRounds: 3, churnFraction: 0.1, fullScanTimeoutMs: 300_000 },
  },
};

const TARGET_ALIASES: Readonly<Record<string, TargetId>> = {
  strata: 'strata',
  vm: 'victoriametrics',
  victoriametrics: 'victoriametrics',
  'victoria-metrics': 'victoriametrics',
  prom: 'prometheus',
  prometheus: 'prometheus',
};

export interface RunOptions {
  readonly profile: Profile;
  readonly targets: readonly TargetId[];
  readonly install: boolean;
  readonly seed: number;
  readonly micro: boolean;
  readonly queries: boolean;
  readonly outDir: string | null;
  readonly strataCli: string | undefined;
  readonly keepData: boolean;
  /** Replace the table in bench/README.md with this run's. */
  readonly updateReadme: boolean;
}

const USAGE = `usage: npm run bench [-- options]
  --full                     the full profile (default: quick, < 5 min)
  --scale                    the scale profile (100k series, 72M samples, 16-way query mix, churn; ~30 min)
  --targets=a,b              strata, vm, prom (default: all three)
  --hosts=N --scrape-interval=SEC --duration=MIN --churn=FRACTION --connections=N --samples-per-request=N
  --seed=N                   generator seed (default 42)
  --no-install               do not apt-get missing VictoriaMetrics/Prometheus
  --skip-micro --skip-queries
  --out=DIR                  where latest.md/latest.json go (default bench/results; '-' for none)
  --strata-cli=PATH          Strata CLI to run (default dist/cli.js)
  --keep-data                keep the data directories
  --readme                   put this run's table into bench/README.md`;

function num(name: string, v: string | undefined, lo: number, hi: number, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`--${name} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return n;
}

export function parseRunArgs(argv: readonly string[]): RunOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        full: { type: 'boolean' },
        scale: { type: 'boolean' },
        quick: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        targets: { type: 'string' },
        hosts: { type: 'string' },
        'scrape-interval': { type: 'string' },
        duration: { type: 'string' },
        churn: { type: 'string' },
        connections: { type: 'string' },
        'samples-per-request': { type: 'string' },
        seed: { type: 'string' },
        'no-install': { type: 'boolean' },
        'skip-micro': { type: 'boolean' },
        'skip-queries': { type: 'boolean' },
        out: { type: 'string' },
        'strata-cli': { type: 'string' },
        'keep-data': { type: 'boolean' },
        readme: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const base = v.scale ? PROFILES.scale : v.full ? PROFILES.full : PROFILES.quick;
  const profile: Profile = {
    ...base,
    hosts: num('hosts', v.hosts, 1, 100_000, base.hosts),
    scrapeIntervalSec: num('scrape-interval', v['scrape-interval'], 1, 60, base.scrapeIntervalSec),
    durationMin: num('duration', v.duration, 1, 60 * 24 * 31, base.durationMin),
    churnFraction: num('churn', v.churn, 0, 1, base.churnFraction),
    connections: num('connections', v.connections, 1, 64, base.connections),
    samplesPerRequest: num('samples-per-request', v['samples-per-request'], 1, 1_000_000, base.samplesPerRequest),
  };
  const targets: TargetId[] = [];
  for (const raw of (v.targets ?? base.defaultTargets).split(',')) {
    const id = TARGET_ALIASES[raw.trim().toLowerCase()];
    if (!id) throw new UsageError(`unknown target ${JSON.stringify(raw)}: want strata, vm or prom`);
    if (!targets.includes(id)) targets.push(id);
  }
  return {
    profile,
    targets,
    install: !v['no-install'],
    seed: num('seed', v.seed, 0, 0xffffffff, 42),
    micro: !v['skip-micro'] && !base.scale,
    queries: !v['skip-queries'],
    outDir: v.out === '-' ? null : (v.out ?? join(repoRoot(), 'bench', 'results')),
    strataCli: v['strata-cli'],
    keepData: !!v['keep-data'],
    updateReadme: !!v.readme,
  };
}

function makeTarget(id: TargetId, opts: RunOptions): Target {
  if (id === 'strata') return new StrataTarget(opts.strataCli, opts.profile.rollupCache);
  if (id === 'victoriametrics') return new VictoriaMetricsTarget(opts.profile.rollupCache);
  return new PrometheusTarget();
}

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

export async function runBench(opts: RunOptions): Promise<BenchReport> {
  const began = performance.now();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = machineInfo();
  const p = opts.profile;
  const targets = opts.targets.map((id) => makeTarget(id, opts));
  const runs: TargetRun[] = targets.map((t) => ({
    id: t.id,
    label: t.label,
    version: 'unknown',
    skipped: '',
    ingest: null,
    ingestError: '',
    queries: [],
    queryError: '',
  }));
  for (let i = 0; i < targets.length; i++) {
    const reason = await targets[i]!.prepare({ install: opts.install });
    runs[i]!.version = targets[i]!.version;
    if (reason) {
      runs[i]!.skipped = reason;
      log(`${targets[i]!.label}: MISSING — ${reason}`);
    } else log(`${targets[i]!.label}: ${targets[i]!.version}`);
  }

  const intervalMs = p.scrapeIntervalSec * 1000;
  const config: GenConfig = {
    seed: opts.seed,
    hosts: p.hosts,
    scrapeIntervalMs: intervalMs,
    durationMs: p.durationMin * 60_000,
    // Prometheus only takes samples near its head, so the data ends at "now".
    endMs: Math.floor(Date.now() / intervalMs) * intervalMs,
    churnFraction: p.churnFraction,
    churnIntervalMs: Math.max(intervalMs, p.churnIntervalMin * 60_000),
    samplesPerRequest: p.samplesPerRequest,
    shards: p.connections,
    hostShape: p.hostShape,
  };
  log(`generating ${p.hosts} hosts × ${p.durationMin} min at ${p.scrapeIntervalSec} s …`);
  const dataset = generateDataset(config);
  log(
    `${(dataset.totalSamples / 1e6).toFixed(2)}M samples, ${dataset.requests} requests, ${(dataset.compressedBytes / 2 ** 20).toFixed(1)} MiB in ${(dataset.generationMs / 1000).toFixed(1)} s`,
  );

  const workRoot = mkdtempSync(join(os.tmpdir(), 'strata-bench-'));
  // Stop whatever is running if the user interrupts: every server is ours, stopped by its PID.
  let current: Target | null = null;
  const onSignal = (): void => {
    log('interrupted: stopping servers');
    void (current?.stop() ?? Promise.resolve()).finally(() => {
      if (!opts.keepData) rmSync(workRoot, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const run = runs[i]!;
      if (run.skipped) continue;
      const dataDir = join(workRoot, t.id, 'data');
      mkdirSync(dataDir, { recursive: true });
      const port = await freePort();
      run.loadAtStart = os.loadavg()[0];
      log(`${t.label}: starting on 127.0.0.1:${port} (load ${run.loadAtStart!.toFixed(2)})`);
      try {
        current = t;
        await t.start(dataDir, port, join(workRoot, `${t.id}.log`));
      } catch (e) {
        run.skipped = `start failed: ${(e as Error).message.split('\n')[0]}`;
        log(`${t.label}: ${(e as Error).message}`);
        current = null;
        continue;
      }
      try {
        log(`${t.label}: ingesting`);
        try {
          run.ingest = await runIngest(t, dataset, { budgetMs: p.ingestBudgetSec * 1000, log });
          const r = run.ingest;
          log(
            `${t.label}: ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s, ${r.cpuSecondsPerMillion.toFixed(2)} CPU s/M, ` +
              `${r.bytesPerSample === null ? 'disk n/a' : `${r.bytesPerSample.toFixed(2)} B/sample`}${r.failedRequests ? `, ${r.failedRequests} failed (${r.firstError})` : ''}`,
          );
        } catch (e) {
          run.ingestError = e instanceof Unsupported ? e.message : `failed: ${(e as Error).message}`;
          log(`${t.label}: ingestion n/a — ${run.ingestError}`);
        }
        if (opts.queries && run.ingest) {
          try {
            await t.makeQueryable();
            if (p.rollupCache) {
              const wait = cacheableAgeWaitMs(dataset.endMs, Date.now());
              if (wait > 0) {
                log(`${t.label}: waiting ${(wait / 1000).toFixed(0)} s until every step of the data is past the caches' 5-minute offset`);
                await new Promise((r) => setTimeout(r, wait));
              }
            }
            const before = t.stats();
            const rss = new RssSampler(t.pid);
            run.queries = await runQueries(t, p.scale ? SCALE_QUERIES : QUERIES, dataset, p.query, log);
            const seqRss = rss.stop();
            if (p.scale) {
              const ran = run.queries.reduce((n, q) => n + q.sequentialRuns + 1, 0);
              run.scale = await runScale(t, dataset, p, seqRss, (t.stats().cpuSeconds - before.cpuSeconds) / Math.max(1, ran));
            }
          } catch (e) {
            run.queryError = e instanceof Unsupported ? e.message : `failed: ${(e as Error).message}`;
            log(`${t.label}: queries n/a — ${run.queryError}`);
          }
        }
      } finally {
        await t.stop();
        current = null;
        if (!opts.keepData) rmSync(join(workRoot, t.id), { recursive: true, force: true });
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (!opts.keepData) rmSync(workRoot, { recursive: true, force: true });
    else log(`data kept in ${workRoot}`);
  }

  const micro: MicroRun[] = [];
  if (opts.micro) {
    for (const mb of MICRO_BENCHES) {
      const elapsed = (performance.now() - began) / 1000;
      const left = p.runBudgetSec - elapsed;
      if (left < 5) {
        micro.push({ name: mb.name, error: `skipped: ${p.name} profile time budget used up`, seconds: 0, result: null });
        continue;
      }
      log(`micro: ${mb.name}`);
      micro.push(await runMicro(mb, { quick: p.name === 'quick', timeoutMs: Math.min(p.microTimeoutSec, left) * 1000 }));
    }
  }

  machine.loadAtEnd = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return {
    profile: p.name,
    startedAt,
    wallSeconds: (performance.now() - began) / 1000,
    machine,
    dataset: {
      hosts: p.hosts,
      scrapeIntervalSec: p.scrapeIntervalSec,
      durationMin: p.durationMin,
      churn: p.churnFraction > 0 ? `${Math.round(p.churnFraction * 100)}% of hosts every ${p.churnIntervalMin} min` : 'none',
      totalSamples: dataset.totalSamples,
      activeSeries: dataset.activeSeries.length,
      seriesCreated: dataset.seriesCreated,
      requests: dataset.requests,
      samplesPerRequest: p.samplesPerRequest,
      connections: p.connections,
      compressedMiB: dataset.compressedBytes / 2 ** 20,
      generationSec: dataset.generationMs / 1000,
    },
    queries: p.scale ? SCALE_QUERIES : QUERIES,
    targets: runs,
    micro,
  };
}

/** The scale profile's phases after the per-query sequential runs; a failing phase is recorded, not fatal. */
async function runScale(t: Target, dataset: Dataset, p: Profile, seqRss: number, seqCpu: number): Promise<ScaleResult> {
  const sc = p.scale!;
  const out: ScaleResult = { sequentialPeakRssBytes: seqRss, sequentialCpuSecondsPerQuery: seqCpu, concurrent: null, fullScan: null, churn: null, error: '' };
  try {
    log(`${t.label}: ${sc.concurrentRequests} queries ${sc.concurrency}-way`);
    out.concurrent = await runConcurrentMix(t, SCALE_QUERIES, dataset, sc);
    const c = out.concurrent;
    log(
      `${t.label}: ${c.qps.toFixed(2)} q/s, p50 ${c.p50Ms.toFixed(0)} ms, p99 ${c.p99Ms.toFixed(0)} ms, ${c.errors} errors${c.firstError ? ` (${c.firstError})` : ''}, ${(c.peakRssBytes / 2 ** 20).toFixed(0)} MiB peak`,
    );
    log(`${t.label}: full scan`);
    out.fullScan = await runFullScan(t, dataset, sc.fullScanTimeoutMs);
    log(`${t.label}: full scan ${out.fullScan.ms.toFixed(0)} ms = ${out.fullScan.value}${out.fullScan.error ? ` (${out.fullScan.error})` : ''}`);
    const churn = generateChurn(dataset, sc.churnRounds, sc.churnFraction);
    log(`${t.label}: churn, ${churn.newSeries} new series`);
    out.churn = await runChurn(t, churn);
    log(`${t.label}: ${Math.round(out.churn.seriesPerSecond)} series/s created`);
  } catch (e) {
    out.error = (e as Error).message;
    log(`${t.label}: scale phase failed — ${out.error}`);
  }
  return out;
}

const START = '<!-- latest-table:start -->';
const END = '<!-- latest-table:end -->';

/** The README with the text between the latest-table markers replaced (headings one level down). */
export function replaceLatestTable(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${START} … ${END} markers`);
  const body = table.replace(/^(#{2,5}) /gm, '#$1 ');
  return `${readme.slice(0, a + START.length)}\n${body.trim()}\n${readme.slice(b)}`;
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseRunArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const report = await runBench(opts);
  const text = renderReport(report);
  process.stdout.write(`\n${text}\n`);
  if (opts.outDir) {
    mkdirSync(opts.outDir, { recursive: true });
    writeFileSync(join(opts.outDir, `latest-${report.profile}.md`), text + '\n');
    const { queries, ...rest } = report;
    writeFileSync(
      join(opts.outDir, `latest-${report.profile}.json`),
      JSON.stringify({ ...rest, queries: queries.map((q) => ({ id: q.id, window: q.window, expr: q.expr })) }, null, 2) + '\n',
    );
    log(`wrote ${join(opts.outDir, `latest-${report.profile}.md`)}`);
  }
  if (opts.updateReadme) {
    const readme = join(repoRoot(), 'bench', 'README.md');
    writeFileSync(readme, replaceLatestTable(readFileSync(readme, 'utf8'), text));
    log(`updated ${readme}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
