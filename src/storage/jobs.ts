import { loadCodec } from './block-codec.js';
import type { MergeRules } from './downsample.js';
import { flushRows } from './flush.js';
import type { MemtableChains } from './memtable.js';
import { mergeParts } from './merge.js';
import type { PartMetadata } from './part-format.js';
import type { Tombstone } from './tombstones.js';
import { runHistFlush, runHistMerge, type HistFlushJob, type HistJobResult, type HistMergeJob } from './histograms/jobs.js';

/**
 * The heavy work of the engine — turning memtable rows into parts (flush.ts) and merging parts
 * (merge.ts) — as plain functions over plain data, so the same code runs in the merge worker
 * thread or, when no worker script is available (tests running from sources), in-process.
 */

/** A sealed memtable's rows, walked series by series along their row links (see Memtable.chains). */
export interface FlushJob extends MemtableChains {
  kind: 'flush';
  dataDir: string;
  partName: string;
  count: number;
  dedupIntervalMs: number;
  /** The flushed series' table body (labels-table.ts, encodeLabelsBody); absent: no labels.bin. */
  labels?: Uint8Array;
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
  /**
   * Set to non-zero (shared memory, so the running worker sees it) to stop the merge: it then
   * writes nothing and answers `cancelled`. A force_merge stops a background merge this way,
   * since it rewrites those inputs anyway.
   */
  cancel?: Int32Array;
}

/** Histogram store jobs (histograms/jobs.ts) run on the same threads. */
export type Job = FlushJob | MergeJob | HistFlushJob | HistMergeJob;

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
  /** Merges only: stopped through MergeJob.cancel; nothing was written. */
  cancelled?: boolean;
  /** Merges only: an input had no readable series table, so the output lists only what the others did. */
  seriesTablesIncomplete?: boolean;
  rowsIn: number;
  durationMs: number;
  /** Histogram jobs' own result. */
  hist?: HistJobResult;
}

export async function runJob(job: Job): Promise<JobResult> {
  await loadCodec();
  const started = performance.now();
  const r =
    job.kind === 'flush'
      ? flushRows(job)
      : job.kind === 'merge'
        ? mergeParts(job)
        : { parts: [], rowsIn: job.kind === 'hist-flush' ? job.count : 0, hist: job.kind === 'hist-flush' ? runHistFlush(job) : runHistMerge(job) };
  return { ...r, durationMs: performance.now() - started };
}
