import { join } from 'node:path';
import { normalize } from './dedup.js';
import { downsample, ruleFor } from './downsample.js';
import { PartCorruptError } from './errors.js';
import { type JobResult, type LostBlock, type MergeJob } from './jobs.js';
import { Part } from './part.js';
import type { BlockHeader } from './part-format.js';
import { PartWriter, tmpName } from './part-writer.js';
import { LabelsTableError, entriesFor, readLabelsTable, type LabelsTable, type SeriesLabels } from './labels-table.js';
import { SampleBuffer } from './samples.js';
import { hasId } from './sorted-ids.js';
import { cutIntervals, intervalsFor } from './tombstones.js';

/**
 * A merge: k parts of one partition into one, series by series, applying dedup, retention,
 * deletions, tombstones and downsampling on the way. Which parts merge when is merge-policy.ts;
 * scheduling and installing the result is merge-scheduler.ts.
 */

/** Walks a part's block headers in (series, time) order. */
class HeaderCursor {
  private block = 0;
  private headers: BlockHeader[] = [];
  private pos = 0;

  constructor(readonly part: Part) {
    this.fill();
  }

  private fill(): void {
    while (this.pos >= this.headers.length && this.block < this.part.headerGroups) {
      this.headers = this.part.readHeaderGroup(this.block++);
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

/**
 * The output's series table: the union of the inputs' tables, ascending by id, kept to the
 * series written (`written`, ascending). An input without one (written before they existed) or
 * with a damaged one contributes nothing: its series are then listed only if another input lists
 * them, and `strata index rebuild` takes their labels from the index. When one input lists
 * series and every series it lists was written, its file is the output's as it is (a burst's
 * merges: one input lists every series, the flushes after it none).
 */
function mergedLabels(inputs: readonly string[], written: readonly number[]): { table: SeriesLabels[] | Uint8Array; complete: boolean } {
  const tables: LabelsTable[] = [];
  let complete = true;
  for (const dir of inputs) {
    let t: LabelsTable | null = null;
    try {
      t = readLabelsTable(dir);
    } catch (e) {
      if (!(e instanceof LabelsTableError)) throw e;
    }
    if (t === null) complete = false;
    else if (t.ids.length > 0) tables.push(t);
  }
  if (tables.length === 1 && isSubset(tables[0]!.ids, written)) return { table: tables[0]!.file, complete };
  const byId = new Map<number, SeriesLabels>();
  for (const t of tables) for (const e of t.entries()) byId.set(e.id, e);
  const entries = [...byId.values()].sort((a, b) => a.id - b.id);
  // A listed series none of whose samples was kept (retention, a ranged deletion) leaves
  // the listings: samples of it in parts outside this merge may now be listed nowhere.
  return { table: entries, complete: complete && entriesFor(entries, written).length === entries.length };
}

/** Whether every id of ascending `a` is in ascending `b`. */
function isSubset(a: readonly number[], b: readonly number[]): boolean {
  let j = 0;
  for (const id of a) {
    while (j < b.length && b[j]! < id) j++;
    if (j === b.length || b[j] !== id) return false;
  }
  return true;
}

export function mergeParts(job: MergeJob): Omit<JobResult, 'durationMs'> {
  const parts = job.inputs.map((dir) => Part.open(dir, dir, { verifyData: false }));
  const cursors = parts.map((p) => new HeaderCursor(p));
  const seqs = job.inputs.map((dir) => parseInt(partitionNameOf(dir), 16));
  const writer = new PartWriter(join(job.partitionDir, tmpName(job.partName)), join(job.partitionDir, job.partName), 'big', job.dedupIntervalMs, job.deflate);
  const buf = new SampleBuffer();
  const scratch = [new Float64Array(8192), new Float64Array(8192)];
  let rowsIn = 0;
  const lostBlocks: LostBlock[] = [];
  /** Series written, ascending. */
  const written: number[] = [];
  let series = 0;
  try {
    for (;;) {
      if (job.cancel && (++series & 1023) === 0 && Atomics.load(job.cancel, 0) !== 0) {
        writer.abort();
        return { parts: [], rowsIn, cancelled: true };
      }
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
      written.push(id);
    }
    const labels = mergedLabels(job.inputs, written);
    const meta = writer.finish(job.policy, labels.table);
    return {
      parts: [{ partition: partitionNameOf(job.partitionDir), name: job.partName, meta }],
      rowsIn,
      lostBlocks,
      ...(labels.complete ? {} : { seriesTablesIncomplete: true }),
    };
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
