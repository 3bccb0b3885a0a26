import { join } from 'node:path';
import { normalize } from '../dedup.js';
import { downsample, ruleFor, type MergeRules } from '../downsample.js';
import type { BadBlock } from '../partition.js';
import { partitionKey, partitionRange } from '../partition.js';
import { SampleBuffer } from '../samples.js';
import { cutIntervals, intervalsFor, type Tombstone } from '../tombstones.js';
import { HistPart, writeHistPart, type SeriesHistograms } from './part.js';

/**
 * The heavy work of the histogram store — a sealed memtable into parts, parts merged into one —
 * as plain functions over plain data, run on the storage worker threads beside the float flushes
 * and merges (storage/jobs.ts), so ingestion and queries never wait for them.
 */

/**
 * Sealed histogram memtables (memtable.ts): per sample series, time and where its flat row is:
 * buffers[buf[i]][start[i], end[i]). The buffers are shared memory as a rule, so they reach the
 * worker without a copy.
 */
export interface HistFlushJob {
  kind: 'hist-flush';
  /** The histogram store's directory (partitions below it). */
  dir: string;
  partName: string;
  dedupIntervalMs: number;
  count: number;
  ids: Float64Array;
  timestamps: Float64Array;
  buffers: Uint8Array[];
  buf: Uint32Array;
  start: Uint32Array;
  end: Uint32Array;
}

export interface HistMergeJob {
  kind: 'hist-merge';
  dir: string;
  partition: string;
  /** Input part names, oldest first (later ones win ties). */
  inputs: string[];
  partName: string;
  dedupIntervalMs: number;
  /** Sorted ids to write (deleted series already left out). */
  ids: Float64Array;
  tombstones: Tombstone[];
  rules: MergeRules;
}

export interface HistJobResult {
  /** Partitions a part `partName` was written into (a flush may touch several months). */
  partitions: string[];
  /** Blocks of the merge inputs that could not be read: left out, their samples lost. */
  lostBlocks: BadBlock[];
  rowsIn: number;
}

/** Per series: sample buffer of (t, row number), and the row of a row number. */
export interface Gathered {
  readonly buf: SampleBuffer;
  row(n: number): Uint8Array;
}

/**
 * The samples of `id` from `parts` (oldest first) in [minT, maxT], each part cut by the
 * tombstones over it; damaged blocks go to `onBadBlock` and are skipped.
 */
export function gather(
  parts: readonly HistPart[],
  id: number,
  minT: number,
  maxT: number,
  tombstones: readonly Tombstone[],
  onBadBlock: (part: HistPart, b: BadBlock) => void,
): Gathered {
  const rows: Uint8Array[] = [];
  const g: Gathered = { buf: new SampleBuffer(8), row: (n) => rows[n]! };
  for (const part of parts) {
    const from = g.buf.length;
    part.read(
      id,
      minT,
      maxT,
      (t, row) => {
        g.buf.push(t, rows.length);
        rows.push(row);
      },
      (b) => onBadBlock(part, b),
    );
    if (g.buf.length === from || tombstones.length === 0) continue;
    const cut = intervalsFor(tombstones, id, part.seq);
    if (cut) cutIntervals(g.buf, from, cut);
  }
  return g;
}

function dropBefore(buf: SampleBuffer, minT: number): void {
  let k = 0;
  while (k < buf.length && buf.timestamps[k]! < minT) k++;
  if (k === 0) return;
  buf.timestamps.copyWithin(0, k, buf.length);
  buf.values.copyWithin(0, k, buf.length);
  buf.length -= k;
}

/** Normalised series for a part writer; `rules` applies retention filters and downsampling. */
function* finished(ids: ArrayLike<number>, get: (id: number) => Gathered, dedupIntervalMs: number, rules: MergeRules | null): Generator<SeriesHistograms> {
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const g = get(id);
    normalize(g.buf, dedupIntervalMs);
    if (rules) {
      const rule = ruleFor(rules, id);
      dropBefore(g.buf, rule.minValidT);
      downsample(g.buf, rule.levels, 'last');
    }
    const n = g.buf.length;
    const rows = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) rows[i] = g.row(g.buf.values[i]!);
    yield { id, timestamps: g.buf.timestamps.slice(0, n), rows };
  }
}

export function runHistFlush(job: HistFlushJob): HistJobResult {
  // Group by partition, then by series; row numbers keep arrival order for "last wins".
  const byPartition = new Map<string, Map<number, Gathered>>();
  // Rows of one month come in long stretches: name the month once per stretch.
  let key = '';
  let monthStart = Infinity;
  let monthEnd = -Infinity;
  const { ids, timestamps, buffers, buf, start, end } = job;
  // Row views are made per series as its part is written, not all at once: a flush holds
  // thousands of rows, and views kept that long would outlive the young generation.
  const row = (i: number): Uint8Array => buffers[buf[i]!]!.subarray(start[i]!, end[i]!);
  let m: Map<number, Gathered> | undefined;
  for (let i = 0; i < job.count; i++) {
    const t = timestamps[i]!;
    if (t < monthStart || t >= monthEnd) {
      key = partitionKey(t);
      [monthStart, monthEnd] = partitionRange(key);
      m = byPartition.get(key);
      if (!m) byPartition.set(key, (m = new Map()));
    }
    const id = ids[i]!;
    let g = m!.get(id);
    if (!g) m!.set(id, (g = { buf: new SampleBuffer(8), row }));
    // Sample numbers ascend with arrival, so "last written wins" holds as with row numbers.
    g.buf.push(t, i);
  }
  const partitions: string[] = [];
  for (const [key, series] of byPartition) {
    const sorted = Float64Array.from(series.keys()).sort();
    const meta = writeHistPart(
      join(job.dir, key),
      job.partName,
      finished(sorted, (id) => series.get(id)!, job.dedupIntervalMs, null),
      job.dedupIntervalMs,
    );
    if (meta) partitions.push(key);
  }
  return { partitions, lostBlocks: [], rowsIn: job.count };
}

export function runHistMerge(job: HistMergeJob): HistJobResult {
  const partitionDir = join(job.dir, job.partition);
  const inputs = job.inputs.map((name) => HistPart.open(join(partitionDir, name), name));
  const lostBlocks: BadBlock[] = [];
  let rowsIn = 0;
  try {
    for (const p of inputs) rowsIn += p.meta.rows;
    const onBad = (_: HistPart, b: BadBlock): void => {
      lostBlocks.push(b);
    };
    const meta = writeHistPart(
      partitionDir,
      job.partName,
      finished(job.ids, (id) => gather(inputs, id, -Infinity, Infinity, job.tombstones, onBad), job.dedupIntervalMs, job.rules),
      job.dedupIntervalMs,
    );
    return { partitions: meta ? [job.partition] : [], lostBlocks, rowsIn };
  } finally {
    for (const p of inputs) p.close();
  }
}
