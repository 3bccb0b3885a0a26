/**
 * End-to-end ingestion: replays a dataset's pre-encoded remote-write bodies against a running
 * target over N keep-alive connections (one per shard, so per-series order holds) and measures
 * throughput, server CPU, RSS and, after the target persists, bytes on disk per sample.
 */
import type { Dataset } from './gen/index.js';
import { REMOTE_WRITE_HEADERS } from './gen/index.js';
import { httpRequest, keepAliveAgent, type Target, Unsupported } from './targets/index.js';
import { sleep } from './targets/process.js';
import { RssSampler } from './rss-sampler.js';

export interface IngestResult {
  readonly samplesSent: number;
  /** Samples in bodies the target answered 2xx. */
  readonly samplesAccepted: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly firstError: string;
  readonly wallSeconds: number;
  readonly samplesPerSecond: number;
  readonly cpuSeconds: number;
  readonly cpuSecondsPerMillion: number;
  /** Server CPU from the first request until persist finished: includes work deferred past the
   * acknowledgement (memtable flushes, merges, Prometheus's head compaction into the snapshot). */
  readonly cpuSecondsPerMillionWithPersist: number;
  /** CPU the benchmark client itself spent sending (it shares the machine with the server). */
  readonly clientCpuSeconds: number;
  readonly peakRssBytes: number;
  /** Peak RSS while the requests were in flight, and while the target flushed/merged (sampled). */
  readonly sendPeakRssBytes: number;
  readonly persistPeakRssBytes: number;
  /** RSS after ingestion, persist and a short idle period. */
  readonly steadyRssBytes: number;
  /** null when the target could not persist; see persistNote. */
  readonly diskBytes: number | null;
  readonly bytesPerSample: number | null;
  /** Bytes of the label/series index alone, when the target keeps it apart. */
  readonly indexBytes: number | null;
  readonly persistNote: string;
  readonly persistSeconds: number;
  /** False when the time budget ran out before every body was sent. */
  readonly complete: boolean;
}

export interface IngestOptions {
  /** How far (ms of data) one connection may run ahead of the slowest; Prometheus rejects samples
   * more than an hour older than its newest, so shards must not drift apart. */
  readonly maxShardSkewMs?: number;
  readonly settleMs?: number;
  /** Stop sending after this long; the figures then cover what was sent (see `complete`). */
  readonly budgetMs?: number;
  readonly log?: (msg: string) => void;
}

export async function runIngest(target: Target, dataset: Dataset, opts: IngestOptions = {}): Promise<IngestResult> {
  const shards = dataset.shards;
  const url = target.baseUrl + target.writePath;
  const agent = keepAliveAgent(shards.length);
  const skew = opts.maxShardSkewMs ?? 20 * 60_000;
  const log = opts.log ?? ((): void => {});

  // Probe with the first body so a missing endpoint is one clear "n/a", not thousands of errors.
  const first = shards.find((s) => s.length > 0)?.[0];
  if (!first) throw new Error('dataset has no requests');
  const before = target.stats();
  const sendRss = new RssSampler(target.pid);
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  const probe = await httpRequest(url, { body: first.data, headers: REMOTE_WRITE_HEADERS, agent });
  if (probe.status === 404 || probe.status === 405 || probe.status === 501) {
    agent.destroy();
    sendRss.stop();
    throw new Unsupported(`POST ${target.writePath} returns ${probe.status}`);
  }

  let accepted = 0;
  let failed = 0;
  let firstError = '';
  let requests = 1;
  if (probe.status >= 200 && probe.status < 300) accepted += first.samples;
  else {
    failed++;
    firstError = `HTTP ${probe.status}: ${probe.body.toString('utf8').slice(0, 160)}`;
  }

  // Progress of every connection in data time, for the skew fence.
  const progress = shards.map((s) => (s.length ? s[0]!.minT : Infinity));
  let lastLog = performance.now();
  const budget = opts.budgetMs ?? Infinity;
  let truncated = false;
  let sentSamples = first.samples;
  const worker = async (i: number): Promise<void> => {
    const bodies = shards[i]!;
    for (let k = 0; k < bodies.length; k++) {
      const body = bodies[k]!;
      if (body === first) continue;
      if (performance.now() - t0 > budget) {
        truncated = true;
        break;
      }
      progress[i] = body.minT;
      while (body.minT > Math.min(...progress) + skew) await sleep(2);
      let status = 0;
      let text = '';
      try {
        const r = await httpRequest(url, { body: body.data, headers: REMOTE_WRITE_HEADERS, agent, timeoutMs: 120_000 });
        status = r.status;
        if (status < 200 || status >= 300) text = r.body.toString('utf8').slice(0, 160);
      } catch (e) {
        text = (e as Error).message;
      }
      requests++;
      sentSamples += body.samples;
      if (status >= 200 && status < 300) accepted += body.samples;
      else {
        failed++;
        if (!firstError) firstError = status ? `HTTP ${status}: ${text}` : text;
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  ${target.label}: ${(sentSamples / 1e6).toFixed(1)}M / ${(dataset.totalSamples / 1e6).toFixed(1)}M samples`);
      }
    }
    progress[i] = Infinity;
  };
  await Promise.all(shards.map((_, i) => worker(i)));
  const wallSeconds = (performance.now() - t0) / 1000;
  const after = target.stats();
  const sendPeakRssBytes = sendRss.stop();
  const persistRss = new RssSampler(target.pid);
  const clientUsage = process.cpuUsage(clientBefore);
  agent.destroy();

  let diskBytes: number | null = null;
  let indexBytes: number | null = null;
  let persistNote = '';
  const p0 = performance.now();
  try {
    const p = await target.persist();
    diskBytes = p.diskBytes;
    indexBytes = p.indexBytes;
    persistNote = p.note;
  } catch (e) {
    persistNote = e instanceof Unsupported ? e.message : `persist failed: ${(e as Error).message}`;
  }
  const persistSeconds = (performance.now() - p0) / 1000;
  const persisted = target.stats();
  const persistPeakRssBytes = persistRss.stop();
  await sleep(opts.settleMs ?? 2000);
  const settled = target.stats();
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    samplesSent: sentSamples,
    samplesAccepted: accepted,
    requests,
    failedRequests: failed,
    firstError,
    wallSeconds,
    samplesPerSecond: accepted / wallSeconds,
    cpuSeconds,
    cpuSecondsPerMillion: accepted > 0 ? cpuSeconds / (accepted / 1e6) : NaN,
    cpuSecondsPerMillionWithPersist: accepted > 0 ? (persisted.cpuSeconds - before.cpuSeconds) / (accepted / 1e6) : NaN,
    clientCpuSeconds: (clientUsage.user + clientUsage.system) / 1e6,
    peakRssBytes: settled.peakRssBytes,
    sendPeakRssBytes,
    persistPeakRssBytes,
    steadyRssBytes: settled.rssBytes,
    diskBytes,
    bytesPerSample: diskBytes !== null && accepted > 0 ? diskBytes / accepted : null,
    indexBytes,
    persistNote,
    persistSeconds,
    complete: !truncated,
  };
}
