/**
 * Ranged deletions (`delete_series` with `start`/`end`), as Prometheus keeps them: a tombstone
 * hides the samples of some series within [minT, maxT] at read time, and merges drop them for
 * good. A tombstone applies to the parts that existed when it was made (sequence numbers below
 * its `seq`): data written after the deletion stays visible, and a part written by a merge that
 * applied the tombstone is below no tombstone it honoured. Once no live part below its `seq`
 * overlaps its range, the tombstone has nothing left to hide and is dropped.
 *
 * Persisted in `data/tombstones.json` (docs/format/tombstones.md), rewritten atomically.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { SampleBuffer } from './samples.js';
import { hasId } from './sorted-ids.js';

/** One deletion: sorted series ids and the inclusive time range removed from them. */
export interface Tombstone {
  /** Applies to parts whose sequence number is below this. */
  readonly seq: number;
  readonly minT: number;
  readonly maxT: number;
  /** Ascending. */
  readonly ids: Float64Array;
}

export type Interval = readonly [minT: number, maxT: number];

/** What a tombstone needs to know of a part: its sequence number and time range. */
export interface PartSpan {
  readonly seq: number;
  readonly minT: number;
  readonly maxT: number;
}

export const TOMBSTONES_FILE = 'tombstones.json';

interface StoredTombstone {
  seq: number;
  minT: number | null;
  maxT: number | null;
  ids: number[];
}

/** The ranges of `tombstones` that cover series `id` in a part of sequence `partSeq`, or null. */
export function intervalsFor(tombstones: readonly Tombstone[], id: number, partSeq: number): Interval[] | null {
  let out: Interval[] | null = null;
  for (const t of tombstones) {
    if (partSeq < t.seq && hasId(t.ids, id)) (out ??= []).push([t.minT, t.maxT]);
  }
  return out;
}

/** Removes from buf the samples at index >= from whose timestamp lies in any interval. */
export function cutIntervals(buf: SampleBuffer, from: number, intervals: readonly Interval[]): void {
  const ts = buf.timestamps;
  const vs = buf.values;
  let w = from;
  for (let r = from; r < buf.length;) {
    // Runs of kept samples move with copyWithin, which keeps NaN payloads (staleness markers) bit for bit.
    let end = r;
    while (end < buf.length && !inAny(ts[end]!, intervals)) end++;
    if (end > r) {
      if (w !== r) {
        ts.copyWithin(w, r, end);
        vs.copyWithin(w, r, end);
      }
      w += end - r;
    }
    r = end;
    while (r < buf.length && inAny(ts[r]!, intervals)) r++;
  }
  buf.length = w;
}

function inAny(t: number, intervals: readonly Interval[]): boolean {
  for (const [lo, hi] of intervals) if (t >= lo && t <= hi) return true;
  return false;
}

/** The set of live tombstones of one data directory, kept on disk. */
export class TombstoneSet {
  private list: Tombstone[];

  private constructor(
    private readonly path: string,
    list: Tombstone[],
  ) {
    this.list = list;
  }

  static load(dataDir: string): TombstoneSet {
    const path = join(dataDir, TOMBSTONES_FILE);
    let list: Tombstone[] = [];
    if (fs.existsSync(path)) {
      const raw = JSON.parse(fs.readFileSync(path, 'utf8')) as { tombstones: StoredTombstone[] };
      list = raw.tombstones.map((t) => ({
        seq: t.seq,
        minT: t.minT ?? -Infinity,
        maxT: t.maxT ?? Infinity,
        ids: Float64Array.from(t.ids).sort(),
      }));
    }
    return new TombstoneSet(path, list);
  }

  get all(): readonly Tombstone[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Records a deletion and makes it durable before returning. */
  add(t: Tombstone): void {
    this.write([...this.list, t]);
  }

  /** The tombstones that may hide samples of a part: made after it, overlapping its time range. */
  over(part: PartSpan): Tombstone[] {
    if (this.list.length === 0) return [];
    return this.list.filter((t) => part.seq < t.seq && t.minT <= part.maxT && t.maxT >= part.minT);
  }

  /** Drops the tombstones no live part lies under any more (merged away, or dropped by retention). */
  prune(live: readonly PartSpan[]): void {
    if (this.list.length === 0) return;
    const keep = this.list.filter((t) => live.some((part) => this.over(part).includes(t)));
    if (keep.length !== this.list.length) this.write(keep);
  }

  private write(list: Tombstone[]): void {
    const stored: StoredTombstone[] = list.map((t) => ({
      seq: t.seq,
      // JSON has no infinities: an open end is null.
      minT: Number.isFinite(t.minT) ? t.minT : null,
      maxT: Number.isFinite(t.maxT) ? t.maxT : null,
      ids: Array.from(t.ids),
    }));
    const tmp = this.path + '.tmp';
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ version: 1, tombstones: stored }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    this.list = list;
  }
}
