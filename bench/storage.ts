/**
 * Storage engine benchmark: append rate, bytes per sample after force_merge on node_exporter-like
 * data, steady-state RSS with 10× more samples for the same series, and restart time with a full
 * WAL of one million series.
 *
 *   npx tsc -p tsconfig.bench.json; node --expose-gc build/bench/storage.js [--hosts=N] [--hours=H] [--restart-series=N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Storage, type StorageOptions } from '../src/storage/index.js';
import { HostModel } from './gen/node-exporter.js';

export interface StorageBenchOptions {
  hosts: number;
  hours: number;
  scrapeIntervalSec: number;
  restartSeries: number;
  seed: number;
}

export interface StorageBenchResult {
  series: number;
  samples: number;
  appendRowsPerSec: number;
  bytesPerSample: number;
  diskBytes: number;
  forceMergeSec: number;
  rssSmallMiB: number;
  rssLargeMiB: number;
  rssGrowthPct: number;
  restartSeries: number;
  restartWalRows: number;
  restartSec: number;
}

export const DEFAULT_STORAGE_BENCH: StorageBenchOptions = { hosts: 20, hours: 6, scrapeIntervalSec: 15, restartSeries: 1_000_000, seed: 42 };

function opts(dataPath: string, extra: Partial<StorageOptions> = {}): StorageOptions {
  return {
    dataPath,
    retentionMs: 0,
    dedupIntervalMs: 0,
    flushIntervalMs: 5000,
    walFsync: 'interval',
    walFsyncIntervalMs: 1000,
    ...extra,
  };
}

/** Ingests `scrapes` rounds of every host; series ids are assigned host by host. */
async function ingestNodeExporter(
  s: Storage,
  o: StorageBenchOptions,
  scrapes: number,
  startMs: number,
  firstScrape = 0,
): Promise<{ series: number; samples: number; ms: number }> {
  const hosts = Array.from({ length: o.hosts }, (_, h) => new HostModel(h, 0, o.seed, startMs));
  const series = hosts.reduce((a, h) => a + h.seriesCount, 0);
  const ids = Float64Array.from({ length: series }, (_, i) => i + 1);
  const ts = new Float64Array(series);
  const vs = new Float64Array(series);
  let jitterState = o.seed >>> 0;
  const jitter = (): number => {
    // Real scrapes land within a few ms of the grid now and then.
    jitterState = (Math.imul(jitterState, 1664525) + 1013904223) >>> 0;
    return jitterState % 10 === 0 ? (jitterState >>> 8) % 5 : 0;
  };
  let samples = 0;
  const started = performance.now();
  for (let k = firstScrape; k < firstScrape + scrapes; k++) {
    const t = startMs + k * o.scrapeIntervalSec * 1000;
    let i = 0;
    for (const h of hosts) {
      if (k > firstScrape) h.advance(o.scrapeIntervalSec, t);
      const tj = t + jitter();
      for (let j = 0; j < h.seriesCount; j++, i++) {
        ts[i] = tj;
        vs[i] = h.values[j]!;
      }
    }
    await s.append(ids, ts, vs, series);
    samples += series;
  }
  return { series, samples, ms: performance.now() - started };
}

/**
 * Child side of the RSS figure: one fresh process ingests `scrapes` rounds, then 9× more for the
 * same series, with flushes keeping pace (as the 5 s flush does in real time). RSS is read after
 * each phase once merges settle: the median of three readings after GC.
 */
async function rssPhase(dataPath: string, o: StorageBenchOptions, scrapes: number): Promise<[number, number]> {
  const s = await Storage.open(opts(dataPath, { maxPendingRows: 50_000, useWorker: !process.env.STRATA_BENCH_NO_WORKER }));
  const start = Date.UTC(2026, 10, 2);
  const settle = async (): Promise<number> => {
    await s.forceFlush();
    await s.whenIdle();
    const r: number[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 300));
      r.push(rssMiB());
    }
    if (process.env.STRATA_BENCH_VERBOSE) console.error(JSON.stringify({ mem: process.memoryUsage(), stats: s.stats() }));
    return r.sort((x, y) => x - y)[1]!;
  };
  await ingestNodeExporter(s, o, scrapes, start, 0);
  const one = await settle();
  await ingestNodeExporter(s, o, scrapes * 9, start, scrapes);
  const ten = await settle();
  await s.close();
  return [one, ten];
}

function rssChild(dataPath: string, o: StorageBenchOptions, scrapes: number): [number, number] {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `--rss-child=${scrapes}`, `--data=${dataPath}`, `--hosts=${o.hosts}`], {
    encoding: 'utf8',
  });
  const m = /rss=([\d.]+),([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`rss child failed: ${r.stderr}`);
  return [Number(m[1]), Number(m[2])];
}

function rssMiB(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
  return process.memoryUsage().rss / 2 ** 20;
}

export async function runStorageBench(o: StorageBenchOptions = DEFAULT_STORAGE_BENCH): Promise<StorageBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-storage-'));
  try {
    const scrapes = Math.round((o.hours * 3600) / o.scrapeIntervalSec);
    const start = Date.UTC(2026, 10, 2);

    // 1+2. Append rate and bytes per sample after force_merge.
    const s = await Storage.open(opts(join(root, 'a')));
    const ing = await ingestNodeExporter(s, o, scrapes, start);
    const mergeStart = performance.now();
    await s.forceMerge();
    const forceMergeSec = (performance.now() - mergeStart) / 1000;
    const st = s.stats();
    await s.close();

    // 3. RSS: the same series, 1× then 10× the samples, in a fresh process so the other phases'
    // heap high-water marks do not leak into the figure.
    const [rssSmallMiB, rssLargeMiB] = rssChild(join(root, 'b'), o, scrapes);

    // 4. Restart with a full WAL: restartSeries series, 4 samples each — with the default flush
    // bound (2^21 rows, and writers held back at twice that) the WAL never holds more.
    const walDir = join(root, 'd');
    const w = await Storage.open(opts(walDir, { flushIntervalMs: 3_600_000, maxPendingRows: 1e9, walFsync: 'never' }));
    const n = o.restartSeries;
    const batch = 100_000;
    const bi = new Float64Array(batch);
    const bt = new Float64Array(batch);
    const bv = new Float64Array(batch);
    for (let round = 0; round < 4; round++) {
      for (let from = 0; from < n; from += batch) {
        const c = Math.min(batch, n - from);
        for (let i = 0; i < c; i++) {
          bi[i] = from + i + 1;
          bt[i] = start + round * 15_000;
          bv[i] = (from + i) * 0.25 + round;
        }
        await w.append(bi, bt, bv, c);
      }
    }
    const walRows = w.stats().pendingRows;
    // No close(): the process "dies" here with everything only in the WAL.
    const t0 = performance.now();
    const again = await Storage.open(opts(walDir));
    const restartSec = (performance.now() - t0) / 1000;
    await again.close();

    return {
      series: ing.series,
      samples: ing.samples,
      appendRowsPerSec: Math.round(ing.samples / (ing.ms / 1000)),
      bytesPerSample: st.diskBytes / ing.samples,
      diskBytes: st.diskBytes,
      forceMergeSec,
      rssSmallMiB: Math.round(rssSmallMiB),
      rssLargeMiB: Math.round(rssLargeMiB),
      rssGrowthPct: Math.round(((rssLargeMiB - rssSmallMiB) / rssSmallMiB) * 1000) / 10,
      restartSeries: n,
      restartWalRows: walRows,
      restartSec,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string' },
      hours: { type: 'string' },
      'restart-series': { type: 'string' },
      'rss-child': { type: 'string' },
      data: { type: 'string' },
    },
  });
  const o: StorageBenchOptions = {
    ...DEFAULT_STORAGE_BENCH,
    ...(values.hosts ? { hosts: Number(values.hosts) } : {}),
    ...(values.hours ? { hours: Number(values.hours) } : {}),
    ...(values['restart-series'] ? { restartSeries: Number(values['restart-series']) } : {}),
  };
  if (values['rss-child'] && values.data) {
    const [one, ten] = await rssPhase(values.data, o, Number(values['rss-child']));
    console.log(`rss=${one},${ten}`);
  } else {
    console.log(JSON.stringify(await runStorageBench(o), null, 2));
  }
}
