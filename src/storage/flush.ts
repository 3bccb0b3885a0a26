import * as fs from 'node:fs';
import { join } from 'node:path';
import { normalize } from './dedup.js';
import { type FlushJob, type JobResult, type WrittenPart } from './jobs.js';
import { collectChain } from './memtable.js';
import { PartWriter, tmpName } from './part-writer.js';
import { MAX_STORABLE_T, MIN_STORABLE_T, monthRange, partitionKey } from './partition.js';
import { SampleBuffer } from './samples.js';

/** A flush: a sealed memtable's rows, series by series, into one small part per month they touch. */

export function flushRows(job: FlushJob): Omit<JobResult, 'durationMs'> {
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
