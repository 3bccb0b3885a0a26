/**
 * A selection read batch by batch (model's SeriesStream): the label sets of every selected series
 * are known and sorted up front, as a whole select would sort them; samples are read one batch at
 * a time into an arena of the batch's own, released when the next batch is asked for.
 */
import type { Labels, Series, SeriesStream } from '../model/index.js';
import type { SampleArena } from '../storage/index.js';

export interface StreamEntry {
  readonly id: number;
  readonly labels: Labels;
}

/** Samples of the given ids (ascending) in the stream's range, for those that have any. */
export type BatchReader = (ids: readonly number[], arena: SampleArena) => Promise<Map<number, Omit<Series, 'labels'>>>;

/** `entries` must be in the order the series are to come out (by labels). */
export function seriesStream(entries: readonly StreamEntry[], read: BatchReader, newArena: () => SampleArena): SeriesStream {
  let at = 0;
  let arena: SampleArena | null = null;
  const drop = (): void => {
    arena?.release();
    arena = null;
  };
  return {
    matched: entries.length,
    async next(maxSeries: number): Promise<Series[] | null> {
      drop();
      const n = Math.max(1, Math.floor(maxSeries));
      while (at < entries.length) {
        const from = at;
        const end = Math.min(entries.length, at + n);
        at = end;
        // Ids ascending for the read: a typed sort, no comparator calls.
        const sorted = new Float64Array(end - from);
        for (let i = from; i < end; i++) sorted[i - from] = entries[i]!.id;
        sorted.sort();
        const ids = Array.from(sorted);
        const own = newArena();
        arena = own;
        const samples = await read(ids, own);
        const out: Series[] = [];
        for (let i = from; i < end; i++) {
          const e = entries[i]!;
          const s = samples.get(e.id);
          if (!s) continue;
          out.push(
            s.histograms
              ? { labels: e.labels, timestamps: s.timestamps, values: s.values, histograms: s.histograms }
              : { labels: e.labels, timestamps: s.timestamps, values: s.values },
          );
        }
        if (out.length > 0) return out;
        drop();
      }
      return null;
    },
    close(): void {
      drop();
      at = entries.length;
    },
  };
}
