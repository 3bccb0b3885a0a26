/**
 * Turns a generator configuration into pre-encoded remote-write bodies, split into shards the way
 * Prometheus's remote-write queue splits series: every series lives in exactly one shard and each
 * shard's bodies are in time order, so N connections (one per shard) never reorder a series.
 */
import type { Labels } from '../../src/model/index.js';
import { HostModel, type HostShape } from './node-exporter.js';
import { encodeLabelBlock, WriteRequestBuilder, type EncodedBody } from './remote-write.js';
import { Rng } from './rng.js';

export class GenConfigError extends Error {
  override name = 'GenConfigError';
}

export interface GenConfig {
  readonly seed: number;
  readonly hosts: number;
  /** 1 s to 60 s. */
  readonly scrapeIntervalMs: number;
  readonly durationMs: number;
  /** Time of the last scrape round (ms); data covers (endMs − durationMs, endMs]. */
  readonly endMs: number;
  /** Fraction of hosts replaced (new instance label, old series marked stale) every churn interval. */
  readonly churnFraction: number;
  readonly churnIntervalMs: number;
  /** Upper bound of samples in one request body. */
  readonly samplesPerRequest: number;
  /** Number of independent, per-series-ordered streams (one per connection). */
  readonly shards: number;
  /** Series layout of every host (default `small`, ~250 series). */
  readonly hostShape?: HostShape;
}

export interface Dataset {
  readonly config: GenConfig;
  /** shards[i] is sent in order over connection i. */
  readonly shards: readonly (readonly EncodedBody[])[];
  readonly startMs: number;
  readonly endMs: number;
  readonly scrapes: number;
  /** Every sample in every body, staleness markers included. */
  readonly totalSamples: number;
  readonly staleMarkers: number;
  readonly requests: number;
  /** Distinct series ever written (churn makes this exceed the active count). */
  readonly seriesCreated: number;
  /** Series of the hosts alive at the last scrape round. */
  readonly activeSeries: readonly Labels[];
  readonly activeInstances: readonly string[];
  readonly compressedBytes: number;
  readonly rawBytes: number;
  readonly generationMs: number;
}

function validate(c: GenConfig): void {
  const intIn = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new GenConfigError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  intIn('hosts', c.hosts, 1, 1_000_000);
  intIn('scrapeIntervalMs', c.scrapeIntervalMs, 1000, 60_000);
  intIn('durationMs', c.durationMs, c.scrapeIntervalMs, 366 * 86_400_000);
  intIn('endMs', c.endMs, c.durationMs, 8.64e15);
  intIn('samplesPerRequest', c.samplesPerRequest, 1, 10_000_000);
  intIn('shards', c.shards, 1, 1024);
  intIn('churnIntervalMs', c.churnIntervalMs, c.scrapeIntervalMs, 366 * 86_400_000);
  intIn('seed', c.seed, 0, 0xffffffff);
  if (!(c.churnFraction >= 0 && c.churnFraction <= 1)) throw new GenConfigError(`churnFraction must be in [0, 1], got ${c.churnFraction}`);
}

interface LiveHost {
  model: HostModel;
  blocks: Uint8Array[];
  /** Fixed scrape phase within the interval, as Prometheus spreads targets. */
  offsetMs: number;
  lastT: number;
}

/** Generates the whole dataset in memory. Deterministic: equal configs give equal bytes. */
export function generateDataset(config: GenConfig): Dataset {
  validate(config);
  const began = performance.now();
  const { scrapeIntervalMs: interval, shards: shardCount } = config;
  const scrapes = Math.floor(config.durationMs / interval);
  const startMs = config.endMs - (scrapes - 1) * interval;
  const rng = new Rng(config.seed);
  const churnRng = rng.fork(1);
  const jitterRng = rng.fork(2);

  const builders = Array.from({ length: shardCount }, () => new WriteRequestBuilder());
  const shards: EncodedBody[][] = Array.from({ length: shardCount }, () => []);
  let totalSamples = 0;
  let staleMarkers = 0;
  let seriesCreated = 0;
  let compressedBytes = 0;
  let rawBytes = 0;
  const emit = (shard: number, block: Uint8Array, t: number, v: number, stale: boolean): void => {
    const b = builders[shard]!;
    b.add(block, t, v, stale);
    totalSamples++;
    if (b.sampleCount >= config.samplesPerRequest) {
      const body = b.finish();
      compressedBytes += body.data.length;
      rawBytes += body.rawBytes;
      shards[shard]!.push(body);
    }
  };

  const spawn = (index: number, generation: number, t: number): LiveHost => {
    const model = new HostModel(index, generation, config.seed, t, config.hostShape);
    seriesCreated += model.seriesCount;
    return {
      model,
      blocks: model.labels.map(encodeLabelBlock),
      offsetMs: jitterRng.int(interval),
      lastT: NaN,
    };
  };
  const hosts: LiveHost[] = [];
  for (let h = 0; h < config.hosts; h++) hosts.push(spawn(h, 0, startMs));
  const generations = new Int32Array(config.hosts);
  const churnPerRound = Math.round(config.hosts * config.churnFraction);
  let nextChurn = startMs + config.churnIntervalMs;

  for (let s = 0; s < scrapes; s++) {
    const round = startMs + s * interval;
    const retiring: LiveHost[] = [];
    if (churnPerRound > 0 && round >= nextChurn) {
      nextChurn += config.churnIntervalMs;
      const chosen = new Set<number>();
      while (chosen.size < churnPerRound) chosen.add(churnRng.int(config.hosts));
      for (const h of [...chosen].sort((a, b) => a - b)) {
        retiring.push(hosts[h]!);
        generations[h]!++;
        hosts[h] = spawn(h, generations[h]!, round);
      }
    }
    // A target that disappeared gets staleness markers at what would have been its next scrape.
    for (const old of retiring) {
      const t = old.lastT + interval;
      for (let i = 0; i < old.blocks.length; i++) {
        emit((old.model.hostIndex + i) % shardCount, old.blocks[i]!, t, NaN, true);
        staleMarkers++;
      }
    }
    for (const host of hosts) {
      // Real scrapes land a few ms off their slot now and then (earlier, so no sample passes endMs).
      const t = round - host.offsetMs - (jitterRng.next() < 0.1 ? jitterRng.int(5) : 0);
      if (host.lastT === host.lastT) host.model.advance((t - host.lastT) / 1000, t);
      host.lastT = t;
      const values = host.model.values;
      const blocks = host.blocks;
      const base = host.model.hostIndex;
      for (let i = 0; i < blocks.length; i++) emit((base + i) % shardCount, blocks[i]!, t, values[i]!, false);
    }
  }
  for (let i = 0; i < shardCount; i++) {
    if (builders[i]!.sampleCount === 0) continue;
    const body = builders[i]!.finish();
    compressedBytes += body.data.length;
    rawBytes += body.rawBytes;
    shards[i]!.push(body);
  }
  return {
    config,
    shards,
    startMs,
    endMs: config.endMs,
    scrapes,
    totalSamples,
    staleMarkers,
    requests: shards.reduce((n, s) => n + s.length, 0),
    seriesCreated,
    activeSeries: hosts.flatMap((h) => h.model.labels),
    activeInstances: hosts.map((h) => h.model.instance),
    compressedBytes,
    rawBytes,
    generationMs: performance.now() - began,
  };
}

export interface ChurnSet {
  /** shards[i] is sent in order over connection i. */
  readonly shards: readonly (readonly EncodedBody[])[];
  /** Series that did not exist before this set. */
  readonly newSeries: number;
  readonly samples: number;
}

/**
 * A churn wave after the data set: `fraction` of the hosts restart under new instance labels
 * (generation `1000 + round`, so no name repeats what the data set wrote) in each of `rounds`
 * consecutive scrape rounds after `dataset.endMs`; every sample of these bodies creates a series.
 */
export function generateChurn(dataset: Dataset, rounds: number, fraction: number): ChurnSet {
  const config = dataset.config;
  const perRound = Math.max(1, Math.round(config.hosts * fraction));
  const builders = Array.from({ length: config.shards }, () => new WriteRequestBuilder());
  const shards: EncodedBody[][] = Array.from({ length: config.shards }, () => []);
  let samples = 0;
  for (let r = 0; r < rounds; r++) {
    const t = dataset.endMs + (r + 1) * config.scrapeIntervalMs;
    for (let k = 0; k < perRound; k++) {
      const h = (r * perRound + k) % config.hosts;
      const model = new HostModel(h, 1000 + r, config.seed, t, config.hostShape);
      for (let i = 0; i < model.labels.length; i++) {
        const shard = (h + i) % config.shards;
        const b = builders[shard]!;
        b.add(encodeLabelBlock(model.labels[i]!), t, model.values[i]!, false);
        samples++;
        if (b.sampleCount >= config.samplesPerRequest) shards[shard]!.push(b.finish());
      }
    }
  }
  for (let i = 0; i < config.shards; i++) if (builders[i]!.sampleCount > 0) shards[i]!.push(builders[i]!.finish());
  return { shards, newSeries: samples, samples };
}
