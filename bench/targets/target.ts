/**
 * One system under test. Every target is driven the same way (start → ingest → persist → query →
 * stop); a target that lacks a capability throws `Unsupported` from that step and the harness
 * prints "n/a (reason)" for the affected cells instead of failing the run.
 */
import type { ProcStats } from './process.js';

export type TargetId = 'strata' | 'victoriametrics' | 'prometheus';

/** A capability the target does not have (yet): the reason becomes the table cell. */
export class Unsupported extends Error {
  override name = 'Unsupported';
}

export interface PersistResult {
  /** Bytes that count as the stored data set (see `note`). */
  readonly diskBytes: number;
  /** The part of diskBytes that is the label/series index (null when the layout does not separate it). */
  readonly indexBytes: number | null;
  /** What was measured, e.g. "snapshot dir" or "data dir after force_merge". */
  readonly note: string;
}

export interface Target {
  readonly id: TargetId;
  /** Short name for table headers. */
  readonly label: string;
  /** Finds (or installs) what is needed to run; returns null when ready, else why not. */
  prepare(opts: { install: boolean }): Promise<string | null>;
  /** Version string as reported by the binary, after prepare. */
  readonly version: string;
  start(dataDir: string, port: number, logFile: string): Promise<void>;
  readonly pid: number;
  readonly baseUrl: string;
  /** Remote write 1.0 endpoint path. */
  readonly writePath: string;
  /** Makes ingested data visible to queries (no-op where it is immediate). */
  makeQueryable(): Promise<void>;
  /** Flushes and merges (or snapshots) so that `diskBytes` reflects stored data, not a WAL. */
  persist(): Promise<PersistResult>;
  stats(): ProcStats;
  /** Extra query-string parameters appended to every query (e.g. cache busting). */
  readonly queryParams: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}
