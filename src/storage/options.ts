import type { StorageLifecycle } from './merge-policy.js';
import type { PartType } from './part-format.js';
import { StorageError } from './errors.js';
import type { WalFsync } from './wal.js';

/** What Storage.open takes, what an append answers, and what stats() reports. */

/** Which of storage's two logs a segment is from. */
export type WalLog = 'samples' | 'histograms';
export type WalArchive = (path: string, seq: number, log: WalLog) => boolean;

export interface StorageOptions {
  /** `<data>`; storage owns `<data>/wal` and `<data>/data`. */
  dataPath: string;
  /** Samples older than now - retention are dropped (on append: rejected and counted). 0 or Infinity: keep forever. */
  retentionMs: number;
  /** `--dedup.minScrapeInterval` in ms; 0 = off. */
  dedupIntervalMs: number;
  /** Memtable → part every this many ms (default 5000). */
  flushIntervalMs: number;
  walFsync: WalFsync;
  walFsyncIntervalMs: number;
  /**
   * The series table of a flush (labels-table.ts, encodeLabelsBody) for these ids, ascending:
   * written beside the part's data as labels.bin so the label index can be rebuilt from parts.
   */
  seriesLabels?: (ids: ArrayLike<number>) => SeriesTableBody;
  /** Tombstones from the label index, applied by merges. */
  isDeleted?: (id: number) => boolean;
  /**
   * Whether there is any tombstone at all. False spares merges reading every input part's series
   * ids on the main thread to look them up, and lets force_merge leave a lone clean part alone.
   */
  anyDeleted?: () => boolean;
  /**
   * Memtable rows that trigger a flush before the interval (default 2^19: 14 MB of columns). The
   * memtable's size follows the ingestion rate, not the series count, so it is kept small: a
   * fast writer makes more small parts, which merges fold together anyway.
   */
  maxPendingRows?: number;
  /** Run flushes and merges on a worker thread when the compiled worker exists (default true). */
  useWorker?: boolean;
  /**
   * Check every part's column-file checksums at open (default false: index files only; blocks
   * are still checked one by one as they are read). Full checks read the whole data set.
   */
  verifyPartsOnOpen?: boolean;
  /** Location of the compiled merge worker, when not next to this module (tests from sources). */
  workerUrl?: URL;
  /** Where background errors and quarantined parts are reported (default console.error). */
  onError?: (err: Error) => void;
  /**
   * Rows more than this many ms ahead of now are refused (default: none beyond the storable
   * range). `--futureTimestampLimit`.
   */
  maxFutureMs?: number;
  /** Per-series retention filters and downsampling, applied by merges (none by default). */
  lifecycle?: StorageLifecycle;
  /**
   * Offered each WAL segment once its rows are in parts (see WalOptions.archive), of the samples'
   * log (`wal/`) and of the native histograms' (`wal-histograms/`).
   */
  walArchive?: WalArchive;
  /** Clock, for tests of retention. */
  now?: () => number;
}

export interface AppendResult {
  stored: number;
  droppedOutOfRetention: number;
  /** Rows past now + maxFutureMs or outside the storable range. */
  droppedOutOfBounds: number;
}

export interface StorageStats {
  rowsIngested: number;
  rowsDroppedOutOfRetention: number;
  /** Rows in memtables, not yet in parts. */
  pendingRows: number;
  /** Bytes of the memtables' row columns (active, sealed and the spare kept for reuse), used or not. */
  memtableBytes: number;
  rowsByPartType: Record<PartType, number>;
  partsByType: Record<PartType, number>;
  partitions: number;
  diskBytes: number;
  flushesTotal: number;
  flushDurationSecondsTotal: number;
  mergesTotal: number;
  mergeDurationSecondsTotal: number;
  lastMergeDurationSeconds: number;
  mergedRowsTotal: number;
  walBytes: number;
  walSegments: number;
  walReplayedRows: number;
  walTruncatedBytes: number;
  quarantinedParts: number;
  /** Damaged blocks found since start (skipped by reads, dropped by merges). */
  damagedBlocks: number;
  backgroundErrorsTotal: number;
  mergesInWorker: boolean;
}

export function validateOptions(o: StorageOptions): void {
  const bad = (what: string): never => {
    throw new StorageError(`storage options: ${what}`);
  };
  if (!o.dataPath) bad('dataPath is required');
  if (!(o.retentionMs >= 0)) bad(`retentionMs must be >= 0, got ${o.retentionMs}`);
  if (!(o.dedupIntervalMs >= 0) || !Number.isFinite(o.dedupIntervalMs)) bad(`dedupIntervalMs must be a finite number >= 0, got ${o.dedupIntervalMs}`);
  if (!(o.flushIntervalMs > 0)) bad(`flushIntervalMs must be > 0, got ${o.flushIntervalMs}`);
  if (!['always', 'interval', 'never'].includes(o.walFsync)) bad(`walFsync must be always, interval or never, got ${String(o.walFsync)}`);
  if (o.walFsync === 'interval' && !(o.walFsyncIntervalMs > 0)) bad(`walFsyncIntervalMs must be > 0, got ${o.walFsyncIntervalMs}`);
  if (o.maxPendingRows !== undefined && !(o.maxPendingRows >= 1)) bad(`maxPendingRows must be >= 1`);
}

/** A flush's series table body, and whether it lists every id asked for (a damaged index entry is left out). */
export interface SeriesTableBody {
  readonly body: Uint8Array;
  readonly complete: boolean;
}
