import * as fs from 'node:fs';
import { join } from 'node:path';
import { loadCodec } from './block-codec.js';
import { collectChain, type MemtableChains } from './memtable.js';
import { PartCorruptError } from './errors.js';
import { Part } from './part.js';
import { type BlockHeader, type PartMetadata, MAX_STORABLE_T, MIN_STORABLE_T, monthRange, partitionKey } from './part-format.js';
import { PartWriter } from './part-writer.js';
import { SampleBuffer, normalize } from './samples.js';
import { cutIntervals, intervalsFor, type Tombstone } from './tombstones.js';
import { downsample, ruleFor, type MergeRules } from './downsample.js';
import { hasId } from './sorted-ids.js';

/**
 * The heavy work of the engine — turning memtable rows into parts and merging parts — as plain
 * functions over plain data, so the same code runs in the merge worker thread or, when no worker
 * script is available (tests running from sources), in-process.
 */

/** A sealed memtable's rows, walked series by series along their row links (see Memtable.chains). */
export interface FlushJob extends MemtableChains {
  kind: 'flush';
  dataDir: string;
  partName: string;
  count: number;
  dedupIntervalMs: number;
}

export interface MergeJob {
  kind: 'merge';
  partitionDir: string;
  /** Input part directories, oldest data first: on equal timestamps later inputs win. */
  inputs: string[];
  partName: string;
  dedupIntervalMs: number;
  /** Samples older than this are dropped (retention). */
  minValidT: number;
  /** Sorted ids of deleted series: their samples are dropped. */
  deletedIds: Float64Array;
  /** Deflate the output's column blocks (big and final merges; see Storage.mergeWindow). */
  deflate: boolean;
  /** Ranged deletions over the inputs: their samples are dropped (tombstones.ts). */
  tombstones: Tombstone[];
  /** Per-series retention and downsampling (downsample.ts); null when none is configured. */
  rules: MergeRules | null;
  /** Recorded in the output's metadata when rules were applied. */
  policy?: { at: number; signature: string };
}

export type Job = FlushJob | MergeJob;

export interface WrittenPart {
  partition: string;
  name: string;
  meta: PartMetadata;
}

/** A block a merge could not read (checksum or decode failure): skipped, its samples lost. */
export interface LostBlock {
  seriesId: number;
  minT: number;
  maxT: number;
  reason: string;
}

export interface JobResult {
  parts: WrittenPart[];
  /** Merges only: blocks of the inputs that were damaged and left out. */
  lostBlocks?: LostBlock[];
  rowsIn: number;
  durationMs: number;
}

export async function runJob(job: Job): Promise<JobResult> {
  await loadCodec();
  const started = performance.now();
  const r = job.kind === 'flush' ? flushRows(job) : mergeParts(job);
  return { ...r, durationMs: performance.now() - started };
}

export function tmpName(name: string): string {
  return `tmp_${name}`;
}

function flushRows(job: FlushJob): Omit<JobResult, 'durationMs'> {
  const writers = new Map<string, PartWriter>();
  const buf = new SampleBuffer();
  const dataDir = job.dataDir;
  const writerFor = (key: string): PartWriter => {
    let w = writers.get(key);
    if (!w) {
      const pdir = join(dataDir, key);
      fs.mkdirSync(pdir, { recursive: true });
      w = new PartWriter(join(pdir, tmpName(job.partName)), join(pdir, job.partName), 'small', job.dedupIntervalMs);
      writers.set(key, w);
    }
    return w;
  };
  try {
    const { seriesIds, heads, timestamps, values, prev } = job;
    for (let k = 0; k < seriesIds.length; k++) {
      const id = seriesIds[k]!;
      buf.reset();
      collectChain(timestamps, values, prev, heads[k]!, -Infinity, Infinity, buf);
      normalize(buf, job.dedupIntervalMs);
      splitByMonth(buf, (from, to, partition) => {
        const w = writerFor(partition);
        if (from === 0) w.addSeries(id, buf.timestamps, buf.values, to);
        else w.addSeries(id, buf.timestamps.subarray(from, to), buf.values.subarray(from, to), to - from);
      });
    }
    const parts: WrittenPart[] = [];
    for (const [partition, w] of writers) parts.push({ partition, name: job.partName, meta: w.finish() });
    return { parts, rowsIn: job.count };
  } catch (e) {
    for (const w of writers.values()) w.abort();
    throw e;
  }
}

/** The month last looked up: nearly every series of a flush falls in the same one. */
const monthCache = { start: 0, end: 0, key: '' };

function monthOf(t: number): typeof monthCache {
  if (t < monthCache.start || t >= monthCache.end) {
    [monthCache.start, monthCache.end] = monthRange(t);
    monthCache.key = partitionKey(t);
  }
  return monthCache;
}

/**
 * Calls emit(from, to, partition) for each run of samples within one calendar month. Samples
 * outside the storable range have no month: they are skipped (appends refuse them, but a WAL
 * written by an older version may still hold some), so no single row can fail a whole flush.
 */
function splitByMonth(buf: SampleBuffer, emit: (from: number, to: number, partition: string) => void): void {
  const ts = buf.timestamps;
  let n = buf.length;
  let from = 0;
  while (from < n && ts[from]! < MIN_STORABLE_T) from++;
  while (n > from && ts[n - 1]! > MAX_STORABLE_T) n--;
  while (from < n) {
    const m = monthOf(ts[from]!);
    const end = m.end;
    const key = m.key;
    let to = from + 1;
    while (to < n && ts[to]! < end) to++;
    emit(from, to, key);
    from = to;
  }
}

/** Walks a part's block headers in (series, time) order. */
class HeaderCursor {
  private block = 0;
  private headers: BlockHeader[] = [];
  private pos = 0;

  constructor(readonly part: Part) {
    this.fill();
  }

  private fill(): void {
    while (this.pos >= this.headers.length && this.block < this.part.indexBlocks) {
      this.headers = this.part.readIndexBlock(this.block++);
      this.pos = 0;
    }
  }

  get current(): BlockHeader | null {
    return this.pos < this.headers.length ? this.headers[this.pos]! : null;
  }

  next(): void {
    this.pos++;
    this.fill();
  }
}

function mergeParts(job: MergeJob): Omit<JobResult, 'durationMs'> {
  const parts = job.inputs.map((dir) => Part.open(dir, dir, { verifyData: false }));
  const cursors = parts.map((p) => new HeaderCursor(p));
  const seqs = job.inputs.map((dir) => parseInt(partitionNameOf(dir), 16));
  const writer = new PartWriter(join(job.partitionDir, tmpName(job.partName)), join(job.partitionDir, job.partName), 'big', job.dedupIntervalMs, job.deflate);
  const buf = new SampleBuffer();
  const scratch = [new Float64Array(8192), new Float64Array(8192)];
  let rowsIn = 0;
  const lostBlocks: LostBlock[] = [];
  try {
    for (;;) {
      let id = Infinity;
      for (const c of cursors) {
        const h = c.current;
        if (h && h.seriesId < id) id = h.seriesId;
      }
      if (id === Infinity) break;
      buf.reset();
      const drop = hasId(job.deletedIds, id);
      const rule = job.rules ? ruleFor(job.rules, id) : null;
      const minValidT = rule ? Math.max(job.minValidT, rule.minValidT) : job.minValidT;
      cursors.forEach((c, i) => {
        const from = buf.length;
        for (let h = c.current; h && h.seriesId === id; c.next(), h = c.current) {
          rowsIn += h.count;
          if (drop || h.maxT < minValidT) continue;
          const before = buf.length;
          try {
            c.part.readBlock(h, minValidT, Infinity, buf, scratch);
          } catch (e) {
            // One damaged block must not stop every merge of its partition for good.
            if (!(e instanceof PartCorruptError)) throw e;
            buf.length = before;
            lostBlocks.push({ seriesId: id, minT: h.minT, maxT: h.maxT, reason: e.message });
          }
        }
        const cut = job.tombstones.length > 0 ? intervalsFor(job.tombstones, id, seqs[i]!) : null;
        if (cut) cutIntervals(buf, from, cut);
      });
      if (buf.length === 0) continue;
      normalize(buf, job.dedupIntervalMs);
      if (rule && rule.levels.length > 0) downsample(buf, rule.levels, job.rules!.mode);
      if (buf.length === 0) continue;
      writer.addSeries(id, buf.timestamps, buf.values, buf.length);
    }
    const meta = writer.finish(job.policy);
    return { parts: [{ partition: partitionNameOf(job.partitionDir), name: job.partName, meta }], rowsIn, lostBlocks };
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    for (const p of parts) p.retire();
  }
}

function partitionNameOf(dir: string): string {
  return dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
}
