/**
 * Forwarding acknowledged samples from the WAL to remote-write destinations (a VictoriaMetrics
 * cluster's vminsert, Mimir, Thanos Receive, another Prometheus), like vmagent's
 * `-remoteWrite.url` but from the log on disk: a `kill -9` during an outage loses nothing. Each
 * destination reads the log at its own cursor; segments storage has flushed are kept (moved to
 * `forward/segments/`) until every cursor has passed them, up to --remoteWrite.maxDiskUsagePerURL.
 * Ingestion never waits for a destination.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { rowAt } from '../codec/index.js';
import { applyRelabel, encodeHistogramMessage, encodeRemoteWriteV2, type EncodeHistogram, type EncodeSeries, type RelabelConfig } from '../ingest/index.js';
import { RequestEncoder, encodeLabelFields } from './encode.js';
import { log } from '../logger.js';
import type { MetricsRegistry } from '../metrics.js';
import { hasIntegerCounts, type Labels } from '../model/index.js';
import type { WalLog } from '../storage/index.js';
import { CursorFile } from './cursor.js';
import { Destination, type DestinationConfig } from './destination.js';
import { SegmentSource, type HistogramReadResult, type Position, type Rows } from './segments.js';

export interface ForwardOptions {
  readonly dataPath: string;
  readonly destinations: readonly DestinationConfig[];
  /** Requests sent at once per destination; series are split among them by id, keeping their order. */
  readonly queues: number;
  /** Log bytes kept for a destination that lags (0: no limit); the oldest segments go first. */
  readonly maxDiskUsagePerUrl: number;
  /** --remoteWrite.relabelConfig: applied to what is sent, not to what is stored. */
  readonly relabel: readonly RelabelConfig[];
}

/** Where the forwarder finds a series' labels (null: deleted or unknown; its rows are skipped). */
export type LabelsLookup = (id: number) => Labels | null;

/** Rows read per round: one cursor fsync per round, so rounds are large; queues split them. */
const BATCH_ROWS = 40_000;
const IDLE_POLL_MS = 250;
const LABELS_CACHE = 200_000;

/** One destination reading one of storage's two logs (samples, native histograms) at its own cursor. */
interface Lane {
  readonly dest: Destination;
  readonly log: WalLog;
  readonly source: SegmentSource;
  readonly cursorFile: CursorFile;
  cursor: Position;
  /** When the lane last had nothing left to send (lag is measured from there). */
  caughtUpAt: number;
  caughtUp: boolean;
}

/** What one request to one queue carries before it is encoded (remote write 2.0) or sent. */
interface QueueBatch {
  readonly v1: RequestEncoder;
  readonly v2: EncodeSeries[];
  samples: number;
}

export class Forwarder {
  private readonly sources: Record<WalLog, SegmentSource>;
  private readonly lanes: Lane[];
  private lookup: LabelsLookup | null = null;
  private readonly labelsCache = new Map<number, { labels: Labels; fields: Uint8Array } | null>();
  private stopping = false;
  private readonly wakers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly m;

  constructor(
    private readonly opts: ForwardOptions,
    metrics: MetricsRegistry,
  ) {
    const dir = join(opts.dataPath, 'forward');
    fs.mkdirSync(dir, { recursive: true });
    this.sources = {
      samples: new SegmentSource(join(opts.dataPath, 'wal'), join(dir, 'segments')),
      histograms: new SegmentSource(join(opts.dataPath, 'wal-histograms'), join(dir, 'segments-histograms')),
    };
    this.lanes = opts.destinations.flatMap((cfg) =>
      (['samples', 'histograms'] as const).map((log): Lane => {
        const source = this.sources[log];
        const cursorFile = new CursorFile(dir, cfg.url, log);
        const cursor = cursorFile.load() ?? { seq: source.list()[0]?.seq ?? 0, off: 0 };
        // A destination of its own per lane: each log backs off and retries on its own.
        return { dest: new Destination(cfg, (ms) => this.sleep(ms)), log, source, cursorFile, cursor, caughtUpAt: Date.now(), caughtUp: false };
      }),
    );
    this.m = {
      sent: metrics.counter('strata_forward_samples_sent_total', 'Samples a remote-write destination accepted.'),
      dropped: metrics.counter(
        'strata_forward_samples_dropped_total',
        'Samples not forwarded, by destination and reason (rejected by it, relabeling, disk cap).',
      ),
      retried: metrics.counter('strata_forward_requests_retried_total', 'Requests to a destination that were retried.'),
      pending: metrics.gauge('strata_forward_pending_bytes', 'WAL bytes not yet sent to a destination.'),
      lag: metrics.gauge('strata_forward_lag_seconds', 'How long a destination has had unsent samples (0 when caught up).'),
    };
    metrics.addCollector(() => {
      this.refreshGauges();
      return [];
    });
  }

  /** Storage's WAL hook: keeps a flushed segment while some destination still has to read it. */
  readonly archive = (path: string, seq: number, from: WalLog): boolean => {
    if (this.lanes.every((l) => l.log !== from || l.cursor.seq > seq)) return false;
    try {
      fs.renameSync(path, this.sources[from].archivePath(seq));
      return true;
    } catch (e) {
      log.error('forwarding: cannot keep a WAL segment; its samples will not be forwarded', { segment: path, error: (e as Error).message });
      return false;
    }
  };

  start(lookup: LabelsLookup): void {
    this.lookup = lookup;
    this.loops = this.lanes.map((lane) =>
      this.run(lane).catch((e: unknown) => log.error('forwarding stopped', { url: lane.dest.shown, error: (e as Error).message })),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const w of this.wakers) w();
    await Promise.all(this.loops);
  }

  /** Waits ms; false when stopping (the caller gives up then). Disk caps are enforced meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    this.enforceDiskCap();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve(!this.stopping);
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async run(lane: Lane): Promise<void> {
    while (!this.stopping) {
      const read = lane.log === 'samples' ? lane.source.read(lane.cursor, BATCH_ROWS) : lane.source.readHistograms(lane.cursor, BATCH_ROWS);
      const next = read.next;
      if (('rows' in read ? read.rows.count : read.count) === 0) {
        if (next.seq !== lane.cursor.seq || next.off !== lane.cursor.off) this.advance(lane, next);
        if (!lane.caughtUp) {
          lane.caughtUp = true;
          lane.caughtUpAt = Date.now();
        }
        if (!(await this.sleep(IDLE_POLL_MS))) return;
        continue;
      }
      if (lane.caughtUp) {
        lane.caughtUp = false;
        lane.caughtUpAt = Date.now();
      }
      const outcome = 'rows' in read ? await this.sendRows(lane, read.rows) : await this.sendHistograms(lane, read);
      if (outcome === 'stopped') return;
      // A disk cap may have moved the cursor past this batch meanwhile: never move it back.
      if (next.seq > lane.cursor.seq || (next.seq === lane.cursor.seq && next.off > lane.cursor.off)) this.advance(lane, next);
    }
  }

  private advance(lane: Lane, to: Position): void {
    lane.cursor = to;
    lane.cursorFile.save(to, lane.dest.shown);
    this.dropPassedSegments(lane.log);
  }

  /** Archived segments of a log every destination has read are deleted. */
  private dropPassedSegments(log: WalLog): void {
    const min = Math.min(...this.lanes.filter((l) => l.log === log).map((l) => l.cursor.seq));
    for (const seg of this.sources[log].list()) {
      if (!seg.live && seg.seq < min) fs.rmSync(seg.path, { force: true });
    }
  }

  /** A series' labels after --remoteWrite.relabelConfig, and their encoded fields; null: not sent. */
  private seriesOf(id: number): { labels: Labels; fields: Uint8Array } | null {
    let l = this.labelsCache.get(id);
    if (l === undefined) {
      let raw: Labels | null = null;
      try {
        raw = this.lookup!(id);
      } catch {
        raw = null;
      }
      const labels = raw && this.opts.relabel.length > 0 ? applyRelabel(this.opts.relabel, raw) : raw;
      l = labels && { labels, fields: encodeLabelFields(labels) };
      if (this.labelsCache.size >= LABELS_CACHE) this.labelsCache.clear();
      this.labelsCache.set(id, l);
    }
    return l;
  }

  /** Groups rows by series (their order kept), splits series among the queues and sends them all. */
  private async sendRows(lane: Lane, rows: Rows): Promise<'done' | 'stopped'> {
    const queues = Math.max(1, this.opts.queues);
    // Rows ordered by series with a counting sort: each series' rows stay in log order.
    const slotOf = new Map<number, number>();
    const ids: number[] = [];
    const rowSlot = new Uint32Array(rows.count);
    const counts: number[] = [];
    for (let i = 0; i < rows.count; i++) {
      const id = rows.ids[i]!;
      let s = slotOf.get(id);
      if (s === undefined) {
        s = ids.length;
        slotOf.set(id, s);
        ids.push(id);
        counts.push(0);
      }
      rowSlot[i] = s;
      counts[s]!++;
    }
    const starts = new Uint32Array(ids.length + 1);
    for (let s = 0; s < ids.length; s++) starts[s + 1] = starts[s]! + counts[s]!;
    const fill = starts.slice(0, ids.length);
    const idx = new Uint32Array(rows.count);
    for (let i = 0; i < rows.count; i++) idx[fill[rowSlot[i]!]!++] = i;

    const v2 = lane.dest.cfg.protocol === 2;
    const batches = this.batches(queues);
    let skipped = 0;
    for (let s = 0; s < ids.length; s++) {
      const id = ids[s]!;
      const series = this.seriesOf(id);
      const from = starts[s]!;
      const to = starts[s + 1]!;
      if (!series) {
        skipped += to - from;
        continue;
      }
      const b = batches[id % queues]!;
      b.samples += to - from;
      if (!v2) {
        b.v1.series(series.fields, rows.timestamps, rows.values, idx, from, to);
        continue;
      }
      const ts = new Float64Array(to - from);
      const vs = new Float64Array(to - from);
      const vb = new Uint8Array(vs.buffer);
      const src = new Uint8Array(rows.values.buffer, rows.values.byteOffset, rows.count * 8);
      for (let k = from; k < to; k++) {
        ts[k - from] = rows.timestamps[idx[k]!]!;
        vb.set(src.subarray(idx[k]! * 8, idx[k]! * 8 + 8), (k - from) * 8);
      }
      b.v2.push({ labels: series.labels, timestamps: ts, values: vs });
    }
    return this.sendBatches(lane, batches, skipped);
  }

  /**
   * Native histogram samples, grouped by series in log order like rows, sent as the `histograms`
   * of each series' TimeSeries (integer counts when every count is an integer, as Prometheus
   * writes them, so receivers that read only integer histograms take them).
   */
  private async sendHistograms(lane: Lane, read: HistogramReadResult): Promise<'done' | 'stopped'> {
    const queues = Math.max(1, this.opts.queues);
    const bySeries = new Map<number, EncodeHistogram[]>();
    for (const rec of read.records) {
      for (let i = 0; i < rec.count; i++) {
        const id = rec.ids[i]!;
        let list = bySeries.get(id);
        if (list === undefined) bySeries.set(id, (list = []));
        const histogram = rowAt(rec.rows, i);
        list.push({ timestamp: rec.timestamps[i]!, histogram, integer: hasIntegerCounts(histogram) });
      }
    }
    const v2 = lane.dest.cfg.protocol === 2;
    const batches = this.batches(queues);
    let skipped = 0;
    for (const [id, hs] of bySeries) {
      const series = this.seriesOf(id);
      if (!series) {
        skipped += hs.length;
        continue;
      }
      const b = batches[id % queues]!;
      b.samples += hs.length;
      if (v2) b.v2.push({ labels: series.labels, histograms: hs });
      else b.v1.histogramSeries(series.fields, hs.map(encodeHistogramMessage));
    }
    return this.sendBatches(lane, batches, skipped);
  }

  private batches(queues: number): QueueBatch[] {
    return Array.from({ length: queues }, () => ({ v1: new RequestEncoder(), v2: [], samples: 0 }));
  }

  /** Sends each queue's request at once; answers are counted per destination. */
  private async sendBatches(lane: Lane, batches: readonly QueueBatch[], skipped: number): Promise<'done' | 'stopped'> {
    if (skipped > 0) this.m.dropped.inc({ url: lane.dest.shown, reason: 'relabeled_or_deleted' }, skipped);
    const v2 = lane.dest.cfg.protocol === 2;
    const before = lane.dest.retries;
    const results = await Promise.all(
      batches.map(async (b) => {
        if (b.samples === 0) return 'done' as const;
        const body = v2 ? encodeRemoteWriteV2(b.v2) : b.v1.finish();
        const r = await lane.dest.send(body);
        if (r === 'stopped') return r;
        if (r.kind === 'sent') this.m.sent.inc({ url: lane.dest.shown }, b.samples);
        else {
          this.m.dropped.inc({ url: lane.dest.shown, reason: `http_${r.status}` }, b.samples);
          log.warn('forwarding: destination refused samples; they are dropped, not retried', {
            url: lane.dest.shown,
            status: r.status,
            samples: b.samples,
            error: r.reason,
          });
        }
        return 'done' as const;
      }),
    );
    if (lane.dest.retries > before) this.m.retried.inc({ url: lane.dest.shown }, lane.dest.retries - before);
    return results.includes('stopped') ? 'stopped' : 'done';
  }

  /** Past --remoteWrite.maxDiskUsagePerURL a lagging destination loses its oldest segments, counted. */
  private enforceDiskCap(): void {
    const cap = this.opts.maxDiskUsagePerUrl;
    if (cap <= 0) return;
    for (const lane of this.lanes) {
      let pending = lane.source.pendingBytes(lane.cursor);
      if (pending <= cap) continue;
      const segs = lane.source.list();
      const newest = segs[segs.length - 1]?.seq ?? 0;
      for (const seg of segs) {
        if (pending <= cap || seg.seq >= newest) break;
        if (seg.seq < lane.cursor.seq) continue;
        const dropped = lane.source.countRows(seg.seq, seg.seq === lane.cursor.seq ? lane.cursor.off : 0);
        pending -= seg.seq === lane.cursor.seq ? seg.size - lane.cursor.off : seg.size;
        this.m.dropped.inc({ url: lane.dest.shown, reason: 'disk_cap' }, dropped);
        log.warn('forwarding: --remoteWrite.maxDiskUsagePerURL reached; oldest samples dropped', { url: lane.dest.shown, samples: dropped });
        lane.cursor = { seq: seg.seq + 1, off: 0 };
        lane.cursorFile.save(lane.cursor, lane.dest.shown);
      }
    }
    this.dropPassedSegments('samples');
    this.dropPassedSegments('histograms');
  }

  /** A destination's gauges cover both its lanes: bytes summed, the longer lag. */
  private refreshGauges(): void {
    const now = Date.now();
    const pending = new Map<string, number>();
    const lag = new Map<string, number>();
    for (const lane of this.lanes) {
      const url = lane.dest.shown;
      pending.set(url, (pending.get(url) ?? 0) + lane.source.pendingBytes(lane.cursor));
      lag.set(url, Math.max(lag.get(url) ?? 0, lane.caughtUp ? 0 : (now - lane.caughtUpAt) / 1000));
    }
    for (const [url, bytes] of pending) this.m.pending.set({ url }, bytes);
    for (const [url, seconds] of lag) this.m.lag.set({ url }, seconds);
  }
}
