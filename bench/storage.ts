/**
 * Storage engine benchmark: append rate, bytes per sample after force_merge on node_exporter-like
 * data, steady-state RSS with 10× more samples for the same series, and restart time with a full
 * WAL of one million series.
 *
 *   npx tsc -p tsconfig.bench.json; node --expose-gc build/bench/storage.js [--hosts=N] [--hours=H] [--restart-series=N]
 */
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
async function ingestNodeExporter(s: Storage, o: StorageBenchOptions, scrapes: number, startMs: number): Promise<{ series: number; samples: number; ms: number }> {
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
  for (let k = 0; k < scrapes; k++) {
    const t = startMs + k * o.scrapeIntervalSec * 1000;
    let i = 0;
    for (const h of hosts) {
      if (k > 0) h.advance(o.scrapeIntervalSec, t);
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

    // 3. RSS: the same series, 1× then 10× the samples (after flushes settle).
    const small = await Storage.open(opts(join(root, 'b')));
    const perRound = Math.max(1, Math.round(scrapes / 10));
    await ingestNodeExporter(small, o, perRound, start);
    await small.forceFlush();
    const rssSmallMiB = rssMiB();
    await small.close();
    const large = await Storage.open(opts(join(root, 'c')));
    await ingestNodeExporter(large, o, perRound * 10, start);
    await large.forceFlush();
    const rssLargeMiB = rssMiB();
    await large.close();

    // 4. Restart with a full WAL holding restartSeries series (2 samples each), never flushed.
    const walDir = join(root, 'd');
    const w = await Storage.open(opts(walDir, { flushIntervalMs: 3_600_000, maxPendingRows: 1e9, walFsync: 'never' }));
    const n = o.restartSeries;
    const batch = 100_000;
    const bi = new Float64Array(batch);
    const bt = new Float64Array(batch);
    const bv = new Float64Array(batch);
    for (let round = 0; round < 2; round++) {
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
    options: { hosts: { type: 'string' }, hours: { type: 'string' }, 'restart-series': { type: 'string' } },
  });
  const o: StorageBenchOptions = {
    ...DEFAULT_STORAGE_BENCH,
    ...(values.hosts ? { hosts: Number(values.hosts) } : {}),
    ...(values.hours ? { hours: Number(values.hours) } : {}),
    ...(values['restart-series'] ? { restartSeries: Number(values['restart-series']) } : {}),
  };
  const r = await runStorageBench(o);
  console.log(JSON.stringify(r, null, 2));
}
